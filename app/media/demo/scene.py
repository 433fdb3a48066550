"""The photo studio of the demo art: backdrop, placement, shadow, light and sensor noise.

This is the jitter that makes two pictures of the same labels differ the way two museum
photographs do: the object sits a little off centre, turned, smaller or larger, lit from one
side, on one of a few backdrops, with a soft shadow and a little noise.
"""
from __future__ import annotations

import math

import numpy as np
from PIL import Image, ImageFilter

from app.media.demo.texture import coarse_noise

BACKDROPS = ((206, 204, 198), (224, 216, 198), (188, 194, 202), (214, 210, 204), (232, 228, 220),
             (176, 172, 164), (96, 98, 104))


def stage(rgb: np.ndarray, alpha: np.ndarray, rng: np.random.Generator) -> Image.Image:
    """Place the garment (float RGB HxWx3 and alpha HxW in 0..1) on a backdrop, as a photo."""
    if rng.random() < 0.5:
        rgb, alpha = rgb[:, ::-1], alpha[:, ::-1]
    size = alpha.shape[0]
    matrix = _placement(size, rng)
    rgb = _warp(Image.fromarray(to_uint8(rgb), "RGB"), matrix)
    alpha = _warp(Image.fromarray(to_uint8(alpha), "L"), matrix)
    scene = _backdrop(size, rng)
    shadow = _shadow(alpha, rng)
    scene = scene * (1 - 0.35 * shadow[..., None])
    scene = scene * (1 - alpha[..., None]) + rgb * alpha[..., None]
    scene = scene * _lighting(size, rng)
    noise = rng.standard_normal((size, size, 3), dtype=np.float32) * rng.uniform(1.0, 3.0) / 255.0
    return Image.fromarray(to_uint8(scene + noise), "RGB")


def _placement(size: int, rng: np.random.Generator) -> tuple:
    """Inverse affine map (output → input) for a small turn, a scale and an offset."""
    angle = math.radians(rng.uniform(-6, 6))
    scale = rng.uniform(0.82, 1.0)
    tx, ty = rng.uniform(-0.04, 0.04, 2) * size
    c = size / 2
    cos, sin = math.cos(angle) / scale, math.sin(angle) / scale
    # input = c + R^T (out - c - t) / scale
    ox, oy = -c - tx, -c - ty
    return (cos, sin, c + cos * ox + sin * oy, -sin, cos, c - sin * ox + cos * oy)


def _warp(img: Image.Image, matrix: tuple) -> np.ndarray:
    out = img.transform(img.size, Image.Transform.AFFINE, matrix, resample=Image.Resampling.BILINEAR)
    return np.asarray(out, dtype=np.float32) / 255.0


def _backdrop(size: int, rng: np.random.Generator) -> np.ndarray:
    base = np.array(BACKDROPS[int(rng.integers(len(BACKDROPS)))], dtype=np.float32) / 255.0
    base = base * rng.uniform(0.94, 1.04, 3)
    ramp = np.linspace(rng.uniform(0.92, 1.04), rng.uniform(0.92, 1.04), size, dtype=np.float32)
    texture = 1.0 + 0.02 * coarse_noise(rng, size, 12)  # uneven paper or cloth
    return base * (ramp[:, None] * texture)[..., None]


def _shadow(alpha: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    dx, dy = (int(v) for v in rng.integers(2, 7, 2))
    img = Image.fromarray(to_uint8(alpha), "L").filter(ImageFilter.GaussianBlur(5))
    blurred = np.asarray(img, dtype=np.float32) / 255.0
    return np.roll(np.roll(blurred, dy, axis=0), dx, axis=1)


def _lighting(size: int, rng: np.random.Generator) -> np.ndarray:
    """A light falling off across the frame, a faint vignette and a slight colour cast."""
    y, x = (np.mgrid[0:size, 0:size].astype(np.float32) / size) - 0.5
    a = rng.uniform(0, 2 * math.pi)
    ramp = 1.0 + rng.uniform(0.04, 0.12) * (x * math.cos(a) + y * math.sin(a)) * 2
    vignette = 1.0 - rng.uniform(0.05, 0.15) * (x ** 2 + y ** 2) * 2
    cast = rng.uniform(0.97, 1.03, 3).astype(np.float32)
    return (ramp * vignette)[..., None] * cast


def to_uint8(arr: np.ndarray) -> np.ndarray:
    """Float 0..1 to bytes, rounded and clipped."""
    return np.clip(arr * 255.0 + 0.5, 0, 255).astype(np.uint8)
