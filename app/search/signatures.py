"""Every stored photo signature in memory, for finding the same photo again in one pass.

``app.media.signature`` compares a query's descriptor with each stored photo's crops. Kept as
float16 and converted per query, that pass took 11.6 s at 100,500 items (a 331 MB float32
copy per query, ``bench/bench_scale.py``). Here the descriptors are int8 with a scale per
crop (828 bytes a photo), scanned by one compiled loop (``_compiled.best_crop_dots``, its rows split over the cores;
NumPy in slices where Numba is missing): an approximate best-crop cosine for every photo, from
which the best ``n`` are taken and then measured exactly from their stored float16 rows.
"""
from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from app.media.signature import quantized
from app.search import _compiled, parallel
from app.search.filters import rows_mask

SLICE = 8192  # rows per NumPy pass where Numba is missing


class SignatureIndex:
    def __init__(self, ids: np.ndarray, stored: np.ndarray, scales: np.ndarray):
        self.ids = ids        # int64 (n,), ascending
        self.stored = stored  # int8 (n, crops, dim)
        self.scales = scales  # float32 (n, crops)

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

    def merged(self, changed: np.ndarray, new: SignatureIndex) -> SignatureIndex:
        """A new index: this one without the rows of ``changed`` ids, with ``new``'s rows."""
        keep = ~np.isin(self.ids, changed)
        ids = np.concatenate([self.ids[keep], new.ids])
        order = np.argsort(ids, kind="stable")
        return SignatureIndex(ids[order], np.concatenate([self.stored[keep], new.stored])[order],
                              np.concatenate([self.scales[keep], new.scales])[order])

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
        scores = self.approximate(query)
        if rows is not None:
            scores[~rows] = -np.inf
        n = min(n, len(scores))
        if n == 0:
            return np.zeros(0, np.int64)
        top = np.argpartition(-scores, n - 1)[:n] if n < len(scores) else np.arange(len(scores))
        top = top[np.isfinite(scores[top])]
        return self.ids[top[np.argsort(-scores[top], kind="stable")]]
