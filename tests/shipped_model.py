"""A shipped demo model as installer/demo_model.py makes it, with tiny networks: trained once
per test session (PyTorch needed) and shared by the tests of the torch-less first run."""
from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TINY_NETS = {"semantic_dim": 64, "label_hidden": (128,), "image_hidden": (128,),
             "text_hidden": (128,), "disc_hidden": (32,)}
_BUILT: dict[int, Path] = {}


def generator():
    """installer/demo_model.py as a module (the installer folder is not a package)."""
    spec = importlib.util.spec_from_file_location("demo_model", ROOT / "installer" / "demo_model.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def shipped_demo(tmp_path_factory, count: int) -> Path:
    """models/demo/ for the demo of seed 0 and ``count`` items (tiny networks, one epoch;
    ``min_holdout_items`` lowered so some items are held out and must be remapped)."""
    if count not in _BUILT:
        from app.services.training import TrainOptions

        options = TrainOptions(bits=16, epochs=1, image_size=32, device="cpu", net_overrides=TINY_NETS,
                               min_holdout_items=10)
        out = tmp_path_factory.mktemp("shipped") / "demo"
        generator().build(out, count, "test", options)
        _BUILT[count] = out
    return _BUILT[count]
