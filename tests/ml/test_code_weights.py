"""B's weighting of the label network (label_code_weight) and LabNet's own α (label_alpha)."""
from __future__ import annotations

import numpy as np
import torch

from app.ml.data import as_training_data, split_items
from app.ml.nets import build_networks
from app.ml.prepare import resolve_dims
from app.ml.session import TrainingSession
from app.ml.train import train
from tests.ml.synthetic import labelled_items, tiny_config


def _session(**changes) -> TrainingSession:
    data = as_training_data(labelled_items(n=40))
    cfg = resolve_dims(tiny_config(**changes), data)
    split = split_items(data, cfg.val_fraction, cfg.seed)
    return TrainingSession(cfg, data, split, build_networks(cfg.net, cfg.mode), None, torch.device("cpu"))


def _set_hashes(s: TrainingSession) -> None:
    n, bits = len(s.rows), s.cfg.net.bits
    s.hashes["label"][:] = 0.6
    s.hashes["image"][:] = -0.5
    s.hashes["text"][:] = -0.5
    s.hashes["text"][:, : bits // 2] = 0.9  # first half: label and text outvote the image
    assert s.hashes["label"].shape == (n, bits)


def test_b_is_the_sign_of_the_plain_sum_by_default():
    s = _session()
    _set_hashes(s)
    s.update_codes()
    half = s.cfg.net.bits // 2
    assert torch.all(s.codes[:, :half] == 1) and torch.all(s.codes[:, half:] == -1)  # 0.6-1.0 < 0


def test_label_code_weight_lets_the_label_codes_outvote_the_others():
    s = _session(label_code_weight=2.0)
    _set_hashes(s)
    s.update_codes()
    assert torch.all(s.codes == 1)  # 1.2 - 1.0 > 0 on every bit


def _label_codes(**changes) -> np.ndarray:
    data = labelled_items(n=120)
    result = train(data, tiny_config(epochs=3, **changes))
    enc = result.encoder(labels=data["labels"])
    return enc.encode("label", np.arange(len(data["labels"])))[0]


def test_label_alpha_defaults_to_alpha_and_changes_labnet_when_set():
    same = _label_codes(alpha=0.5)
    assert np.allclose(same, _label_codes(alpha=0.5, label_alpha=0.5))
    assert not np.allclose(same, _label_codes(alpha=0.5, label_alpha=0.0), atol=1e-4)


def test_final_codes_weigh_the_label_network_as_the_training_did():
    """The database codes B handed back after training are built like the training's B:
    sign(w·H^l + H^v + H^t), with its pre-sign values kept for the tie-aware ranking."""
    data = labelled_items(n=120)
    weight = 4.0
    result = train(data, tiny_config(epochs=3, label_code_weight=weight))
    enc = result.encoder(labels=data["labels"], texts=data["texts"], image_features=data["image_features"])
    rows = np.arange(len(data["labels"]))
    h = {m: enc.encode(m, rows)[0] for m in ("label", "image", "text")}
    weighted = weight * h["label"] + h["image"] + h["text"]
    plain = h["label"] + h["image"] + h["text"]
    assert np.allclose(result.code_scores, weighted, atol=1e-5)
    assert np.array_equal(result.codes, np.where(weighted > 0, 1, -1))
    assert not np.array_equal(result.codes, np.where(plain > 0, 1, -1))  # the weight really changes B
