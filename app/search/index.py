"""Exact Hamming top-k and radius search over binary codes, in NumPy.

Codes of any length (a multiple of 8 bits) arrive in FAISS's binary layout, uint8
(n, bits/8), and are held as uint64 words, one contiguous array per word (64-bit codes ->
one word).  Results are exact.  Ties are broken by a continuous score when the index has
scores, else by insertion order (stable).

Three exact methods, each one compiled loop per query where Numba runs (a batch of top-k
queries through the multi-index is one call, ``_compiled.mih_top``, which also orders each
query's rows; ``_compiled``; NumPy
ufunc passes elsewhere, ``_kernels`` and ``mih``, with the same answers): a linear scan
(distances 256 rows at a time, then only blocks holding a row within a bound that falls to
the k-th distance are walked; with no tie-break scores it stops once k rows lie at distance
0, since later rows lose ties to them); the distinct codes (``groups``), where codes repeat
as a label-trained model's do: each distinct code measured once, then only the rows of the
nearest; and multi-index hashing (``mih``) for codes of 32 bits or more from 65,536 rows,
which reads only the codes near the query and hands over to the scan when the query lies in
no cluster. An unfiltered search takes the distinct codes first where they are at most
1/32 of the rows (``GROUPS_FIRST_SHARE``), else the multi-index, then the distinct codes where
it gave up (the query lies in no cluster), then the scan.

On 2026-12-03 (13:16-13:19, the 2-core AMD EPYC, load 0.6-0.8; ``bench_mih.py --library L
--big``, L a demo library with a model trained ``--bits 64`` by today's code: flip probability
0.023, so 1M sampled codes repeat less than the figures below), after the multi-index stopped
after any table of a ring and kept its candidates without a call per row, three runs, median
ms per query against FAISS's faster setting: learned 1M single 0.084-0.106 against 0.486-0.491
(4.6-5.8x faster; the code of the morning, between them: 0.200-0.206, 2.4x), batch
0.077-0.084 against 0.241-0.244 (2.9-3.1x); learned 10M single 0.245-0.254 against 4.72-4.74
(18.6-19.3x; before: 1.71-1.93 through the distinct codes, 2.5-2.8x), batch 0.123-0.127
against 2.27-2.30 (18x); random 1M single 0.57x and batch 0.68x of FAISS's time, 10M 0.58x
and 0.61x; distances equal FAISS's in every case. With a batch in one compiled call
(``_compiled.mih_top``), on a fresh 2-core EPYC that afternoon (FAISS 1.1-2.2 ms at 1M; four
runs alternating with the code before, 13:40-14:09, load 0.6-1.4): learned 1M single 4.7-6.1x
faster than FAISS (before 4.5-6.0x), batch 7.2-12.1x (before 5.2-7.6x); 10M single 19-34x,
batch 30-45x; random 1M 0.37-0.49x single, 0.23-0.34x batch; 128-bit learned 1M 4.9x single,
11.4x batch, random 0.72x and 0.37x (README, ``bench_mih.py``).

Earlier, by ``bench/bench_mih.py --library L --big`` (2026-12-02 07:55 and, for 128 bits,
07:54; x86_64 Intel Xeon, 2 cores shared, load 0.85-0.9; NumPy 2.4.6, Numba 0.68.1, faiss-cpu
1.15.1; top-100; "learned": codes sampled around the 300 image codes of a demo model trained
with default options, flip probability 0.007 at 64 bits and 0.026 at 128: see the bench; one
run each; methods interleaved call by call in a random order), median ms per query, and the
ratio to FAISS ``IndexBinaryFlat`` (its faster thread setting) in the same run:

    codes                           ours (auto)     ours (scan only)   FAISS
    64-bit 1M learned, single       0.234 (0.17x)   0.717              1.381
    64-bit 1M learned, batch of 100 0.071 (0.13x)   0.325              0.559
    64-bit 10M learned, single      0.851 (0.05x)   9.421              16.911
    64-bit 10M learned, batch       0.278 (0.03x)   5.232              9.422
    64-bit 1M random, single        0.761 (0.63x)   0.705              1.213
    64-bit 1M random, batch         0.369 (0.50x)   0.449              0.736
    64-bit 10M random, single       9.457 (0.55x)   9.296              17.169
    64-bit 10M random, batch        6.751 (0.68x)   6.293              9.890
    128-bit 1M learned, single      0.979 (0.69x)   1.022              1.423
    128-bit 1M learned, batch       0.787 (0.58x)   0.708              1.351
    128-bit 1M random, single       1.892 (1.08x)   1.396              1.757
    128-bit 1M random, batch        0.720 (0.53x)   0.762              1.364

Distances equal FAISS's in every case. The 64-bit demo codes repeat (224 distinct codes for
300 photos; 75,855 distinct among the million sampled), so the distinct codes answered every
unfiltered 64-bit learned query. The scan alone reads every code once per query: 1.4-1.9x the
time of an OR-reduction over the same codes, timed after each scan (0.38-0.41 ms at 1M, 6.6-6.8
ms at 10M); a rerun at 09:04 (load 0.8) gave 1.5-2.1x. Without tie-break scores it skips rows tied at the bound once k are within it
(ties go by row order), which took the learned 1M scan from 2.4-2.5x that time to 1.6-1.9x.
With tie-break scores, as the product's indexes have, every row tied with the 100th must be
scored (FAISS breaks no ties): ``bench_mih.py --library L --scores`` (07:52, load 1.1, one run,
fixed call order), 1M learned, single: distinct codes 0.478 ms, scan 1.140 ms, FAISS 1.219 ms
(0.39x and 0.94x); batch 0.386 and 0.923 against 0.980 ms. At 128 bits (less repetition) the
multi-index answered 517 of 590 queries (the 07:54 run); on random 128-bit codes it gives up (ring 0 names too
few rows) and scans, and ours single was 0.96-1.15x FAISS over four runs, where the scan alone
was 0.73-0.84x. This machine's times move by up to 2x between runs (other tenants: FAISS took
1.1 ms at 1M in one run of the day and 2.3 ms in another), so compare only within a run. Radius
search (r = 4, 8) on random codes: 0.03-0.12 ms at 1M and 0.12-0.70 ms at 10M through the
multi-index, against 0.5-0.6 and 12 ms for the scan; on the learned codes, where many rows lie
that near, returning them dominates (15-16 and 77-112 ms at 1M, 0.16 and 1.0-1.5 s at 10M,
every method).
Building the tables (when the window opens the library, else on the first search; again when a
tenth more rows were added): the multi-index 0.18-0.20 s at 1M and 3.7-3.9 s at 10M, the
distinct codes 0.38-0.39 s at 1M and 3.8-4.4 s at 10M (the bench's two --big runs above); the
multi-index holds, for each of the m substrings, a copy of the codes
sorted by it and its row order: 48 bytes a row for 64-bit codes (m = 4) beside the codes' own
8, so 48 MB at 1M and 480 MB at 10M rows; the distinct codes hold 12 bytes a row and 12 a
code. FAISS is a test/bench dependency only.

Filtering (``allowed=``): a ``RowFilter`` (built once by ``row_filter``), an id set, a
mask with a batch of queries, or a mask seen in the previous search scans only the passing
rows (faster the fewer pass: with 10% of 1M random 64-bit codes passing, a RowFilter took
0.22-0.24x, the repeated mask 0.47-0.55x and a batch's mask 0.37-0.44x of the unfiltered time;
``bench/bench_search.py``, two runs, 2026-12-01, same machine, load 0.8-0.9, compiled scan).
A fresh mask with a single query drops excluded rows while selecting (1.52-1.53x the
unfiltered time: a row the mask excludes does not lower the bound, so more rows are walked), since
turning a mask into row positions alone costs more than a whole search.
"""

from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from app.search import _compiled, groups, mih
from app.search import _kernels as kern
from app.search.filters import MaskMemo, RowFilter, positions_from_ids, positions_from_mask
from app.store.splice import Splice

# A boolean mask is turned into a RowFilter (~2 ms per 1M rows) at once when at least this
# many queries share it; for fewer, dropping excluded rows while selecting is cheaper
# (until the same mask comes back: see ``filters.MaskMemo``).
_GATHER_MIN_QUERIES = 4
# Batches of at least this many queries are split over threads (a pool costs ~0.1 ms).
_THREAD_MIN_QUERIES = 8
_DEFAULT_THREADS = os.cpu_count() or 1  # every core (the compiled loops and NumPy's passes release the GIL)
# Rows per distance chunk: keeps the uint64 scratch buffer small (2 MB) for any n.
_CHUNK_ROWS = 1 << 18
# Multi-index hashing (``mih``) from this many rows (below it a scan takes well under 1 ms);
# its tables are rebuilt when rows added since pass this share of those they cover.
_MIH_MIN_ROWS = 1 << 16
_MIH_TAIL_SHARE = 0.1
# On: bench/bench_mih.py (figures in the module docstring) found it faster than the scan on
# learned-like codes (2.3-2.9x at 1M, 10-16x at 10M on 2026-12-03 in the morning; 2.0-2.1x and 6.3x on
# another machine that afternoon) and level with it on random codes (it gives up after ring 0).
# ``use_mih = False`` turns it off.
MIH_BY_DEFAULT = True
# Search the distinct codes (``groups``) where they are few (codes that repeat, as a
# label-trained model's do), from _MIH_MIN_ROWS rows, with Numba, for unfiltered queries.
GROUPS_BY_DEFAULT = True
# ... before the multi-index when they are at most this share of the rows; else after it, when
# it gives up. Measuring 2.5 million distinct codes of 10 million took 1.9 ms a query, where
# the multi-index answered in 0.44 (bench_mih.py --big, 2026-12-03 13:12, the 2-core EPYC);
# a few thousand distinct codes take microseconds, where a ring-0 bucket holds tens of thousands.
GROUPS_FIRST_SHARE = 1 / 32
# The scan as one compiled loop where Numba runs (``_compiled.scan_search``); False: NumPy passes.
COMPILED_SCAN = True
_NO_MASK = np.zeros(1, bool)


class HammingIndex:
    """Exact Hamming search over packed binary codes, with incremental updates.

    Not safe for concurrent ``add``/``remove`` while searching; concurrent searches
    are fine (scratch buffers are per thread).
    """

    def __init__(self, bits: int, score_dim: int | None = None):
        if bits <= 0 or bits % 8:
            raise ValueError(f"bits must be a positive multiple of 8, got {bits}")
        self.bits, self.n_bytes = bits, bits // 8
        self._words = np.zeros((-(-self.n_bytes // 8), 0), dtype=np.uint64)
        self._ids = np.zeros(0, dtype=np.int64)
        self._score_dim = score_dim  # None: no scores; 0: one scalar per row
        width = None if score_dim is None else max(1, score_dim)  # 0 -> one column
        self._scores = None if width is None else np.zeros((0, width), np.float32)
        self._next_id, self._ids_sorted, self.version = 0, True, 0
        self._local = threading.local()
        self._mask_memo = MaskMemo()
        self.use_mih = MIH_BY_DEFAULT        # True: try the multi-index first (see MIH_BY_DEFAULT)
        self._mih: mih.MultiIndex | None = None
        self.mih_stats = {"used": 0, "gave_up": 0}
        self.use_groups = GROUPS_BY_DEFAULT  # True: search the distinct codes where they repeat
        # (rows checked, their groups or None where the codes do not repeat enough); None: not checked
        self._groups: tuple[int, groups.CodeGroups | None] | None = None

    @classmethod
    def from_codes(cls, codes: np.ndarray, ids=None, scores=None) -> HammingIndex:
        """Build an index from uint8 (n, bits/8) codes (FAISS's binary layout).

        ``ids`` (int64, default 0..n-1) are what searches return.  ``scores`` break
        distance ties: an (n, d) array of pre-sign network outputs (ranked by the inner
        product with the query's scores, higher first) or an (n,) per-item score.  With
        d == bits and no query scores, column j pairs with bit j of ``np.unpackbits``
        of the query code (as +/-1), i.e. the codes were made by ``np.packbits(s > 0)``.
        """
        codes = np.asarray(codes)
        scores = None if scores is None else np.asarray(scores, dtype=np.float32)
        score_dim = None if scores is None else (0 if scores.ndim == 1 else scores.shape[1])
        index = cls(codes.shape[1] * 8, score_dim)
        index.add(codes, ids, scores)
        return index

    def __len__(self) -> int:
        return len(self._ids)

    @property
    def has_scores(self) -> bool:
        """Whether it keeps tie-break scores (and so needs them with every code added)."""
        return self._scores is not None

    @property
    def ids(self) -> np.ndarray:
        """Ids of the rows, in row order (read-only view)."""
        view = self._ids.view()
        view.flags.writeable = False
        return view

    def add(self, codes: np.ndarray, ids=None, scores=None) -> np.ndarray:
        """Append codes; returns their ids (new ones numbered on from the largest)."""
        words = kern.to_words(codes, self.n_bytes)
        n_new = words.shape[1]
        new_ids = self._new_ids(n_new, ids)
        self._append_scores(n_new, scores)
        if len(self._ids) and len(new_ids) and new_ids[0] <= self._ids[-1]:
            self._ids_sorted = False
        self._ids_sorted = self._ids_sorted and bool(np.all(np.diff(new_ids) > 0))
        self._words = np.concatenate([self._words, words], axis=1)
        self._ids = np.concatenate([self._ids, new_ids])
        self._next_id = max(self._next_id, int(new_ids.max(initial=-1)) + 1)
        self.version += 1
        return new_ids

    def _new_ids(self, n_new: int, ids) -> np.ndarray:
        if ids is None:
            return np.arange(self._next_id, self._next_id + n_new, dtype=np.int64)
        ids = np.asarray(ids, dtype=np.int64).ravel()
        if len(ids) != n_new:
            raise ValueError(f"{len(ids)} ids for {n_new} codes")
        # Strictly increasing ids (what the library gives) are unique without np.unique,
        # which took ~4.6 s for a million ids and dominated opening a large library.
        increasing = n_new < 2 or bool(np.all(ids[1:] > ids[:-1]))
        if not increasing and len(np.unique(ids)) != n_new:
            raise ValueError("ids must be unique and not already in the index")
        if len(self._ids) and len(ids) and self._overlaps(ids, increasing):
            raise ValueError("ids must be unique and not already in the index")
        return ids

    def _overlaps(self, ids: np.ndarray, increasing: bool) -> bool:
        if increasing and self._ids_sorted and ids[0] > self._ids[-1]:
            return False  # appended after every existing id
        return bool(np.isin(ids, self._ids).any())

    def _append_scores(self, n_new: int, scores) -> None:
        if self._scores is None:
            if scores is not None:
                raise ValueError("this index was built without scores")
            return
        if scores is None:
            raise ValueError("this index keeps tie-break scores: pass scores")
        scores = np.asarray(scores, dtype=np.float32)
        scores = scores.reshape(n_new, -1) if self._score_dim == 0 else scores
        if scores.shape != (n_new, self._scores.shape[1]):
            raise ValueError(f"scores must have shape ({n_new}, {self._score_dim or ''})")
        self._scores = np.concatenate([self._scores, scores])

    def remove(self, ids) -> int:
        """Remove the rows with these ids (unknown ids are ignored); returns how many."""
        drop = positions_from_ids(self._ids, ids, self._ids_sorted)
        if len(drop) == 0:
            return 0
        keep = np.ones(len(self._ids), dtype=bool)
        keep[drop] = False
        self._words = np.ascontiguousarray(self._words[:, keep])
        self._ids = self._ids[keep]
        self._mih = None  # rows moved: the tables are rebuilt at the next search
        self._groups = None
        if self._scores is not None:
            self._scores = self._scores[keep]
        self.version += 1
        return len(drop)

    def replaced(self, ids, codes: np.ndarray, scores=None, gone=()) -> HammingIndex:
        """A new index: this one's rows less those of ``gone`` and of ``ids``, plus ``codes``
        under ``ids`` (a changed code replaces the old one), in id order. This index is left
        as it is, so searches running on it finish undisturbed (``add`` and ``remove`` change
        an index in place). For a library's few changed codes: the rest are not read again."""
        ids = np.asarray(ids, dtype=np.int64).ravel()
        new_words = kern.to_words(np.asarray(codes, np.uint8).reshape(len(ids), self.n_bytes), self.n_bytes)
        dropped = np.concatenate([ids, np.asarray(list(gone), dtype=np.int64)])
        keep = np.ones(len(self._ids), dtype=bool)
        keep[positions_from_ids(self._ids, dropped, self._ids_sorted)] = False
        splice = Splice(self._ids, keep, ids)  # each array copied once
        if np.any(splice.ids[1:] == splice.ids[:-1]):
            raise ValueError("ids must be unique")
        if self._scores is None and scores is not None:
            raise ValueError("this index was built without scores")
        out = HammingIndex(self.bits, self._score_dim)
        out._words = splice(self._words, new_words, axis=1)
        out._ids = splice.ids
        if self._scores is not None:
            out._scores = np.zeros((0, self._scores.shape[1]), np.float32)
            out._append_scores(len(ids), scores)  # checks their shape
            out._scores = splice(self._scores, out._scores)
        out._next_id = max(self._next_id, int(out._ids.max(initial=-1)) + 1)
        out.use_mih, out.use_groups = self.use_mih, self.use_groups
        out.version = self.version + 1
        return out

    def row_filter(self, allowed) -> RowFilter:
        """Turn a boolean row mask or an iterable of ids into a reusable ``RowFilter``."""
        if isinstance(allowed, RowFilter):
            return allowed
        if isinstance(allowed, np.ndarray) and allowed.dtype == bool:
            pos = positions_from_mask(allowed, len(self))
        else:
            pos = positions_from_ids(self._ids, allowed, self._ids_sorted)
        # The passing codes are gathered now, once: a random gather of 10% of 1M rows
        # costs ~0.8 ms, as much as the search it would otherwise precede every time.
        return RowFilter(pos, len(self), self.version, np.take(self._words, pos, axis=1))

    def search(self, queries: np.ndarray, k: int, allowed=None, query_scores=None,
               threads: int | None = None):
        """Top-k nearest rows for each query (uint8 (q, bits/8) codes).

        Returns ``(distances int32 (q, k), ids int64 (q, k))``, both padded with -1 when
        fewer than k rows qualify.  ``allowed``: boolean mask over rows, iterable of ids,
        or ``RowFilter``.  ``query_scores`` (q, d): the queries' pre-sign outputs for the
        tie-break; without them the query's own +/-1 code is used.  ``threads``: worker
        threads for a batch (default: every core; the compiled loops and NumPy release the GIL).
        """
        if k < 1:
            raise ValueError("k must be at least 1")
        qwords = kern.to_words(queries, self.n_bytes)
        nq = qwords.shape[1]
        out_d = np.full((nq, k), -1, dtype=np.int32)
        out_i = np.full((nq, k), -1, dtype=np.int64)
        plan = self._plan(allowed, nq)
        if not self._ensure_groups(plan) or not self._groups_first():
            self._ensure_mih(plan)

        threads = _DEFAULT_THREADS if threads is None else max(1, threads)
        ties = self._tie_queries(queries, query_scores)
        todo, tried = np.arange(nq), self._mih_whole(plan)
        if tried:
            todo = self._search_mih_whole(qwords, k, plan[2], ties, out_d, out_i, threads)

        def run(query_rows) -> None:
            for qi in query_rows:
                tie = None if ties is None else ties[qi]
                rows, dist = self._query(plan, qwords[:, qi], k, tie, mih=not tried)
                out_d[qi, :len(rows)], out_i[qi, :len(rows)] = dist, self._ids[rows]

        if threads == 1 or len(todo) < _THREAD_MIN_QUERIES:
            run(todo)
        else:
            with ThreadPoolExecutor(threads) as pool:
                list(pool.map(run, np.array_split(todo, threads)))
        return out_d, out_i

    def _mih_whole(self, plan) -> bool:
        """Whether a top-k search goes through the multi-index's batch loop
        (``_compiled.mih_top``): compiled, tables over every row (no tail), no gathered subset,
        and the distinct codes not measured first."""
        return (_compiled.AVAILABLE and COMPILED_SCAN and mih.COMPILED and self.use_mih
                and self._mih is not None and self._mih.n == len(self) and plan[1] is None
                and len(self) >= _MIH_MIN_ROWS and not self._groups_first())

    def _search_mih_whole(self, qwords, k: int, mask, ties, out_d, out_i, threads: int) -> np.ndarray:
        """Every query through ``_compiled.mih_top``, the batch split over ``threads``; fills
        ``out_d``/``out_i`` for those it answered and returns the positions of the others
        (the multi-index gave up on them: the query lies in no cluster)."""
        assert self._mih is not None
        index, nq = self._mih, qwords.shape[1]
        qw = np.ascontiguousarray(qwords.T)
        if self._scores is None:
            scores, ties = np.zeros((1, 1), np.float32), np.zeros((nq, 1), np.float32)
        elif ties is None:  # one score a row: its own value is the key (a dot with 1)
            scores, ties = self._scores, np.ones((nq, 1), np.float32)
        else:
            scores = self._scores
        rows = np.zeros((nq, k), np.int32)
        status = np.zeros(nq, np.int64)
        budget, cluster_min = index.limits(k)
        use_mask = mask is not None

        def run(part: slice) -> None:
            _compiled.mih_top(index.sorted_words, index.order, index.starts, mih._RINGS_FLAT,
                              mih._RING_STARTS, qw[part], k, budget, cluster_min,
                              mask if use_mask else _NO_MASK, use_mask, scores, ties[part],
                              self._scores is not None, rows[part], out_d[part], status[part])

        if threads == 1 or nq < _THREAD_MIN_QUERIES:
            run(slice(0, nq))
        else:
            step = -(-nq // threads)
            parts = [slice(start, start + step) for start in range(0, nq, step)]
            with ThreadPoolExecutor(len(parts)) as pool:
                list(pool.map(run, parts))
        full = status == k
        out_i[full] = self._ids[rows[full]]
        for qi in np.flatnonzero((status > 0) & ~full):  # fewer than k rows passed the mask
            got = int(status[qi])
            out_i[qi, :got] = self._ids[rows[qi, :got]]
        gave_up = np.flatnonzero(status == _compiled.GAVE_UP)
        self.mih_stats["used"] += nq - len(gave_up)
        self.mih_stats["gave_up"] += len(gave_up)
        return gave_up

    def radius_search(self, query: np.ndarray, r: int, allowed=None, query_scores=None):
        """All rows within Hamming distance ``r`` of one query, nearest first.

        Returns ``(distances int32 (m,), ids int64 (m,))``.
        """
        qwords = kern.to_words(query, self.n_bytes)
        plan = self._plan(allowed, 1)
        words, positions, mask = plan
        ties = self._tie_queries(query, query_scores)
        tie = None if ties is None else ties[0]
        if self._ensure_groups(plan):
            rows, dist = self._group_near(qwords[:, 0], 0, radius=min(r, self.bits))
            rows, dist = self._finish(rows, dist, None, tie, len(rows))
            return dist, self._ids[rows]
        if self._ensure_mih(plan):
            near = self._near(qwords[:, 0], 0, mask, radius=min(r, self.bits))
            if near is not None:
                rows, dist = self._finish(near[0], near[1], None, tie, len(near[0]))
                return dist, self._ids[rows]
        if self._compiled_scan():
            cand, dist = self._scan_compiled(words, qwords[:, 0], 0, min(r, self.bits), mask)
            rows, dist = self._finish(cand, dist, positions, tie, len(cand))
            return dist, self._ids[rows]
        d = self._distances(words, qwords[:, 0])
        hit = d <= min(r, self.bits)
        cand = np.flatnonzero(hit if mask is None else hit & mask)
        rows, dist = self._finish(cand, d[cand], positions, tie, len(cand))
        return dist, self._ids[rows]

    # -- internals ---------------------------------------------------------------------

    def _plan(self, allowed, n_queries: int):
        """(words to scan, their row positions or None, boolean row mask or None)."""
        if allowed is None or len(self) == 0:
            return self._words, None, None
        if isinstance(allowed, np.ndarray) and allowed.dtype == bool:
            if allowed.shape != (len(self),):
                raise ValueError(f"mask must have shape ({len(self)},), got {allowed.shape}")
            flt = self._mask_memo.lookup(allowed, self.version, self.row_filter,
                                         build=n_queries >= _GATHER_MIN_QUERIES)
            if flt is None:
                return self._words, None, allowed
        else:
            flt = self.row_filter(allowed)
        if flt.version != self.version:
            raise ValueError("RowFilter is stale: the index changed since it was built")
        return flt.words, flt.positions, None

    def _buffers(self, n: int):
        """Per-thread scratch buffers, reused across queries (no page faults per query)."""
        bufs = getattr(self._local, "bufs", None)
        dtype = kern.distance_dtype(self.bits)
        if bufs is None or len(bufs[0]) < n:
            chunk = min(n, _CHUNK_ROWS)
            bufs = (np.empty(n, dtype), np.empty(chunk, np.uint64), np.empty(chunk, np.uint8))
            self._local.bufs = bufs
        return bufs[0][:n], bufs[1], bufs[2]

    def _distances(self, words: np.ndarray, qword: np.ndarray,
                   stream: kern.TopKStream | None = None) -> np.ndarray:
        """Distances of one query to every row of ``words``, fed chunk-wise to ``stream``."""
        n = words.shape[1]
        d, scratch, count = self._buffers(n)
        for s in range(0, n, _CHUNK_ROWS):
            e = min(s + _CHUNK_ROWS, n)
            kern.distances(words[:, s:e], qword, d[s:e], scratch[:e - s], count[:e - s])
            if stream is not None:
                stream.feed(d[s:e], s)
                stream.tighten(d)
        return d

    def prepare(self) -> bool:
        """Build the multi-index now, and load its compiled loop, instead of on the first search
        (0.4 s at 1M rows, 3-4 s at 10M): for a background thread after the codes are loaded.
        True when searches will go through the multi-index."""
        plan = (self._words, None, None)
        if self._ensure_groups(plan) and self._groups_first():
            return True
        if not self._ensure_mih(plan):
            return self._groups is not None and self._groups[1] is not None
        assert self._mih is not None
        self._mih.near(self._words, self._words[:, 0], 1)
        return True

    def _ensure_mih(self, plan) -> bool:
        """Whether this search may use the multi-index (built or rebuilt here, before any
        worker thread runs): many rows, 16-bit substrings, no row subset gathered."""
        if not (self.use_mih and plan[1] is None and len(self) >= _MIH_MIN_ROWS and mih.usable(self.bits)):
            return False
        if self._mih is None or len(self) - self._mih.n > _MIH_TAIL_SHARE * self._mih.n:
            self._mih = mih.MultiIndex(self._words, self.bits)
        return True

    def _ensure_groups(self, plan) -> bool:
        """Whether this search may go through the distinct codes: no filter, many rows, the
        codes repeating (checked again when a tenth more rows were added)."""
        if not (self.use_groups and plan[1] is None and plan[2] is None and len(self) >= _MIH_MIN_ROWS
                and _compiled.AVAILABLE and self.bits < 256):  # distances held as uint8
            return False
        if self._groups is None or len(self) - self._groups[0] > _MIH_TAIL_SHARE * self._groups[0]:
            self._groups = (len(self), groups.CodeGroups.worth(self._words))
        return self._groups[1] is not None

    def _groups_first(self) -> bool:
        """Whether the distinct codes (made) are few enough to measure before trying the
        multi-index (``GROUPS_FIRST_SHARE``)."""
        return self._groups is not None and self._groups[1] is not None \
            and len(self._groups[1]) <= GROUPS_FIRST_SHARE * self._groups[0]

    def _group_near(self, qword: np.ndarray, k: int, radius: int | None = None):
        """``_near`` through the distinct codes, with the rows added since they were made."""
        assert self._groups is not None and self._groups[1] is not None
        found = self._groups[1]
        rows, dist = found.near(qword, k, self._scores is not None, radius)
        self.mih_stats["groups"] = self.mih_stats.get("groups", 0) + 1
        if found.n < len(self):
            tail = np.arange(found.n, len(self))
            d_tail = np.zeros(len(tail), np.int32)
            for w in range(self._words.shape[0]):
                d_tail += np.bitwise_count(self._words[w, found.n:] ^ qword[w]).astype(np.int32)
            keep = d_tail <= (self.bits if radius is None else radius)
            rows, dist = np.concatenate([rows, tail[keep]]), np.concatenate([dist, d_tail[keep]])
        return rows, dist

    def _near(self, qword: np.ndarray, k: int, mask, radius: int | None = None):
        """Candidates from the multi-index plus every row added since it was built, with
        distances, in row order; None when it gave up (or is backing off): scan instead."""
        index = self._mih
        if index is None:
            return None
        found = index.near(self._words, qword, k, mask, radius)
        if found is None:
            self.mih_stats["gave_up"] += 1
            return None
        self.mih_stats["used"] += 1
        rows, dist = found
        if index.n < len(self):
            tail = np.arange(index.n, len(self))
            d_tail = index._distances(self._words, qword, tail)
            keep = np.ones(len(tail), bool) if mask is None else mask[tail]
            if radius is not None:
                keep &= d_tail <= radius
            rows, dist = np.concatenate([rows, tail[keep]]), np.concatenate([dist, d_tail[keep]])
        order = np.argsort(rows, kind="stable")
        return rows[order].astype(np.int64), dist[order]

    def _query(self, plan, qword: np.ndarray, k: int, tie, mih: bool = True):
        """One query's top k: the distinct codes, the multi-index (unless ``mih`` is False: it
        gave up on this query already), or the scan, as ``search`` has prepared them."""
        words, positions, mask = plan
        if words.shape[1] == 0:
            return np.empty(0, np.int64), np.empty(0, np.int32)
        grouped = self._groups is not None and self._groups[1] is not None and self._ensure_groups(plan)
        if grouped and self._groups_first():
            rows, dist = self._group_near(qword, k)
            return self._finish(rows, dist, None, tie, k)
        if mih and self._mih is not None and positions is None and self.use_mih and len(self) >= _MIH_MIN_ROWS:
            near = self._near(qword, k, mask)
            if near is not None:
                return self._finish(near[0], near[1], None, tie, k)
        if grouped:  # the multi-index gave up: the query lies in no cluster
            rows, dist = self._group_near(qword, k)
            return self._finish(rows, dist, None, tie, k)
        if self._compiled_scan():
            cand, dist = self._scan_compiled(words, qword, k, -1, mask)
            return self._finish(cand, dist, positions, tie, k)
        stream = kern.TopKStream(k, self.bits, words.shape[1], mask)
        d = self._distances(words, qword, stream)
        cand = stream.result(d)
        return self._finish(cand, d[cand], positions, tie, k)

    def _compiled_scan(self) -> bool:
        return COMPILED_SCAN and _compiled.AVAILABLE and self.bits < 256  # distances held as uint8

    def _scan_compiled(self, words, qword, k: int, radius: int, mask):
        """The scan as one compiled loop (``_compiled.scan_search``): rows in ascending order."""
        size = getattr(self._local, "cand_size", 4096)
        while True:
            rows, dist = np.empty(size, np.int64), np.empty(size, np.int32)
            got = _compiled.scan_search(words, np.ascontiguousarray(qword, np.uint64), k, radius,
                                        _NO_MASK if mask is None else mask, mask is not None, rows, dist,
                                        self._scores is not None)
            if got != _compiled.FULL:
                return rows[:got], dist[:got]
            size *= 4
            self._local.cand_size = size

    def _finish(self, cand, dist, positions, tie, k):
        """Order candidates (distance, tie score, row) and keep k; map to index rows.

        Candidates come in row order with every row tied at the last distance (learned codes
        tie by the thousand). Only the rows at the k-th smallest distance compete for the
        places left by the nearer ones, so only those and the nearer ones are scored and
        sorted; without scores the first tied rows in row order take the places."""
        rows = cand if positions is None else positions[cand]
        if len(dist) > k > 0:
            kth = np.partition(dist, k - 1)[k - 1]
            nearer, tied = np.flatnonzero(dist < kth), np.flatnonzero(dist == kth)
            places = k - len(nearer)
            if self._scores is None:
                tied = tied[:places]
            elif len(tied) > places:  # the tied rows with the best scores (row order among equals)
                tied_key = self._tie_key(rows[tied], tie)
                cut = np.partition(tied_key, places - 1)[places - 1]
                better = tied[tied_key < cut]
                tied = np.concatenate([better, tied[tied_key == cut][:places - len(better)]])
            keep = np.concatenate([nearer, tied])
            keep.sort()  # candidate order, as the ties are broken by it
            rows, dist = rows[keep], dist[keep]
        key = self._tie_key(rows, tie) if self._scores is not None and len(rows) else None
        order = kern.order_candidates(dist, key)[:k]
        return rows[order], dist[order].astype(np.int32)

    def _tie_key(self, rows, tie):
        """Ascending sort keys of ``rows`` for the tie-break: their scores, negated. Each row's
        dot product is summed on its own, the same way for every row (``einsum``): a matrix
        product rounded equal rows differently by where they fell in its blocks (in half of
        300 random trials), and duplicates were then ranked by that noise instead of by row."""
        if self._score_dim != 0 and _compiled.AVAILABLE and COMPILED_SCAN:
            out = np.empty(len(rows), np.float32)
            _compiled.tie_keys(self._scores, np.asarray(rows, np.int64), np.asarray(tie, np.float32), out)
            return out
        s = self._scores[rows]
        return -(s[:, 0] if self._score_dim == 0 else np.einsum("ij,j->i", s, tie))

    def _tie_queries(self, queries, query_scores):
        """Per query, the vector a row's scores are dotted with to break ties (float32 (q, d),
        C order); None where rows have no score vectors."""
        if self._score_dim in (None, 0):
            return None
        if query_scores is not None:
            return np.ascontiguousarray(np.atleast_2d(np.asarray(query_scores, dtype=np.float32)))
        bits = np.unpackbits(np.atleast_2d(np.asarray(queries, np.uint8)), axis=1)
        if bits.shape[1] != self._score_dim:
            raise ValueError("pass query_scores: score width differs from the code length")
        return bits.astype(np.float32) * 2 - 1
