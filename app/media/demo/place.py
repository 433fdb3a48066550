"""Where the demo art puts its motifs on a garment.

The first figure motif is the garment's main design and goes to its anchors (chest, shoulders,
the horse-face panel, a badge's centre), framed in roundels on a surcoat. Other figures are
scattered small over the field or repeated along bands; sea-wave-and-cliff fills the hem and
key-fret runs along the borders. Every labelled motif is drawn at least once.
"""
from __future__ import annotations

import math

import numpy as np
from PIL import ImageDraw

from app.media.demo.bands import draw_key_fret, draw_roundel, draw_sea_wave
from app.media.demo.garments import Cut
from app.media.demo.motifs import FIGURES, Palette
from app.media.demo.pen import Pen

SPACING = 0.14  # scatter grid step, as a fraction of the canvas (motifs must survive a 128 px resize)


def draw_motifs(draw: ImageDraw.ImageDraw, cut: Cut, motifs, pal: Palette, trim,
                mask: np.ndarray, rng: np.random.Generator) -> None:
    """Draw every motif of ``motifs`` onto the garment described by ``cut``."""
    figures = [m for m in motifs if m in FIGURES]
    rows = list(cut.rows)
    if "sea-wave" in motifs:
        hem = cut.hem or _bottom(cut.area, 0.3)
        draw_sea_wave(draw, hem, pal, rng)
        rows = [r for r in rows if r != cut.hem]
    if "key-fret" in motifs:
        rows = _key_fret(draw, cut, rows, pal, trim)
    primary, others = (figures[0], figures[1:]) if figures else ("", [])
    anchored = bool(primary and cut.anchors)
    if rows and figures:
        _rows(draw, rows, figures[::-1], pal, rng)
    scattered = others if anchored else figures
    _scatter(draw, cut, scattered, cut.anchors if anchored else [], pal, mask, rng)
    if anchored:
        _anchors(draw, cut, primary, pal, rng)


def _bottom(box, share: float):
    x0, y0, x1, y1 = box
    return (x0, y1 - (y1 - y0) * share, x1, y1)


def _key_fret(draw, cut: Cut, rows: list, pal: Palette, trim) -> list:
    """Key-fret on the borders; failing those on a band row; failing that, across the field."""
    ink = pal.gold  # gold thread; a resist palette makes its "gold" the undyed colour
    if cut.borders:
        for box in cut.borders:
            draw_key_fret(draw, box, ink, trim)
        return rows
    if rows:
        draw_key_fret(draw, rows[-1], ink, trim)
        return rows[:-1]
    x0, y0, x1, y1 = cut.area
    band = (x1 - x0) * 0.12
    draw_key_fret(draw, (x0, y1 - band, x1, y1), ink, trim)
    return rows


def _pen(draw, x: float, y: float, r: float, rng: np.random.Generator, tilt: float = 0.3) -> Pen:
    return Pen(draw, x, y, r, angle=rng.uniform(-tilt, tilt), flip=bool(rng.random() < 0.5))


def _anchors(draw, cut: Cut, motif: str, pal: Palette, rng: np.random.Generator) -> None:
    keep = [a for i, a in enumerate(cut.anchors) if i == 0 or rng.random() < 0.85]
    for x, y, r in keep:
        r *= rng.uniform(0.9, 1.1)
        if cut.roundels:
            draw_roundel(draw, x, y, r * 1.15, pal.gold)
            r *= 0.85
        FIGURES[motif](_pen(draw, x, y, r, rng, 0.2), pal, rng)


def _rows(draw, rows: list, figures: list, pal: Palette, rng: np.random.Generator) -> None:
    """Small motifs repeated along each band row, cycling through the figures."""
    for k, (x0, y0, x1, y1) in enumerate(rows):
        r = (y1 - y0) * 0.45
        count = max(1, int((x1 - x0) // (2.4 * r)))
        motif = figures[k % len(figures)]
        for i in range(count):
            x = x0 + (x1 - x0) * (i + 0.5) / count
            FIGURES[motif](_pen(draw, x, (y0 + y1) / 2, r, rng, 0.15), pal, rng)


def _scatter(draw, cut: Cut, motifs: list, avoid: list, pal: Palette, mask: np.ndarray,
             rng: np.random.Generator) -> None:
    """Small motifs on a jittered grid over the field, off the anchors and on the cloth."""
    if not motifs:
        return
    size = mask.shape[0]
    step = SPACING * size
    x0, y0, x1, y1 = cut.area
    spots = [(x, y) for y in np.arange(y0 + step / 2, y1, step) for x in np.arange(x0 + step / 2, x1, step)]
    drawn = {m: 0 for m in motifs}
    for x, y in spots:
        x, y = x + rng.uniform(-0.2, 0.2) * step, y + rng.uniform(-0.2, 0.2) * step
        if not _on_cloth(mask, x, y) or any(math.hypot(x - ax, y - ay) < ar + step * 0.4 for ax, ay, ar in avoid):
            continue
        motif = motifs[int(rng.integers(len(motifs)))] if rng.random() < 0.85 else None
        if motif:
            FIGURES[motif](_pen(draw, x, y, step * 0.42, rng), pal, rng)
            drawn[motif] += 1
    for motif in (m for m, n in drawn.items() if n == 0):  # never leave a label undrawn
        x, y = _free_spot(mask, avoid, rng)
        FIGURES[motif](_pen(draw, x, y, step * 0.45, rng), pal, rng)


def _free_spot(mask: np.ndarray, avoid: list, rng: np.random.Generator) -> tuple[float, float]:
    """A point on the cloth as far as possible from the anchors (best of a few random tries)."""
    ys, xs = np.nonzero(mask[::8, ::8] > 0.5)
    if len(xs) == 0:
        return mask.shape[1] / 2, mask.shape[0] / 2
    picks = rng.integers(len(xs), size=24)
    points = [(float(xs[i] * 8), float(ys[i] * 8)) for i in picks]
    clearance = lambda p: min((math.hypot(p[0] - ax, p[1] - ay) - ar for ax, ay, ar in avoid), default=0.0)
    return max(points, key=clearance)


def _on_cloth(mask: np.ndarray, x: float, y: float) -> bool:
    h, w = mask.shape
    return 0 <= int(y) < h and 0 <= int(x) < w and mask[int(y), int(x)] > 0.5
