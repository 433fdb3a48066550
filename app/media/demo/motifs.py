"""Figure motifs of the demo art: animals, flowers, clouds and the 寿 glyph, drawn with a Pen.

Each ``draw_*`` takes a Pen (the motif's unit square placed on the canvas), a Palette and a
random generator, and draws the motif's characteristic shapes: a dragon is a long scaled body
with a horned head and claws, a bat has scalloped wings, a peony has rings of round petals. The
shapes are simple, but each motif has its own silhouette so a network can tell them apart.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from app.media.demo.pen import Colour, Pen, arc, bezier, ribbon, spiral


@dataclass(frozen=True)
class Palette:
    """Thread colours for motifs on one ground: two main hues, an accent, light, dark, gold."""
    main: Colour
    second: Colour
    accent: Colour
    light: Colour
    dark: Colour
    gold: Colour = (214, 172, 62)


def draw_dragon(pen: Pen, pal: Palette, rng: np.random.Generator) -> None:
    """A sinuous scaled body, dorsal fins, four clawed legs, a horned head and a flaming pearl."""
    t = np.linspace(0.0, 1.0, 48)
    phase = rng.uniform(0, 0.6)
    spine = np.stack([-0.62 + 1.45 * t, 0.42 * np.sin(2 * math.pi * (1.15 * t + phase))], axis=1)
    widths = 0.15 * (1 - 0.7 * t) + 0.025
    fins = spine - np.array([0, 1]) * (widths[:, None] + 0.05)
    for i in range(3, 44, 4):  # dorsal fins: small flames along the back
        pen.poly([spine[i], fins[i + 1], spine[i + 2]], pal.accent)
    pen.poly(ribbon(spine, widths), pal.main, pal.dark, 0.018)
    for i in range(4, 46, 3):  # scales
        w = widths[i] * 0.55
        pen.line(arc(spine[i][0], spine[i][1], w, w, 0.2, math.pi - 0.2, 8), pal.dark, 0.012)
    for i in (10, 20, 30, 38):
        _claw(pen, spine[i], pal, 1 if i % 20 else -1)
    _dragon_head(pen, spine[0], pal)
    pearl = (spine[0][0] - 0.2, spine[0][1] - 0.38)
    pen.ellipse(*pearl, 0.07, 0.07, pal.light, pal.accent, 0.02)
    for a in np.linspace(0, 2 * math.pi, 7)[:-1]:
        pen.line([(pearl[0] + 0.08 * math.cos(a), pearl[1] + 0.08 * math.sin(a)),
                  (pearl[0] + 0.14 * math.cos(a), pearl[1] + 0.14 * math.sin(a))], pal.accent, 0.02)
    tail = spine[-1]
    pen.poly([tail, (tail[0] + 0.16, tail[1] - 0.12), (tail[0] + 0.08, tail[1]),
              (tail[0] + 0.17, tail[1] + 0.1)], pal.accent)


def _claw(pen: Pen, at, pal: Palette, side: int) -> None:
    knee = (at[0] - 0.05, at[1] + side * 0.16)
    foot = (at[0] + 0.03, at[1] + side * 0.24)
    pen.line([at, knee, foot], pal.main, 0.05)
    for dx in (-0.05, 0.0, 0.05):
        pen.line([foot, (foot[0] + dx + 0.03, foot[1] + side * 0.06)], pal.dark, 0.018)


def _dragon_head(pen: Pen, at, pal: Palette) -> None:
    x, y = at
    pen.ellipse(x - 0.06, y, 0.15, 0.12, pal.main, pal.dark, 0.02)
    pen.poly([(x - 0.14, y - 0.06), (x - 0.34, y - 0.02), (x - 0.32, y + 0.06), (x - 0.12, y + 0.08)],
             pal.main, pal.dark, 0.02)  # snout
    pen.dot(x - 0.08, y - 0.04, 0.035, pal.light)
    pen.dot(x - 0.08, y - 0.04, 0.017, pal.dark)
    for dx in (0.0, 0.06):  # antler-like horns swept back
        pen.line([(x + dx, y - 0.09), (x + dx + 0.12, y - 0.24), (x + dx + 0.2, y - 0.26)], pal.accent, 0.025)
    pen.line(bezier((x - 0.3, y + 0.0), (x - 0.4, y - 0.2), (x - 0.2, y - 0.3), (x - 0.35, y - 0.4)),
             pal.accent, 0.015)  # whiskers
    pen.line(bezier((x - 0.3, y + 0.06), (x - 0.42, y + 0.2), (x - 0.25, y + 0.3), (x - 0.4, y + 0.36)),
             pal.accent, 0.015)


def draw_phoenix(pen: Pen, pal: Palette, rng: np.random.Generator) -> None:
    """Long flowing tail feathers with eye spots, spread wing, crested head on a curved neck."""
    for k in range(5):  # tail feathers sweeping down and right
        end = (0.85 + rng.uniform(-0.05, 0.05), 0.3 + 0.14 * k)
        spine = bezier((-0.05, 0.1), (0.3, 0.0 + 0.1 * k), (0.5, 0.6 - 0.1 * k), end, 20)
        widths = 0.015 + 0.05 * np.sin(np.linspace(0.2, math.pi - 0.2, 20))
        pen.poly(ribbon(spine, widths), (pal.main, pal.second, pal.accent)[k % 3], pal.dark, 0.012)
        pen.ellipse(end[0], end[1], 0.05, 0.035, pal.gold, pal.dark, 0.01)
    for k in range(5):  # wing: a fan of feathers
        a = -math.pi / 2 - 0.5 + 0.25 * k
        tip = (0.05 + 0.5 * math.cos(a) * 0.9, -0.05 + 0.5 * math.sin(a))
        pen.poly([(-0.05, -0.02), tip, (0.12, -0.04)], (pal.second, pal.main)[k % 2], pal.dark, 0.012)
    pen.ellipse(-0.08, 0.02, 0.2, 0.12, pal.main, pal.dark, 0.015, tilt=-0.3)
    neck = bezier((-0.2, 0.0), (-0.35, -0.1), (-0.25, -0.3), (-0.42, -0.42), 16)
    pen.poly(ribbon(neck, np.linspace(0.06, 0.035, 16)), pal.main, pal.dark, 0.012)
    pen.ellipse(-0.44, -0.44, 0.07, 0.055, pal.main, pal.dark, 0.012)
    pen.poly([(-0.5, -0.46), (-0.62, -0.42), (-0.5, -0.4)], pal.gold)  # beak
    pen.dot(-0.45, -0.46, 0.015, pal.dark)
    for dx in (-0.06, 0.0, 0.06):  # crest
        pen.line([(-0.43, -0.49), (-0.43 + dx, -0.62)], pal.accent, 0.012)
        pen.dot(-0.43 + dx, -0.63, 0.02, pal.accent)


def draw_crane(pen: Pen, pal: Palette, rng: np.random.Generator) -> None:
    """A white crane in flight: spread wings with black tips, long neck, red crown, trailing legs."""
    white, black, red = (238, 236, 228), (30, 28, 30), (205, 40, 40)
    lift = rng.uniform(-0.1, 0.1)
    for side in (-1, 1):
        wing = [(0.0, 0.0), (side * 0.3, -0.35 + lift), (side * 0.72, -0.5 + lift),
                (side * 0.62, -0.28 + lift), (side * 0.4, -0.05), (side * 0.12, 0.08)]
        pen.poly(wing, white, pal.dark, 0.015)
        pen.poly([(side * 0.52, -0.45 + lift), (side * 0.72, -0.5 + lift), (side * 0.62, -0.28 + lift),
                  (side * 0.48, -0.3 + lift)], black)
    pen.ellipse(0.05, 0.05, 0.24, 0.11, white, pal.dark, 0.015, tilt=0.3)
    pen.poly([(0.22, 0.12), (0.42, 0.2), (0.38, 0.26), (0.2, 0.2)], black)  # tail
    pen.line([(0.28, 0.16), (0.62, 0.42), (0.8, 0.5)], black, 0.018)
    pen.line([(0.26, 0.2), (0.58, 0.48), (0.76, 0.58)], black, 0.018)
    neck = bezier((-0.15, 0.0), (-0.35, -0.05), (-0.45, 0.05), (-0.62, -0.02), 16)
    pen.line(neck, white, 0.05)
    pen.line(neck[8:], black, 0.04)
    pen.ellipse(-0.64, -0.03, 0.05, 0.04, white, pal.dark, 0.01)
    pen.dot(-0.64, -0.07, 0.025, red)
    pen.line([(-0.68, -0.02), (-0.86, 0.02)], (90, 80, 60), 0.015)


def draw_bat(pen: Pen, pal: Palette, rng: np.random.Generator) -> None:
    """A bat 蝠 (a pun on 福, fortune): symmetric scalloped wings, small head with ears."""
    colour = pal.accent
    for side in (-1, 1):
        edge = [(side * x, y) for x, y in ((0.1, -0.1), (0.45, -0.35), (0.95, -0.2))]
        scallops = [(side * (0.95 - 0.22 * k - 0.11), 0.08 + 0.12 * (k % 2)) for k in range(4)]
        pen.poly([(0.0, -0.05)] + edge + [(side * 0.82, 0.05)] + scallops + [(0.0, 0.2)],
                 colour, pal.dark, 0.02)
    pen.ellipse(0, 0.02, 0.12, 0.2, colour, pal.dark, 0.02)
    for side in (-1, 1):
        pen.poly([(side * 0.03, -0.18), (side * 0.1, -0.32), (side * 0.1, -0.14)], colour)
    pen.dot(-0.04, -0.1, 0.02, pal.light)
    pen.dot(0.04, -0.1, 0.02, pal.light)


def draw_butterfly(pen: Pen, pal: Palette, rng: np.random.Generator) -> None:
    """Four wings with eye spots, a slender body and curled antennae."""
    for side in (-1, 1):
        pen.ellipse(side * 0.38, -0.22, 0.38, 0.3, pal.second, pal.dark, 0.02, tilt=side * -0.5)
        pen.ellipse(side * 0.3, 0.3, 0.24, 0.26, pal.main, pal.dark, 0.02, tilt=side * 0.5)
        pen.ellipse(side * 0.45, -0.26, 0.1, 0.09, pal.light, pal.dark, 0.015)
        pen.dot(side * 0.3, 0.34, 0.07, pal.accent)
        pen.line(spiral(side * 0.25, -0.78, 0.0, 0.06, -0.7 * side, a0=0, n=10)[::-1].tolist()
                 + [(side * 0.02, -0.3)], pal.dark, 0.02)
    pen.ellipse(0, 0.02, 0.05, 0.35, pal.dark)


def draw_peony(pen: Pen, pal: Palette, rng: np.random.Generator) -> None:
    """A full peony: leaves, then rings of round petals closing onto a golden heart."""
    leaf = (60, 110, 60)
    for a in (2.3, 3.6, 0.6):
        x, y = 0.6 * math.cos(a), 0.55 * math.sin(a) + 0.2
        pen.poly([(0, 0.3), (x * 0.6, y - 0.2), (x, y), (x * 0.5, y + 0.15)], leaf, pal.dark, 0.015)
        pen.line([(0, 0.3), (x, y)], pal.dark, 0.01)
    colours = (pal.second, pal.main, pal.accent)
    for ring, (radius, count) in enumerate(((0.5, 9), (0.34, 7), (0.2, 5))):
        offset = rng.uniform(0, 1)
        for k in range(count):
            a = 2 * math.pi * (k + offset) / count
            r = radius * 0.55
            pen.ellipse((radius - r) * math.cos(a), (radius - r) * math.sin(a) - 0.05, r, r,
                        colours[ring], pal.dark, 0.012)
    for k in range(7):
        a = 2 * math.pi * k / 7
        pen.dot(0.07 * math.cos(a), 0.07 * math.sin(a) - 0.05, 0.035, pal.gold)


def draw_lotus(pen: Pen, pal: Palette, rng: np.random.Generator) -> None:
    """A lotus: a fan of pointed petals over a round pad, with a seed pod at the heart."""
    pen.ellipse(0, 0.55, 0.75, 0.2, (70, 120, 80), pal.dark, 0.015)
    pen.line([(0, 0.55), (0.0, 0.35)], (70, 120, 80), 0.04)
    for k, a in enumerate(np.linspace(-2.6, -0.54, 7)):
        tip = (0.75 * math.cos(a), 0.35 + 0.85 * math.sin(a))
        base = (0.0, 0.35)
        mid = ((tip[0] + base[0]) / 2, (tip[1] + base[1]) / 2)
        n = (-(tip[1] - base[1]) * 0.25, (tip[0] - base[0]) * 0.25)
        petal = [base, (mid[0] + n[0], mid[1] + n[1]), tip, (mid[0] - n[0], mid[1] - n[1])]
        pen.poly(petal, (pal.main, pal.second)[k % 2], pal.dark, 0.015)
    pen.ellipse(0, 0.12, 0.16, 0.08, pal.gold, pal.dark, 0.012)


def draw_plum(pen: Pen, pal: Palette, rng: np.random.Generator) -> None:
    """A plum branch: a crooked dark twig carrying small five-petalled blossoms."""
    branch = (80, 52, 40)
    joints = [(-0.85, 0.6), (-0.35, 0.2), (0.05, 0.3), (0.5, -0.15), (0.85, -0.3)]
    pen.line(joints, branch, 0.06)
    pen.line([(-0.35, 0.2), (-0.2, -0.35), (0.1, -0.6)], branch, 0.035)
    spots = [(-0.2, -0.35), (0.1, -0.6), (0.05, 0.3), (0.5, -0.15), (-0.55, 0.35), (0.8, -0.3)]
    for k, (x, y) in enumerate(spots):
        r = 0.14 if k % 3 else 0.18
        for p in range(5):
            a = 2 * math.pi * p / 5 + 0.3
            pen.dot(x + r * 0.6 * math.cos(a), y + r * 0.6 * math.sin(a), r * 0.5, pal.light)
        pen.dot(x, y, r * 0.3, pal.accent)


def draw_cloud(pen: Pen, pal: Palette, rng: np.random.Generator) -> None:
    """A ruyi cloud scroll 云纹: lobed head of curls with a tapering streaming tail."""
    spine = bezier((0.2, 0.05), (0.5, 0.25), (0.7, -0.05), (0.95, 0.1), 16)
    pen.poly(ribbon(spine, np.linspace(0.14, 0.01, 16)), pal.second, pal.dark, 0.015)
    lobes = ((-0.25, 0.05, 0.3), (0.12, -0.12, 0.24), (0.15, 0.18, 0.2), (-0.55, 0.12, 0.18))
    for x, y, r in lobes:
        pen.ellipse(x, y, r, r, pal.second, pal.dark, 0.018)
    for x, y, r in lobes:
        pen.line(spiral(x, y, r * 0.75, 0.03, -0.85, a0=math.pi / 2), pal.light, 0.035)


def draw_longevity(pen: Pen, pal: Palette, rng: np.random.Generator) -> None:
    """A round 寿 medallion: a ring round symmetric bars and hooks in the glyph's manner."""
    ink = pal.gold
    pen.ellipse(0, 0, 0.92, 0.92, None, ink, 0.1)
    pen.line([(0, -0.72), (0, 0.72)], ink, 0.12)
    for y, half in ((-0.5, 0.45), (-0.22, 0.62), (0.08, 0.5), (0.4, 0.66)):
        pen.line([(-half, y), (half, y)], ink, 0.1)
    for side in (-1, 1):
        pen.line([(side * 0.45, -0.22), (side * 0.45, 0.08)], ink, 0.09)
        pen.line([(side * 0.22, 0.4), (side * 0.22, 0.66), (side * 0.42, 0.66)], ink, 0.08)
        pen.poly([(side * 0.62, -0.05), (side * 0.75, 0.08), (side * 0.62, 0.2)], ink)


FIGURES = {
    "dragon": draw_dragon, "phoenix": draw_phoenix, "crane": draw_crane, "bat": draw_bat,
    "butterfly": draw_butterfly, "peony": draw_peony, "lotus": draw_lotus,
    "plum-blossom": draw_plum, "cloud": draw_cloud, "longevity": draw_longevity,
}
