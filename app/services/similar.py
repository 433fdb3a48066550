"""Photo → photo, "more like this" and attribute edits: what the curator means by *alike*.

The learned Hamming distance alone matched colour (a yellow dragon surcoat found ten yellow
things and no surcoat). Here a query is also a *label profile* — the labels its photo shows
(calibrated probabilities), or the labels an item carries — compared with each candidate's
profile (tagged labels count 1, untagged photos their predicted probability), with the
garment category and the motifs weighing most. A re-photographed copy of a library photo is
found by its photo signature (``app.media.signature``) and put first.

The garment weighs 5 (it weighed 3): on one explore library (``bench/explore_photos.py``,
seed 0, 200 backlog photos as queries) photo → same garment P@10 went .826 → .885 and
shared motif stayed .627 → .622; ``wenyang bench backlog`` gives the three-seed figures.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from app.store import Library

FACET_WEIGHTS = {"category": 5.0, "motif": 2.0, "colour": 0.7}  # other facets 1 (category 3 → 5: see below)
W_PROFILE = 1.0
W_CODES = 0.5
SAME_PHOTO_FIRST = 100.0
SAME_PHOTO_MIN = 0.95     # aligned correlation of a copy (copies measured 0.91–0.99, median 0.985)
SAME_PHOTO_MARGIN = 0.003  # ahead of the next candidate by at least this much
SIGNATURE_CANDIDATES = 20
HAMMING_CANDIDATES = 200


@dataclass
class Scored:
    item_id: int
    score: float
    distance: int | None
    profile: float
    same_photo: bool = False


def label_weights(scheme, label_ids: list[str]) -> np.ndarray:
    """Per label of the model, the weight of its facet in a profile comparison."""
    return np.array([FACET_WEIGHTS.get(scheme.labels[l].facet, 1.0) if l in scheme.labels else 1.0
                     for l in label_ids], np.float32)


def item_profiles(lib: Library, model_id: str | None, item_ids: list[int], label_ids: list[str]) -> np.ndarray:
    """(len(item_ids), len(label_ids)): 1 where tagged, else the stored predicted probability."""
    col = {l: j for j, l in enumerate(label_ids)}
    row = {i: r for r, i in enumerate(item_ids)}
    out = np.zeros((len(item_ids), len(label_ids)), np.float32)
    if not item_ids:
        return out
    if model_id is not None:
        for item_id, label_id, p in lib.suggestions.confidences(model_id, item_ids=item_ids):
            if label_id in col:
                out[row[item_id], col[label_id]] = p
    for item_id, label_id in lib.labels.pairs(item_ids=item_ids):
        if label_id in col:
            out[row[item_id], col[label_id]] = 1.0
    return out


def profile_similarity(query: np.ndarray, profiles: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Weighted cosine of the query profile with each candidate's, in [0, 1]."""
    q = query * np.sqrt(weights)
    p = profiles * np.sqrt(weights)
    norms = np.linalg.norm(p, axis=1) * max(float(np.linalg.norm(q)), 1e-9)
    return (p @ q) / np.maximum(norms, 1e-9)


def combine(item_ids, profiles_sim, distances: dict[int, int], bits: int,
            same_photo: int | None = None) -> list[Scored]:
    """Scores of the candidates, best first (ties by item id)."""
    out = []
    for item_id, sim in zip(item_ids, profiles_sim):
        d = distances.get(item_id)
        score = W_PROFILE * float(sim) + (W_CODES * (1.0 - d / bits) if d is not None and bits else 0.0)
        dup = item_id == same_photo
        out.append(Scored(item_id, score + (SAME_PHOTO_FIRST if dup else 0.0), d, float(sim), dup))
    return sorted(out, key=lambda s: (-s.score, s.item_id))


def balanced(added: np.ndarray, garment: np.ndarray, k: int) -> list[int]:
    """An attribute edit's order, as positions into candidates already ranked by likeness:
    the first ``k`` keep the expected number that show the added label and the expected
    number on the item's garment level, so neither drowns the other.

    Each step takes the candidate with the most evidence for whichever of the two is behind
    (the other counts half), the better-ranked one on ties: those with both come first, then
    the two kinds alternate. Ranked by one weighted score instead, either the garment or the
    added label filled the top 10 (one demo library, 100 edits of backlog items: added motif
    .92 with garment .41, or .45 with .88, depending on the weight).
    """
    left = list(range(len(added)))
    order: list[int] = []
    have_added = have_garment = 0.0
    while left and len(order) < k:
        behind_added = have_added <= have_garment
        gain = [(added[j] * (1.0 if behind_added else 0.5) + garment[j] * (0.5 if behind_added else 1.0), -j)
                for j in left]
        pick = left[max(range(len(left)), key=lambda n: gain[n])]
        order.append(pick)
        left.remove(pick)
        have_added += float(added[pick])
        have_garment += float(garment[pick])
    return order + left


def same_photo(aligned: dict[int, float]) -> int | None:
    """The candidate that is clearly the same photo, if one is."""
    if not aligned:
        return None
    ranked = sorted(aligned.items(), key=lambda kv: -kv[1])
    best, runner_up = ranked[0], (ranked[1][1] if len(ranked) > 1 else -1.0)
    return best[0] if best[1] >= SAME_PHOTO_MIN and best[1] - runner_up >= SAME_PHOTO_MARGIN else None
