"""The in-memory pass over every stored photo signature (``app.search.signatures``): its
int8 scores order photos as the exact float16 cosine does, with members, compiled or not."""
from __future__ import annotations

import numpy as np
import pytest

from app.media.signature import quantized, similarities
from app.search import _compiled, parallel, signatures
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


# -- bounds: from BOUND_FROM photos, ``best`` scores only the rows whose bound could reach its
# answer; the answer must be the full pass's, on spread, clustered and duplicated signatures

def _clustered(n: int, seed: int = 5):
    """Signatures near a few centres, some rows repeated exactly: many close scores and ties."""
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((12, CROPS, DIM)).astype(np.float32)
    sigs = centres[rng.integers(0, 12, n)] + 0.15 * rng.standard_normal((n, CROPS, DIM)).astype(np.float32)
    sigs[n // 2:n // 2 + 300] = sigs[7]  # 301 copies of one photo
    sigs /= np.linalg.norm(sigs, axis=2, keepdims=True)
    return sigs.astype(np.float16)


@pytest.fixture
def bounded(monkeypatch):
    if not _compiled.AVAILABLE:
        pytest.skip("the bounds run compiled only: Numba is not installed here")
    monkeypatch.setattr(signatures, "BOUND_FROM", 100)
    monkeypatch.setattr(signatures, "FIRST_SCORED", 64)  # so that the bound has rows to leave out


@pytest.mark.parametrize("make", [_stored, _clustered])
def test_the_bound_is_never_below_the_score(bounded, make):
    sigs = make(1500)
    index, _ = _index(sigs)
    assert index.bounds is not None
    for row, crop, noise in ((3, 0, 0.02), (750, 2, 0.3), (1400, 3, 1.0)):
        q = _near(sigs, row, crop, noise)
        q8 = quantized(q[None])[0][0]
        coarse, sigma, spread, crop_coarse, crop_sigma, crop_rest = index.bounds
        cq, half_l1, q_norm, q_rest = signatures._query_coarse(q8)
        loose, tight = np.empty(len(index), np.float32), np.empty(len(index), np.float32)
        _compiled.best_crop_bounds(coarse, sigma, spread, cq, half_l1, q_norm, q_rest, loose)
        _compiled.crop_bounds_at(crop_coarse, crop_sigma, crop_rest, cq, half_l1, q_rest,
                                 np.arange(len(index), dtype=np.int64), tight)
        scores = index.approximate(q)
        assert (loose >= scores).all() and (tight >= scores).all()


@pytest.mark.parametrize("make", [_stored, _clustered])
@pytest.mark.parametrize("n", [1, 20, 200])
@pytest.mark.parametrize("most", [0.0, 1.0], ids=["one pass after the first bound", "both bounds"])
def test_the_bounded_pass_finds_what_the_full_pass_finds(bounded, monkeypatch, make, n, most):
    monkeypatch.setattr(signatures, "MOST", most)
    sigs = make(1500)
    index, ids = _index(sigs)
    rows = index.member_rows(np.sort(ids[::3]).copy())
    for row, crop, noise in ((3, 0, 0.02), (760, 1, 0.3), (1400, 3, 1.0)):
        q = _near(sigs, row, crop, noise)
        full = index.approximate(q)
        for allowed in (None, rows):
            found = index.best(q, n, allowed)
            bounds, index.bounds = index.bounds, None
            expected = index.best(q, n, allowed)
            index.bounds = bounds
            # ties may be broken either way: the same scores, each found row allowed
            assert np.array_equal(full[np.searchsorted(ids, found)], full[np.searchsorted(ids, expected)])
            assert allowed is None or allowed[np.searchsorted(ids, found)].all()
            assert len(found) == min(n, len(ids) if allowed is None else int(allowed.sum()))


def test_fewer_rows_allowed_than_asked_for_are_all_found(bounded):
    sigs = _stored(400)
    index, ids = _index(sigs)
    allowed = index.member_rows(ids[[5, 50, 300]].copy())
    found = index.best(_near(sigs, 5, 0, 0.02), 20, allowed)
    assert found[0] == ids[5] and sorted(found) == sorted(ids[[5, 50, 300]])


def test_merging_keeps_the_bounds_of_every_row(bounded):
    sigs = _clustered(900)
    index, ids = _index(sigs)
    changed = ids[[0, 10, 899]]
    fresh = _stored(3, seed=9)
    new, _ = _index(fresh, ids=np.array([ids[10], 5000, 5001], np.int64))
    merged = index.merged(changed, new)
    rebuilt = SignatureIndex(merged.ids, merged.stored, merged.scales)
    for mine, theirs in zip(merged.bounds, rebuilt.bounds):
        assert np.array_equal(mine, theirs)
    assert ids[0] not in merged.ids and 5001 in merged.ids and len(merged) == 900 - 3 + 3


def test_compiled_coarse_rows_match_the_projection(bounded):
    rng = np.random.default_rng(3)
    stored = rng.integers(-127, 128, (300, CROPS, DIM), dtype=np.int8)
    scales = rng.random((300, CROPS), dtype=np.float32) + 0.01
    coarse, sigma, spread, crop_coarse, crop_sigma, crop_rest = signatures.coarse_bounds(stored, scales)
    coords = signatures._coordinates(stored).astype(np.float64) * scales[..., None]
    mean = coords.mean(axis=1)
    step = np.abs(mean).max(axis=-1) / 127.0
    assert np.allclose(sigma, step, rtol=1e-5)
    assert np.abs(coarse - mean / step[:, None]).max() <= 0.5 + 1e-3  # rounded to the nearest step
    assert np.allclose(spread[..., 0], np.linalg.norm(coords - mean[:, None], axis=-1), rtol=1e-4)
    crop_step = np.abs(coords).max(axis=-1) / 127.0
    assert np.allclose(crop_sigma, crop_step, rtol=1e-5)
    assert np.abs(crop_coarse - coords / crop_step[..., None]).max() <= 0.5 + 1e-3
    # what P leaves out, measured directly: the colour grid less its 2 x 2 cells' means
    side = signatures.GRID // signatures.CELLS
    colour = stored[..., signatures.GREY:].astype(np.float64).reshape(300, CROPS, side, 2, side, 2, 3)
    left = colour - colour.mean(axis=(3, 5), keepdims=True)
    assert np.allclose(spread[..., 1], np.sqrt(np.square(left).sum(axis=(2, 3, 4, 5, 6))) * scales, rtol=1e-4)
    assert np.array_equal(crop_rest, spread[..., 1])


def test_merging_rows_that_did_not_change_keeps_the_index_and_a_real_change_does_not(bounded):
    """A tag or a title changes an item but not its photo: the index in memory stays the
    same object (no copy of every row); a changed photo, a deleted or a new one makes a new
    index equal to one built from its rows."""
    sigs = _clustered(900)
    index, ids = _index(sigs)
    changed = ids[[3, 400, 700]]
    rows = np.searchsorted(index.ids, changed)
    same = SignatureIndex(changed, index.stored[rows].copy(), index.scales[rows].copy())
    assert index.merged(changed, same) is index
    altered = SignatureIndex(changed, index.stored[rows].copy(), index.scales[rows] * np.float32(1.5))
    for new in (altered, SignatureIndex(changed[:2], index.stored[rows[:2]], index.scales[rows[:2]])):
        merged = index.merged(changed, new)
        assert merged is not index and merged.ids.tolist() == sorted(set(index.ids) - set(changed) | set(new.ids))
        rebuilt = SignatureIndex(merged.ids, merged.stored, merged.scales)
        assert all(np.array_equal(m, t) for m, t in zip(merged.bounds, rebuilt.bounds))
        at = np.searchsorted(merged.ids, new.ids)
        assert np.array_equal(merged.scales[at], new.scales)


def test_new_photos_after_every_other_go_into_room_the_versions_share(bounded):
    """Photos imported (ids after every other) are written after the rows, in room that each
    version of the index shares, not copied with all of them; every version keeps its rows,
    and each equals an index built from its rows."""
    sigs = _clustered(900)
    index, ids = _index(sigs)
    versions = [index]
    for n in range(3):
        fresh = _stored(2, seed=20 + n)
        new, _ = _index(fresh, ids=np.array([10_000 + 2 * n, 10_001 + 2 * n], np.int64))
        versions.append(versions[-1].merged(new.ids, new))
    assert versions[1].buffers is not None and versions[3].buffers is versions[1].buffers  # one move, then room
    assert np.shares_memory(versions[3].stored, versions[1].stored)
    for version, rows in zip(versions, (900, 902, 904, 906)):
        assert len(version) == rows and len(version.stored) == len(version.scales) == rows
        rebuilt = SignatureIndex(version.ids.copy(), version.stored.copy(), version.scales.copy())
        assert all(np.array_equal(m, t) for m, t in zip(version.bounds, rebuilt.bounds))
    assert versions[0].ids[-1] == ids[-1] and versions[2].ids[-1] == 10_003
    # a version that is not the last one cannot write into the room the later ones use
    fresh = _stored(1, seed=40)
    branch, _ = _index(fresh, ids=np.array([20_000], np.int64))
    forked = versions[2].merged(branch.ids, branch)
    assert forked.buffers is not versions[1].buffers and versions[3].ids[-1] == 10_005
    assert forked.ids[-1] == 20_000 and len(forked) == 905


def test_signatures_of_gives_rows_within_half_a_scale_step_in_the_order_asked_and_skips_unknown_ids():
    sigs = _stored(500, seed=3)
    index, ids = _index(sigs)
    asked = np.array([ids[499], 5, ids[0], ids[250], 10_000], np.int64)  # 5 and 10,000 are not held
    got_ids, got = index.signatures_of(asked)
    assert got_ids.tolist() == [ids[499], ids[0], ids[250]]
    exact = sigs[[499, 0, 250]].astype(np.float32)
    step = np.abs(exact).max(axis=2, keepdims=True) / 127.0
    assert got.dtype == np.float32 and got.shape == (3, CROPS, DIM)
    assert np.all(np.abs(got - exact) <= step / 2 + 1e-3 * step)
    # the re-scoring a photo search does on them ranks a near copy as the exact rows do
    q = _near(sigs, 250, 1, 0.05)
    assert int(np.argmax(similarities(q, got))) == int(np.argmax(similarities(q, exact))) == 2
    empty, _ = _index(sigs[:0], ids[:0])
    none_ids, none = empty.signatures_of(asked)
    assert len(none_ids) == 0 and none.shape == (0, CROPS, DIM)
