"""Surface textures of the demo art: how a material and a technique look up close.

Arrays are float32 in 0..1 at canvas size. Materials modulate the ground (satin has broad
sheen, gauze an open lattice, hemp slubby rows); techniques change the motif layer the way the
real craft changes a design: satin-stitch hatching for embroidery, gold couching rows, the
vertical slits of kesi, a woven repeat for brocade, white resist with crackle for batik.
"""
from __future__ import annotations

import functools
import math

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

GOLD = np.array([0.86, 0.68, 0.24], dtype=np.float32)


def coarse_noise(rng: np.random.Generator, size: int, cells: int) -> np.ndarray:
    """Smooth noise in -1..1: random values on a coarse grid, upsampled bicubically."""
    grid = rng.uniform(0, 255, (cells, cells)).astype(np.uint8)
    img = Image.fromarray(grid, "L").resize((size, size), Image.Resampling.BICUBIC)
    return np.asarray(img, dtype=np.float32) / 127.5 - 1.0


@functools.lru_cache(maxsize=4)
def _grid(size: int) -> tuple[np.ndarray, np.ndarray]:
    y, x = np.mgrid[0:size, 0:size].astype(np.float32)
    x.flags.writeable = y.flags.writeable = False
    return x, y


def _coords(h: int, w: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Pixel coordinate grids of an h×w area (cut from a cached, read-only square)."""
    w = h if w is None else w
    x, y = _grid(max(h, w))
    return x[:h, :w], y[:h, :w]


def material_shade(material: str, size: int, rng: np.random.Generator) -> np.ndarray:
    """A brightness multiplier (HxW) giving the ground its material's look."""
    x, y = _coords(size)
    fine = rng.standard_normal((size, size), dtype=np.float32)
    if material in ("satin", "silk"):
        a = rng.uniform(0, math.pi)
        u = (x * math.cos(a) + y * math.sin(a)) / size
        strength = 0.26 if material == "satin" else 0.12
        sheen = sum(np.exp(-((u - c) / 0.12) ** 2) for c in rng.uniform(-0.2, 1.2, 2))
        return 0.9 + strength * sheen + 0.015 * fine
    if material == "gauze":
        lattice = ((x % 5) < 1) | ((y % 5) < 1)
        return np.where(lattice, 0.8, 1.03).astype(np.float32) + 0.02 * fine
    if material == "hemp":
        rows = np.repeat(rng.normal(0, 1, (size, 1)), size, axis=1)
        return 1.0 + 0.07 * rows + 0.05 * coarse_noise(rng, size, 10) + 0.05 * fine
    return 1.0 + 0.06 * coarse_noise(rng, size, 16) + 0.045 * fine  # cotton: matte and mottled


def brocade_repeat(size: int, ink: tuple[int, int, int], ground: tuple[int, int, int],
                   rng: np.random.Generator) -> np.ndarray:
    """A small woven repeat (lozenges and dots) tiled over the whole ground, as float RGB."""
    cell = int(rng.integers(26, 40))
    tile = Image.new("RGB", (cell, cell), ground)
    d = ImageDraw.Draw(tile)
    h = cell / 2
    d.polygon([(h, 2), (cell - 2, h), (h, cell - 2), (2, h)], outline=ink, width=2)
    d.ellipse([h - 3, h - 3, h + 3, h + 3], fill=ink)
    for cx, cy in ((0, 0), (cell, 0), (0, cell), (cell, cell)):
        d.ellipse([cx - 3, cy - 3, cx + 3, cy + 3], fill=ink)
    reps = size // cell + 1
    arr = np.tile(np.asarray(tile, dtype=np.float32) / 255.0, (reps, reps, 1))
    return arr[:size, :size]


def edges(alpha: np.ndarray, width: int = 3) -> np.ndarray:
    """The rim of a shape (alpha minus its erosion): where outlines are stitched."""
    eroded = alpha.copy()
    for _ in range(width // 2):
        np.minimum(eroded[1:], eroded[:-1], out=eroded[1:])
        np.minimum(eroded[:-1], eroded[1:], out=eroded[:-1])
        np.minimum(eroded[:, 1:], eroded[:, :-1], out=eroded[:, 1:])
        np.minimum(eroded[:, :-1], eroded[:, 1:], out=eroded[:, :-1])
    return alpha - eroded


def stripes(shape: tuple[int, int], angle: float, period: float) -> np.ndarray:
    """A 0..1 sine grating of ``shape``: satin-stitch hatching, couching rows, twill."""
    x, y = _coords(*shape)
    return 0.5 + 0.5 * np.sin(2 * math.pi * (x * math.cos(angle) + y * math.sin(angle)) / period)


def apply_technique(technique: str, rgb: np.ndarray, alpha: np.ndarray,
                    rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Restyle the motif layer (rgb HxWx3, alpha HxW) as the technique would render it."""
    size = alpha.shape
    rim = edges(alpha)[..., None] if technique in ("embroidery", "couched-gold", "zhuanghua") else 0.0
    if technique == "embroidery":
        hatch = stripes(size, rng.uniform(0.5, 1.2), 3.2)[..., None]
        rgb = rgb * (0.78 + 0.3 * hatch) * (1 - 0.45 * rim)
    elif technique == "couched-gold":
        lum = rgb.mean(axis=2, keepdims=True)
        rows = stripes(size, math.pi / 2, 4.0)[..., None]
        rgb = GOLD * (0.55 + 0.6 * lum) * (0.8 + 0.28 * rows) * (1 - 0.4 * rim)
    elif technique in ("brocade", "zhuanghua"):
        twill = stripes(size, math.pi / 4, 4.0)[..., None]
        rgb = rgb * (0.9 + 0.14 * twill)
        if technique == "zhuanghua":  # gold-wrapped outlines of the supplementary wefts
            rgb = rgb * (1 - rim) + GOLD * rim
    elif technique == "printing":
        ties = stripes(size, rng.uniform(0, math.pi), 22.0) < 0.1  # stencil bridges
        alpha = alpha * ~ties
    elif technique == "batik":
        alpha, rgb = _batik(rgb, alpha, rng)
    return np.clip(rgb, 0, 1), alpha


def _batik(rgb: np.ndarray, alpha: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Wax resist: soft irregular edges, and dye that seeped into cracks of the wax."""
    h, w = alpha.shape
    soft = Image.fromarray((alpha * 255).astype(np.uint8), "L").filter(ImageFilter.GaussianBlur(2))
    alpha = np.asarray(soft, dtype=np.float32) / 255.0
    ragged = coarse_noise(rng, max(h, w), max(h, w) // 10 + 2)[:h, :w]
    alpha = np.clip((alpha + 0.15 * ragged - 0.35) * 3.0, 0, 1)
    crackle = Image.new("L", (w, h), 0)
    d = ImageDraw.Draw(crackle)
    for _ in range(int(h * w / 6000) + 1):  # cracks in proportion to the waxed area
        pts = np.cumsum(rng.normal(0, 14, (8, 2)), axis=0) + rng.uniform(0, 1, 2) * (w, h)
        d.line([tuple(p) for p in pts], fill=255, width=1)
    cracks = np.asarray(crackle, dtype=np.float32)[..., None] / 255.0
    return alpha, rgb * (1 - 0.55 * cracks)


def kesi_finish(rgb: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Kesi: fine horizontal weft ribs, and dark slits where colours meet along vertical edges."""
    lum = rgb.mean(axis=2)
    gx = np.zeros_like(lum)
    gy = np.zeros_like(lum)
    gx[:, 1:] = np.abs(lum[:, 1:] - lum[:, :-1])
    gy[1:, :] = np.abs(lum[1:, :] - lum[:-1, :])
    slit = ((gx > 0.08) & (gy < 0.04) & (mask > 0.5)).astype(np.float32)
    slit = np.maximum(slit, np.roll(slit, 1, axis=1))
    ribs = 0.95 + 0.07 * (np.arange(lum.shape[0]) % 3 == 0)[:, None]
    return rgb * ribs[..., None] * (1 - 0.6 * slit[..., None])
