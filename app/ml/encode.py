"""Encoding items with trained torch networks (eval mode): validation, final codes, benchmarks.

At search time the app uses the ONNX models in ``app.runtime``; this module is the torch
twin used inside training and by the benchmark runners.
"""
from __future__ import annotations

import numpy as np
import torch

from app.ml.config import need
from app.ml.inputs import ImageInput, encode_rows
from app.ml.nets import Networks


class Encoder:
    """Pre-sign H and label probabilities of any item set, per modality."""

    def __init__(self, nets: Networks, device: torch.device, labels: np.ndarray | None = None,
                 texts: np.ndarray | torch.Tensor | None = None, images: ImageInput | None = None):
        self.nets, self.device, self.images = nets, device, images
        self.labels = None if labels is None else torch.as_tensor(labels, dtype=torch.float32, device=device)
        self.texts = None if texts is None else torch.as_tensor(texts, dtype=torch.float32, device=device)

    def has(self, modality: str) -> bool:
        net = getattr(self.nets, modality)
        source = {"label": self.labels, "text": self.texts, "image": self.images}[modality]
        return net is not None and source is not None

    def encode(self, modality: str, items: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(H, L̂) as float32 (len(items), K) and (len(items), c) for ``modality``."""
        net = getattr(self.nets, modality)
        was_training = net.training
        net.eval()
        try:
            return encode_rows(net if modality != "image" else self._image_forward,
                               self._batcher(modality), np.asarray(items, dtype=np.int64))
        finally:
            net.train(was_training)

    def _image_forward(self, x: torch.Tensor):
        return need(self.images, "the image input").forward(need(self.nets.image, "ImgNet"), x)

    def _batcher(self, modality: str):
        if modality == "image":
            return need(self.images, "the image input").batch
        source = need(self.labels if modality == "label" else self.texts, f"the {modality} inputs")
        return lambda items: source[torch.as_tensor(items, device=self.device)]

    def item_scores(self, n: int, masks: dict[str, np.ndarray | None],
                    label_weight: float = 1.0) -> np.ndarray:
        """w·H^l + H^v + H^t for items 0..n-1 (float32), each term only where the item has it.

        The pre-sign values of the code B of METHOD.md, recomputed with the final networks;
        ``label_weight`` is the training's ``label_code_weight`` (1 in METHOD.md), so that the
        final codes are built the way the training built them.
        """
        total = np.zeros((n, self._bits()), np.float32)
        for modality, mask in masks.items():
            if mask is None or not self.has(modality):
                continue
            items = np.flatnonzero(mask)
            if len(items):
                h = self.encode(modality, items)[0]
                total[items] += h * np.float32(label_weight) if modality == "label" else h
        return total

    def _bits(self) -> int:
        net = next(m for _, m in self.nets.items() if hasattr(m, "hash_head"))
        return int(net.hash_head.out_features)  # type: ignore[union-attr, arg-type]  # an nn.Linear


def signs(h: np.ndarray) -> np.ndarray:
    """±1 int8 codes from pre-sign values (0 → −1, as everywhere in Wenyang)."""
    return np.where(h > 0, 1, -1).astype(np.int8)
