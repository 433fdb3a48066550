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

import numpy as np

FACET_WEIGHTS = {"category": 5.0, "motif": 2.0, "colour": 0.7}  # other facets 1 (category 3 → 5: see below)
W_PROFILE = 1.0
W_CODES = 0.5
SAME_PHOTO_FIRST = 100.0
# a copy's aligned 24-px correlation (app.media.signature, step 2), then its fine detail's (step 3);
# on the demo (bench/same_photo_claims.py, 2026-12-03) the check took the strangers called a copy from
# 30 of 120 to 0 and kept 90 of 100 copies flagged (own item first 98); at .85, 3 wrong and 94 flagged;
# copies of 3:4 clothing-cc0 photos: 93 % of 80 at or above .9 (bench/same_photo_detail.py). The
# best-aligned candidate goes first either way; the bar only decides whether it is called the same photo
SAME_PHOTO_MIN = 0.9
SAME_PHOTO_MARGIN = 0.003  # ahead of the next candidate by at least this much
SAME_PHOTO_VERIFIED = 0.9
SIGNATURE_CANDIDATES = 20
HAMMING_CANDIDATES = 200


@dataclass
class Scored:
    item_id: int
    score: float
    distance: int | None
    profile: float
    same_photo: bool = False  # its photo is the query's, confirmed in fine detail
    look_alike: bool = False  # first for the closest framing, but its detail is not the query's


def label_weights(scheme, label_ids: list[str]) -> np.ndarray:
    """Per label of the model, the weight of its facet in a profile comparison."""
    return np.array([FACET_WEIGHTS.get(scheme.labels[l].facet, 1.0) if l in scheme.labels else 1.0
                     for l in label_ids], np.float32)


def profile_similarity(query: np.ndarray, profiles: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Weighted cosine of the query profile with each candidate's, in [0, 1]."""
    q = query * np.sqrt(weights)
    p = profiles * np.sqrt(weights)
    norms = np.linalg.norm(p, axis=1) * max(float(np.linalg.norm(q)), 1e-9)
    return (p @ q) / np.maximum(norms, 1e-9)


def combine(item_ids: np.ndarray, profiles_sim: np.ndarray, distances: dict[int, int], bits: int,
            same_photo: int | None = None) -> np.ndarray:
    """float64 score of each candidate (``item_ids`` ascending): its profile similarity, its
    code's closeness where the Hamming index found it, the same photo first."""
    score = W_PROFILE * profiles_sim.astype(np.float64)
    if distances and bits:
        at = np.searchsorted(item_ids, np.array(list(distances), np.int64))
        d = np.array(list(distances.values()), np.float64)
        score[at] += W_CODES * (1.0 - d / bits)
    if same_photo is not None:
        score[item_ids == same_photo] += SAME_PHOTO_FIRST
    return score


def at_least_kth(values: np.ndarray, k: int) -> np.ndarray:
    """Positions of every value at least the ``k``-th largest (ties included), ascending."""
    if len(values) <= k:
        return np.arange(len(values))
    kth = np.partition(values, len(values) - k)[len(values) - k]
    return np.flatnonzero(values >= kth)


def best_first(score: np.ndarray, item_ids: np.ndarray, k: int) -> np.ndarray:
    """Positions of the best ``k`` by score, ties by item id: what a full sort's first ``k``
    would be, without sorting every candidate."""
    top = at_least_kth(score, k)
    return top[np.lexsort((item_ids[top], -score[top]))][:k]


def scored(item_ids: np.ndarray, profiles_sim: np.ndarray, score: np.ndarray, positions, distances: dict[int, int],
           same_photo: int | None = None, confirmed: bool = True) -> list[Scored]:
    """The candidates at ``positions``, in that order, as ``Scored``; ``same_photo`` (put first
    by ``combine``) is called the same photo when ``confirmed``, else a look-alike."""
    out = []
    for j in positions:
        item_id = int(item_ids[j])
        first = item_id == same_photo
        out.append(Scored(item_id, float(score[j]), distances.get(item_id), float(profiles_sim[j]),
                          first and confirmed, first and not confirmed))
    return out


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
    added, garment = np.asarray(added, np.float64), np.asarray(garment, np.float64)
    n = len(added)
    if n > 2 * k:  # each pick is the best left by one of the two weightings: the best k by either
        ranks = np.arange(n)
        either = np.union1d(np.lexsort((ranks, -(added * 1.0 + garment * 0.5)))[:k],
                            np.lexsort((ranks, -(added * 0.5 + garment * 1.0)))[:k])
        chosen = [int(either[j]) for j in balanced(added[either], garment[either], k)[:k]]
        taken = set(chosen)
        return chosen + [j for j in range(n) if j not in taken]
    left = list(range(n))
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
