"""A small vector pen for the procedural demo art.

Motifs are written once in their own unit square (x and y in -1..1, y pointing down) and the
pen places them on the canvas: scaled, rotated, mirrored. Ellipses and arcs become polygons so
they rotate with everything else. Only Pillow's ImageDraw does the rasterising.
"""
from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from PIL import ImageDraw

Colour = tuple[int, int, int] | tuple[int, int, int, int]


def arc(cx: float, cy: float, rx: float, ry: float, a0: float, a1: float, n: int = 24) -> np.ndarray:
    """Points on an elliptic arc from angle a0 to a1 (radians)."""
    t = np.linspace(a0, a1, n)
    return np.stack([cx + rx * np.cos(t), cy + ry * np.sin(t)], axis=1)


def spiral(cx: float, cy: float, r0: float, r1: float, turns: float, a0: float = 0.0,
           n: int = 40) -> np.ndarray:
    """An Archimedean spiral from radius r0 to r1: the curl of cloud scrolls and waves."""
    t = np.linspace(0.0, 1.0, n)
    a = a0 + t * turns * 2 * math.pi
    r = r0 + (r1 - r0) * t
    return np.stack([cx + r * np.cos(a), cy + r * np.sin(a)], axis=1)


def bezier(p0, p1, p2, p3, n: int = 24) -> np.ndarray:
    """A cubic Bézier curve through four control points."""
    t = np.linspace(0.0, 1.0, n)[:, None]
    p0, p1, p2, p3 = (np.asarray(p, dtype=float) for p in (p0, p1, p2, p3))
    return (1 - t) ** 3 * p0 + 3 * (1 - t) ** 2 * t * p1 + 3 * (1 - t) * t ** 2 * p2 + t ** 3 * p3


def ribbon(spine: np.ndarray, widths: np.ndarray) -> np.ndarray:
    """Outline of a band of varying half-width around a polyline (a body, a tail, a stem)."""
    d = np.gradient(spine, axis=0)
    normal = np.stack([-d[:, 1], d[:, 0]], axis=1)
    normal /= np.maximum(np.linalg.norm(normal, axis=1, keepdims=True), 1e-9)
    left = spine + normal * widths[:, None]
    right = spine - normal * widths[:, None]
    return np.concatenate([left, right[::-1]])


class Pen:
    """Draws unit-square shapes at (cx, cy) with radius ``size`` pixels, turned by ``angle``."""

    def __init__(self, draw: ImageDraw.ImageDraw, cx: float, cy: float, size: float,
                 angle: float = 0.0, flip: bool = False):
        self.draw = draw
        self.size = size
        c, s = math.cos(angle), math.sin(angle)
        sx = -size if flip else size
        self._m = np.array([[c * sx, -s * size], [s * sx, c * size]])
        self._t = np.array([cx, cy])

    def place(self, points) -> list[tuple[float, float]]:
        """Canvas coordinates of unit-square points."""
        pts = np.asarray(points, dtype=float).reshape(-1, 2) @ self._m.T + self._t
        return [tuple(p) for p in pts]

    def px(self, width: float) -> int:
        """A unit-square stroke width in whole pixels (never thinner than one)."""
        return max(1, int(round(width * self.size)))

    def poly(self, points, fill: Colour | None = None, outline: Colour | None = None,
             width: float = 0.0) -> None:
        pts = self.place(points)
        if len(pts) < 3:
            return
        self.draw.polygon(pts, fill=fill)
        if outline is not None:
            self.draw.line(pts + pts[:1], fill=outline, width=self.px(width or 0.02), joint="curve")

    def line(self, points, fill: Colour, width: float = 0.03) -> None:
        self.draw.line(self.place(points), fill=fill, width=self.px(width), joint="curve")

    def ellipse(self, cx: float, cy: float, rx: float, ry: float, fill: Colour | None = None,
                outline: Colour | None = None, width: float = 0.0, tilt: float = 0.0) -> None:
        pts = arc(0, 0, rx, ry, 0, 2 * math.pi, 28)
        c, s = math.cos(tilt), math.sin(tilt)
        pts = pts @ np.array([[c, s], [-s, c]]) + (cx, cy)
        self.poly(pts, fill, outline, width)

    def dot(self, cx: float, cy: float, r: float, fill: Colour) -> None:
        self.ellipse(cx, cy, r, r, fill)

    def strokes(self, lines: Sequence, fill: Colour, width: float = 0.03) -> None:
        for pts in lines:
            self.line(pts, fill, width)
