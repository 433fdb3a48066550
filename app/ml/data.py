"""What the trainer is given: label, text and image arrays with per-item presence masks,
and the seeded train/validation split."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields

import numpy as np

ImageLoader = Callable[[np.ndarray], np.ndarray]  # indices → float32 (b, 3, H, W), normalised


@dataclass
class TrainingData:
    """Per-item arrays of one collection (row i is item i everywhere).

    ``labels``: (n, c) multi-hot float32; items without any label are not trained on but
    still get codes.  ``texts``: (n, V) BoW / tf-idf; ``text_mask`` marks rows that really
    have a text (default: rows with any non-zero entry).  Images come either as
    ``image_features`` (n, d) or as ``load_images(indices)``; ``image_mask`` marks items
    with a photo (default: all).
    """

    labels: np.ndarray
    texts: np.ndarray | None = None
    text_mask: np.ndarray | None = None
    image_features: np.ndarray | None = None
    load_images: ImageLoader | None = None
    image_mask: np.ndarray | None = None

    def __post_init__(self) -> None:
        self.labels = np.asarray(self.labels, dtype=np.float32)
        if self.labels.ndim != 2:
            raise ValueError("labels must be a (n, c) multi-hot array.")
        n = len(self.labels)
        if self.texts is not None:
            self.texts = np.asarray(self.texts, dtype=np.float32)
            _check_rows("texts", self.texts, n)
            if self.text_mask is None:
                self.text_mask = np.abs(self.texts).sum(axis=1) > 0
        if self.image_features is not None and self.load_images is not None:
            raise ValueError("Give images either as features or as a loader, not both.")
        if self.image_features is not None:
            self.image_features = np.asarray(self.image_features, dtype=np.float32)
            _check_rows("image_features", self.image_features, n)
        if self.has_images and self.image_mask is None:
            self.image_mask = np.ones(n, dtype=bool)
        self.text_mask = _mask_or_none(self.text_mask, n, "text_mask")
        self.image_mask = _mask_or_none(self.image_mask, n, "image_mask")

    @property
    def n(self) -> int:
        return len(self.labels)

    @property
    def has_texts(self) -> bool:
        return self.texts is not None and self.text_mask is not None and bool(self.text_mask.any())

    @property
    def has_images(self) -> bool:
        return self.image_features is not None or self.load_images is not None

    @property
    def image_input(self) -> str | None:
        if self.image_features is not None:
            return "features"
        return "pixels" if self.load_images is not None else None

    @property
    def labelled(self) -> np.ndarray:
        """Boolean (n,): items with at least one label."""
        return self.labels.sum(axis=1) > 0


def _check_rows(name: str, arr: np.ndarray, n: int) -> None:
    if arr.ndim != 2 or len(arr) != n:
        raise ValueError(f"{name} must be a 2-D array with one row per item ({n}), got {arr.shape}.")


def _mask_or_none(mask, n: int, name: str) -> np.ndarray | None:
    if mask is None:
        return None
    mask = np.asarray(mask, dtype=bool)
    if mask.shape != (n,):
        raise ValueError(f"{name} must have one entry per item ({n}), got {mask.shape}.")
    return mask


def as_training_data(data) -> TrainingData:
    """Accept a TrainingData or a dict with the same keys."""
    if isinstance(data, TrainingData):
        return data
    known = {f.name for f in fields(TrainingData)}
    unknown = set(data) - known
    if unknown:
        raise ValueError(f"Unknown training data keys: {sorted(unknown)}")
    return TrainingData(**data)


@dataclass
class Split:
    """Item indices used for training and for validation (disjoint, sorted)."""

    train: np.ndarray
    val: np.ndarray


def split_items(data: TrainingData, val_fraction: float, seed: int) -> Split:
    """Seeded split of the labelled items that have at least one modality."""
    usable = data.labelled.copy()
    present = np.zeros(data.n, dtype=bool)
    for mask in (data.text_mask, data.image_mask):
        if mask is not None:
            present |= mask
    usable &= present
    idx = np.flatnonzero(usable)
    if len(idx) < 2:
        raise ValueError("Training needs at least two labelled items with a photo or a text.")
    n_val = int(round(val_fraction * len(idx)))
    n_val = min(n_val, len(idx) - 1)
    perm = np.random.default_rng(seed).permutation(idx)
    return Split(np.sort(perm[n_val:]), np.sort(perm[:n_val]))
