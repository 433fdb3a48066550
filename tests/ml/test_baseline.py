"""The plain ResNet-18 baseline of the backlog benchmark."""
from __future__ import annotations

import numpy as np
import torch

from app.ml.baseline import BaselineConfig, augment, train_baseline


def test_augment_moves_pixels_but_never_changes_colour():
    # A plain red patch must stay exactly that red whatever the warp: colour labels stay true.
    x = torch.zeros(4, 3, 16, 16)
    x[:, 0] = 1.5
    out = augment(x, BaselineConfig(), torch.Generator().manual_seed(0))
    assert out.shape == x.shape
    assert torch.allclose(out, x, atol=1e-5)


def test_training_is_seeded_and_gives_probabilities():
    rng = np.random.default_rng(0)
    pixels = rng.normal(size=(8, 3, 32, 32)).astype(np.float32)
    targets = (rng.random((8, 3)) < 0.5).astype(np.float32)
    config = BaselineConfig(epochs=1, batch=4)
    first = train_baseline(pixels, targets, config).predict(pixels)
    second = train_baseline(pixels, targets, config).predict(pixels)
    assert first.shape == (8, 3)
    assert ((first >= 0) & (first <= 1)).all()
    np.testing.assert_allclose(first, second, atol=1e-5)
