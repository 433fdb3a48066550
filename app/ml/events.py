"""What training reports while it runs (``TrainEvent``) and what it returns (``TrainResult``)."""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import torch

from app.ml.config import TrainConfig
from app.ml.data import Split
from app.ml.encode import Encoder
from app.ml.inputs import ImageInput
from app.ml.nets import Networks


@dataclass
class TrainEvent:
    """A progress report.  ``kind``: "warmup" (the CNN's first pass: epoch/epochs of it,
    step/steps are batches, ``losses["cnn"]``), "features" (caching CNN features: step/steps are
    photos), "step" (one optimiser step; ``losses`` has that network's loss), "epoch"
    (mean losses per network and the validation MAP) or "done"."""

    kind: str
    epoch: int
    epochs: int
    step: int = 0
    steps: int = 0
    losses: dict[str, float] = field(default_factory=dict)
    val_map: float | None = None
    val_detail: dict[str, float] = field(default_factory=dict)
    message: str = ""


@dataclass
class TrainResult:
    """The outcome of ``train``.

    ``networks`` carry the weights of the best validation epoch, on the CPU in eval mode
    (None when cancelled before the first epoch finished).  ``codes`` is the ±1 int8 code
    B = sign(w·H^l + H^v + H^t) of every item (rows as in the data, w = the config's
    ``label_code_weight``), recomputed with those networks; ``code_scores`` its pre-sign
    values (the tie-break of the tie-aware metrics).  ``image_features`` holds the cached
    pooled CNN features when they were used.
    """

    config: TrainConfig
    networks: Networks | None
    codes: np.ndarray | None
    split: Split
    best_epoch: int
    epochs_run: int
    val_map: float | None
    val_detail: dict[str, float]
    history: list[dict]
    cancelled: bool
    stopped_early: bool
    device: str
    wall_s: float
    image_features: np.ndarray | None = None
    code_scores: np.ndarray | None = None
    calibration: dict[str, dict] = field(default_factory=dict)  # label-head {scale, shift} per modality

    @property
    def n_train(self) -> int:
        return len(self.split.train)

    @classmethod
    def cancelled_early(cls, cfg: TrainConfig, split: Split, device: str, wall_s: float) -> TrainResult:
        """Cancelled before any epoch ran (e.g. while caching CNN features)."""
        return cls(cfg, None, None, split, 0, 0, None, {}, [], True, False, device, wall_s)

    def encoder(self, labels=None, texts=None, image_features=None, load_images=None) -> Encoder:
        """A CPU encoder of new items with the trained networks (benchmarks, tests).

        ``image_features`` are the benchmark's feature vectors or pooled CNN features;
        ``load_images`` feeds pixels through the whole CNN.
        """
        if self.networks is None:
            raise RuntimeError("This run was cancelled before any epoch finished; there is no model.")
        device = torch.device("cpu")
        images = None
        if image_features is not None or load_images is not None:
            images = ImageInput(device, features=image_features, loader=load_images)
        return Encoder(self.networks, device, labels=labels, texts=texts, images=images)


def steps_per_epoch(s) -> int:
    """Optimiser steps one epoch will take (for progress bars)."""
    cfg, batches = s.cfg, (lambda n: math.ceil(n / cfg.batch_size))
    counts = {m: batches(len(s.positions(m))) for m in s.feats}
    total = 0
    if "label" in counts:
        total += cfg.label_steps * counts["label"]
        total += (cfg.disc_steps if cfg.gamma else 0) * sum(counts[m] for m in ("image", "text") if m in counts)
    total += cfg.image_steps * counts.get("image", 0) + cfg.text_steps * counts.get("text", 0)
    return total
