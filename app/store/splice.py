"""Arrays kept in id order (codes, label evidence, photo signatures) brought up to date: the
rows of some ids leave, rows for other ids come in, and the result is in id order again.

A search keeps such arrays for every item of the library and replaces them, never changes
them in place (a query on another thread keeps a consistent set). Taking the rows kept, then
joining, then reordering copied each array three times. A ``Splice`` works out once where
each row goes, and each array is then copied once, a run of rows that stay together at a time.
A million photo signatures with their bounds (1.2 GB), three photos replaced, three added and
three deleted (``bench/bench_signature_merge.py``, 2026-12-03, the 2-core EPYC, alternating
with the code before, two runs each, medians of 5): 153 and 183 ms against 1,669 and 563 ms.
The first copy in a process is slower on every side (3.3-3.6 s against 2.7-2.8 s there): the
kernel hands the process fresh memory for it.
"""
from __future__ import annotations

import numpy as np

MAX_RUNS = 2000  # runs of rows kept together up to which they are copied run by run


class Splice:
    def __init__(self, ids: np.ndarray, keep: np.ndarray, added: np.ndarray):
        """``ids`` (int64, the arrays' rows, in order), ``keep`` (bool, which rows stay) and
        ``added`` (int64, the ids of the rows that come in, in the order they are given)."""
        self.kept = np.flatnonzero(keep)
        every = np.concatenate([np.asarray(ids, np.int64)[self.kept], np.asarray(added, np.int64).ravel()])
        self.order = np.argsort(every, kind="stable")
        self.ids = every[self.order]  # the result's ids, in order
        self._to = np.empty(len(every), np.int64)
        self._to[self.order] = np.arange(len(every))  # where each kept row, then each added row, goes
        self._runs = _runs(self.kept, self._to[:len(self.kept)])

    def __call__(self, mine: np.ndarray, theirs: np.ndarray, axis: int = 0) -> np.ndarray:
        """``mine`` (rows along ``axis`` as ``ids``) less the rows not kept, with ``theirs``
        (rows along ``axis`` as ``added``), in id order: a new C-contiguous array."""
        shape = list(mine.shape)
        shape[axis] = len(self.ids)
        out = np.empty(shape, mine.dtype)
        lead = (slice(None),) * axis
        n_kept = len(self.kept)
        if self._runs is None:  # rows moved all over: one gather beats a copy a run
            out[lead + (self._to[:n_kept],)] = np.take(mine, self.kept, axis=axis)
        else:
            for start, end, at in self._runs:
                out[lead + (slice(at, at + end - start),)] = mine[lead + (slice(start, end),)]
        out[lead + (self._to[n_kept:],)] = theirs
        return out


def _runs(source: np.ndarray, target: np.ndarray) -> list[tuple[int, int, int]] | None:
    """(start, end, at): ``source`` rows start..end go to rows at.. (both one apart along a
    run); None when there are more than :data:`MAX_RUNS` runs."""
    if len(source) == 0:
        return []
    cut = np.flatnonzero((np.diff(source) != 1) | (np.diff(target) != 1)) + 1
    if len(cut) >= MAX_RUNS:
        return None
    starts = np.concatenate([[0], cut])
    ends = np.concatenate([cut, [len(source)]])
    return [(int(source[a]), int(source[b - 1]) + 1, int(target[a])) for a, b in zip(starts, ends)]


class RowBuffer:
    """Rows with room after them, for arrays that mostly grow at the end (new items' rows):
    successive versions share the buffer, each a view of its first rows, and rows are only
    ever appended after the last version's (``append`` refuses any other), so no version sees
    its rows change. The caller appends under its own lock."""

    def __init__(self, rows: np.ndarray, room: int):
        self.data = np.empty((len(rows) + room, *rows.shape[1:]), rows.dtype)
        self.data[:len(rows)] = rows
        self.used = len(rows)

    @classmethod
    def around(cls, rows: np.ndarray) -> RowBuffer:
        """A buffer holding ``rows`` with room for a sixteenth more of them (256 at least)."""
        return cls(rows, max(256, len(rows) // 16))

    def view(self) -> np.ndarray:
        return self.data[:self.used]

    def fits(self, after: int, n: int) -> bool:
        """Whether ``n`` rows can go after the first ``after``: the last version's length."""
        return after == self.used and self.used + n <= len(self.data)

    def append(self, after: int, rows: np.ndarray) -> np.ndarray:
        """The buffer's first rows through ``rows``, put after the first ``after`` (``fits``)."""
        if not self.fits(after, len(rows)):
            raise ValueError("rows go only after the last version's, and within the room left")
        self.data[self.used:self.used + len(rows)] = rows
        self.used += len(rows)
        return self.view()
