"""The plain baseline of the backlog benchmark: a ResNet-18 multi-label classifier trained
from scratch (torchvision, no download) with binary cross-entropy and Adam.

Augmentations move pixels only (flips, small rotations, small crops) and never touch colour,
so colour labels stay true. Inputs and outputs are NumPy: the caller prepares normalised
pixels (n, 3, s, s) and a multi-hot target matrix, and gets label probabilities back.
"""
from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from app.ml.warmup import geometric_augment


@dataclass(frozen=True)
class BaselineConfig:
    epochs: int = 25
    batch: int = 32
    lr: float = 1e-3
    max_rotation: float = 10.0   # degrees either way
    min_zoom: float = 0.85       # crops keep at least this share of each side
    seed: int = 0


class Baseline:
    """A trained classifier: ``predict(pixels) -> probabilities (n, c)``."""

    def __init__(self, net: nn.Module, wall_s: float, losses: list[float]):
        self.net = net.eval()
        self.wall_s = wall_s
        self.losses = losses

    @torch.no_grad()
    def predict(self, pixels: np.ndarray, batch: int = 64) -> np.ndarray:
        """Label probabilities of normalised pixels (n, 3, s, s)."""
        out = [torch.sigmoid(self.net(torch.from_numpy(np.ascontiguousarray(pixels[i:i + batch], np.float32))))
               for i in range(0, len(pixels), batch)]
        return torch.cat(out).numpy() if out else np.zeros((0, 0), np.float32)


def augment(x: torch.Tensor, config: BaselineConfig, generator: torch.Generator) -> torch.Tensor:
    """Random horizontal flip, rotation and zoom-in crop of a batch, by one affine warp."""
    return geometric_augment(x, generator, config.max_rotation, config.min_zoom)


def build_classifier(n_labels: int) -> nn.Module:
    """ResNet-18, random weights, one logit per label."""
    import torchvision

    return torchvision.models.resnet18(weights=None, num_classes=n_labels)


def train_baseline(pixels: np.ndarray, targets: np.ndarray, config: BaselineConfig = BaselineConfig(),
                   progress: Callable[[int, float], None] | None = None) -> Baseline:
    """Train on normalised pixels (n, 3, s, s) and multi-hot targets (n, c)."""
    started = time.perf_counter()
    torch.manual_seed(config.seed)
    generator = torch.Generator().manual_seed(config.seed)
    net = build_classifier(targets.shape[1])
    optimiser = torch.optim.Adam(net.parameters(), lr=config.lr)
    x = torch.from_numpy(np.ascontiguousarray(pixels, np.float32))
    y = torch.from_numpy(np.ascontiguousarray(targets, np.float32))
    losses = []
    for epoch in range(config.epochs):
        losses.append(_epoch(net, optimiser, x, y, config, generator))
        if progress:
            progress(epoch + 1, losses[-1])
    return Baseline(net, time.perf_counter() - started, losses)


def _epoch(net, optimiser, x, y, config: BaselineConfig, generator) -> float:
    net.train()
    order = torch.randperm(len(x), generator=generator)
    total = 0.0
    for start in range(0, len(x), config.batch):
        idx = order[start:start + config.batch]
        if len(idx) < 2:  # batch norm cannot train on a single photo
            continue
        loss = F.binary_cross_entropy_with_logits(net(augment(x[idx], config, generator)), y[idx])
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
        total += loss.item() * len(idx)
    return total / max(1, len(x))
