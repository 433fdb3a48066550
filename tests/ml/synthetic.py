"""Small seeded collections whose texts, features and photos all depend on the labels."""
from __future__ import annotations

import numpy as np

from app.ml.config import NetConfig, TrainConfig


def labelled_items(n: int = 240, n_labels: int = 4, vocab: int = 30, dim: int = 16, seed: int = 0) -> dict:
    """Multi-hot labels (1–2 per item), BoW-like texts and feature vectors with noise."""
    rng = np.random.default_rng(seed)
    labels = np.zeros((n, n_labels), np.float32)
    labels[np.arange(n), rng.integers(0, n_labels, n)] = 1
    second = rng.random(n) < 0.3
    labels[np.flatnonzero(second), rng.integers(0, n_labels, int(second.sum()))] = 1
    text_basis = rng.random((n_labels, vocab)) < 0.2
    texts = (labels @ text_basis + (rng.random((n, vocab)) < 0.05)).astype(np.float32)
    feats = labels @ rng.standard_normal((n_labels, dim)) + 0.8 * rng.standard_normal((n, dim))
    return {"labels": labels, "texts": texts, "image_features": feats.astype(np.float32)}


def photos_for(labels: np.ndarray, size: int = 32, seed: int = 0):
    """A loader of normalised (b,3,size,size) photos: each label adds its own colour blob."""
    rng = np.random.default_rng(seed)
    colours = rng.standard_normal((labels.shape[1], 3, 1, 1)).astype(np.float32)
    noise = rng.standard_normal((len(labels), 3, size, size)).astype(np.float32) * 0.3

    def load(indices: np.ndarray) -> np.ndarray:
        idx = np.asarray(indices)
        base = np.einsum("bc,cxyz->bxyz", labels[idx], colours)
        return (noise[idx] + base).astype(np.float32)

    return load


def tiny_config(mode: str = "ssah", bits: int = 16, **changes) -> TrainConfig:
    """Networks small enough that a run takes a second or two on two cores."""
    net = NetConfig(bits=bits, semantic_dim=32, label_hidden=(32,), image_hidden=(32,),
                    text_hidden=(32,), disc_hidden=(16,), **changes.pop("net", {}))
    options = dict(mode=mode, epochs=8, batch_size=64, lr_label=1e-2, lr_image=3e-3, lr_text=3e-3,
                   lr_disc=1e-3, gamma=0.1 if mode == "ssah" else 1.0, patience=100, val_fraction=0.2,
                   val_protocol="crossmodal", seed=0)
    options.update(changes)
    return TrainConfig(net=net, **options)
