"""An attribute edit's top results keep both what was added and the garment (similar.balanced)."""
from __future__ import annotations

import numpy as np

from app.services.similar import balanced


def _kinds(order, added, garment, k):
    return ["both" if added[j] and garment[j] else "added" if added[j] else "garment" if garment[j] else "none"
            for j in order[:k]]


def test_items_with_both_come_first_then_the_two_kinds_alternate():
    # candidates in likeness order: many garment-only ones first (they look most like the item)
    added = np.array([0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 0, 1], np.float32)
    garment = np.array([1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 1], np.float32)
    order = balanced(added, garment, 6)
    # on a tie the added label goes first: it is what the curator asked for
    assert _kinds(order, added, garment, 6) == ["both", "added", "garment", "added", "garment", "added"]
    assert order[:3] == [12, 6, 0]  # within a kind, the better-ranked candidate first
    assert sorted(order) == list(range(13))  # nothing lost beyond k


def test_predicted_evidence_counts_by_its_probability():
    added = np.array([0.0, 0.35, 0.9], np.float32)
    garment = np.array([1.0, 0.0, 0.0], np.float32)
    assert balanced(added, garment, 2)[:2] == [2, 0]  # the surer phoenix before the doubtful one
    assert balanced(np.zeros(0, np.float32), np.zeros(0, np.float32), 10) == []


def test_a_long_candidate_list_gives_the_same_top_as_the_plain_greedy_pass():
    # beyond 2k candidates only the best k by either weighting are looked at: the picks must
    # be those the greedy pass over every candidate makes, ties included
    rng = np.random.default_rng(3)
    for trial in range(20):
        n, k = int(rng.integers(30, 400)), int(rng.integers(1, 12))
        added = rng.choice([0.0, 0.35, 0.5, 1.0], n).astype(np.float32)
        garment = rng.choice([0.0, 0.5, 1.0], n).astype(np.float32)
        assert balanced(added, garment, k)[:k] == balanced(added, garment, n)[:k], trial
        assert sorted(balanced(added, garment, k)) == list(range(n))
