"""Accessory cuts of the demo art: cloud collar, rank badge, hat and a pair of shoes.

Same contract as ``app.media.demo.garments``: builders return a ``Cut`` in canvas fractions.
"""
from __future__ import annotations

import math

import numpy as np

from app.media.demo.garments import Cut, _box_polys, _tolist
from app.media.demo.pen import arc, bezier, ribbon

RED, GOLD, WHITE = (190, 35, 40), (212, 170, 60), (236, 232, 220)


def cloud_collar(rng: np.random.Generator, era: str) -> Cut:
    """云肩: ruyi-cloud lobes round a neck opening, an inner layer, a fringe of tassels."""
    lobes = int(rng.choice([4, 4, 6, 8]))
    radius, cx, cy = rng.uniform(0.38, 0.42), 0.5, 0.48
    theta = np.linspace(0, 2 * math.pi, 240, endpoint=False) + rng.uniform(0, 0.3)
    wave = np.abs(np.cos(lobes * theta / 2))
    r = radius * (0.58 + 0.36 * wave ** 0.5 + 0.08 * wave ** 30)
    shape = lambda k: _tolist(np.stack([cx + k * r * np.cos(theta), cy + k * r * np.sin(theta)], 1))
    cut = Cut(outline=[shape(1.0)], trims=[shape(0.5)])
    cut.holes = [_tolist(arc(cx, cy, 0.07, 0.07, 0, 2 * math.pi, 32)),
                 [(cx - 0.008, cy), (cx + 0.008, cy), (cx + 0.008, cy + 0.5 * radius), (cx - 0.008, cy + 0.5 * radius)]]
    tips = theta[wave > 0.995]
    for a in tips:
        x, y = cx + radius * 0.99 * math.cos(a), cy + radius * 0.99 * math.sin(a)
        cut.fringe.append([(x, y), (x + 0.06 * math.cos(a), y + 0.06 * math.sin(a))])
    step = 2 * math.pi / lobes
    peaks = theta[np.argmax(wave)] % step
    cut.anchors = [(cx + 0.72 * radius * math.cos(peaks + k * step), cy + 0.72 * radius * math.sin(peaks + k * step),
                    0.35 / lobes) for k in range(lobes)]
    cut.area = (cx - 0.2, cy - 0.2, cx + 0.2, cy + 0.2)
    return cut


def rank_badge(rng: np.random.Generator, era: str) -> Cut:
    """补子: a square badge with a border, a red sun in a corner and the rank's creature."""
    lo, hi, band = 0.13, 0.87, 0.045
    cut = Cut(outline=_box_polys([(lo, lo, hi, hi)]))
    cut.borders = [(lo, lo, hi, lo + band), (lo, hi - band, hi, hi),
                   (lo, lo + band, lo + band, hi - band), (hi - band, lo + band, hi, hi - band)]
    cut.trims = _box_polys(cut.borders)
    sun = 0.07
    cut.extras = [(_tolist(arc(hi - 0.14, lo + 0.14, sun, sun, 0, 2 * math.pi, 32)), RED)]
    cut.hem = (lo + band, 0.66, hi - band, hi - band)
    cut.anchors = [(0.5, 0.44, rng.uniform(0.2, 0.23))]
    cut.area = (0.2, 0.2, 0.8, 0.62)
    return cut


def hat(rng: np.random.Generator, era: str, official: bool = False) -> Cut:
    """帽: a Qing official's hat (dome, upturned brim, red floss, finial) or a segmented skullcap."""
    if official:
        return _official_hat(rng)
    ry = rng.uniform(0.34, 0.4)
    dome = _tolist(arc(0.5, 0.66, 0.32, ry, math.pi, 2 * math.pi, 32)) + [(0.82, 0.72), (0.18, 0.72)]
    cut = Cut(outline=[dome], trims=_box_polys([(0.18, 0.64, 0.82, 0.72)]))
    for k in (-2, -1, 1, 2):
        x = 0.5 + k * 0.12
        cut.seams.append(_tolist(bezier((0.5, 0.66 - ry), (x * 0.5 + 0.25, 0.4), (x, 0.5), (x, 0.64), 12)))
    cut.extras = [(_tolist(arc(0.5, 0.66 - ry, 0.035, 0.03, 0, 2 * math.pi, 20)), RED)]
    cut.borders = [(0.2, 0.645, 0.8, 0.715)]
    cut.anchors = [(0.5, 0.48, 0.08)]
    cut.area = (0.25, 0.42, 0.75, 0.6)
    return cut


def _official_hat(rng: np.random.Generator) -> Cut:
    top = rng.uniform(0.22, 0.28)
    dome = _tolist(arc(0.5, 0.6, 0.27, 0.6 - top, math.pi, 2 * math.pi, 32))
    brim = [(0.12, 0.55), (0.88, 0.55), (0.8, 0.74), (0.2, 0.74)]
    cut = Cut(outline=[dome + [(0.77, 0.6), (0.23, 0.6)], brim])
    for k in range(-4, 5):  # red silk floss hanging from the finial
        a = math.pi / 2 + k * 0.17
        end = (0.5 - 0.25 * math.cos(a) * 1.05, top + (0.55 - top) * (0.55 + 0.45 * math.sin(a)))
        cut.extras.append(([(0.49, top), (0.51, top), (end[0] + 0.012, end[1]), (end[0] - 0.012, end[1])], RED))
    cut.extras.append((_tolist(arc(0.5, top - 0.025, 0.03, 0.035, 0, 2 * math.pi, 20)), GOLD))
    cut.seams = [[(0.14, 0.56), (0.86, 0.56)]]
    cut.borders = [(0.22, 0.6, 0.78, 0.7)]
    cut.rows = [(0.2, 0.58, 0.8, 0.72)]
    cut.area = (0.22, 0.58, 0.78, 0.72)
    return cut


def shoes(rng: np.random.Generator, era: str, platform: bool = False) -> Cut:
    """鞋: a pair in profile, toes to the left; Manchu shoes stand on a flower-pot heel."""
    cut = Cut()
    height = 0.24 if platform else 0.3
    for x0, y0 in ((0.1, 0.1), (0.18, 0.52)):
        _one_shoe(cut, x0, y0, 0.7, height, platform)
    cut.area = (0.2, 0.15, 0.8, 0.8)
    return cut


def _one_shoe(cut: Cut, x0: float, y0: float, w: float, h: float, platform: bool) -> None:
    at = lambda pts: [(x0 + u * w, y0 + v * h) for u, v in pts]
    vamp = bezier((0.0, 0.3), (0.1, 0.52), (0.3, 0.3), (0.48, 0.16), 14)  # upturned toe to throat
    topline = bezier((0.48, 0.16), (0.62, 0.3), (0.8, 0.22), (0.97, 0.06), 14)
    heel = bezier((1.0, 0.1), (1.03, 0.35), (1.02, 0.6), (0.98, 0.78), 8)
    upper = at(np.concatenate([vamp, topline, heel, [(0.1, 0.78), (0.03, 0.6)]]))
    sole = at([(0.05, 0.74), (0.99, 0.74), (0.98, 0.92), (0.1, 0.92)])
    cut.outline += [upper, sole]
    cut.whites.append(sole)
    if platform:  # 花盆底: a flower-pot heel under the arch
        pot = at([(0.46, 0.9), (0.74, 0.9), (0.68, 1.1), (0.66, 1.45), (0.54, 1.45), (0.52, 1.1)])
        cut.outline.append(pot)
        cut.whites.append(pot)
    cut.trims.append(at(ribbon(topline, np.full(14, 0.035))))
    cut.anchors.append((x0 + 0.5 * w, y0 + 0.5 * h, 0.1 * w))
