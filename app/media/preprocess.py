"""Turning photos into network input: resize, centre crop, normalise (ImageNet statistics)."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np
from PIL import Image

from app.core.errors import WenyangError


@dataclass(frozen=True)
class Preprocessing:
    size: int = 128
    mean: tuple[float, float, float] = (0.485, 0.456, 0.406)
    std: tuple[float, float, float] = (0.229, 0.224, 0.225)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> Preprocessing:
        return cls(int(data["size"]), tuple(data["mean"]), tuple(data["std"]))


def crop_region(img: Image.Image, region: Sequence[int] | None) -> Image.Image:
    """Cut (x, y, w, h) out of the image, clipped to its bounds; None keeps it whole."""
    if region is None:
        return img
    x, y, w, h = (int(v) for v in region)
    left, top = max(0, x), max(0, y)
    right, bottom = min(img.width, x + w), min(img.height, y + h)
    if w < 2 or h < 2:
        raise WenyangError(f"The region {tuple(region)} is too small: width and height must be at least 2 pixels.")
    if right - left < 2 or bottom - top < 2:
        raise WenyangError(f"The region {tuple(region)} lies outside the {img.width}×{img.height} photo "
                           "(or overlaps it by less than 2 pixels).")
    return img.crop((left, top, right, bottom))


def to_array(img: Image.Image, prep: Preprocessing) -> np.ndarray:
    """RGB image → float32 (3, size, size): shorter side to ``size``, centre crop, normalise."""
    scale = prep.size / min(img.width, img.height)
    resized = img.resize((max(prep.size, round(img.width * scale)), max(prep.size, round(img.height * scale))),
                         Image.Resampling.BILINEAR, reducing_gap=2.0)
    left = (resized.width - prep.size) // 2
    top = (resized.height - prep.size) // 2
    square = resized.crop((left, top, left + prep.size, top + prep.size))
    arr: np.ndarray = np.asarray(square, dtype=np.float32) / 255.0
    arr = (arr - np.asarray(prep.mean, np.float32)) / np.asarray(prep.std, np.float32)
    return np.ascontiguousarray(arr.transpose(2, 0, 1))


def batch(images: Sequence[Image.Image], prep: Preprocessing) -> np.ndarray:
    """Stack preprocessed images into float32 (n, 3, size, size)."""
    if not images:
        return np.zeros((0, 3, prep.size, prep.size), np.float32)
    return np.stack([to_array(img, prep) for img in images])
