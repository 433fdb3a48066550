"""Band motifs of the demo art, drawn into canvas rectangles rather than a motif's unit square.

海水江崖 (sea-wave and cliff) fills a hem: slanting multicoloured stripes of deep water, rows of
curling waves, and rocky peaks rising out of them. 回纹 (key-fret) runs along trims as a chain
of square meanders. Both are what a curator looks for at a hem or a border.
"""
from __future__ import annotations

import math

import numpy as np
from PIL import ImageDraw

from app.media.demo.motifs import Palette
from app.media.demo.pen import arc, spiral

Box = tuple[float, float, float, float]


def draw_sea_wave(draw: ImageDraw.ImageDraw, box: Box, pal: Palette, rng: np.random.Generator) -> None:
    """Standing water stripes (立水), breaking waves (平水) and cliffs (江崖) inside ``box``."""
    x0, y0, x1, y1 = box
    h = y1 - y0
    _water_stripes(draw, (x0, y0 + 0.45 * h, x1, y1), pal)
    _wave_rows(draw, (x0, y0 + 0.2 * h, x1, y0 + 0.5 * h), pal)
    peaks = int(rng.integers(1, 4))
    for k in range(peaks):
        cx = x0 + (x1 - x0) * (k + 0.5) / peaks + rng.uniform(-0.04, 0.04) * (x1 - x0)
        _cliff(draw, cx, y0 + 0.45 * h, y0, h * 0.45, pal)


def _water_stripes(draw: ImageDraw.ImageDraw, box: Box, pal: Palette) -> None:
    x0, y0, x1, y1 = box
    step = max(4.0, (y1 - y0) / 5)
    colours = (pal.main, pal.light, pal.second, pal.light, pal.accent, pal.light)
    slant = (y1 - y0) * 0.6
    for k, x in enumerate(np.arange(x0 - slant, x1 + step, step / 2)):
        draw.polygon([(x, y1), (x + step / 2, y1), (x + step / 2 + slant, y0), (x + slant, y0)],
                     fill=colours[k % len(colours)])


def _wave_rows(draw: ImageDraw.ImageDraw, box: Box, pal: Palette) -> None:
    x0, y0, x1, y1 = box
    r = max(4.0, (y1 - y0) / 2.2)
    for row, y in enumerate((y1 - r * 0.4, y1 - r * 1.2)):
        offset = r if row else 0.0
        for cx in np.arange(x0 - offset, x1 + r, 2 * r):
            draw.ellipse([cx - r, y - r, cx + r, y + r], fill=pal.second, outline=pal.dark,
                         width=max(1, int(r / 8)))
            curl = spiral(cx, y, r * 0.7, r * 0.1, -0.9, a0=math.pi)
            draw.line([tuple(p) for p in curl], fill=pal.light, width=max(1, int(r / 5)))


def _cliff(draw: ImageDraw.ImageDraw, cx: float, base: float, top: float, half: float,
           pal: Palette) -> None:
    """A stepped rocky peak with horizontal strata."""
    pts = [(cx - half, base), (cx - half * 0.55, top + (base - top) * 0.45), (cx - half * 0.3, top),
           (cx + half * 0.3, top + (base - top) * 0.1), (cx + half * 0.5, top + (base - top) * 0.5),
           (cx + half, base)]
    draw.polygon(pts, fill=pal.accent, outline=pal.dark)
    for k in range(1, 4):
        y = top + (base - top) * k / 4
        w = half * (0.4 + 0.5 * k / 4)
        draw.line([(cx - w, y), (cx + w * 0.9, y)], fill=pal.dark, width=max(1, int(half / 14)))


def draw_key_fret(draw: ImageDraw.ImageDraw, box: Box, ink, ground=None) -> None:
    """A chain of square meanders along the long side of ``box`` (on ``ground`` if given)."""
    x0, y0, x1, y1 = box
    if ground is not None:
        draw.rectangle([x0, y0, x1, y1], fill=ground)
    vertical = (y1 - y0) > (x1 - x0)
    size = (x1 - x0) if vertical else (y1 - y0)
    length = (y1 - y0) if vertical else (x1 - x0)
    unit = [(0, 1), (0, 0), (0.8, 0), (0.8, 0.75), (0.25, 0.75), (0.25, 0.3), (0.55, 0.3), (0.55, 0.5)]
    pad = size * 0.15
    cell = size - 2 * pad
    width = max(1, int(cell / 7))
    for k in range(int(length // cell)):
        pts = [(k * cell + u * cell, pad + v * cell) for u, v in unit]
        if vertical:
            pts = [(x0 + v, y0 + u) for u, v in pts]
        else:
            pts = [(x0 + u, y0 + v) for u, v in pts]
        draw.line(pts, fill=ink, width=width)
    base = [(0, pad + cell), (length, pad + cell)]
    pts = [(x0 + v, y0 + u) for u, v in base] if vertical else [(x0 + u, y0 + v) for u, v in base]
    draw.line(pts, fill=ink, width=width)


def draw_roundel(draw: ImageDraw.ImageDraw, cx: float, cy: float, r: float, ink, fill=None) -> None:
    """The double ring of a 团纹 roundel, the frame of a surcoat's medallions."""
    ring = [tuple(p) for p in arc(cx, cy, r, r, 0, 2 * math.pi, 48)]
    if fill is not None:
        draw.polygon(ring, fill=fill)
    draw.line(ring, fill=ink, width=max(1, int(r / 14)))
    inner = [tuple(p) for p in arc(cx, cy, r * 0.9, r * 0.9, 0, 2 * math.pi, 48)]
    draw.line(inner, fill=ink, width=max(1, int(r / 30)))
