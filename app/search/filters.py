"""Row filters for ``HammingIndex`` searches.

Facet and collection filters are decided outside the index (from the label matrix or the
store) and reach it as a boolean mask over index rows or as a set of item ids.  A
``RowFilter`` (built by ``HammingIndex.row_filter``) is that decision turned once into
ascending row positions and a compact copy of the passing codes: converting a 1M boolean
mask to positions costs ~1.5 ms and gathering the codes ~0.8 ms, more than a whole
unfiltered query, so a filter reused across queries should be built once and passed as
``allowed=``; searches with it then scan only the passing rows.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class RowFilter:
    """Ascending positions of the index rows a search may return."""

    positions: np.ndarray  # int64, ascending, unique
    n_rows: int  # length of the index the positions refer to
    version: int  # the index's version when built; a changed index makes it stale
    words: np.ndarray | None = field(repr=False, default=None)  # the passing codes, (words, m)

    def __len__(self) -> int:
        return len(self.positions)

    @property
    def fraction(self) -> float:
        """Share of the index rows that pass."""
        return len(self.positions) / self.n_rows if self.n_rows else 0.0


def positions_from_mask(mask, n_rows: int) -> np.ndarray:
    """Boolean mask over rows -> ascending int64 positions (validating its length)."""
    mask = np.asarray(mask)
    if mask.dtype != bool or mask.shape != (n_rows,):
        raise ValueError(f"mask must be a boolean array of shape ({n_rows},), got "
                         f"{mask.dtype} {mask.shape}")
    return np.flatnonzero(mask)


def positions_from_ids(index_ids: np.ndarray, ids: Iterable, sorted_ids: bool) -> np.ndarray:
    """Row positions of the given ids; ids not in the index are ignored.

    ``sorted_ids`` says the index ids are ascending (the default numbering), which
    allows a binary search instead of a hash-like ``np.isin``.
    """
    wanted = np.fromiter(ids, dtype=np.int64) if not isinstance(ids, np.ndarray) \
        else ids.astype(np.int64, copy=False)
    if len(wanted) > 1 and not (wanted[1:] > wanted[:-1]).all():  # already ascending: no sort
        wanted = np.unique(wanted)
    if len(index_ids) == 0 or len(wanted) == 0:
        return np.empty(0, dtype=np.int64)
    if sorted_ids:
        pos = np.searchsorted(index_ids, wanted)
        inside = pos < len(index_ids)
        pos = pos[inside]
        return pos[index_ids[pos] == wanted[inside]].astype(np.int64)
    return np.flatnonzero(np.isin(index_ids, wanted))


def rows_mask(index_ids: np.ndarray, ids: np.ndarray) -> np.ndarray:
    """bool over the rows of ascending ``index_ids``: which hold one of ``ids``."""
    mask = np.zeros(len(index_ids), bool)
    mask[positions_from_ids(index_ids, ids, True)] = True
    return mask


class MaskMemo:
    """Remembers the last boolean mask an index was searched with, and its RowFilter.

    The search panel sends the same facet mask with query after query; building its
    RowFilter (~2 ms per 1M rows) on the second sighting makes the later searches scan
    only the passing rows.  "Seen" is judged from a 1,024-element sample (a one-off mask
    costs microseconds); a remembered filter is used only after an exact check (same
    count, all its rows set), so a mask edited in place is never served stale results.
    """

    def __init__(self):
        self._last: tuple | None = None  # (mask sample, RowFilter or None, index version)

    def lookup(self, mask: np.ndarray, version: int, make_filter: Callable,
               build: bool) -> RowFilter | None:
        """The RowFilter for ``mask`` if it was seen last time (or ``build``), else None."""
        sample = mask[::max(1, len(mask) // 1024)].copy()
        last = self._last
        seen = (last is not None and last[2] == version
                and last[0].shape == sample.shape and np.array_equal(last[0], sample))
        flt = last[1] if seen and last is not None else None
        if flt is not None and not (np.count_nonzero(mask) == len(flt)
                                    and mask[flt.positions].all()):
            flt, seen = None, False
        if flt is None and (seen or build):
            flt = make_filter(mask)
        self._last = (sample, flt, version)
        return flt


def label_mask(labels: np.ndarray, all_of: Sequence[int] = (), any_of: Sequence[int] = (),
               none_of: Sequence[int] = ()) -> np.ndarray:
    """Boolean mask over rows of a multi-hot (n, c) label matrix.

    A row passes when it carries every label in ``all_of``, at least one in ``any_of``
    (when given) and none in ``none_of`` — the facet logic of the search panel.
    """
    labels = np.asarray(labels) > 0
    keep = np.ones(len(labels), dtype=bool)
    if len(all_of):
        keep &= labels[:, list(all_of)].all(axis=1)
    if len(any_of):
        keep &= labels[:, list(any_of)].any(axis=1)
    if len(none_of):
        keep &= ~labels[:, list(none_of)].any(axis=1)
    return keep
