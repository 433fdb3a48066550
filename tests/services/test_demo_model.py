"""The shipped demo model: what installer/demo_model.py writes, how an installation without
PyTorch installs it into a fresh demo library (ONNX Runtime only), and the CLI's refusal to
train there."""
from __future__ import annotations

import json

import pytest

from app.cli import main as cli
from app.core.errors import WenyangError
from app.services import capabilities
from app.services.demo import create_demo_library, install_demo_model, shipped_demo_model
from app.store import open_library
from tests.shipped_model import shipped_demo

pytestmark = pytest.mark.slow  # trains real networks (the fast tier leaves it out)

COUNT = 24


@pytest.fixture(scope="module")
def shipped(tmp_path_factory):
    pytest.importorskip("torch")
    pytest.importorskip("onnxruntime")
    return shipped_demo(tmp_path_factory, COUNT)


def test_the_generator_writes_a_model_folder_and_its_manifest(shipped):
    manifest = json.loads((shipped / "demo.json").read_text(encoding="utf-8"))
    assert manifest["seed"] == 0 and manifest["count"] == COUNT and manifest["inputs"] == "test"
    card = json.loads((shipped / "card.json").read_text(encoding="utf-8"))
    assert card["id"] == manifest["model_id"]
    assert all((shipped / spec["file"]).is_file() for spec in card["networks"].values())
    assert manifest["holdout_accessions"] and all(a.startswith("DEMO-") for a in manifest["holdout_accessions"])
    assert not shipped.with_name("demo.part").exists()


def test_the_shipped_model_is_found_only_for_its_demo(shipped, tmp_path):
    assert shipped_demo_model(0, COUNT, shipped) == shipped
    assert shipped_demo_model(0, 300, shipped) is None       # another demo size
    assert shipped_demo_model(1, COUNT, shipped) is None      # another seed
    assert shipped_demo_model(0, COUNT, tmp_path) is None     # nothing shipped


def test_a_fresh_demo_library_gets_the_model_and_search_works(shipped, tmp_path, monkeypatch):
    monkeypatch.setattr(capabilities, "training_available", lambda: False)
    root = tmp_path / "lib"
    create_demo_library(root, seed=0, count=COUNT)
    events = []
    installed = install_demo_model(root, shipped, progress=events.append)
    assert installed.model_id and not installed.cancelled
    assert installed.encode.encoded == {"label": COUNT, "text": COUNT, "image": COUNT}
    assert any(e.stage == "encode" for e in events)
    with open_library(root) as lib:
        model = lib.models.active()
        assert model.id == installed.model_id
        accessions = json.loads((shipped / "demo.json").read_text(encoding="utf-8"))["holdout_accessions"]
        assert model.card["holdout_items"] == sorted(lib.items.id_for_accession(a) for a in accessions)
        assert model.card["library"] == str(lib.root)
        assert (lib.models_dir / model.id / "card.json").is_file()
        assert not (lib.models_dir / model.id / "demo.json").exists()
    assert cli(["search", str(root), "--text", "dragon robe", "-k", "3"]) == 0


def test_a_cancelled_install_leaves_no_model(shipped, tmp_path):
    import threading

    root = tmp_path / "lib"
    create_demo_library(root, seed=0, count=COUNT)
    cancel = threading.Event()
    cancel.set()
    installed = install_demo_model(root, shipped, cancel=cancel)
    assert installed.cancelled and installed.model_id is None
    with open_library(root) as lib:
        assert lib.models.all() == [] and not any(lib.models_dir.iterdir())


def test_a_model_of_another_scheme_is_refused(shipped, tmp_path):
    other = tmp_path / "other"
    other.mkdir()
    for file in shipped.iterdir():
        (other / file.name).write_bytes(file.read_bytes())
    card = json.loads((other / "card.json").read_text(encoding="utf-8"))
    (other / "card.json").write_text(json.dumps(card | {"scheme_fingerprint": "0" * 16}), encoding="utf-8")
    root = tmp_path / "lib"
    create_demo_library(root, seed=0, count=COUNT)
    with pytest.raises(WenyangError, match="another label scheme"):
        install_demo_model(root, other)


@pytest.mark.backends("sqlite")  # (the command is given the library's folder)
def test_training_without_torch_is_refused_with_a_message(library, monkeypatch, capsys):
    """The viewer bundle: `wenyang train` names the full installation, no traceback."""
    import app.services.training as training

    def no_torch(*args, **kwargs):
        raise ModuleNotFoundError("No module named 'torch'", name="torch")

    monkeypatch.setattr(training, "_train", no_torch)
    monkeypatch.setattr(capabilities, "training_available", lambda: False)
    assert cli(["train", str(library.root), "--epochs", "1"]) == 1
    assert "full installation" in capsys.readouterr().err


@pytest.mark.backends("sqlite")  # (the command is given the library's folder)
def test_other_missing_modules_still_raise(library, monkeypatch):
    import app.services.training as training

    def missing(*args, **kwargs):
        raise ModuleNotFoundError("No module named 'nowhere'", name="nowhere")

    monkeypatch.setattr(training, "_train", missing)
    with pytest.raises(ModuleNotFoundError):
        cli(["train", str(library.root), "--epochs", "1"])


def test_training_available_asks_without_importing(monkeypatch):
    import importlib.util

    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    assert capabilities.training_available() is False
    assert capabilities.missing_training_module(ModuleNotFoundError("x", name="torch.nn"))
    assert not capabilities.missing_training_module(ModuleNotFoundError("x", name="numpy"))
