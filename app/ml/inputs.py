"""Network inputs on the training device: text rows, image features or photos.

``ImageInput`` hides the three ways an image reaches ImgNet: precomputed feature vectors
(public benchmarks), pooled CNN features cached once with the backbone frozen (CPU), or
pixels loaded per batch and run through the whole CNN (GPU fine-tuning).
"""
from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch

from app.ml.config import need
from app.ml.data import ImageLoader
from app.ml.nets import HashOutput, ImageNet

Progress = Callable[[int, int], None]


class ImageInput:
    """Batches of image input for item indices, and the matching ImgNet forward."""

    def __init__(self, device: torch.device, features: np.ndarray | None = None,
                 loader: ImageLoader | None = None):
        self.device = device
        self.features = None if features is None else torch.as_tensor(features, device=device)
        self.loader = loader

    @property
    def live_pixels(self) -> bool:
        """True when every batch runs the CNN (and may train it)."""
        return self.features is None

    def batch(self, items: np.ndarray) -> torch.Tensor:
        if self.features is not None:
            return self.features[torch.as_tensor(items, device=self.device)]
        pixels = np.asarray(need(self.loader, "the photo loader")(np.asarray(items)), dtype=np.float32)
        return torch.from_numpy(pixels).to(self.device)

    def forward(self, net: ImageNet, x: torch.Tensor) -> HashOutput:
        return net(x) if self.live_pixels else net.features_forward(x)


@torch.no_grad()
def pooled_features(net: ImageNet, loader: ImageLoader, items: np.ndarray, device: torch.device,
                    batch_size: int, cancel=None, progress: Progress | None = None) -> np.ndarray | None:
    """Run the (frozen) CNN once over the photos of ``items``; (len(items), pooled) float32.

    Returns None when ``cancel`` is set part-way.
    """
    backbone = need(net.backbone, "the CNN")
    backbone.eval()
    out = []
    for start in range(0, len(items), batch_size):
        if cancel is not None and cancel.is_set():
            return None
        pixels = torch.from_numpy(np.asarray(loader(items[start:start + batch_size]), dtype=np.float32))
        out.append(backbone(pixels.to(device)).float().cpu().numpy())
        if progress is not None:
            progress(min(start + batch_size, len(items)), len(items))
    width = net.head_input_dim
    return np.concatenate(out) if out else np.zeros((0, width), np.float32)


@torch.no_grad()
def encode_rows(forward: Callable[[torch.Tensor], HashOutput], batch: Callable[[np.ndarray], torch.Tensor],
                items: np.ndarray, batch_size: int = 256) -> tuple[np.ndarray, np.ndarray]:
    """Pre-sign H and label probabilities for ``items``, in eval mode, as float32 numpy."""
    hs, probs = [], []
    for start in range(0, len(items), batch_size):
        out = forward(batch(items[start:start + batch_size]))
        hs.append(out.h.float().cpu().numpy())
        probs.append(out.label_probs.float().cpu().numpy())
    if not hs:
        return np.zeros((0, 0), np.float32), np.zeros((0, 0), np.float32)
    return np.concatenate(hs), np.concatenate(probs)
