"""Multi-index hashing inside HammingIndex: the same answers as a brute-force scan on random
and on clustered codes, with masks, score ties, radius search, and adds and removes in any
order; it gives up (and the scan answers) where the codes are spread like random ones."""

import numpy as np
import pytest

from app.search import index as index_mod
from app.search import mih
from app.search.index import HammingIndex
from tests.search.test_hamming_index import brute, random_codes


@pytest.fixture(autouse=True, params=["compiled", "numpy"])
def small_threshold(monkeypatch, request):
    """The multi-index from 256 rows, so that small test sets go through it; their clusters hold
    a twelfth of the rows, each named by all tables, so the give-up share is raised to match.
    Each test runs on the compiled loops and on the NumPy path."""
    if request.param == "compiled" and not mih._compiled.AVAILABLE:
        pytest.skip("Numba is not installed here: only the NumPy path runs")
    monkeypatch.setattr(mih, "COMPILED", request.param == "compiled")
    monkeypatch.setattr(index_mod, "COMPILED_SCAN", request.param == "compiled")
    monkeypatch.setattr(index_mod, "_MIH_MIN_ROWS", 256)
    monkeypatch.setattr(mih, "GIVE_UP_SHARE", 0.6)
    monkeypatch.setattr(mih, "GIVE_UP_SHARE_COMPILED", 0.6)
    monkeypatch.setattr(index_mod, "MIH_BY_DEFAULT", True)
    monkeypatch.setattr(index_mod, "GROUPS_BY_DEFAULT", False)  # tests/search/test_code_groups.py


def clustered_codes(rng, n, bits, centres=12, flips=3):
    """Codes near a few centres (a few bits flipped each), as a trained model's are."""
    base = random_codes(rng, centres, bits)
    codes = base[rng.integers(0, centres, n)].copy()
    bits_view = np.unpackbits(codes, axis=1)
    for row in range(n):
        bits_view[row, rng.choice(bits, rng.integers(0, flips + 1), replace=False)] ^= 1
    return np.packbits(bits_view, axis=1)


def check(idx, codes, ids, queries, k, rows=None, allowed=None):
    dist, got = idx.search(queries, k, allowed=allowed)
    for (d_ref, i_ref), d, i in zip(brute(codes, ids, queries, k, rows), dist, got):
        n = len(d_ref)
        assert d[:n].tolist() == d_ref.tolist()
        assert i[:n].tolist() == i_ref.tolist()  # ties in row order, as the scan gives them
        assert (i[n:] == -1).all()


@pytest.mark.parametrize("bits", [32, 64, 128])
def test_clustered_codes_are_answered_by_the_multi_index_exactly(bits):
    rng = np.random.default_rng(bits)
    codes = clustered_codes(rng, 3000, bits)
    ids = rng.permutation(100_000)[:3000]
    idx = HammingIndex.from_codes(codes, ids=ids)
    queries = np.concatenate([codes[:4], clustered_codes(rng, 4, bits)])
    for k in (1, 10, 100, 2999):
        check(idx, codes, ids, queries[:1] if k == 2999 else queries, k)
    assert idx.mih_stats["used"] > 0


def test_random_codes_give_up_and_the_scan_answers_exactly(monkeypatch):
    monkeypatch.setattr(mih, "GIVE_UP_SHARE", 0.1)
    monkeypatch.setattr(mih, "GIVE_UP_SHARE_COMPILED", 0.1)
    rng = np.random.default_rng(5)
    codes = random_codes(rng, 4000, 64)
    ids = np.arange(4000)
    idx = HammingIndex.from_codes(codes)
    check(idx, codes, ids, random_codes(rng, 20, 64), 100)
    assert idx.mih_stats["gave_up"] >= 15  # no cluster around a random query: it scans at once


def test_a_mask_and_ties_broken_by_scores(monkeypatch):
    rng = np.random.default_rng(7)
    codes = clustered_codes(rng, 2000, 64, centres=60, flips=1)  # many equal distances
    scores = rng.normal(size=2000).astype(np.float32)
    idx = HammingIndex.from_codes(codes, scores=scores)
    ref = HammingIndex.from_codes(codes, scores=scores)
    ref.use_mih = False
    mask = rng.random(2000) < 0.7
    for q in codes[:5]:
        for allowed in (None, mask):
            assert [a.tolist() for a in idx.search(q[None], 20, allowed=allowed)] == \
                   [a.tolist() for a in ref.search(q[None], 20, allowed=allowed)]
    assert idx.mih_stats["used"] >= 5  # the others gave up (a cluster smaller than k) and scanned


@pytest.mark.parametrize("threads", [1, 2])
def test_a_batch_with_score_vectors_equals_the_scan_query_by_query(threads):
    """A batch goes through the multi-index's batch loop where it is compiled; queries it gives
    up on (random ones) fall to the other methods. Scores are vectors dotted with each query's
    own (the product's indexes): rows tied in distance and equal in score keep row order."""
    rng = np.random.default_rng(17)
    codes = clustered_codes(rng, 3000, 64, centres=40, flips=2)
    signs = np.unpackbits(codes, axis=1).astype(np.float32) * 2 - 1
    scores = np.round(signs + rng.normal(size=signs.shape).astype(np.float32), 1)
    scores[1::9] = scores[::9][:len(scores[1::9])]  # equal scores on many rows
    ids = rng.permutation(50_000)[:3000]
    idx = HammingIndex.from_codes(codes, ids=ids, scores=scores)
    ref = HammingIndex.from_codes(codes, ids=ids, scores=scores)
    ref.use_mih = False
    queries = np.concatenate([codes[::300], random_codes(rng, 6, 64), clustered_codes(rng, 8, 64)])
    q_scores = rng.normal(size=(len(queries), 64)).astype(np.float32)
    mask = rng.random(3000) < 0.6
    for allowed in (None, mask):
        for k in (1, 30, 250):
            got = idx.search(queries, k, allowed=allowed, query_scores=q_scores, threads=threads)
            for qi in range(len(queries)):
                want = ref.search(queries[qi:qi + 1], k, allowed=allowed, query_scores=q_scores[qi:qi + 1])
                assert got[0][qi].tolist() == want[0][0].tolist()
                assert got[1][qi].tolist() == want[1][0].tolist()
    used, gave_up = idx.mih_stats["used"], idx.mih_stats["gave_up"]
    assert used > 0 and gave_up > 0


def test_radius_search_through_the_multi_index():
    rng = np.random.default_rng(9)
    codes = clustered_codes(rng, 2500, 64)
    idx = HammingIndex.from_codes(codes)
    ref = HammingIndex.from_codes(codes)
    ref.use_mih = False
    for q in codes[:6]:
        for r in (0, 3, 7, 12):
            got, want = idx.radius_search(q, r), ref.radius_search(q, r)
            assert got[0].tolist() == want[0].tolist() and got[1].tolist() == want[1].tolist()
    assert idx.mih_stats["used"] > 0


def test_adds_and_removes_in_any_order_match_a_fresh_index():
    rng = np.random.default_rng(11)
    codes = clustered_codes(rng, 3000, 64)
    idx = HammingIndex.from_codes(codes[:2000])
    live = list(range(2000))
    steps = [("add", 2000, 2100), ("search",), ("remove", rng.choice(2100, 300, replace=False)),
             ("search",), ("add", 2100, 3000), ("search",), ("remove", np.arange(0, 3000, 7)), ("search",)]
    for step in steps:
        if step[0] == "add":
            idx.add(codes[step[1]:step[2]], ids=np.arange(step[1], step[2]))
            live += list(range(step[1], step[2]))
        elif step[0] == "remove":
            idx.remove(step[1])
            gone = set(int(i) for i in step[1])
            live = [i for i in live if i not in gone]
        else:
            rows = np.array(live)
            # the reference: a scan of the same rows in the same order
            fresh = HammingIndex.from_codes(codes[idx.ids], ids=idx.ids)
            fresh.use_mih = False
            for q in codes[rng.integers(0, 3000, 5)]:
                assert [a.tolist() for a in idx.search(q[None], 40)] == \
                       [a.tolist() for a in fresh.search(q[None], 40)]
            assert sorted(idx.ids.tolist()) == sorted(rows.tolist())
    assert idx.mih_stats["used"] > 0


def test_short_codes_are_not_cut():
    assert not mih.usable(16) and not mih.usable(24) and mih.usable(32) and mih.usable(128)
    with pytest.raises(ValueError, match="multiple of 16"):
        mih.MultiIndex(np.zeros((1, 10), np.uint64), 24)


def test_the_compiled_loop_runs_on_this_platform():
    """Where Numba ships wheels (Linux, macOS, Windows on x86-64 and arm64) the multi-index must
    not quietly fall back to its slower NumPy path."""
    import platform

    if platform.machine().lower() in ("x86_64", "amd64", "aarch64", "arm64"):
        assert mih._compiled.AVAILABLE


def test_prepare_builds_the_tables_before_the_first_search():
    rng = np.random.default_rng(13)
    codes = clustered_codes(rng, 2000, 64)
    idx = HammingIndex.from_codes(codes)
    assert idx._mih is None
    assert idx.prepare() and idx._mih is not None and idx._mih.n == 2000
    check(idx, codes, np.arange(2000), codes[:3], 25)
    short = HammingIndex.from_codes(random_codes(rng, 2000, 24))  # 24 bits: no 16-bit substrings
    assert not short.prepare() and short._mih is None


def test_the_warm_up_compiles_exactly_what_searches_then_call():
    """The window compiles the loops in a child process and then only loads them: that works
    only if the warm-up's argument types are those of real searches (a mismatch would compile a
    second version in the window's process, stalling it)."""
    import subprocess
    import sys

    if not mih._compiled.AVAILABLE:
        pytest.skip("Numba is not installed here")
    script = (
        "import numpy as np\n"
        "from app.search import _compiled as c, index as ix\n"
        "from app.search.index import HammingIndex\n"
        "c.warm_up()\n"
        "ix._MIH_MIN_ROWS = 256\n"
        "ix.mih.GIVE_UP_SHARE_COMPILED = 0.9  # six clusters of 500: named by every table\n"
        "rng = np.random.default_rng(1)\n"
        "base = rng.integers(0, 256, (6, 8), dtype=np.uint8)\n"
        "codes = base[rng.integers(0, 6, 3000)]\n"
        "idx = HammingIndex.from_codes(codes)\n"
        "mask = rng.random(3000) < 0.5\n"
        "for allowed in (None, mask):\n"
        "    idx.search(codes[:2], 10, allowed=allowed)\n"
        "    idx.radius_search(codes[0], 3, allowed=allowed)\n"
        "idx.use_mih = False\n"
        "idx.search(codes[:2], 10)\n"
        "assert idx.mih_stats['used'] > 0\n"
        "from app.search import signatures as sg\n"
        "sg.BOUND_FROM = 100\n"
        "sigs = rng.standard_normal((300, 4, 207)).astype(np.float16)\n"
        "photos = sg.SignatureIndex.from_slices([(np.arange(300, dtype=np.int64), sigs)], 4, 207)\n"
        "photos.best(sigs[5, 0].astype(np.float32), 20, photos.member_rows(np.arange(0, 300, 2)))\n"
        "photos.best(sigs[5, 0].astype(np.float32), 20)\n"
        "assert idx.mih_stats.get('groups', 0) > 0  # six codes: their distinct codes answer unfiltered searches\n"
        "loops = (c.mih_search, c.mih_top, c.scan_search, c.best_crop_bounds, c.crop_bounds_at,\n"
        "         c.best_crop_dots_at, c.coarse_rows, c.group_search)\n"
        "print(*(len(f.signatures) for f in loops))\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["1"] * 8


def test_the_loops_compile_in_a_child_process():
    from app.services.search import compile_search_loops_apart

    assert compile_search_loops_apart() is mih._compiled.AVAILABLE


def test_the_compiler_can_be_set_up_before_the_first_search():
    """The window sets up Numba's contexts before its event loop starts
    (``ready_search_loops``); a Numba whose internals moved would fall back silently, so this
    says so here instead."""
    from app.services.search import ready_search_loops

    assert ready_search_loops() is mih._compiled.AVAILABLE


def test_stopping_after_any_table_of_a_ring_misses_no_row():
    """A search may stop after any table of a ring (every row within m s + t - 1 is named by
    then): over many clustered sets, values of k and a mask, the answers are the scan's."""
    used = 0
    for seed in range(10):
        rng = np.random.default_rng(100 + seed)
        codes = clustered_codes(rng, 1500, 64, centres=int(rng.integers(3, 30)), flips=int(rng.integers(1, 9)))
        idx = HammingIndex.from_codes(codes)
        ref = HammingIndex.from_codes(codes)
        ref.use_mih = False
        queries = np.concatenate([codes[:3], clustered_codes(rng, 3, 64)])
        mask = rng.random(len(codes)) < 0.5
        for k in (1, 7, 60, 400):
            for allowed in (None, mask):
                assert [a.tolist() for a in idx.search(queries, k, allowed=allowed)] == \
                       [a.tolist() for a in ref.search(queries, k, allowed=allowed)]
        used += idx.mih_stats["used"]
    assert used > 50  # (the rest gave up: clusters smaller than k, or spread too wide)
