"""Every stored photo signature in memory, for finding the same photo again in one pass.

``app.media.signature`` compares a query's descriptor with each stored photo's crops. Kept as
float16 and converted per query, that pass took 11.6 s at 100,500 items (a 331 MB float32
copy per query, ``bench/bench_scale.py``). Here the descriptors are int8 with a scale per
crop (828 bytes a photo), scanned by one compiled loop (``_compiled.best_crop_dots``, its rows split over the cores;
NumPy in slices where Numba is missing): an approximate best-crop cosine for every photo, from
which the best ``n`` are taken and then measured exactly from their stored float16 rows.

From ``BOUND_FROM`` photos that pass, which reads all 828 bytes of every photo (88 ms a query
at a million photos on a 2-core machine), is replaced by bounds: ``best`` bounds every
photo's score from 100 bytes, scores the photos with the highest bounds, and leaves out each
photo whose bound is below the ``n``-th best score found; a tighter bound from 288 more bytes
leaves out more, and only the rest are scored. The answer is the full pass's.

The bounds. A descriptor is 15 grey DCT terms and an 8 x 8 x 3 colour grid; the colour part
projected onto grids constant over 2 x 2 cells (an orthogonal projection ``P``) leaves 63
coordinates. For a stored crop ``s`` (dequantized) and the query ``q``,
``s . q = Ps . Pq + (s - Ps) . (q - Pq) <= Ps . Pq + |s - Ps| |q - Pq|`` (Cauchy-Schwarz): the
tighter bound, per crop, ``Ps`` kept as int8 steps of ``sigma``, which moves ``Ps . Pq`` by at
most ``sigma / 2`` times the L1 norm of ``Pq``. The first bound takes one dot product a photo
instead of one a crop: with ``m`` the mean of the crops' ``Ps``,
``Ps . Pq <= m . Pq + |Ps - m| |Pq|``.

Measured with ``bench/signature_bounds.py`` (2026-12-02, 2 cores, load 0.3-1.3): among
120,876 signatures (the 5,756 clothing-cc0 photos and 20 random crops of each), for 150
re-photographed copies, the bounds left a median 1.1 % of the photos to score for the best
200 (90th percentile 2.9 %, worst 13.1 %; at 5,756 photos 9.5 %, and one query in 150 took
a full pass; a rerun gave the same shares). Over a million signatures, searched on two
threads, two runs: real ones (those repeated) 41.5 and 32.6 ms against the full pass's 98.9
and 89.3 ms (2.4-2.7x); random ones, where nothing is alike and the first bound leaves most
rows, 102.8 and 114.0 against 97.9 and 91.3 ms (0.8-1.0x). The bounds take 3.4-3.5 s to
make for a million of these photos on one thread (5.3-5.4 s for random int8 descriptors),
and 388 MB.
"""
from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from app.media.signature import quantized
from app.search import _compiled, parallel
from app.search.filters import rows_mask
from app.store.splice import RowBuffer, Splice

SLICE = 8192  # rows per NumPy pass where Numba is missing
BOUND_FROM = 50_000  # photos from which ``best`` bounds scores before computing them (compiled only)
GREY = 15    # the descriptor's grey DCT terms come first, then its colour grid
GRID, CELLS = 8, 2  # the colour grid's side, and the side of the cells it is projected onto
COARSE = 64  # GREY + 3 * (GRID // CELLS) ** 2 = 63 coordinates, and one zero to align rows
FIRST_SCORED = 1024  # photos scored by their bound's order before the rest are bounded out
MOST = 0.5  # above this share of the rows left by the first bound, the full pass is cheaper
# ``coarse_bounds``' arrays: dtype and shape after the rows ("crops": the crops a photo has).
# BOUNDS_FORMAT names how they are made: change it with any change to how they are made, and
# bounds saved by an earlier version are made again instead of trusted.
BOUND_SHAPES = ((np.int8, (COARSE,)), (np.float32, ()), (np.float32, ("crops", 2)),
                (np.int8, ("crops", COARSE)), (np.float32, ("crops",)), (np.float32, ("crops",)))
BOUNDS_FORMAT = 1


class SignatureIndex:
    def __init__(self, ids: np.ndarray, stored: np.ndarray, scales: np.ndarray, bounds=None):
        """``bounds``: ``coarse_bounds`` of these rows when the caller has them."""
        self.buffers: tuple[RowBuffer, ...] | None = None  # where ``merged`` appends new photos' rows
        self.ids = ids        # int64 (n,), ascending
        self.stored = stored  # int8 (n, crops, dim)
        self.scales = scales  # float32 (n, crops)
        if bounds is None and _compiled.AVAILABLE and len(ids) >= BOUND_FROM:
            bounds = coarse_bounds(stored, scales)
        self.scored = 0  # rows the last ``best`` scored in full (benchmarks read it)
        # ``coarse_bounds``'s six arrays, or None
        self.bounds: tuple[np.ndarray, ...] | None = \
            tuple(bounds) if bounds is not None and _compiled.AVAILABLE and len(ids) >= BOUND_FROM else None

    @classmethod
    def from_slices(cls, slices: Iterable[tuple[np.ndarray, np.ndarray]], crops: int, dim: int) -> SignatureIndex:
        """From (ids, float16 signatures (rows, crops, dim)) slices in item order."""
        ids, stored, scales = [np.zeros(0, np.int64)], [np.zeros((0, crops, dim), np.int8)], \
            [np.zeros((0, crops), np.float32)]
        for part_ids, sigs in slices:
            q, s = quantized(sigs)
            ids.append(part_ids)
            stored.append(q)
            scales.append(s)
        return cls(np.concatenate(ids), np.concatenate(stored), np.concatenate(scales))

    def __len__(self) -> int:
        return len(self.ids)

    def signatures_of(self, item_ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(ids, float32 signatures (n, crops, dim)) of those of ``item_ids`` this index holds, in
        the order given: the stored int8 rows times their scales (each element within half a
        scale step of the photo's own signature). A photo search re-scores its likeliest
        candidates with them rather than read their float16 rows from the library: on a server
        that read was a round trip of ~350 KB, 2.3 ms of a 39 ms search (100,500 items)."""
        wanted = np.asarray(item_ids, np.int64)
        at = np.minimum(np.searchsorted(self.ids, wanted), max(len(self.ids) - 1, 0))
        found = np.flatnonzero(self.ids[at] == wanted) if len(self.ids) else np.zeros(0, np.int64)
        rows = at[found]
        return wanted[found], self.stored[rows].astype(np.float32) * self.scales[rows][..., None]

    def merged(self, changed: np.ndarray, new: SignatureIndex) -> SignatureIndex:
        """This index without the rows of ``changed`` ids, with ``new``'s rows (``new.ids``
        sorted): a new index (each array copied once, ``app.store.splice``), or this one
        itself when ``new`` holds exactly the rows it has of those ids, unchanged (a tag or
        a title changed, not a photo: most changes). At a million photos the index was
        copied whole after any edit, at the first photo search after it: 622-667 ms on the
        2-core EPYC, now 2-3 ms where no photo changed (``bench/bench_signature_merge.py``)."""
        keep = ~np.isin(self.ids, np.asarray(changed, np.int64))
        if self._holds(np.flatnonzero(~keep), new):
            return self
        if keep.all() and len(new) and (not len(self) or new.ids[0] > self.ids[-1]) and bool(np.all(np.diff(new.ids) > 0)):
            return self._appended(new)
        splice = Splice(self.ids, keep, new.ids)
        bounds = None
        if self.bounds is not None:
            added = new.bounds or coarse_bounds(new.stored, new.scales)
            bounds = tuple(splice(mine, theirs) for mine, theirs in zip(self.bounds, added))
        return SignatureIndex(splice.ids, splice(self.stored, new.stored), splice(self.scales, new.scales), bounds)

    def _appended(self, new: SignatureIndex) -> SignatureIndex:
        """This index with ``new``'s rows (of ids after all of its own) after its rows: written
        into the room left in buffers this index and its successors share (``RowBuffer``), so
        photos imported into a million-photo library are not followed by a copy of all the
        rows (1.2 GB with the bounds); the first time, and when the room is used up, the rows
        move into new buffers with room."""
        mine = (self.ids, self.stored, self.scales, *(self.bounds or ()))
        if self.bounds is not None:
            theirs = (new.ids, new.stored, new.scales, *(new.bounds or coarse_bounds(new.stored, new.scales)))
        else:
            theirs = (new.ids, new.stored, new.scales)
        buffers = self.buffers
        if buffers is None or len(buffers) != len(mine) or not all(b.fits(len(self), len(new)) for b in buffers):
            buffers = tuple(RowBuffer.around(rows) for rows in mine)
        views = [b.append(len(self), rows) for b, rows in zip(buffers, theirs)]
        index = SignatureIndex(views[0], views[1], views[2], tuple(views[3:]) if self.bounds is not None else None)
        index.buffers = buffers
        return index

    def _holds(self, rows: np.ndarray, new: SignatureIndex) -> bool:
        """Whether ``rows`` (of this index) are ``new``'s rows exactly, ids and values."""
        return len(rows) == len(new) and np.array_equal(self.ids[rows], new.ids) \
            and np.array_equal(self.stored[rows], new.stored) and np.array_equal(self.scales[rows], new.scales)

    def approximate(self, query: np.ndarray) -> np.ndarray:
        """float32 (n,): each photo's best-crop dot product with ``query`` (float (dim,)), up to
        the query's own scale: it orders photos as the exact cosine does, to within rounding."""
        q8, _ = quantized(query[None])
        q8 = q8[0]
        out = np.empty(len(self.ids), np.float32)
        if _compiled.AVAILABLE:
            stored, scales = self.stored, self.scales
            parallel.run_blocks(lambda a, b: _compiled.best_crop_dots(stored[a:b], scales[a:b], q8, out[a:b]),
                                len(self.ids))
            return out
        for start in range(0, len(self.ids), SLICE):
            part = self.stored[start:start + SLICE].astype(np.float32) @ q8.astype(np.float32)
            out[start:start + SLICE] = (part * self.scales[start:start + SLICE]).max(axis=1)
        return out

    def member_rows(self, members: np.ndarray) -> np.ndarray:
        """bool (n,): which rows are photos of ``members`` (sorted ids)."""
        return rows_mask(self.ids, members)

    def best(self, query: np.ndarray, n: int, rows: np.ndarray | None = None) -> np.ndarray:
        """Ids of the ``n`` photos likest ``query`` by ``approximate``, among ``rows`` (bool
        over the rows, ``member_rows``; None: all), best first."""
        if self.bounds is not None and n > 0:
            return self._best_bounded(self.bounds, query, n, rows)
        self.scored = len(self.ids)
        scores = self.approximate(query)
        if rows is not None:
            scores[~rows] = -np.inf
        return self.ids[_top(scores, np.arange(len(scores)), n)]

    def _best_bounded(self, bounds: tuple[np.ndarray, ...], query: np.ndarray, n: int,
                      rows: np.ndarray | None) -> np.ndarray:
        """``best`` by ``bounds`` (``coarse_bounds``): every row's first bound, then the scores
        of the ``FIRST_SCORED`` rows with the highest, whose ``n``-th best ``floor`` is no higher
        than the true ``n``-th best; a row whose bound is below ``floor`` cannot be among the
        best ``n``. Of the rows left, those whose tighter bound reaches ``floor`` are scored,
        and the best ``n`` of all scored taken."""
        q8 = quantized(query[None])[0][0]
        coarse, sigma, spread, crop_coarse, crop_sigma, crop_rest = bounds
        cq, half_l1, q_norm, q_rest = _query_coarse(q8)
        bound = np.empty(len(self.ids), np.float32)
        parallel.run_blocks(lambda a, b: _compiled.best_crop_bounds(coarse[a:b], sigma[a:b], spread[a:b], cq, half_l1,
                                                                    q_norm, q_rest, bound[a:b]), len(self.ids))
        if rows is not None:
            bound[~rows] = -np.inf
        first = min(len(bound), max(4 * n, FIRST_SCORED))
        picked = np.argpartition(-bound, first - 1)[:first] if first < len(bound) else np.arange(len(bound))
        picked = np.sort(picked[np.isfinite(bound[picked])])
        scores = self._scores_at(q8, picked)
        self.scored = len(picked)
        if len(picked) < n:  # every row allowed is scored already
            return self.ids[_top(scores, picked, n)]
        floor = float(np.partition(scores, len(scores) - n)[len(scores) - n])
        floor -= 1e-4 * abs(floor) + 1e-6  # float32 rounding of either side is far below this
        left = np.flatnonzero(bound >= floor)
        if len(left) > len(bound) * MOST:  # photos too alike to bound apart: one pass over all
            self.scored += len(self.ids)
            scores = self.approximate(query)
            scores[bound < floor] = -np.inf  # and the rows not allowed
            return self.ids[_top(scores, np.arange(len(scores)), n)]
        tighter = np.empty(len(left), np.float32)
        parallel.run_blocks(lambda a, b: _compiled.crop_bounds_at(crop_coarse, crop_sigma, crop_rest, cq, half_l1, q_rest,
                                                                  left[a:b], tighter[a:b]), len(left))
        left = left[tighter >= floor]
        self.scored += len(left)
        return self.ids[_top(self._scores_at(q8, left), left, n)]

    def _scores_at(self, q8: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """float32: ``approximate``'s values of the rows named (int64)."""
        out = np.empty(len(rows), np.float32)
        rows = rows.astype(np.int64, copy=False)
        stored, scales = self.stored, self.scales
        parallel.run_blocks(lambda a, b: _compiled.best_crop_dots_at(stored, scales, q8, rows[a:b], out[a:b]),
                            len(rows))
        return out


def _top(scores: np.ndarray, rows: np.ndarray, n: int) -> np.ndarray:
    """The rows (of ``rows``, whose scores these are) of the ``n`` best finite scores, best first."""
    n = min(n, len(scores))
    if n == 0:
        return np.zeros(0, np.int64)
    top = np.argpartition(-scores, n - 1)[:n] if n < len(scores) else np.arange(len(scores))
    top = top[np.isfinite(scores[top])]
    return rows[top[np.argsort(-scores[top], kind="stable")]]


def _coordinates(rows: np.ndarray) -> np.ndarray:
    """float32 (..., COARSE): int8 descriptors (..., dim) projected by ``P``, in an orthonormal
    basis: the grey terms as they are, each colour cell's sum over its 2 x 2 grid squares
    halved (a unit vector has 1/2 in each of the four), then a zero. Half-integers: exact."""
    rows = rows.astype(np.float32)
    side = GRID // CELLS
    colour = rows[..., GREY:].reshape(rows.shape[:-1] + (side, CELLS, side, CELLS, 3))
    cells = colour.sum(axis=(-4, -2)).reshape(rows.shape[:-1] + (-1,)) / np.float32(CELLS)
    pad = np.zeros(rows.shape[:-1] + (COARSE - GREY - cells.shape[-1],), np.float32)
    return np.concatenate([rows[..., :GREY], cells, pad], axis=-1)


def coarse_bounds(stored: np.ndarray, scales: np.ndarray):
    """The bounds of int8 descriptors with their scales, six arrays: ``coarse`` int8 (n,
    COARSE) and ``sigma`` float32 (n,), whose product is the mean over a photo's dequantized
    crops of their projections ``P`` (``_coordinates``) to within ``sigma / 2`` a coordinate;
    ``spread`` float32 (n, crops, 2): how far each crop's projection lies from that mean, and
    the length of what ``P`` leaves of the crop (by Pythagoras, from sums of squares of int8
    values and half-integers, exact in float32), both a little longer so that rounding cannot
    shorten them; and per crop, its own projection as ``crop_coarse`` int8 (n, crops, COARSE)
    in steps of ``crop_sigma`` (n, crops), with ``crop_rest`` (n, crops) the second length
    again. Compiled, on the calling thread only: this runs while a window warms its search up,
    and on both cores it kept the window's own thread waiting for one (stalls of 51-144 ms
    scrolling a million-item grid at once after opening, ``bench/bench_grid_scroll.py
    --stacks``)."""
    n, crops = stored.shape[:2]
    out = tuple(np.empty((n, *(crops if d == "crops" else d for d in tail)), dtype) for dtype, tail in BOUND_SHAPES)
    _compiled.coarse_rows(stored, scales, GREY, GRID // CELLS, CELLS, *out)
    return out


def _query_coarse(q8: np.ndarray) -> tuple[np.ndarray, np.float32, np.float32, np.float32]:
    """A query's ``P`` coordinates (exact), half their L1 norm, their length, and the length of
    what ``P`` leaves out (the lengths a little longer, as in ``coarse_bounds``)."""
    cq = _coordinates(q8)
    kept = float(np.square(cq.astype(np.float64)).sum())
    rest = np.sqrt(max(float(np.square(q8.astype(np.float64)).sum()) - kept, 0.0))
    return (cq, np.float32(0.5 * np.abs(cq).sum(dtype=np.float64)), np.float32(np.sqrt(kept) * (1 + 1e-5)),
            np.float32(rest * (1 + 1e-5)))
