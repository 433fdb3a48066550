"""Exact Hamming search over the distinct codes of a library, for codes that repeat.

A hashing model trained on labels gives items with the same labels the same code, and a
library holds many items of each kind: the image codes a demo model gave its 300 photos were
224 distinct codes, and each of their 16-bit substrings took only 24-39 values, so the
multi-index (``mih``) names a third of all rows in ring 0 and gives up. Codes sampled around
them (``bench/bench_mih.py``) repeat in the same way: every row's distance is one of its
code's, so the scan can measure each distinct code once.

``CodeGroups`` holds the distinct codes of the first ``n`` rows and, per code, its rows in
ascending order (one array, ``rows``, cut at ``starts``). A top-``k`` query measures every
distinct code (``_compiled.group_search``: one compiled loop, the row counts summed per
distance), which gives the ``k``-th distance ``t`` without touching a row; the answer is then
every row of the codes nearer than ``t`` and, of the codes at ``t``, the rows the tie-break
can pick: all of them when rows have tie-break scores, else the first ``k`` of each (ties go
to the earlier row). A radius query takes every row of the codes within the radius. The
owner uses it only where the codes repeat (``worth``) and no filter applies, and scans the
rows added since it was built.
"""
from __future__ import annotations

import threading

import numpy as np

from app.search import _compiled

# Used when the distinct codes are at most this share of the rows (below, a query measures
# a quarter of what a scan does, and the multi-index is not needed).
MAX_SHARE = 0.25


def distinct(words: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(distinct codes as words (w, u), each row's code number (n,)) of words (w, n)."""
    if words.shape[0] == 1:
        codes, inverse = np.unique(words[0], return_inverse=True)
        return codes[None, :], inverse.astype(np.int64)
    rows = np.ascontiguousarray(words.T)
    view = rows.view(np.dtype((np.void, rows.dtype.itemsize * rows.shape[1]))).ravel()
    _, first, inverse = np.unique(view, return_index=True, return_inverse=True)
    return np.ascontiguousarray(words[:, first]), inverse.astype(np.int64).ravel()


class CodeGroups:
    """The distinct codes of the first ``n`` rows of words (w, n), with their rows."""

    def __init__(self, words: np.ndarray, codes: np.ndarray, inverse: np.ndarray):
        self.n = words.shape[1]
        self.codes = codes                                       # uint64 (w, u)
        self.rows = np.argsort(inverse, kind="stable")           # int64: rows by code, ascending within
        counts = np.bincount(inverse, minlength=codes.shape[1])
        self.sizes = counts.astype(np.int32)                    # rows per code
        self.starts = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
        self._local = threading.local()

    @classmethod
    def worth(cls, words: np.ndarray) -> CodeGroups | None:
        """The groups of ``words`` when the codes repeat enough (``MAX_SHARE``), else None."""
        codes, inverse = distinct(words)
        if codes.shape[1] > MAX_SHARE * words.shape[1]:
            return None
        return cls(words, codes, inverse)

    def __len__(self) -> int:
        return self.codes.shape[1]

    def near(self, qword: np.ndarray, k: int, all_ties: bool, radius: int | None = None):
        """(rows int64 ascending, distances int32) holding the top ``k`` of the first ``n``
        rows and every row tied with the ``k``-th (``all_ties``; else the first ``k`` rows of
        each tied code), or every row within ``radius``."""
        dist, chosen, out_rows, out_d = self._buffers(4 * k + 64)
        qword = np.ascontiguousarray(qword, np.uint64)
        while True:
            got = _compiled.group_search(self.codes, qword, self.starts, self.sizes, self.rows, k, -1 if radius is None else radius,
                                         all_ties, dist, chosen, out_rows, out_d)
            if got >= 0:
                break
            dist, chosen, out_rows, out_d = self._buffers(-got)
        order = np.argsort(out_rows[:got], kind="stable")
        return out_rows[:got][order], out_d[:got][order]

    def _buffers(self, rows: int):
        """Per-thread scratch: a distance and a place per code, and room for ``rows`` rows."""
        bufs = getattr(self._local, "bufs", None)
        if bufs is None or len(bufs[2]) < rows:
            size = max(rows, 0 if bufs is None else 2 * len(bufs[2]))
            bufs = (np.empty(len(self), np.uint8), np.empty(len(self), np.int64), np.empty(size, np.int64),
                    np.empty(size, np.int32))
            self._local.bufs = bufs
        return bufs
