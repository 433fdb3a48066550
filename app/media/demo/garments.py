"""Garment cuts of the demo art: flat-lay silhouettes as a museum photographs them.

A builder returns a ``Cut`` in canvas pixels: the outline polygons, contrasting trims (cuffs,
collars, borders), off-white parts (waistbands, soles), seams and pleats, and where motifs go:
large ``anchors``, an ``area`` for scattered small motifs, a ``hem`` for sea-wave-and-cliff,
``borders`` for key-fret and ``rows`` where motifs repeat in a band. Proportions jitter a
little per item so two robes are never the same robe.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from app.media.demo.pen import arc, bezier, ribbon

Box = tuple[float, float, float, float]


@dataclass
class Cut:
    outline: list = field(default_factory=list)
    trims: list = field(default_factory=list)
    whites: list = field(default_factory=list)
    seams: list = field(default_factory=list)
    buttons: list = field(default_factory=list)
    fringe: list = field(default_factory=list)
    anchors: list = field(default_factory=list)
    area: Box = (0.3, 0.3, 0.7, 0.7)  # where small motifs are scattered
    hem: Box | None = None
    borders: list = field(default_factory=list)
    rows: list = field(default_factory=list)
    roundels: bool = False
    holes: list = field(default_factory=list)
    extras: list = field(default_factory=list)  # (polygon, rgb): a sun disk, a tassel, a finial

    def scaled(self, w: float) -> Cut:
        """The cut with every coordinate (given as fractions of the canvas) in pixels."""
        pts = lambda polys: [[(x * w, y * w) for x, y in p] for p in polys]
        scale = lambda b: (b[0] * w, b[1] * w, b[2] * w, b[3] * w)
        box = lambda b: scale(b) if b else None
        return Cut(pts(self.outline), pts(self.trims), pts(self.whites), pts(self.seams),
                   [(x * w, y * w) for x, y in self.buttons], pts(self.fringe),
                   [(x * w, y * w, r * w) for x, y, r in self.anchors], scale(self.area),
                   box(self.hem), [box(b) for b in self.borders], [box(b) for b in self.rows],
                   self.roundels, pts(self.holes), [(p, c) for p, c in zip(pts(
                       [e[0] for e in self.extras]), [e[1] for e in self.extras])])


def _tolist(a) -> list:
    return [tuple(p) for p in np.asarray(a)]


def robe(rng: np.random.Generator, era: str) -> Cut:
    """袍: long outstretched sleeves, flared hem; horse-hoof cuffs in the Qing, wide sleeves in the Ming."""
    tip, hw, hem = rng.uniform(0.04, 0.08), rng.uniform(0.26, 0.31), 0.93
    low = 0.4 if era == "ming" else 0.29
    outline = [(0.44, 0.1), (tip, 0.15), (tip, low), (0.36, 0.32), (0.5 - hw, hem),
               (0.5 + hw, hem), (0.64, 0.32), (1 - tip, low), (1 - tip, 0.15), (0.56, 0.1)]
    cut = Cut(outline=[outline], hem=(0.5 - hw, 0.79, 0.5 + hw, hem))
    for side in (0, 1):
        x0 = tip if side == 0 else 1 - tip - 0.05
        cut.borders.append((x0, 0.15, x0 + 0.05, low))
        if era != "ming":  # horse-hoof cuff 马蹄袖 beyond the sleeve
            s = -1 if side == 0 else 1
            e = tip if side == 0 else 1 - tip
            cut.trims.append([(e, 0.15), (e + s * 0.04, 0.16), (e + s * 0.05, 0.25), (e, low)])
            cut.outline.append(cut.trims[-1])
    cut.trims += [b for b in _box_polys(cut.borders)]
    cut.trims.append(_tolist(ribbon(arc(0.5, 0.1, 0.065, 0.06, 0.0, math.pi, 16), np.full(16, 0.015))))
    cut.trims.append(_tolist(ribbon(bezier((0.5, 0.16), (0.56, 0.2), (0.62, 0.2), (0.64, 0.33)), np.full(24, 0.01))))
    cut.seams += [[(0.5 - hw * 0.2, hem), (0.5 - hw * 0.2, 0.8)], [(0.5 + hw * 0.2, hem), (0.5 + hw * 0.2, 0.8)]]
    cut.anchors = [(0.5, 0.47, 0.16), (0.5, 0.68, 0.12), (0.21, 0.22, 0.06), (0.79, 0.22, 0.06)]
    cut.area = (tip + 0.04, 0.17, 0.96 - tip, 0.78)  # sleeves too; the mask keeps spots on cloth
    return cut


def surcoat(rng: np.random.Generator, era: str) -> Cut:
    """褂: knee length, wide elbow-length sleeves, opening straight down the centre front."""
    tip, hem = rng.uniform(0.1, 0.15), rng.uniform(0.82, 0.87)
    outline = [(0.43, 0.13), (tip, 0.18), (tip, 0.42), (0.34, 0.42), (0.26, hem), (0.74, hem),
               (0.66, 0.42), (1 - tip, 0.42), (1 - tip, 0.18), (0.57, 0.13)]
    cut = Cut(outline=[outline], hem=(0.26, hem - 0.12, 0.74, hem), roundels=True)
    cut.borders = [(tip, 0.18, tip + 0.045, 0.42), (1 - tip - 0.045, 0.18, 1 - tip, 0.42)]
    cut.trims = _box_polys(cut.borders)
    cut.trims.append(_tolist(ribbon(arc(0.5, 0.13, 0.07, 0.07, 0.0, math.pi, 16), np.full(16, 0.012))))
    cut.seams = [[(0.5, 0.2), (0.5, hem)]]
    cut.buttons = [(0.5, 0.2 + k * (hem - 0.26) / 4) for k in range(5)]
    cut.anchors = [(0.5, 0.36, 0.11), (0.5, 0.62, 0.11), (0.25, 0.3, 0.07), (0.75, 0.3, 0.07)]
    cut.area = (tip + 0.03, 0.2, 0.97 - tip, hem - 0.04)
    return cut


def jacket(rng: np.random.Generator, era: str) -> Cut:
    """袄: hip length, long sleeves, stand collar, wide contrasting borders 镶边 on every edge."""
    tip, hem, hw = rng.uniform(0.05, 0.09), rng.uniform(0.76, 0.8), rng.uniform(0.24, 0.28)
    outline = [(0.44, 0.2), (tip, 0.25), (tip, 0.4), (0.35, 0.43), (0.5 - hw, hem),
               (0.5 + hw, hem), (0.65, 0.43), (1 - tip, 0.4), (1 - tip, 0.25), (0.56, 0.2)]
    cut = Cut(outline=[outline], hem=(0.5 - hw, hem - 0.1, 0.5 + hw, hem - 0.05))
    cut.borders = [(tip, 0.25, tip + 0.06, 0.4), (1 - tip - 0.06, 0.25, 1 - tip, 0.4),
                   (0.5 - hw, hem - 0.05, 0.5 + hw, hem)]
    cut.trims = _box_polys(cut.borders)
    cut.trims.append([(0.45, 0.15), (0.55, 0.15), (0.56, 0.21), (0.44, 0.21)])  # stand collar
    placket = bezier((0.5, 0.21), (0.58, 0.26), (0.64, 0.3), (0.66, 0.44))
    cut.trims.append(_tolist(ribbon(placket, np.full(24, 0.022))))
    cut.outline.append(cut.trims[-2])
    cut.buttons = [(0.56, 0.235), (0.635, 0.33), (0.66, 0.42)]
    cut.anchors = [(0.5, 0.55, 0.13), (0.21, 0.32, 0.05), (0.79, 0.32, 0.05)]
    cut.area = (tip + 0.07, 0.27, 0.93 - tip, hem - 0.1)
    return cut


def shirt(rng: np.random.Generator, era: str) -> Cut:
    """衫: long and slim, narrow sleeves, a thin curved placket, side slits and a rounded hem."""
    tip, hem, hw = rng.uniform(0.1, 0.14), rng.uniform(0.88, 0.92), rng.uniform(0.19, 0.22)
    hem_curve = _tolist(arc(0.5, hem - 0.05, hw, 0.05, math.pi, 0.0, 12))  # left to right
    outline = ([(0.45, 0.1), (tip, 0.15), (tip, 0.27), (0.37, 0.3)] + hem_curve
               + [(0.63, 0.3), (1 - tip, 0.27), (1 - tip, 0.15), (0.55, 0.1)])
    cut = Cut(outline=[outline])
    cut.trims = [[(0.46, 0.06), (0.54, 0.06), (0.55, 0.11), (0.45, 0.11)]]
    cut.outline.append(cut.trims[0])
    cut.seams = [_tolist(bezier((0.5, 0.11), (0.56, 0.15), (0.61, 0.18), (0.62, 0.31))),
                 [(0.5 - hw * 0.98, hem - 0.05), (0.5 - hw * 0.92, hem - 0.2)],
                 [(0.5 + hw * 0.98, hem - 0.05), (0.5 + hw * 0.92, hem - 0.2)]]
    cut.buttons = [(0.555, 0.13), (0.6, 0.19), (0.62, 0.27)]
    cut.anchors = [(0.5, 0.5, 0.1)]
    cut.area = (0.34, 0.32, 0.66, hem - 0.08)
    return cut


def skirt(rng: np.random.Generator, era: str) -> Cut:
    """裙: a pleated skirt (百褶裙): fine radiating pleats and bands of pattern across it."""
    spread = rng.uniform(0.04, 0.1)
    outline = [(0.22, 0.15), (0.78, 0.15), (0.94 - spread, 0.92), (0.06 + spread, 0.92)]
    cut = Cut(outline=[outline], whites=[[(0.22, 0.08), (0.78, 0.08), (0.78, 0.15), (0.22, 0.15)]])
    cut.outline += cut.whites
    for k in range(1, 40):
        t = k / 40
        cut.seams.append([(0.22 + 0.56 * t, 0.15), (0.06 + spread + (0.88 - 2 * spread) * t, 0.92)])
    cut.rows = [(0.14, 0.56, 0.86, 0.68), (0.1, 0.78, 0.9, 0.9)]
    cut.trims = [_trapezoid_band(outline, y0, y1) for _, y0, _, y1 in cut.rows]
    cut.hem = (0.1, 0.78, 0.9, 0.92)
    cut.area = (0.28, 0.2, 0.72, 0.5)
    return cut


def horse_face_skirt(rng: np.random.Generator, era: str) -> Cut:
    """马面裙: a flat central panel (the 'horse face') between pleats, knee and hem bands."""
    flare = rng.uniform(0.06, 0.1)  # pleats open out towards the hem
    outline = [(0.16, 0.13), (0.84, 0.13), (0.84 + flare, 0.92), (0.16 - flare, 0.92)]
    cut = Cut(outline=[outline], whites=[[(0.16, 0.07), (0.84, 0.07), (0.84, 0.13), (0.16, 0.13)]])
    cut.outline += cut.whites
    for x in np.concatenate([np.arange(0.18, 0.37, 0.03), np.arange(0.66, 0.84, 0.03)]):
        cut.seams.append([(x, 0.13), (x + (x - 0.5) * flare * 3, 0.92)])
    cut.trims = [[(0.36, 0.13), (0.37, 0.13), (0.37, 0.92), (0.36, 0.92)],
                 [(0.63, 0.13), (0.64, 0.13), (0.64, 0.92), (0.63, 0.92)]]
    cut.rows = [(0.16, 0.56, 0.84, 0.67), (0.16 - flare, 0.81, 0.84 + flare, 0.92)]
    cut.hem = cut.rows[1]
    cut.anchors = [(0.5, 0.36, 0.1)]
    cut.area = (0.38, 0.16, 0.62, 0.54)
    return cut


def trousers(rng: np.random.Generator, era: str) -> Cut:
    """裤: a white waistband, a deep crotch and two wide legs with bands at the ankles."""
    flare = rng.uniform(0.0, 0.05)
    outline = [(0.28, 0.16), (0.72, 0.16), (0.78 + flare, 0.9), (0.53, 0.9), (0.5, 0.46),
               (0.47, 0.9), (0.22 - flare, 0.9)]
    cut = Cut(outline=[outline], whites=[[(0.28, 0.08), (0.72, 0.08), (0.72, 0.16), (0.28, 0.16)]])
    cut.outline += cut.whites
    cut.rows = [(0.22 - flare, 0.8, 0.47, 0.88), (0.53, 0.8, 0.78 + flare, 0.88)]
    cut.trims = _box_polys(cut.rows)
    cut.borders = list(cut.rows)
    cut.anchors = [(0.36, 0.62, 0.07), (0.64, 0.62, 0.07)]
    cut.area = (0.3, 0.2, 0.7, 0.5)
    return cut


def _box_polys(boxes) -> list:
    return [[(x0, y0), (x1, y0), (x1, y1), (x0, y1)] for x0, y0, x1, y1 in boxes]


def _trapezoid_band(outline, y0: float, y1: float) -> list:
    """The part of a trapezoidal skirt between heights y0 and y1 (its sides slope)."""
    (ax, ay), (bx, _), (cx, cy), (dx, _) = outline
    at = lambda left, y: (dx + (ax - dx) * (cy - y) / (cy - ay)) if left else (cx + (bx - cx) * (cy - y) / (cy - ay))
    return [(at(True, y0), y0), (at(False, y0), y0), (at(False, y1), y1), (at(True, y1), y1)]
