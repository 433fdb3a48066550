"""The in-memory pass over every stored photo signature (``app.search.signatures``): its
int8 scores order photos as the exact float16 cosine does, with members, compiled or not."""
from __future__ import annotations

import numpy as np
import pytest

from app.media.signature import similarities
from app.search import _compiled, parallel
from app.search.signatures import SignatureIndex

CROPS, DIM = 4, 207


def _stored(n: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    sigs = rng.standard_normal((n, CROPS, DIM)).astype(np.float32)
    sigs /= np.linalg.norm(sigs, axis=2, keepdims=True)
    return sigs.astype(np.float16)


def _index(sigs, ids=None, size=700):
    ids = np.arange(10, 10 + len(sigs), dtype=np.int64) if ids is None else ids
    return SignatureIndex.from_slices(((ids[s:s + size], sigs[s:s + size]) for s in range(0, len(sigs), size)),
                                      CROPS, DIM), ids


def _near(sigs, row, crop, noise, seed=1):
    rng = np.random.default_rng(seed)
    q = sigs[row, crop].astype(np.float32) + noise * rng.standard_normal(DIM).astype(np.float32)
    return q / np.linalg.norm(q)


def test_a_near_copy_comes_first_and_the_exact_best_are_among_the_first_pass():
    sigs = _stored(3000)
    index, ids = _index(sigs)
    assert len(index) == 3000
    for row, crop in ((123, 0), (2999, 3), (0, 2)):
        q = _near(sigs, row, crop, 0.02)
        first = index.best(q, 200)
        assert first[0] == ids[row]
        exact = ids[np.argsort(-similarities(q, sigs))[:20]]
        assert set(exact) <= set(first)


def test_members_limit_the_pass_and_an_empty_index_finds_nothing():
    sigs = _stored(500)
    index, ids = _index(sigs)
    q = _near(sigs, 7, 1, 0.02)
    members = np.sort(ids[ids != ids[7]])[::2].copy()
    rows = index.member_rows(members)
    assert rows.sum() == len(members)
    found = index.best(q, 50, rows)
    assert ids[7] not in found and set(found) <= set(members) and len(found) == 50
    assert index.best(q, 50, index.member_rows(np.zeros(0, np.int64))).tolist() == []
    empty, _ = _index(_stored(0))
    assert len(empty) == 0 and empty.best(q, 5).tolist() == []


def test_numpy_slices_score_as_the_compiled_loop_does(monkeypatch):
    if not _compiled.AVAILABLE:
        pytest.skip("Numba is not installed here")
    sigs = _stored(2000, seed=4)
    index, _ = _index(sigs)
    q = _near(sigs, 50, 2, 0.1)
    compiled = index.approximate(q)
    monkeypatch.setattr(parallel, "MIN_ROWS", 300)  # the rows split over three threads
    monkeypatch.setattr(parallel, "THREADS", 3)
    split = index.approximate(q)
    monkeypatch.setattr(_compiled, "AVAILABLE", False)
    plain = index.approximate(q)
    assert np.allclose(compiled, plain, rtol=1e-5, atol=1e-4)
    assert np.array_equal(compiled, split)
    assert np.argmax(plain) == 50
