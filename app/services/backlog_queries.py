"""What the backlog benchmark types and shows: label-name queries, phrases of 2–4 labels
drawn from combinations that really occur on backlog items, and re-photographed copies.
"""
from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from PIL import Image

FACETS = ("category", "motif", "colour", "technique", "material", "era", "region")
# Word order of a curator's phrase: 清石青缎绣云纹袍 (zh) / "qing dark blue satin embroidery robe with cloud"
ZH_ORDER = ("era", "region", "colour", "material", "technique", "motif", "category")
EN_ORDER = ("era", "region", "colour", "material", "technique", "category")


@dataclass(frozen=True)
class TypedQuery:
    """One typed query and what it asks for (label ids, the truth's columns)."""
    text: str
    labels: tuple[str, ...]
    kind: str       # "label" or "phrase"
    lang: str       # "zh" or "en"
    facet: str = ""  # the label's facet (label queries)


def label_queries(scheme, facets: Sequence[str] = FACETS) -> list[TypedQuery]:
    """Every label of the given facets, by its Chinese and by its English name."""
    out = []
    for label in scheme.ordered():
        if label.facet in facets:
            out += [TypedQuery(label.name(lang), (label.id,), "label", lang, label.facet) for lang in ("zh", "en")]
    return out


def draw_phrases(scheme, item_labels: Sequence[Sequence[str]], n: int, seed: int,
                 sizes: Sequence[int] = (2, 3, 4)) -> list[tuple[str, ...]]:
    """``n`` distinct label combinations (seeded), each taken from one backlog item's own
    labels, one label per facet so that the phrase reads like a description."""
    rng = np.random.default_rng(seed)
    found: list[tuple[str, ...]] = []
    usable = [i for i, labels in enumerate(item_labels) if len(_by_facet(scheme, labels)) >= min(sizes)]
    for _ in range(50 * n):
        if len(found) >= n or not usable:
            break
        groups = _by_facet(scheme, item_labels[usable[int(rng.integers(len(usable)))]])
        size = min(int(rng.choice(sizes)), len(groups))
        facets = rng.choice(sorted(groups), size=size, replace=False)
        combo = tuple(sorted(groups[f][int(rng.integers(len(groups[f])))] for f in facets))
        if combo not in found:
            found.append(combo)
    return found


def _by_facet(scheme, labels: Sequence[str]) -> dict[str, list[str]]:
    groups: dict[str, list[str]] = {}
    for label_id in sorted(labels):
        if label_id in scheme.labels:
            groups.setdefault(scheme.labels[label_id].facet, []).append(label_id)
    return groups


def phrase_text(scheme, labels: Sequence[str], lang: str) -> str:
    """Chinese: the names joined (石青缎绣云纹袍); English: 'blue satin robe with dragon'."""
    by_facet = _by_facet(scheme, labels)
    if lang == "zh":
        return "".join(scheme.labels[l].name_zh for f in ZH_ORDER for l in by_facet.get(f, []))
    words = [scheme.labels[l].name_en.lower() for f in EN_ORDER for l in by_facet.get(f, [])]
    motifs = [scheme.labels[l].name_en.lower() for l in by_facet.get("motif", [])]
    if motifs and words:
        return " ".join(words) + " with " + " and ".join(motifs)
    return " ".join(words or motifs)


def phrase_queries(scheme, combos: Sequence[tuple[str, ...]]) -> list[TypedQuery]:
    """Each combination typed in Chinese and in English."""
    return [TypedQuery(phrase_text(scheme, c, lang), tuple(c), "phrase", lang) for c in combos for lang in ("zh", "en")]


def rephotograph(image: Image.Image, seed: int) -> Image.Image:
    """A copy as if photographed again: rotated 3–6°, cropped to ~90 %, rescaled and saved
    as a JPEG of quality ~70. Same image and seed ⇒ the same pixels."""
    rng = np.random.default_rng(seed)
    img = image.convert("RGB")
    angle = float(rng.uniform(3.0, 6.0) * rng.choice([-1.0, 1.0]))
    # Fill the corners with the photo's own edge colour, as a backdrop would show.
    backdrop = tuple(int(v) for v in np.asarray(img)[0, 0])
    img = img.rotate(angle, resample=Image.Resampling.BICUBIC, fillcolor=backdrop)
    share = float(rng.uniform(0.87, 0.93))
    w, h = round(img.width * share), round(img.height * share)
    left = int(rng.integers(0, img.width - w + 1))
    top = int(rng.integers(0, img.height - h + 1))
    img = img.crop((left, top, left + w, top + h))
    scale = float(rng.uniform(0.6, 0.9))
    img = img.resize((max(8, round(w * scale)), max(8, round(h * scale))), Image.Resampling.BILINEAR)
    buffer = io.BytesIO()
    img.save(buffer, format="JPEG", quality=int(rng.integers(66, 75)))
    buffer.seek(0)
    return Image.open(buffer).convert("RGB")
