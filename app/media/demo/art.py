"""Procedural pictures of traditional garments for the demo collection (Pillow + NumPy only).

``render(art, rng)`` draws one garment whose pixels carry its labels: the silhouette is the
garment category, the ground is the colour label, the figures are the motif labels, and the
surface shows the material and technique. A seeded generator makes it reproducible.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw

from app.media.demo import accessories as acc
from app.media.demo import garments as gar
from app.media.demo.motifs import Palette
from app.media.demo.place import draw_motifs
from app.media.demo.scene import stage, to_uint8
from app.media.demo.texture import apply_technique, brocade_repeat, coarse_noise, kesi_finish, material_shade

CANVAS = 640  # drawn at twice the output size, then reduced: cheap anti-aliasing

CUTS = {
    "robe": gar.robe, "surcoat": gar.surcoat, "jacket": gar.jacket, "shirt": gar.shirt,
    "skirt": gar.skirt, "horse-face-skirt": gar.horse_face_skirt, "trousers": gar.trousers,
    "cloud-collar": acc.cloud_collar, "rank-badge": acc.rank_badge, "hat": acc.hat, "shoes": acc.shoes,
}

# Ground colour, trim colour and thread palette (main, second, accent, light, dark) per colour label.
GROUNDS = {
    "red": ((176, 32, 38), (38, 44, 74), ((40, 80, 160), (40, 130, 90), (240, 190, 60), (246, 236, 212), (45, 20, 20))),
    "yellow": ((226, 178, 46), (38, 44, 74), ((40, 70, 150), (180, 40, 50), (40, 120, 80), (250, 245, 226), (70, 45, 20))),
    "dark-blue": ((36, 42, 72), (18, 18, 22), ((214, 74, 82), (94, 162, 204), (236, 190, 72), (240, 235, 220), (12, 12, 26))),
    "blue": ((40, 86, 166), (30, 36, 62), ((236, 200, 84), (222, 92, 92), (246, 244, 232), (250, 250, 242), (18, 28, 60))),
    "green": ((44, 118, 74), (26, 30, 28), ((222, 72, 72), (240, 200, 92), (92, 140, 210), (244, 240, 226), (18, 40, 24))),
    "black": ((27, 26, 29), (120, 30, 40), ((212, 62, 72), (84, 152, 204), (236, 190, 72), (240, 235, 220), (8, 8, 8))),
    "white": ((234, 230, 216), (38, 44, 74), ((40, 80, 160), (200, 62, 72), (62, 132, 92), (160, 192, 230), (40, 40, 52))),
}
RESIST = ("batik", "printing")  # techniques that leave the design pale on a dyed ground


@dataclass(frozen=True)
class DemoArt:
    """What one picture shows, as label ids of the default scheme."""
    garment: str
    motifs: tuple[str, ...]
    technique: str
    material: str
    colour: str
    era: str
    region: str


def render(art: DemoArt, rng: np.random.Generator, size: int = 320) -> Image.Image:
    """Draw ``art`` as an RGB photo of ``size``×``size`` pixels; same generator state ⇒ same pixels."""
    ground, trim, pal = _colours(art, rng)
    cut = _cut(art, rng).scaled(CANVAS)
    mask = _mask(cut)
    cloth = _ground(art, ground, rng)
    _paint(cloth, cut, trim)
    _embellish(cloth, art, cut, pal, trim, np.asarray(mask, dtype=np.float32) / 255.0, rng)
    _stitch(cloth, cut)
    factor = CANVAS // size  # drawn large, then reduced: cheap anti-aliasing
    rgb = np.asarray(cloth.reduce(factor), dtype=np.float32) / 255.0
    alpha = np.asarray(mask.reduce(factor), dtype=np.float32) / 255.0
    if art.technique == "kesi":
        rgb = kesi_finish(rgb, alpha)
    rgb = rgb * (1.0 + 0.07 * coarse_noise(rng, size, 6))[..., None]  # soft folds
    if art.material == "gauze":
        alpha = alpha * 0.9  # gauze lets the backdrop through
    return stage(np.clip(rgb, 0, 1), alpha, rng)


def _cut(art: DemoArt, rng: np.random.Generator) -> gar.Cut:
    """The garment's cut; Manchu hats and shoes take their own forms."""
    manchu = art.region == "manchu"
    if art.garment == "hat":
        return acc.hat(rng, art.era, official=manchu and art.era == "qing")
    if art.garment == "shoes":
        return acc.shoes(rng, art.era, platform=manchu)
    return CUTS[art.garment](rng, art.era)


def _colours(art: DemoArt, rng: np.random.Generator):
    base, trim, threads = GROUNDS[art.colour]
    bright = rng.uniform(0.92, 1.06)  # one dye lot is lighter than another; hue barely moves
    ground = tuple(int(np.clip(c * bright + rng.integers(-5, 6), 0, 255)) for c in base)
    main, second, accent, light, dark = threads
    if rng.random() < 0.5:
        main, second = second, main
    if art.technique in RESIST:  # one undyed (or, on a pale ground, one indigo) colour
        pale = (236, 238, 240) if sum(ground) < 480 else (40, 68, 130)
        dark = (int(ground[0] * 0.6), int(ground[1] * 0.6), int(ground[2] * 0.6))
        return ground, trim, Palette(pale, pale, pale, pale, dark, pale)
    return ground, trim, Palette(main, second, accent, light, dark)


def _mask(cut: gar.Cut) -> Image.Image:
    img = Image.new("L", (CANVAS, CANVAS), 0)
    d = ImageDraw.Draw(img)
    for poly in cut.outline:
        d.polygon(poly, fill=255)
    for poly in cut.holes:
        d.polygon(poly, fill=0)
    for line in cut.fringe:
        d.line(line, fill=255, width=3)
    for poly, _ in cut.extras:
        d.polygon(poly, fill=255)
    return img


def _ground(art: DemoArt, ground, rng: np.random.Generator) -> Image.Image:
    """The dyed or woven ground: plain colour, or a tiled repeat for brocades, in its material."""
    if art.technique in ("brocade", "zhuanghua"):
        r, g, b = (int(min(255, c * 1.35 + 24)) for c in ground)
        ink = (r, g, b)
        rgb = brocade_repeat(CANVAS, ink, ground, rng)
    else:
        rgb = np.array(ground, dtype=np.float32) / 255.0
    rgb = rgb * material_shade(art.material, CANVAS, rng)[..., None]
    return Image.fromarray(to_uint8(rgb), "RGB")


def _paint(cloth: Image.Image, cut: gar.Cut, trim) -> None:
    """Trims, off-white parts and small coloured extras, painted flat over the ground."""
    d = ImageDraw.Draw(cloth)
    for poly in cut.trims:
        d.polygon(poly, fill=trim)
    for poly in cut.whites:
        d.polygon(poly, fill=(238, 234, 222))
    for poly, colour in cut.extras:
        d.polygon(poly, fill=tuple(colour))


def _embellish(cloth: Image.Image, art: DemoArt, cut: gar.Cut, pal: Palette, trim,
               mask: np.ndarray, rng: np.random.Generator) -> None:
    """Draw the motifs on their own layer, restyle them by technique, lay them on the cloth.

    Only the layer's bounding box is restyled: most garments leave much of it empty."""
    layer = Image.new("RGBA", (CANVAS, CANVAS), (0, 0, 0, 0))
    draw_motifs(ImageDraw.Draw(layer), cut, art.motifs, pal, trim, mask, rng)
    box = layer.getbbox()
    if box is None:
        return
    x0, y0, x1, y1 = box
    arr = np.asarray(layer.crop(box), dtype=np.float32) / 255.0
    rgb, alpha = apply_technique(art.technique, arr[..., :3], arr[..., 3] * mask[y0:y1, x0:x1], rng)
    cloth.paste(Image.fromarray(to_uint8(rgb), "RGB"), (x0, y0), Image.fromarray(to_uint8(alpha), "L"))


def _stitch(cloth: Image.Image, cut: gar.Cut) -> None:
    """Seams and pleats as translucent dark lines, buttons as small knots."""
    d = ImageDraw.Draw(cloth, "RGBA")
    for line in cut.seams:
        d.line(line, fill=(0, 0, 0, 80), width=3)
    for x, y in cut.buttons:
        d.ellipse([x - 7, y - 7, x + 7, y + 7], fill=(40, 30, 20, 200), outline=(212, 170, 60, 255), width=2)
