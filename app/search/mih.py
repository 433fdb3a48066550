"""Multi-index hashing (Norouzi, Punjani and Fleet): exact Hamming k-NN that reads only the
codes near the query, when the codes are clustered as learned codes are.

Each code is cut into ``m`` substrings of 16 bits, and each substring gets a table: rows
sorted by the substring's value, with the offset of every one of the 65,536 values. By the
pigeonhole principle a row within distance ``r`` of the query has at least one substring
within ``r // m`` of the query's: so probing, in every table, the values at substring distance
0, then 1, then 2 ... finds every row with ``d <= m (s + 1) - 1`` once ring ``s`` is done. The
search stops as soon as ``k`` rows lie within that bound (the k-th distance is then final,
and every row tied with it has been seen, so the continuous tie-break stays exact). The compiled
loop probes a ring's tables fewest rows first and may stop after any of them: with ring s done
in t tables, every row within m s + t - 1 has been named. It gives
up (the caller scans linearly) when ring 0 names few rows — the query lies in no cluster, as
with uniform random codes, for which no index beats a scan — or when the rows named pass a
share of all rows. The figures are in ``app/search/index.py``'s docstring.

Where Numba runs, a query is one compiled loop (``_compiled.mih_search``): it measures each
named row where it lies in the sorted copy, drops a row another table names first by
comparing substring distances, and keeps a running top-k bound; ``HammingIndex.search`` hands
a whole batch of top-k queries to one call (``_compiled.mih_top``) that also puts each query's
rows in their final order, so a batch's threads run without the interpreter lock and a query
pays one Python call. Elsewhere the same search is
a few NumPy calls per ring (``near``'s own body): 0.72-0.87 ms a query on learned-like codes at
1M in two runs of the bench before the loop existed, against 0.30-0.49 ms with it (three runs).

Rows added after the tables were built sit in a tail that every search scans linearly; the
owner rebuilds the tables when the tail grows (``HammingIndex`` decides). A row found through
two substrings is measured twice and counted once (see ``MultiIndex.near``); a query keeps no
state in the index, so threads search it at once.
"""
from __future__ import annotations

import threading

import numpy as np

from app.search import _compiled
from app.search import _kernels as kern

SUB_BITS = 16
N_VALUES = 1 << SUB_BITS
# Give up (scan linearly) once the rows named pass this share of all rows: a named row costs
# about ten times what a scanned one does (a gather, repeats across tables, NumPy calls).
GIVE_UP_SHARE = 0.08
# The compiled loop spends 2-3 ns on a named row, a few times what the compiled scan spends on
# a row (bench_mih: the share at which ring 1's queries still beat the scan).
GIVE_UP_SHARE_COMPILED = 0.3
# ... or at once when ring 0 names fewer than this many times the rows uniform random codes
# would put there: the query lies in no cluster, and the rings it would need name too many.
CLUSTER_FACTOR = 8


def _rings() -> list[np.ndarray]:
    """XOR masks of 16 bits grouped by their popcount: ring s holds every mask with s bits."""
    values = np.arange(N_VALUES, dtype=np.int64)
    counts = np.bitwise_count(values) if hasattr(np, "bitwise_count") else \
        np.array([bin(v).count("1") for v in range(N_VALUES)])
    return [values[counts == s] for s in range(SUB_BITS + 1)]


_RINGS = _rings()
_RINGS_FLAT = np.concatenate(_RINGS)
_RING_STARTS = np.concatenate([[0], np.cumsum([len(r) for r in _RINGS])]).astype(np.int64)
# Use the compiled loops (``_compiled``) where Numba runs; False: the NumPy path (same answers).
COMPILED = _compiled.AVAILABLE


def usable(bits: int) -> bool:
    """Codes this index can cut: at least two 16-bit substrings."""
    return bits % SUB_BITS == 0 and bits // SUB_BITS >= 2


class MultiIndex:
    """Substring tables over the first ``n`` rows of a (words, n) uint64 code array.

    The ``m`` tables are one array: ``order`` holds table 0's rows sorted by substring 0, then
    table 1's sorted by substring 1, and so on; ``starts[j * 65536 + v]`` is where value ``v``
    of table ``j`` begins. A ring is then probed in all tables with one set of NumPy calls
    (the calls, not the rows, were the cost: 4 tables x 3 rings x a dozen calls per query)."""

    def __init__(self, words: np.ndarray, bits: int):
        if not usable(bits):
            raise ValueError(f"multi-index hashing needs a multiple of 16 bits (at least 32), got {bits}")
        self.bits, self.m = bits, bits // SUB_BITS
        self.n = words.shape[1]
        orders, starts = [], []
        for j in range(self.m):
            keys = self._keys(words, j)
            orders.append(np.argsort(keys, kind="stable").astype(np.int32))
            counts = np.bincount(keys, minlength=N_VALUES)
            starts.append(np.concatenate([[0], np.cumsum(counts)[:-1]]) + j * self.n)
        self.order = np.concatenate(orders)
        # the codes themselves in each table's order: a bucket's codes are then read in one
        # run instead of gathered row by row from all over the array
        self.sorted_words = np.ascontiguousarray(words[:, self.order])
        self.starts = np.concatenate(starts + [[self.m * self.n]]).astype(np.int64)
        self._table_base = (np.arange(self.m, dtype=np.int64) * N_VALUES)[:, None]
        self._local = threading.local()
        self._no_mask = np.zeros(1, bool)

    @staticmethod
    def _keys(words: np.ndarray, j: int) -> np.ndarray:
        """Substring j (bits 16j .. 16j+15 in the words' little-endian layout) of every row.
        (Dealing the bits out by their balance instead, so that no substring is made of nearly
        constant bits, named as many rows on a trained model's codes: it was dropped.)"""
        word, shift = divmod(j * SUB_BITS, 64)
        return ((words[word] >> np.uint64(shift)) & np.uint64(N_VALUES - 1)).astype(np.uint16)

    def limits(self, k: int) -> tuple[int, float]:
        """The compiled loop's give-up limits: rows it may name, and the fewest rows ring 0
        must name for the query to lie in a cluster."""
        return max(k, int(GIVE_UP_SHARE_COMPILED * self.n)), CLUSTER_FACTOR * self.m * self.n / N_VALUES

    def _query_keys(self, qword: np.ndarray) -> np.ndarray:
        """The query's m substrings as a column (each table adds its own offset)."""
        words = [int(w) for w in qword]
        keys = [(words[(j * SUB_BITS) // 64] >> ((j * SUB_BITS) % 64)) & (N_VALUES - 1) for j in range(self.m)]
        return np.array(keys, np.int64)[:, None]

    def ring_size(self, qkeys: np.ndarray, s: int) -> tuple[np.ndarray, np.ndarray]:
        """Where the rows at substring distance exactly ``s`` begin in ``order``, and how many."""
        values = ((_RINGS[s][None, :] ^ qkeys) + self._table_base).ravel()
        lo = self.starts[values]
        return lo, self.starts[values + 1] - lo

    @staticmethod
    def _positions(lo: np.ndarray, lengths: np.ndarray, total: int) -> np.ndarray:
        """The positions ``lo[i] .. lo[i] + lengths[i]`` in ``order``, concatenated."""
        keep = lengths > 0
        lo, lengths = lo[keep], lengths[keep]
        if len(lo) == 1:
            return np.arange(lo[0], lo[0] + total)
        ends = np.cumsum(lengths)
        return np.repeat(lo - (ends - lengths), lengths) + np.arange(total)

    def near(self, words: np.ndarray, qword: np.ndarray, k: int, allowed: np.ndarray | None = None,
             radius: int | None = None):
        """Rows (of the first ``n``) that hold the exact top ``k`` with every row tied with the
        k-th (or every row within ``radius``), each once, with their distances; None when the
        rows named pass the give-up share (the caller then scans). ``allowed``: boolean mask
        over all rows.

        A ring's buckets are runs of ``sorted_words``, measured where they lie (a near-sequential
        read). A row is named once by every table whose substring lies within the ring, so the
        rows named repeat: only those within the bound, a few hundred, are looked up, filtered
        and made unique (marking every row named in an array over all rows cost more than the
        repeats: four scattered reads and writes a row)."""
        qkeys = self._query_keys(qword)
        if COMPILED:
            return self._near_compiled(qkeys, qword, k, allowed, radius)
        budget = max(k, int(GIVE_UP_SHARE * self.n))
        found_pos: list[np.ndarray] = []
        found_d: list[np.ndarray] = []
        named = 0
        last_ring = SUB_BITS if radius is None else min(SUB_BITS, radius // self.m)
        none = np.empty(0, np.int32)
        close = (none, none)
        named_at = np.zeros(self.bits + 1, np.int64)  # namings at each distance (with repeats)
        if radius is not None and sum(int(self.ring_size(qkeys, s)[1].sum())
                                      for s in range(last_ring + 1)) > budget:
            return None  # the rings the radius needs name too many rows: scan
        for s in range(last_ring + 1):
            lo, lengths = self.ring_size(qkeys, s)
            total = int(lengths.sum())
            named += total
            if named > budget:
                return None  # about what a scan costs: let it
            if radius is None and s == 0 and named < CLUSTER_FACTOR * self.m * self.n / N_VALUES:
                return None  # spread like random codes around this query
            if total:
                pos = self._positions(lo, lengths, total)
                found_pos.append(pos)
                found_d.append(self._run_distances(qword, lo, lengths, pos))
            if radius is None and found_pos:
                # every row with d <= bound has been named once ring s is done; a row is named
                # by m tables at most, so m * k namings within x hold k rows: make unique only
                # those (a sort), not every row within the bound
                if total:
                    named_at += np.bincount(found_d[-1], minlength=self.bits + 1)
                bound = self.m * (s + 1) - 1
                enough = np.flatnonzero(np.cumsum(named_at) >= self.m * k)
                if allowed is None and len(enough) and enough[0] <= bound:
                    bound = int(enough[0])
                close = self._unique_within(found_pos, found_d, bound, allowed)
                if len(close[0]) >= k:
                    break
        if radius is None and len(close[0]) >= k:
            rows, d = close
            if len(rows) > k:  # rows beyond the k-th distance cannot enter the top k
                keep = d <= np.partition(d, k - 1)[k - 1]
                rows, d = rows[keep], d[keep]
            return rows, d
        if not found_pos:
            return none, none
        return self._unique_within(found_pos, found_d, self.bits if radius is None else radius, allowed)

    def _near_compiled(self, qkeys, qword, k, allowed, radius):
        """``near`` through one compiled loop (``_compiled.mih_search``)."""
        budget, cluster_min = self.limits(k)
        size = getattr(self._local, "size", 4096)
        while True:
            rows, d = np.empty(size, np.int32), np.empty(size, np.int32)
            got = _compiled.mih_search(
                self.sorted_words, self.order, self.starts, _RINGS_FLAT, _RING_STARTS,
                qkeys[:, 0], np.ascontiguousarray(qword, np.uint64), k, -1 if radius is None else int(radius),
                budget, cluster_min,
                self._no_mask if allowed is None else allowed, allowed is not None, rows, d)
            if got != _compiled.FULL:
                break
            size *= 4
            self._local.size = size
        if got == _compiled.GAVE_UP:
            return None
        return rows[:got], d[:got]

    def _unique_within(self, found_pos: list[np.ndarray], found_d: list[np.ndarray], bound: int,
                       allowed: np.ndarray | None):
        """The distinct allowed rows named so far at distance ``bound`` or less, with distances."""
        pos = np.concatenate(found_pos) if len(found_pos) > 1 else found_pos[0]
        d = np.concatenate(found_d) if len(found_d) > 1 else found_d[0]
        keep = d <= bound
        rows, d = self.order[pos[keep]], d[keep]
        if allowed is not None:
            ok = allowed[rows]
            rows, d = rows[ok], d[ok]
        # a row's distance is the same whichever table named it: one sort of row * 256 + d
        packed = np.unique(rows.astype(np.int64) << 8 | d)
        return (packed >> 8).astype(np.int32), (packed & 255).astype(np.int32)

    def _run_distances(self, qword: np.ndarray, lo: np.ndarray, lengths: np.ndarray,
                       pos: np.ndarray) -> np.ndarray:
        """Distances of the rows at ``pos`` (the runs ``lo``, ``lengths`` of ``sorted_words``):
        slice by slice when the runs are few (ring 0: one a table), else one gather."""
        runs = np.flatnonzero(lengths)
        if len(runs) > 2 * self.m or len(self.sorted_words) > 1:
            return self._distances(self.sorted_words, qword, pos)
        words, q = self.sorted_words[0], qword[0]
        parts = [np.bitwise_count(words[lo[r]:lo[r] + lengths[r]] ^ q) for r in runs]
        return np.concatenate(parts).astype(np.int32) if len(parts) > 1 else parts[0].astype(np.int32)

    def _distances(self, words: np.ndarray, qword: np.ndarray, rows: np.ndarray) -> np.ndarray:
        out = np.zeros(len(rows), np.int32)
        for w in range(len(words)):
            out += np.bitwise_count(words[w][rows] ^ qword[w]) if hasattr(np, "bitwise_count") else \
                kern.popcount(words[w][rows] ^ qword[w], np.empty(len(rows), np.uint8))
        return out
