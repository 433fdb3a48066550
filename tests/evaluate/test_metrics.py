"""Retrieval metrics against small hand-computed cases and a slow reference."""

import math

import numpy as np
import pytest

from app.evaluate.metrics import (
    mean_average_precision,
    ndcg_at_k,
    precision_at_k,
    recall_at_k,
)

# One query q = ++++ and five database items at Hamming distances 0, 1, 2, 3, 4.
Q = np.array([[1, 1, 1, 1]])
DB = np.array([
    [1, 1, 1, 1],      # d=0, class 0 -> relevant
    [-1, 1, 1, 1],     # d=1, class 1
    [-1, -1, 1, 1],    # d=2, class 0 -> relevant
    [-1, -1, -1, 1],   # d=3, class 2
    [-1, -1, -1, -1],  # d=4, class 0 -> relevant
])
QL, DBL = np.array([0]), np.array([0, 1, 0, 2, 0])


def test_map_all_hand_computed():
    # Ranking rel = [1, 0, 1, 0, 1]; P(1)=1, P(3)=2/3, P(5)=3/5; R=3.
    # AP = (1 + 2/3 + 3/5) / 3 = 34/45.
    r = mean_average_precision(Q, DB, QL, DBL)
    assert r.map == pytest.approx(34 / 45)
    assert (r.n_queries, r.n_skipped) == (1, 0)
    assert "MAP@all" in r.definition


def test_map_at_k_hand_computed():
    # AP@2 = (1/min(3, 2)) * (P(1)*1 + P(2)*0) = 1/2.
    assert mean_average_precision(Q, DB, QL, DBL, k=2).map == pytest.approx(0.5)
    # AP@3 = (1/3) * (1 + 2/3) = 5/9.
    assert mean_average_precision(Q, DB, QL, DBL, k=3).map == pytest.approx(5 / 9)


def test_k_larger_than_database_equals_map_all():
    # min(R, K) = R = 3 and the sum runs over all 5 items: same as MAP@all.
    assert mean_average_precision(Q, DB, QL, DBL, k=50).map == pytest.approx(34 / 45)
    # P@50 divides by min(K, n_db) = 5: 3 relevant of 5.
    assert precision_at_k(Q, DB, QL, DBL, k=50).value == pytest.approx(3 / 5)


def test_zero_one_and_packed_codes_match_pm1():
    zero_one = (DB > 0).astype(np.uint8)
    packed_q = np.packbits((Q > 0).astype(np.uint8), axis=1)
    packed_db = np.packbits(zero_one, axis=1)
    a = mean_average_precision((Q > 0).astype(int), zero_one, QL, DBL).map
    b = mean_average_precision(packed_q, packed_db, QL, DBL, packed=True).map
    assert a == pytest.approx(34 / 45) and b == pytest.approx(34 / 45)


# Ties: three items all at distance 1 from q; only the last (in database order) is relevant.
TQ = np.array([[1, 1]])
TDB = np.array([[-1, 1], [1, -1], [-1, 1]])
TQL, TDBL = np.array([5]), np.array([1, 2, 5])


def test_ties_by_index_put_relevant_last():
    # Stable order [0, 1, 2]: rel = [0, 0, 1]; AP = P(3) = 1/3.
    assert mean_average_precision(TQ, TDB, TQL, TDBL).map == pytest.approx(1 / 3)


def test_ties_by_score_put_highest_score_first():
    # Scores <q, db>: item 2 -> 0.9, item 0 -> 0.5, item 1 -> 0.1: rank [2, 0, 1]; AP = 1.
    qs = np.array([[1.0, 0.0]])
    dbs = np.array([[0.5, 0.0], [0.1, 0.0], [0.9, 0.0]])
    r = mean_average_precision(TQ, TDB, TQL, TDBL, query_scores=qs, db_scores=dbs,
                               tie_break="score")
    assert r.map == pytest.approx(1.0)
    assert "continuous score" in r.definition


def test_equal_scores_fall_back_to_index():
    qs, dbs = np.ones((1, 2)), np.ones((3, 2))
    r = mean_average_precision(TQ, TDB, TQL, TDBL, query_scores=qs, db_scores=dbs,
                               tie_break="score")
    assert r.map == pytest.approx(1 / 3)


def test_score_tie_break_needs_scores_and_valid_name():
    with pytest.raises(ValueError):
        mean_average_precision(TQ, TDB, TQL, TDBL, tie_break="score")
    with pytest.raises(ValueError):
        mean_average_precision(TQ, TDB, TQL, TDBL, tie_break="random")


def test_queries_without_relevant_items_are_skipped_and_counted():
    # Second query has class 9, absent from the database: skipped; MAP is the first's AP.
    q = np.vstack([Q, Q])
    r = mean_average_precision(q, DB, np.array([0, 9]), DBL)
    assert r.map == pytest.approx(34 / 45)
    assert (r.n_queries, r.n_skipped) == (1, 1)
    rec = recall_at_k(q, DB, np.array([0, 9]), DBL, k=3)
    assert (rec.n_queries, rec.n_skipped) == (1, 1)
    # Precision keeps the failing query: (2/3 + 0) / 2.
    assert precision_at_k(q, DB, np.array([0, 9]), DBL, k=3).value == pytest.approx(1 / 3)


def test_all_skipped_gives_nan():
    r = mean_average_precision(Q, DB, np.array([9]), DBL)
    assert math.isnan(r.map) and r.n_skipped == 1


def test_precision_and_recall_hand_computed():
    # Top 3 = rel [1, 0, 1]: P@3 = 2/3, R@3 = 2/3 (R = 3).
    assert precision_at_k(Q, DB, QL, DBL, k=3).value == pytest.approx(2 / 3)
    assert recall_at_k(Q, DB, QL, DBL, k=3).value == pytest.approx(2 / 3)


def test_multi_hot_relevance_and_ndcg_hand_computed():
    # Query labels {0, 1}; ranked database gains (shared labels) = [1, 2, 0].
    q, db = np.array([[1, 1, 1]]), np.array([[1, 1, 1], [1, 1, -1], [1, -1, -1]])
    ql = np.array([[1, 1, 0]])
    dbl = np.array([[1, 0, 1], [1, 1, 0], [0, 0, 1]])
    # DCG@3 = (2^1-1)/log2(2) + (2^2-1)/log2(3) = 1 + 3/log2(3);
    # IDCG@3 = 3/log2(2) + 1/log2(3).
    expected = (1 + 3 / math.log2(3)) / (3 + 1 / math.log2(3))
    assert ndcg_at_k(q, db, ql, dbl, k=3).value == pytest.approx(expected)
    # Linear gain: (1 + 2/log2(3)) / (2 + 1/log2(3)).
    lin = (1 + 2 / math.log2(3)) / (2 + 1 / math.log2(3))
    assert ndcg_at_k(q, db, ql, dbl, k=3, gain="linear").value == pytest.approx(lin)
    # Binary relevance: rel = [1, 1, 0], R = 2: AP = (1 + 1) / 2 = 1.
    assert mean_average_precision(q, db, ql, dbl).map == pytest.approx(1.0)


def _slow_ap(q, db, ql, dbl, k, qs=None, dbs=None):
    """Plain-Python reference: one query, sorted by (distance, -score, index)."""
    items = []
    for j in range(len(db)):
        d = sum(1 for a, b in zip(q, db[j]) if (a > 0) != (b > 0))
        s = -float(np.dot(qs, dbs[j])) if qs is not None else 0.0
        rel = bool(np.any((ql > 0) & (dbl[j] > 0)))
        items.append((d, s, j, rel))
    items.sort()
    r_total = sum(it[3] for it in items)
    if r_total == 0:
        return None
    cut = items if k is None else items[:k]
    hits, total = 0, 0.0
    for pos, it in enumerate(cut, start=1):
        if it[3]:
            hits += 1
            total += hits / pos
    return total / (r_total if k is None else min(r_total, k))


@pytest.mark.parametrize("k", [None, 1, 7, 40, 500])
@pytest.mark.parametrize("tie_break", ["index", "score"])
def test_random_cross_check_against_slow_reference(k, tie_break):
    rng = np.random.default_rng(3)
    qc, dbc = rng.standard_normal((23, 8)), rng.standard_normal((90, 8))
    ql = (rng.random((23, 5)) < 0.2).astype(int)
    dbl = (rng.random((90, 5)) < 0.2).astype(int)
    # Small-integer scores: inner products are exact, and exact score ties also occur
    # (they must fall back to the index).
    qs, dbs = (np.round(qc), np.round(dbc)) if tie_break == "score" else (None, None)
    ref = [_slow_ap(qc[i], dbc, ql[i], dbl, k, None if qs is None else qs[i], dbs)
           for i in range(len(qc))]
    kept = [a for a in ref if a is not None]
    got = mean_average_precision(qc, dbc, ql, dbl, k=k, query_scores=qs, db_scores=dbs,
                                 tie_break=tie_break)
    assert got.map == pytest.approx(np.mean(kept))
    assert got.n_skipped == len(ref) - len(kept)


def test_chunking_does_not_change_results(monkeypatch):
    import app.evaluate._ranking as ranking
    rng = np.random.default_rng(1)
    qc, dbc = rng.choice([-1, 1], (50, 16)), rng.choice([-1, 1], (200, 16))
    ql, dbl = rng.integers(0, 4, 50), rng.integers(0, 4, 200)
    whole = mean_average_precision(qc, dbc, ql, dbl).map
    monkeypatch.setattr(ranking, "_BLOCK_BYTES", 8 * 200 * 3)  # 3 queries per block
    assert mean_average_precision(qc, dbc, ql, dbl).map == pytest.approx(whole)
