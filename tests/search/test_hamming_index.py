"""HammingIndex against a brute-force reference: exact distances, stable tie order."""

import numpy as np
import pytest

from app.search import _kernels
from app.search import index as index_mod
from app.search.index import HammingIndex


@pytest.fixture(autouse=True, params=["compiled", "numpy"])
def scan_path(monkeypatch, request):
    """Every test on the compiled scan and on the NumPy passes (the fallback where Numba has no
    wheel); the multi-index is left out here (tests/search/test_multi_index.py)."""
    if request.param == "compiled" and not index_mod._compiled.AVAILABLE:
        pytest.skip("Numba is not installed here: only the NumPy path runs")
    monkeypatch.setattr(index_mod, "COMPILED_SCAN", request.param == "compiled")
    monkeypatch.setattr(index_mod, "MIH_BY_DEFAULT", False)


def brute(codes, ids, queries, k, rows=None):
    """Reference top-k: popcount of xor over unpacked bits, ties by row order."""
    rows = np.arange(len(codes)) if rows is None else np.asarray(rows)
    bits_db = np.unpackbits(codes[rows], axis=1)
    out = []
    for q in np.unpackbits(np.atleast_2d(queries), axis=1):
        d = (bits_db != q).sum(axis=1)
        order = np.lexsort((rows, d))[:k]
        out.append((d[order], ids[rows[order]]))
    return out


def random_codes(rng, n, bits):
    return rng.integers(0, 256, (n, bits // 8), dtype=np.uint8)


@pytest.mark.parametrize("bits", [16, 24, 32, 64, 128, 256])
def test_topk_equals_brute_force(bits):
    rng = np.random.default_rng(bits)
    codes, queries = random_codes(rng, 700, bits), random_codes(rng, 6, bits)
    ids = rng.permutation(10_000)[:700]
    idx = HammingIndex.from_codes(codes, ids=ids)
    dist, got = idx.search(queries, 25)
    assert dist.dtype == np.int32 and got.dtype == np.int64
    for (d_ref, i_ref), d, i in zip(brute(codes, ids, queries, 25), dist, got):
        assert d.tolist() == d_ref.tolist()
        assert i.tolist() == i_ref.tolist()  # ties in insertion order: exact match


@pytest.mark.parametrize("overshoot, tighten", [(0.01, 8), (50, 1), (2, 8)])
def test_streaming_selection_paths_stay_exact(monkeypatch, overshoot, tighten):
    # Many equal codes, 64-row chunks, and bounds that start too low (exact fallback) or
    # far too high (the running bound is lowered chunk by chunk): results stay exact.
    monkeypatch.setattr(_kernels, "_SAMPLE_ROWS", 7)
    monkeypatch.setattr(_kernels, "_OVERSHOOT", overshoot)
    monkeypatch.setattr(_kernels, "_TIGHTEN", tighten)
    monkeypatch.setattr(index_mod, "_CHUNK_ROWS", 64)
    rng = np.random.default_rng(1)
    codes = np.repeat(random_codes(rng, 40, 32), 10, axis=0)
    ids = np.arange(400)
    idx = HammingIndex.from_codes(codes)
    mask = np.arange(400) % 3 == 0
    for k in (1, 37, 399):
        dist, got = idx.search(codes[:3], k)
        for (d_ref, i_ref), d, i in zip(brute(codes, ids, codes[:3], k), dist, got):
            assert d.tolist() == d_ref.tolist() and i.tolist() == i_ref.tolist()
        # One query with a boolean mask: rows dropped during the streaming selection.
        dist, got = idx.search(codes[5:6], k, allowed=mask)
        (d_ref, i_ref), = brute(codes, ids, codes[5:6], k, rows=np.flatnonzero(mask))
        n_ok = len(d_ref)
        assert dist[0, :n_ok].tolist() == d_ref.tolist()
        assert got[0, :n_ok].tolist() == i_ref.tolist()
        assert (got[0, n_ok:] == -1).all()


def test_k_larger_than_n_pads_with_minus_one():
    codes = np.array([[0b1010_0000], [0b0000_0000]], dtype=np.uint8)
    dist, ids = HammingIndex.from_codes(codes).search(np.array([[0]], np.uint8), 4)
    assert dist.tolist() == [[0, 2, -1, -1]] and ids.tolist() == [[1, 0, -1, -1]]


def test_empty_index():
    idx = HammingIndex(64)
    assert len(idx) == 0
    dist, ids = idx.search(np.zeros((2, 8), np.uint8), 3)
    assert (dist == -1).all() and (ids == -1).all()
    d, i = idx.radius_search(np.zeros(8, np.uint8), 5)
    assert len(d) == 0 and len(i) == 0


def test_wrong_shapes_are_rejected():
    with pytest.raises(ValueError):
        HammingIndex(12)
    idx = HammingIndex.from_codes(np.zeros((3, 8), np.uint8))
    with pytest.raises(ValueError):
        idx.search(np.zeros((1, 4), np.uint8), 2)
    with pytest.raises(ValueError):
        idx.add(np.zeros((1, 8), np.uint8), ids=[0])  # id 0 already present


def test_add_and_remove_match_a_fresh_index():
    rng = np.random.default_rng(7)
    codes, queries = random_codes(rng, 300, 64), random_codes(rng, 4, 64)
    idx = HammingIndex.from_codes(codes[:100])
    assert idx.add(codes[100:250]).tolist() == list(range(100, 250))
    idx.add(codes[250:])
    gone = rng.choice(300, 120, replace=False)
    assert idx.remove(np.concatenate([gone, [10_000]])) == 120  # unknown id ignored
    assert idx.remove([]) == 0
    keep = np.setdiff1d(np.arange(300), gone)
    fresh = HammingIndex.from_codes(codes[keep], ids=keep)
    for a, b in zip(idx.search(queries, 30), fresh.search(queries, 30)):
        assert (a == b).all()
    assert len(idx) == 180 and idx.ids.tolist() == keep.tolist()
    # New ids continue after the largest ever given.
    assert idx.add(codes[:1]).tolist() == [300]


@pytest.mark.parametrize("with_scores", [False, True])
def test_replaced_equals_a_fresh_index_and_leaves_the_old_one_alone(with_scores):
    """A library's changed codes: some new items, some re-encoded, some gone."""
    rng = np.random.default_rng(8)
    ids = np.arange(0, 600, 2)  # the library's item ids: gaps, ascending
    codes, queries = random_codes(rng, len(ids), 64), random_codes(rng, 5, 64)
    scores = rng.standard_normal((len(ids), 64)).astype(np.float32) if with_scores else None
    old = HammingIndex.from_codes(codes, ids=ids, scores=scores)
    before = [r.copy() for r in old.search(queries, 40)]
    changed = np.array([7, 601, 603, 10, 300])                 # new (odd, past the end) and re-encoded
    new_codes = random_codes(rng, len(changed), 64)
    new_scores = rng.standard_normal((len(changed), 64)).astype(np.float32) if with_scores else None
    gone = [0, 598, 12_345]                                     # deleted (an unknown id is ignored)
    updated = old.replaced(changed, new_codes, new_scores, gone=gone)
    table = {int(i): (codes[n], None if scores is None else scores[n]) for n, i in enumerate(ids)}
    for n, i in enumerate(changed):
        table[int(i)] = (new_codes[n], None if new_scores is None else new_scores[n])
    for i in gone:
        table.pop(i, None)
    order = sorted(table)
    fresh = HammingIndex.from_codes(np.array([table[i][0] for i in order]), ids=order,
                                    scores=np.array([table[i][1] for i in order]) if with_scores else None)
    assert updated.ids.tolist() == order
    for a, b in zip(updated.search(queries, 40), fresh.search(queries, 40)):
        assert (a == b).all()
    for a, b in zip(old.search(queries, 40), before):  # the old index answers as before
        assert (a == b).all()
    with pytest.raises(ValueError):
        old.replaced([4, 4], random_codes(rng, 2, 64), rng.standard_normal((2, 64)) if with_scores else None)


@pytest.mark.parametrize("masked", [False, True])
def test_thousands_tied_across_blocks_go_by_row_order(masked):
    # 5,000 rows around eight codes (0-2 bits flipped), in random order: every block of the
    # compiled scan holds rows at the bound, which it skips once k are within it (no tie-break
    # scores), while nearer rows still come later: the first rows in row order must be kept.
    rng = np.random.default_rng(7)
    centres = random_codes(rng, 8, 64)
    codes = centres[rng.integers(0, 8, 5000)]
    for _ in range(2):  # up to two bits flipped
        some = rng.random(5000) < 0.4
        bit = rng.integers(0, 64, some.sum())
        codes[np.flatnonzero(some), bit // 8] ^= (1 << (bit % 8)).astype(np.uint8)
    ids = np.arange(5000) * 3
    idx = HammingIndex.from_codes(codes, ids=ids)
    queries = np.concatenate([centres[:3], random_codes(rng, 2, 64)])
    allowed = rng.random(5000) < 0.6 if masked else None
    dist, got = idx.search(queries, 40, allowed=allowed)
    rows = np.flatnonzero(allowed) if masked else None
    for (d_ref, i_ref), d, i in zip(brute(codes, ids, queries, 40, rows), dist, got):
        assert d.tolist() == d_ref.tolist()
        assert i.tolist() == i_ref.tolist()


def test_radius_search_equals_brute_force():
    rng = np.random.default_rng(3)
    codes, q = random_codes(rng, 500, 32), random_codes(rng, 1, 32)[0]
    dist, ids = HammingIndex.from_codes(codes).radius_search(q, 13)
    d_ref = (np.unpackbits(codes, axis=1) != np.unpackbits(q)).sum(axis=1)
    want = np.lexsort((np.arange(500), d_ref))
    want = want[d_ref[want] <= 13]
    assert ids.tolist() == want.tolist() and dist.tolist() == d_ref[want].tolist()


def test_scalar_scores_break_ties_higher_first():
    # Four identical codes (all at distance 0) with scores 0.1, 0.9, 0.5, 0.9:
    # order by score desc, equal scores by insertion order -> ids [1, 3, 2, 0].
    codes = np.zeros((4, 2), np.uint8)
    idx = HammingIndex.from_codes(codes, scores=np.array([0.1, 0.9, 0.5, 0.9]))
    _, ids = idx.search(np.zeros((1, 2), np.uint8), 4)
    assert ids.tolist() == [[1, 3, 2, 0]]
    idx.add(np.zeros((1, 2), np.uint8), scores=[1.0])
    assert idx.search(np.zeros((1, 2), np.uint8), 1)[1].tolist() == [[4]]
    with pytest.raises(ValueError):
        idx.add(np.zeros((1, 2), np.uint8))  # scores required once the index keeps them


def test_vector_scores_use_query_scores_or_the_query_code():
    # 8-bit codes, all identical -> distance ties; scores are pre-sign outputs (n, 8).
    codes = np.zeros((3, 1), np.uint8)
    scores = np.zeros((3, 8), np.float32)
    scores[0, 0], scores[1, 0], scores[2, 1] = 1.0, -1.0, 2.0
    idx = HammingIndex.from_codes(codes, scores=scores)
    q = np.zeros((1, 1), np.uint8)  # all bits 0 -> +/-1 vector of -1s
    # Default: <-1s, s> = [-1, 1, -2] -> order [1, 0, 2].
    assert idx.search(q, 3)[1].tolist() == [[1, 0, 2]]
    qs = np.zeros((1, 8), np.float32)
    qs[0, 1] = 1.0  # <qs, s> = [0, 0, 2] -> [2, 0, 1]
    assert idx.search(q, 3, query_scores=qs)[1].tolist() == [[2, 0, 1]]
    assert idx.radius_search(q[0], 0, query_scores=qs[0])[1].tolist() == [2, 0, 1]


@pytest.mark.parametrize("n_queries", [1, 9])  # block path and gather path
@pytest.mark.parametrize("bits", [64, 256])
def test_boolean_mask_filter(n_queries, bits):
    rng = np.random.default_rng(n_queries + bits)
    codes, queries = random_codes(rng, 800, bits), random_codes(rng, n_queries, bits)
    mask = rng.random(800) < 0.1
    idx = HammingIndex.from_codes(codes)
    dist, got = idx.search(queries, 20, allowed=mask)
    ref = brute(codes, np.arange(800), queries, 20, rows=np.flatnonzero(mask))
    for (d_ref, i_ref), d, i in zip(ref, dist, got):
        assert d.tolist() == d_ref.tolist() and i.tolist() == i_ref.tolist()


def test_id_set_and_row_filter():
    rng = np.random.default_rng(11)
    codes, queries = random_codes(rng, 400, 32), random_codes(rng, 2, 32)
    ids = np.arange(1000, 1400)
    idx = HammingIndex.from_codes(codes, ids=ids)
    allowed = {1003, 1010, 1399, 5}  # 5 is not in the index: ignored
    dist, got = idx.search(queries, 5, allowed=allowed)
    assert set(got[got >= 0].ravel()) <= allowed and (got[:, 3:] == -1).all()
    flt = idx.row_filter(allowed)
    assert len(flt) == 3 and flt.fraction == pytest.approx(3 / 400)
    assert (idx.search(queries, 5, allowed=flt)[1] == got).all()
    idx.remove([1010])
    with pytest.raises(ValueError):
        idx.search(queries, 5, allowed=flt)  # stale after the index changed
    with pytest.raises(ValueError):
        idx.search(queries[:1], 5, allowed=np.ones(3, bool))  # wrong mask length


def test_agrees_with_faiss():
    faiss = pytest.importorskip("faiss")
    rng = np.random.default_rng(5)
    codes, queries = random_codes(rng, 5000, 64), random_codes(rng, 10, 64)
    ref = faiss.IndexBinaryFlat(64)
    ref.add(codes)
    d_ref, _ = ref.search(queries, 50)
    dist, _ = HammingIndex.from_codes(codes).search(queries, 50)
    assert (dist == d_ref).all()


def test_threaded_batch_equals_serial():
    rng = np.random.default_rng(13)
    codes, queries = random_codes(rng, 2000, 64), random_codes(rng, 17, 64)
    scores = rng.standard_normal((2000, 64)).astype(np.float32)
    idx = HammingIndex.from_codes(codes, scores=scores)
    serial = idx.search(queries, 40, threads=1)
    threaded = idx.search(queries, 40, threads=3)
    assert all((a == b).all() for a, b in zip(serial, threaded))


def test_score_tie_break_equals_brute_force():
    # 16-bit codes from a small pool -> many exact distance ties for the scores to break.
    rng = np.random.default_rng(17)
    codes = random_codes(rng, 20, 16)[rng.integers(0, 20, 600)]
    scores = rng.standard_normal((600, 16)).astype(np.float32)
    queries, q_scores = random_codes(rng, 5, 16), rng.standard_normal((5, 16)).astype(np.float32)
    dist, got = HammingIndex.from_codes(codes, scores=scores).search(queries, 50,
                                                                     query_scores=q_scores)
    bits_db = np.unpackbits(codes, axis=1)
    for q, qs, d, i in zip(np.unpackbits(queries, axis=1), q_scores, dist, got):
        d_ref = (bits_db != q).sum(axis=1)
        order = np.lexsort((np.arange(600), -(scores @ qs), d_ref))[:50]
        assert d.tolist() == d_ref[order].tolist() and i.tolist() == order.tolist()


def test_mask_excluding_whole_first_chunks(monkeypatch):
    # No passing row in the first chunks: the bound estimate has nothing to go on.
    monkeypatch.setattr(index_mod, "_CHUNK_ROWS", 64)
    rng = np.random.default_rng(19)
    codes, queries = random_codes(rng, 500, 64), random_codes(rng, 1, 64)
    mask = np.arange(500) >= 300
    idx = HammingIndex.from_codes(codes)
    for k in (5, 150, 300):
        dist, got = idx.search(queries, k, allowed=mask)
        (d_ref, i_ref), = brute(codes, np.arange(500), queries, k, rows=np.flatnonzero(mask))
        assert dist[0, :len(d_ref)].tolist() == d_ref.tolist()
        assert got[0, :len(i_ref)].tolist() == i_ref.tolist()
        assert (got[0, len(i_ref):] == -1).all()


def test_repeated_mask_is_reused_by_content_and_never_stale():
    rng = np.random.default_rng(23)
    codes, q = random_codes(rng, 600, 32), random_codes(rng, 1, 32)
    idx = HammingIndex.from_codes(codes)
    mask = rng.random(600) < 0.2

    def expect(m, n=600):
        (d_ref, i_ref), = brute(codes[:n], np.arange(n), q, 10, rows=np.flatnonzero(m))
        return i_ref.tolist()

    for _ in range(3):  # first sighting, RowFilter built on the second, reused on the third
        assert idx.search(q, 10, allowed=mask)[1][0].tolist() == expect(mask)
    mask[np.flatnonzero(mask)[:5]] = False  # edited in place: must not reuse the old filter
    assert idx.search(q, 10, allowed=mask)[1][0].tolist() == expect(mask)
    assert idx.search(q, 10, allowed=mask.copy())[1][0].tolist() == expect(mask)
    idx.remove([599])  # index changed: the cached filter must not be used
    assert idx.search(q, 10, allowed=mask[:599])[1][0].tolist() == expect(mask[:599], 599)


@pytest.mark.parametrize("k", [1, 3, 10, 25, 60])
def test_equal_scores_at_the_cut_keep_row_order(k):
    """Rows tied in distance and in score: the places left at the k-th distance go to the
    best scores, and among equal scores (duplicates) to the earliest rows. A row's score is
    its own dot product, equal for equal rows (a matrix product's rounding was not)."""
    rng = np.random.default_rng(k)
    pool = random_codes(rng, 4, 16)
    pick = rng.integers(0, 4, 300)
    codes = pool[pick]
    scores = rng.standard_normal((3, 16)).astype(np.float32)[rng.integers(0, 3, 300)]  # three score rows
    q, qs = pool[:1], rng.standard_normal((1, 16)).astype(np.float32)
    dist, got = HammingIndex.from_codes(codes, scores=scores).search(q, k, query_scores=qs)
    d_ref = (np.unpackbits(codes, axis=1) != np.unpackbits(q)).sum(axis=1)
    order = np.lexsort((np.arange(300), -np.einsum("ij,j->i", scores, qs[0]), d_ref))[:k]
    assert dist[0].tolist() == d_ref[order].tolist() and got[0].tolist() == order.tolist()


def test_score_vectors_of_another_width_than_the_code_need_the_queries_scores():
    """Without query scores the tie-break dots a row's scores with the query's own +/-1 bits:
    scores of another width are refused with a message saying what to pass, for one query, a
    batch and a radius search; with the queries' scores the same search runs."""
    rng = np.random.default_rng(23)
    codes = random_codes(rng, 500, 64)
    idx = HammingIndex.from_codes(codes, scores=rng.normal(size=(500, 10)).astype(np.float32))
    for queries in (codes[:1], codes[:12]):
        with pytest.raises(ValueError, match="pass query_scores"):
            idx.search(queries, 5)
    with pytest.raises(ValueError, match="pass query_scores"):
        idx.radius_search(codes[0], 3)
    dist, ids = idx.search(codes[:12], 5, query_scores=rng.normal(size=(12, 10)).astype(np.float32))
    assert (dist[:, 0] == 0).all() and (ids[:, 0] == np.arange(12)).all()
