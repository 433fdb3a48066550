"""Multi-index hashing (Norouzi, Punjani and Fleet): exact Hamming k-NN that reads only the
codes near the query, when the codes are clustered as learned codes are.

Each code is cut into ``m`` substrings of 16 bits, and each substring gets a table: rows
sorted by the substring's value, with the offset of every one of the 65,536 values. By the
pigeonhole principle a row within distance ``r`` of the query has at least one substring
within ``r // m`` of the query's: so probing, in every table, the values at substring distance
0, then 1, then 2 ... finds every row with ``d <= m (s + 1) - 1`` once ring ``s`` is done. The
search stops as soon as ``k`` rows lie within that bound (the k-th distance is then final,
and every row tied with it has been seen, so the continuous tie-break stays exact), and gives
up (the caller scans linearly) when the candidates pass a share of all rows — what uniform
random codes do, for which no index beats a scan.

Rows added after the tables were built sit in a tail that every search scans linearly; the
owner rebuilds the tables when the tail grows (``HammingIndex`` decides). Each query marks the
rows it has met in a per-thread stamp array, so a row found through two substrings is
measured once.
"""
from __future__ import annotations

import threading

import numpy as np

from app.search import _kernels as kern

SUB_BITS = 16
N_VALUES = 1 << SUB_BITS
# Give up (scan linearly) once the candidates measured pass this share of the rows.
GIVE_UP_SHARE = 0.15


def _rings() -> list[np.ndarray]:
    """XOR masks of 16 bits grouped by their popcount: ring s holds every mask with s bits."""
    values = np.arange(N_VALUES, dtype=np.uint32)
    counts = np.bitwise_count(values) if hasattr(np, "bitwise_count") else \
        np.array([bin(v).count("1") for v in range(N_VALUES)])
    return [values[counts == s].astype(np.uint16) for s in range(SUB_BITS + 1)]


_RINGS = _rings()


def usable(bits: int) -> bool:
    """Codes this index can cut: at least two 16-bit substrings."""
    return bits % SUB_BITS == 0 and bits // SUB_BITS >= 2


class MultiIndex:
    """Substring tables over the first ``n`` rows of a (words, n) uint64 code array."""

    def __init__(self, words: np.ndarray, bits: int):
        if not usable(bits):
            raise ValueError(f"multi-index hashing needs a multiple of 16 bits (at least 32), got {bits}")
        self.bits, self.m = bits, bits // SUB_BITS
        self.n = words.shape[1]
        self.orders: list[np.ndarray] = []
        self.starts: list[np.ndarray] = []
        for j in range(self.m):
            keys = self._keys(words, j)
            self.orders.append(np.argsort(keys, kind="stable").astype(np.int32))
            self.starts.append(np.concatenate([[0], np.cumsum(np.bincount(keys, minlength=N_VALUES))])
                               .astype(np.int64))
        self._local = threading.local()

    @staticmethod
    def _keys(words: np.ndarray, j: int) -> np.ndarray:
        """Substring j (bits 16j .. 16j+15 in the words' little-endian layout) of every row."""
        word, shift = divmod(j * SUB_BITS, 64)
        return ((words[word] >> np.uint64(shift)) & np.uint64(N_VALUES - 1)).astype(np.uint16)

    def _query_keys(self, qword: np.ndarray) -> list[int]:
        return [int((int(qword[(j * SUB_BITS) // 64]) >> ((j * SUB_BITS) % 64)) & (N_VALUES - 1))
                for j in range(self.m)]

    def _stamps(self) -> tuple[np.ndarray, int]:
        """Per-thread marks of the rows met by the current query (a new stamp per query)."""
        stamps = getattr(self._local, "stamps", None)
        if stamps is None or len(stamps) < self.n:
            stamps = np.zeros(self.n, np.int32)
            self._local.stamps, self._local.stamp = stamps, 0
        self._local.stamp += 1
        if self._local.stamp == np.iinfo(np.int32).max:
            stamps[:] = 0
            self._local.stamp = 1
        return stamps, self._local.stamp

    def _ring_rows(self, j: int, qkey: int, s: int) -> np.ndarray:
        """Rows whose substring j is at distance exactly s from the query's."""
        values = (_RINGS[s] ^ np.uint16(qkey)).astype(np.int64)
        lo, hi = self.starts[j][values], self.starts[j][values + 1]
        lengths = hi - lo
        total = int(lengths.sum())
        if total == 0:
            return np.empty(0, np.int32)
        keep = lengths > 0
        lo, lengths = lo[keep], lengths[keep]
        # the concatenated ranges lo[i] .. lo[i] + lengths[i], without a Python loop
        offsets = np.repeat(lo - np.concatenate([[0], np.cumsum(lengths)[:-1]]), lengths)
        return self.orders[j][offsets + np.arange(total)]

    def near(self, words: np.ndarray, qword: np.ndarray, k: int, allowed: np.ndarray | None = None,
             radius: int | None = None):
        """Rows (of the first ``n``) that must contain the exact top ``k`` (or every row within
        ``radius``), with their distances; None when the candidates grew past the give-up
        share (the caller then scans). ``allowed``: boolean mask over all rows."""
        stamps, stamp = self._stamps()
        qkeys = self._query_keys(qword)
        budget = max(k, int(GIVE_UP_SHARE * self.n))
        found_rows: list[np.ndarray] = []
        found_d: list[np.ndarray] = []
        measured = within = 0
        last_ring = SUB_BITS if radius is None else min(SUB_BITS, radius // self.m)
        for s in range(last_ring + 1):
            bound = self.m * (s + 1) - 1  # every row with d <= bound has been met after ring s
            for j in range(self.m):
                rows = self._ring_rows(j, qkeys[j], s)
                if len(rows) == 0:
                    continue
                # one ring of one table names each row once (a row has one value there);
                # the stamps drop those met through another table or an earlier ring
                rows = rows[stamps[rows] != stamp]
                if len(rows) == 0:
                    continue
                stamps[rows] = stamp
                measured += len(rows)
                if allowed is not None:
                    rows = rows[allowed[rows]]
                d = self._distances(words, qword, rows)
                found_rows.append(rows)
                found_d.append(d)
            if measured > budget:
                return None
            if radius is None:
                within = sum(int(np.count_nonzero(d <= bound)) for d in found_d)
                if within >= k:
                    break
        rows = np.concatenate(found_rows) if found_rows else np.empty(0, np.int32)
        d = np.concatenate(found_d) if found_d else np.empty(0, np.int32)
        if radius is not None:
            keep = d <= radius
            return rows[keep], d[keep]
        return rows, d

    def _distances(self, words: np.ndarray, qword: np.ndarray, rows: np.ndarray) -> np.ndarray:
        gathered = np.take(words, rows, axis=1)
        out = np.zeros(len(rows), np.int32)
        for w in range(len(words)):
            out += np.bitwise_count(gathered[w] ^ qword[w]) if hasattr(np, "bitwise_count") else \
                kern.popcount(gathered[w] ^ qword[w], np.empty(len(rows), np.uint8))
        return out
