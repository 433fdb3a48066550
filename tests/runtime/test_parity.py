"""Torch and ONNX Runtime agree: same codes on every bit, pre-sign values within 1e-4."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from app.core.errors import ModelMismatchError, WenyangError
from app.ml.config import NetConfig, TrainConfig
from app.ml.export import export_networks
from app.ml.nets import build_networks
from app.runtime import load_model, pack_codes, unpack_codes

N = 64


def _config(image_input: str, stem: str = "resnet") -> TrainConfig:
    net = NetConfig(bits=32, semantic_dim=64, n_labels=12, vocab_size=50, image_input=image_input,
                    image_feature_dim=40 if image_input == "features" else None,
                    label_hidden=(64,), image_hidden=(64,), text_hidden=(64,), disc_hidden=(16,), stem=stem)
    return TrainConfig(net=net)


@pytest.fixture(scope="module", params=["pixels", "pixels/unshuffle4", "features"])
def exported(request, tmp_path_factory):
    torch.manual_seed(0)
    cfg = _config(*request.param.split("/"))
    nets = build_networks(cfg.net, "ssah")
    for _, module in nets.items():
        module.eval()
    folder = tmp_path_factory.mktemp("model") / "m1"
    card = export_networks(nets, cfg, folder, {"scheme_fingerprint": "abc123"})
    return nets, cfg, folder, card


def _inputs(cfg: TrainConfig, modality: str) -> np.ndarray:
    rng = np.random.default_rng(1)
    if modality == "label":
        return (rng.random((N, cfg.net.n_labels)) < 0.3).astype(np.float32)
    if modality == "text":
        return rng.random((N, cfg.net.vocab_size)).astype(np.float32)
    if cfg.net.image_input == "pixels":
        return rng.standard_normal((N, 3, 48, 40)).astype(np.float32)  # not the export size
    return rng.standard_normal((N, cfg.net.image_feature_dim)).astype(np.float32)


@pytest.mark.parametrize("modality", ["label", "text", "image"])
def test_torch_and_onnx_runtime_agree(exported, modality):
    nets, cfg, folder, _ = exported
    x = _inputs(cfg, modality)
    with torch.no_grad():
        out = getattr(nets, modality)(torch.from_numpy(x))
    h_torch, probs_torch = out.h.numpy(), out.label_probs.numpy()
    model = load_model(folder, expected_scheme_fingerprint="abc123")
    codes, h_onnx = model.encode(modality, x)
    _, probs_onnx = model.run(modality, x, mirror=False)
    assert np.abs(h_torch - h_onnx).max() < 1e-4
    assert np.array_equal(codes, np.where(h_torch > 0, 1, -1))
    assert np.abs(probs_torch - probs_onnx).max() < 1e-4
    assert codes.shape == (N, 32) and model.provider.endswith("ExecutionProvider")


def test_card_describes_the_model(exported):
    _, cfg, folder, card = exported
    assert card["bits"] == 32 and card["mode"] == "ssah"
    pixel_extra = {"image_features"} if cfg.net.image_input == "pixels" else set()
    assert set(card["networks"]) == {"label", "text", "image"} | pixel_extra
    assert (folder / "card.json").is_file() and not list(folder.parent.glob("*.partial"))


def test_a_model_for_another_scheme_is_refused(exported):
    with pytest.raises(ModelMismatchError, match="abc123"):
        load_model(exported[2], expected_scheme_fingerprint="different")


def test_a_folder_without_a_card_is_refused(tmp_path):
    with pytest.raises(WenyangError, match="not a Wenyang model"):
        load_model(tmp_path)


def test_pack_and_unpack_round_trip():
    rng = np.random.default_rng(3)
    codes = np.where(rng.random((10, 64)) < 0.5, 1, -1).astype(np.int8)
    packed = pack_codes(codes)
    assert packed.shape == (10, 8) and packed.dtype == np.uint8
    assert np.array_equal(unpack_codes(packed), codes)
    # Hamming distance survives packing: count differing bits both ways
    direct = int((codes[0] != codes[1]).sum())
    assert int(np.unpackbits(packed[0] ^ packed[1]).sum()) == direct


def test_photo_label_probabilities_also_read_the_mirror_image(exported):
    nets, cfg, folder, _ = exported
    if cfg.net.image_input != "pixels":
        pytest.skip("the mirror view is for photos, not pooled features")
    model = load_model(folder)
    x = _inputs(cfg, "image")
    symmetric = (x + x[..., ::-1]) / 2  # its own mirror image: both views agree
    assert np.allclose(model.run("image", symmetric)[1], model.run("image", symmetric, mirror=False)[1], atol=1e-5)
    plain, mirrored = model.run("image", x, mirror=False)[1], model.run("image", x[..., ::-1].copy(), mirror=False)[1]
    both = model.run("image", x)[1]
    assert np.all((both >= np.minimum(plain, mirrored) - 1e-5) & (both <= np.maximum(plain, mirrored) + 1e-5))


def test_a_few_photos_and_their_mirrors_in_one_run_equal_two_runs(exported, monkeypatch):
    """A query photo and its mirror image go through the network as one batch (faster); the
    codes, pre-sign values and probabilities are those of the two-run path."""
    import app.runtime.model as runtime_model

    _, cfg, folder, _ = exported
    if cfg.net.image_input != "pixels":
        pytest.skip("the mirror view is for photos, not pooled features")
    model = load_model(folder)
    x = _inputs(cfg, "image")[:3]
    assert len(x) <= runtime_model.MIRROR_IN_ONE_RUN
    one_run = model.run("image", x)
    monkeypatch.setattr(runtime_model, "MIRROR_IN_ONE_RUN", 0)
    two_runs = model.run("image", x)
    assert one_run[0].shape == (3, 32) and one_run[1].shape == two_runs[1].shape
    for a, b in zip(one_run, two_runs):
        assert np.abs(a - b).max() < 1e-5
    assert np.array_equal(one_run[0] > 0, two_runs[0] > 0)


def test_sessions_do_not_spin_after_a_run(exported):
    """ONNX Runtime's threads spin-wait after a run by default: a photo search's next passes
    (over a million signatures) then ran a third slower, sharing the cores with them."""
    model = load_model(exported[2])
    assert {"image", "text", "label"} <= set(model._sessions)
    for session, _name in model._sessions.values():
        assert session.get_session_options().get_session_config_entry("session.intra_op.allow_spinning") == "0"
