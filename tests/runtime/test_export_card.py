"""A trained photo model exported with its card, read back by the runtime."""
from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from app.core.errors import ModelMismatchError
from app.ml.config import NetConfig, TrainConfig
from app.ml.export import export_model, export_networks
from app.ml.nets import build_networks
from app.ml.train import train
from app.runtime import load_model
from tests.ml.synthetic import labelled_items, photos_for, tiny_config

PREP = {"size": 32, "mean": [0.485, 0.456, 0.406], "std": [0.229, 0.224, 0.225]}
LABEL_IDS = ["motif.dragon", "motif.phoenix", "colour.red", "technique.kesi"]


@pytest.fixture(scope="module")
def photo_run(tmp_path_factory):
    items = labelled_items(n=80)
    load = photos_for(items["labels"], size=32)
    calls = []

    def counted(indices):
        calls.extend(np.asarray(indices).tolist())
        return load(indices)

    data = {"labels": items["labels"], "texts": items["texts"], "load_images": counted}
    result = train(data, tiny_config(epochs=2, image_batch_size=40, warmup_epochs=3))  # CPU: frozen ResNet-18, cached
    folder = tmp_path_factory.mktemp("models") / "photo-model"
    card = export_model(result, folder, label_ids=LABEL_IDS, scheme_fingerprint="scheme-v7",
                        vocabulary={"terms": ["dragon", "龙"] + [f"t{i}" for i in range(items["texts"].shape[1] - 2)],
                                                    "mode": "tfidf"}, preprocessing=PREP,
                        card_extra={"text_mode": "tfidf"})
    return result, folder, card, load, calls


def test_the_cnn_reads_each_photo_once_to_cache_and_training_photos_once_more_to_warm_up(photo_run):
    result, _, _, _, calls = photo_run
    reads = np.bincount(calls, minlength=80)
    # the first pass trains on the training split only: validation photos are never learnt from
    assert set(reads[result.split.train]) == {2} and set(reads[result.split.val]) == {1}
    assert len(result.split.val) > 0 and reads.sum() == 80 + len(result.split.train)
    assert result.image_features.shape == (80, 512) and result.device == "cpu"


def test_the_card_says_everything_the_app_needs(photo_run):
    result, folder, card, _, _ = photo_run
    on_disk = json.loads((folder / "card.json").read_text(encoding="utf-8"))
    assert on_disk == json.loads(json.dumps(card))
    assert card["id"] == "photo-model" and card["bits"] == 16 and card["mode"] == "ssah"
    assert card["label_ids"] == LABEL_IDS and card["scheme_fingerprint"] == "scheme-v7"
    assert card["vocabulary"]["terms"][:2] == ["dragon", "龙"] and card["preprocessing"] == PREP
    assert card["training_size"] == result.n_train and card["validation"]["map"] == result.val_map
    assert card["image_input"] == "pixels" and card["backbone"] == "resnet18"
    # which arithmetic the CNN's first pass took here, not "auto"
    from app.ml.warmup import bfloat16_units
    assert card["config"]["warmup_precision"] == ("bfloat16" if bfloat16_units() else "float32")
    assert set(card["networks"]) == {"label", "text", "image", "image_features"}
    assert card["versions"]["torch"] == torch.__version__ and card["versions"]["onnx"]
    assert card["created"][:2] == "20" and "h > 0" in card["code"]["sign"]


def test_photos_and_cached_features_give_the_codes_torch_gives(photo_run):
    result, folder, _, load, _ = photo_run
    model = load_model(folder, expected_scheme_fingerprint="scheme-v7")
    pixels = load(np.arange(64))
    codes, h = model.encode_images(pixels)
    with torch.no_grad():
        reference = result.networks.image(torch.from_numpy(pixels)).h.numpy()
    assert np.abs(h - reference).max() < 1e-4 and np.array_equal(codes, np.where(reference > 0, 1, -1))
    codes_f, h_f = model.encode_image_features(result.image_features[:64])
    assert np.abs(h_f - reference).max() < 1e-4 and np.array_equal(codes_f, codes)
    probs = model.predict_labels_images(pixels)
    assert probs.shape == (64, 4) and ((probs >= 0) & (probs <= 1)).all()


def test_export_refuses_label_ids_that_do_not_fit(photo_run, tmp_path):
    with pytest.raises(ValueError, match="3 label ids"):
        export_model(photo_run[0], tmp_path / "bad", label_ids=LABEL_IDS[:3], scheme_fingerprint="x")
    assert not (tmp_path / "bad").exists() and not list(tmp_path.glob("*.partial"))


def test_a_model_without_a_scheme_fingerprint_is_refused_when_one_is_expected(tmp_path):
    cfg = TrainConfig(net=NetConfig(bits=16, semantic_dim=8, n_labels=3, vocab_size=5,
                                    label_hidden=(8,), text_hidden=(8,)), mode="dcmh")
    export_networks(build_networks(cfg.net, cfg.mode), cfg, tmp_path / "m")
    with pytest.raises(ModelMismatchError, match="does not say which label scheme"):
        load_model(tmp_path / "m", expected_scheme_fingerprint="abc")
    assert load_model(tmp_path / "m").has("text")


@pytest.mark.slow
def test_the_dynamo_exporter_gives_the_same_codes(tmp_path):
    torch.manual_seed(0)
    cfg = TrainConfig(net=NetConfig(bits=32, semantic_dim=16, n_labels=4, vocab_size=37, multiscale=(2, 5),
                                    label_hidden=(16,), text_hidden=(16,)), mode="dcmh")
    nets = build_networks(cfg.net, cfg.mode)
    nets.text.eval()
    export_networks(nets, cfg, tmp_path / "m", {"scheme_fingerprint": "s"}, exporter="dynamo")
    x = np.random.default_rng(0).random((64, 37)).astype(np.float32)
    codes, h = load_model(tmp_path / "m", "s").encode_texts(x)
    with torch.no_grad():
        reference = nets.text(torch.from_numpy(x)).h.numpy()
    assert np.abs(h - reference).max() < 1e-4 and np.array_equal(codes, np.where(reference > 0, 1, -1))


def _copy_model(tmp_path, folder):
    import shutil

    return shutil.copytree(folder, tmp_path / "copy")


@pytest.mark.parametrize("damage", ["empty", "truncated", "garbage"])
def test_a_damaged_onnx_file_is_refused_with_its_name(photo_run, tmp_path, damage):
    folder = _copy_model(tmp_path, photo_run[1])
    target = folder / "label.onnx"
    data = target.read_bytes()
    target.write_bytes({"empty": b"", "truncated": data[: len(data) // 2], "garbage": b"\x00not onnx" * 50}[damage])
    with pytest.raises(ModelMismatchError, match="label.onnx cannot be loaded"):
        load_model(folder)


def test_a_card_whose_labels_do_not_fit_the_networks_is_refused(photo_run, tmp_path):
    folder = _copy_model(tmp_path, photo_run[1])
    card = json.loads((folder / "card.json").read_text())
    card["label_ids"] = card["label_ids"][:-1]
    (folder / "card.json").write_text(json.dumps(card))
    with pytest.raises(ModelMismatchError, match="does not match its card"):
        load_model(folder)


def test_a_network_without_the_outputs_or_input_its_card_names_is_refused(photo_run, tmp_path):
    import onnx
    from onnx import TensorProto, helper

    folder = _copy_model(tmp_path, photo_run[1])
    graph = helper.make_graph([helper.make_node("Identity", ["x"], ["y"])], "g",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, [None, 4])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [None, 4])])
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], ir_version=8),
              folder / "label.onnx")
    with pytest.raises(ModelMismatchError, match="label network has no output h or label_probs"):
        load_model(folder)
    card = json.loads((folder / "card.json").read_text())
    card["networks"]["text"]["input"] = "not-the-input"
    (folder / "card.json").write_text(json.dumps(card))
    (folder / "label.onnx").write_bytes((photo_run[1] / "label.onnx").read_bytes())
    with pytest.raises(ModelMismatchError, match="not the card's 'not-the-input'"):
        load_model(folder)
