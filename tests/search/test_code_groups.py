"""Search through the distinct codes (``app.search.groups``) inside HammingIndex: the same
answers as a brute-force scan, with ties (in row order, or by tie-break scores), radius
search, rows added after the groups were made and rows removed; not used where the codes do
not repeat, nor with a filter."""

import numpy as np
import pytest

from app.search import _compiled, groups
from app.search import index as index_mod
from app.search.index import HammingIndex
from tests.search.test_hamming_index import brute, random_codes
from tests.search.test_multi_index import check


@pytest.fixture(autouse=True)
def small_threshold(monkeypatch):
    if not _compiled.AVAILABLE:
        pytest.skip("the distinct-code search runs compiled only: Numba is not installed here")
    monkeypatch.setattr(index_mod, "_MIH_MIN_ROWS", 256)
    monkeypatch.setattr(index_mod, "GROUPS_BY_DEFAULT", True)
    monkeypatch.setattr(index_mod, "GROUPS_FIRST_SHARE", 1.0)  # the distinct codes first (one test below varies it)


def repeating_codes(rng, n, bits, centres=40):
    """Codes of a few kinds: most rows carry their kind's code exactly, some one bit off."""
    base = random_codes(rng, centres, bits)
    codes = base[rng.integers(0, centres, n)].copy()
    off = np.flatnonzero(rng.random(n) < 0.2)
    bit = rng.integers(0, bits, len(off))
    codes[off, bit // 8] ^= (128 >> (bit % 8)).astype(np.uint8)
    return codes


@pytest.mark.parametrize("bits", [32, 64, 128])
def test_repeating_codes_are_answered_through_their_distinct_codes_exactly(bits):
    rng = np.random.default_rng(bits)
    codes = repeating_codes(rng, 3000, bits)
    ids = rng.permutation(100_000)[:3000]
    idx = HammingIndex.from_codes(codes, ids=ids)
    queries = np.concatenate([codes[:3], repeating_codes(rng, 3, bits), random_codes(rng, 2, bits)])
    for k in (1, 10, 100, 2999, 5000):
        check(idx, codes, ids, queries, k)
    assert idx.mih_stats.get("groups", 0) == 5 * len(queries)
    assert idx._groups is not None and len(idx._groups[1]) < 0.25 * len(codes)


def test_few_distinct_codes_are_measured_first_and_more_only_where_the_multi_index_gives_up(monkeypatch):
    """Up to GROUPS_FIRST_SHARE of the rows the distinct codes answer every query; beyond it the
    multi-index goes first (at 10M codes it answered in a quarter of the time) and the distinct
    codes answer where it gives up. Both exactly."""
    rng = np.random.default_rng(11)
    codes = repeating_codes(rng, 3000, 64)
    queries = np.concatenate([codes[:4], repeating_codes(rng, 2, 64), random_codes(rng, 3, 64)])
    share = len(groups.distinct(HammingIndex.from_codes(codes)._words)[0][0]) / len(codes)
    assert 0.05 < share < 0.25
    for first, expect_mih in ((share * 1.01, False), (share * 0.99, True)):
        monkeypatch.setattr(index_mod, "GROUPS_FIRST_SHARE", first)
        idx = HammingIndex.from_codes(codes)
        for k in (1, 50, 400):
            check(idx, codes, np.arange(len(codes)), queries, k)
        stats = idx.mih_stats
        if expect_mih:
            assert stats["used"] > 0 and stats.get("groups", 0) == stats["gave_up"] > 0
            assert stats["used"] + stats["gave_up"] == 3 * len(queries)
        else:
            assert stats.get("groups", 0) == 3 * len(queries) and stats["used"] == stats["gave_up"] == 0


def test_ties_go_by_the_tie_break_scores_over_every_tied_row():
    rng = np.random.default_rng(5)
    codes = repeating_codes(rng, 2000, 64, centres=8)
    scores = rng.standard_normal((2000, 64)).astype(np.float32)
    grouped = HammingIndex.from_codes(codes, scores=scores)
    scanned = HammingIndex.from_codes(codes, scores=scores)
    scanned.use_groups = scanned.use_mih = False
    queries = codes[:5]
    query_scores = rng.standard_normal((5, 64)).astype(np.float32)
    for k in (1, 7, 300):
        a = grouped.search(queries, k, query_scores=query_scores)
        b = scanned.search(queries, k, query_scores=query_scores)
        assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])
    assert grouped.mih_stats.get("groups", 0) == 15 and scanned.mih_stats.get("groups", 0) == 0


def test_radius_search_takes_every_row_within_the_radius():
    rng = np.random.default_rng(6)
    codes = repeating_codes(rng, 2500, 64)
    idx = HammingIndex.from_codes(codes)
    scan = HammingIndex.from_codes(codes)
    scan.use_groups = scan.use_mih = False
    for q in (codes[0], codes[17], random_codes(rng, 1, 64)[0]):
        for r in (0, 1, 5, 30):
            a, b = idx.radius_search(q, r), scan.radius_search(q, r)
            assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])
    assert idx.mih_stats.get("groups", 0) == 12


def test_rows_added_later_are_scanned_and_removed_rows_are_gone():
    rng = np.random.default_rng(7)
    codes = repeating_codes(rng, 2000, 64)
    idx = HammingIndex.from_codes(codes)
    idx.search(codes[:1], 5)  # the groups are made of these 2000 rows
    more = repeating_codes(rng, 150, 64)  # under a tenth: scanned beside the groups
    idx.add(more)
    both = np.concatenate([codes, more])
    check(idx, both, np.arange(len(both)), np.concatenate([more[:3], codes[:2]]), 40)
    assert idx._groups[0] == 2000
    scan = HammingIndex.from_codes(both)
    scan.use_groups = scan.use_mih = False
    for r in (0, 2):  # a row added later, found at its own code
        a, b = idx.radius_search(more[0], r), scan.radius_search(more[0], r)
        assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1]) and 2000 in a[1]
    idx.remove(np.arange(0, 2150, 3))
    kept = np.setdiff1d(np.arange(2150), np.arange(0, 2150, 3))
    check(idx, both[kept], kept, both[:4], 60)
    idx.add(repeating_codes(rng, 900, 64))  # past a tenth: the groups are made again
    idx.search(codes[:1], 5)
    assert idx._groups[0] == len(idx)


def test_codes_that_do_not_repeat_and_filtered_searches_go_the_usual_way():
    rng = np.random.default_rng(8)
    spread = HammingIndex.from_codes(random_codes(rng, 2000, 64))
    spread.search(random_codes(rng, 1, 64), 10)
    assert spread._groups == (2000, None) and spread.mih_stats.get("groups", 0) == 0
    codes = repeating_codes(rng, 2000, 64)
    idx = HammingIndex.from_codes(codes)
    mask = rng.random(2000) < 0.5
    dist, got = idx.search(codes[:2], 20, allowed=mask)
    rows = np.flatnonzero(mask)
    for (d_ref, i_ref), d, i in zip(brute(codes, np.arange(2000), codes[:2], 20, rows), dist, got):
        assert d.tolist() == d_ref.tolist() and i.tolist() == i_ref.tolist()
    assert idx.mih_stats.get("groups", 0) == 0


def test_distinct_codes_of_several_words():
    rng = np.random.default_rng(9)
    codes = repeating_codes(rng, 500, 128, centres=5)
    words = np.ascontiguousarray(np.frombuffer(codes.tobytes(), np.uint64).reshape(500, 2).T)
    distinct, inverse = groups.distinct(words)
    assert np.array_equal(distinct[:, inverse], words)
    assert distinct.shape[1] == len(np.unique(codes, axis=0))
