#!/usr/bin/env python3
"""Train the demo collection's model once, for the bundles to ship in ``models/demo/``.

    .venv/bin/python installer/demo_model.py [--out models/demo] [--force]

A first run fills an empty library with the demo collection (seed 0, 300 items) and trains a
model on it. The viewer bundle has no PyTorch and cannot train, so the build does it here, with
the project's Python (which has torch) and the first run's own options (``DEMO_TRAINING``,
seed 0, on the CPU: 64 px photos, as a museum workstation would train), and the bundle carries
the result: the ONNX networks, ``card.json`` and ``demo.json`` (which demo it fits, the
held-out items by accession number, and a hash of the inputs). A bundle's first run installs
it with ``app.services.demo.install_demo_model`` and encodes the demo on ONNX Runtime.

The model is regenerated only when the inputs that shape it changed (the training, demo,
text and image code, the label scheme, the glossary, the torch version) or with ``--force``.
The folder is git-ignored (about 65 MB); ``installer/build_linux.sh`` runs this script.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

# What decides the model's weights and card (paths relative to the repository root).
INPUTS = ["app/ml", "app/media", "app/text", "app/runtime", "app/core/scheme.py",
          "app/services/demo.py", "app/services/training.py", "app/services/dataset.py",
          "resources/scheme", "resources/glossary", "installer/demo_model.py"]
SEED = 0
DEVICE = "cpu"


def inputs_hash() -> str:
    """A hash of every input file (path and bytes) and of the torch and jieba versions."""
    import importlib.metadata as md

    digest = hashlib.sha256()
    for name in INPUTS:
        path = ROOT / name
        files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        for file in files:
            if "__pycache__" in file.parts:
                continue
            digest.update(file.relative_to(ROOT).as_posix().encode() + b"\0")
            digest.update(file.read_bytes() + b"\0")
    for package in ("torch", "jieba"):
        digest.update(f"{package}={md.version(package)}\0".encode())
    return digest.hexdigest()[:16]


def up_to_date(out: Path, wanted: str, count: int) -> bool:
    from app.services.demo import shipped_demo_model

    if shipped_demo_model(SEED, count, out) is None:
        return False
    manifest = json.loads((out / "demo.json").read_text(encoding="utf-8"))
    return manifest.get("inputs") == wanted


def build(out: Path, count: int, wanted: str, options=None) -> dict:
    """Generate the demo in a throw-away library, train on it, write ``out``. ``options``:
    TrainOptions other than the first run's (the tests train tiny networks)."""
    from app.services.demo import DEMO_MODEL_MANIFEST, DEMO_TRAINING, create_demo_library
    from app.services.training import TrainOptions, train_library
    from app.store import open_library

    with tempfile.TemporaryDirectory(prefix="wenyang-demo-model-") as tmp:
        root = Path(tmp) / "library"
        started = time.monotonic()
        create_demo_library(root, seed=SEED, count=count)
        demo_s = time.monotonic() - started
        options = options or TrainOptions(**DEMO_TRAINING, seed=SEED, device=DEVICE)
        outcome = train_library(root, options, progress=_print_epoch, encode=False)
        if outcome.model_id is None:
            raise SystemExit("demo_model.py: training produced no model")
        with open_library(root) as lib:
            held_out = sorted(lib.items.get(i).accession for i in outcome.card.get("holdout_items", []))
        part = out.with_name(out.name + ".part")
        shutil.rmtree(part, ignore_errors=True)
        shutil.copytree(root / "models" / outcome.model_id, part)
        manifest = {
            "format": "wenyang-demo-model", "seed": SEED, "count": count, "model_id": outcome.model_id,
            "training": {"bits": options.bits, "epochs": options.epochs, "seed": options.seed,
                         "device": options.device},
            "holdout_accessions": held_out, "inputs": wanted,
            "validation": outcome.card.get("validation"),
            "seconds": {"demo": round(demo_s, 1), "train": round(outcome.wall_s, 1)},
        }
        (part / DEMO_MODEL_MANIFEST).write_text(json.dumps(manifest, indent=1, ensure_ascii=False) + "\n",
                                                encoding="utf-8")
        shutil.rmtree(out, ignore_errors=True)
        part.replace(out)
    return manifest


def _print_epoch(event) -> None:
    data = event.data
    if data.get("kind") == "epoch":
        print(f"  epoch {data.get('epoch')}/{data.get('epochs')}  val {data.get('val_map') or 0:.3f}", flush=True)


def main(argv: list[str] | None = None) -> int:
    from app.services.demo import DEMO_COUNT, DEMO_MODEL_DIR

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=DEMO_MODEL_DIR, help="default: models/demo")
    parser.add_argument("--count", type=int, default=DEMO_COUNT, help=argparse.SUPPRESS)
    parser.add_argument("--force", action="store_true", help="train again even when up to date")
    args = parser.parse_args(argv)
    wanted = inputs_hash()
    if not args.force and up_to_date(args.out, wanted, args.count):
        print(f"Demo model: {args.out} is up to date (inputs {wanted})")
        return 0
    try:
        import torch  # noqa: F401  (only to fail early with a clear message)
    except ModuleNotFoundError:
        print(f"demo_model.py: training the demo model needs torch in {sys.executable}", file=sys.stderr)
        return 1
    print(f"Demo model: training on the demo (seed {SEED}, {args.count} items) into {args.out}", flush=True)
    started = time.monotonic()
    manifest = build(args.out, args.count, wanted)
    size = sum(p.stat().st_size for p in args.out.iterdir()) / 1e6
    print(f"Demo model: {manifest['model_id']}, {size:.0f} MB, validation "
          f"{(manifest['validation'] or {}).get('map', float('nan')):.3f}, "
          f"{time.monotonic() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
