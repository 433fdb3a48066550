"""Every item's label evidence in memory: what a search ranks the whole library on at once.

Per item (a row) and per label of the scheme (a column): whether the item is *tagged* with
the label, and its *value* — 1 where tagged, else the model's calibrated probability that
its photo shows the label (the stored tag suggestions the curator has not rejected), else 0.
That is an item's label profile (``similar``) and its label evidence (``ranking``).

Read from SQLite per query, the evidence of a photo search's candidates took 10 s at
100,500 items (``bench/bench_scale.py``): a Python row per tag and per suggestion. Here it is
read once (with every photo signature, the first photo search took 9.8 s at 100,500 items
and 127 s at 1,000,500), kept by the search service, and brought up to date before each
query from the log of items whose tags or suggestions changed since (``item_changes``,
written by triggers, so every writer and process is seen): only those items are read again.
From 20,000 items it is also saved in the library's cache folder, so that the next process
maps it and reads only what changed since (1.1 s and 8.6 s for that first search).
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from app.search import _compiled, parallel
from app.search.filters import rows_mask
from app.store import cache
from app.store.splice import Splice

if TYPE_CHECKING:
    from app.store import Library

FULL_RELOAD_SHARE = 0.25  # more changed items than this share of the rows: read everything again
SLICE = 65_536            # rows per NumPy pass where Numba is missing
CACHE_FROM = 20_000       # items with evidence from which the matrix is saved (``app.store.cache``)
SAVE_AFTER_MARKS = 100_000  # log entries read since the saved cache before it is saved again


@dataclass
class EvidenceMatrix:
    model_id: str | None
    label_ids: list[str]     # the columns: every label of the scheme when read
    ids: np.ndarray          # int64 (n,), sorted: the items with any evidence
    tagged: np.ndarray       # bool (n, labels)
    values: np.ndarray       # float32 (n, labels)
    mark: int                # the change log's newest mark when read
    scheme_version: int
    col: dict[str, int] = field(default_factory=dict)
    saved_mark: int = -1     # the mark of the cache saved from it (or it came from), if any

    def __post_init__(self):
        self.col = {l: j for j, l in enumerate(self.label_ids)}

    def __len__(self) -> int:
        return len(self.ids)

    def rows_of(self, item_ids) -> np.ndarray:
        """Row of each item id, -1 where the item has no evidence."""
        item_ids = np.asarray(item_ids, np.int64)
        if len(self.ids) == 0:
            return np.full(len(item_ids), -1, np.int64)
        at = np.searchsorted(self.ids, item_ids)
        at = np.minimum(at, len(self.ids) - 1)
        return np.where(self.ids[at] == item_ids, at, -1)

    def columns(self, label_ids) -> np.ndarray:
        """Column of each label id, -1 for a label the matrix does not know."""
        return np.array([self.col.get(l, -1) for l in label_ids], np.int64)

    def member_rows(self, members: np.ndarray) -> np.ndarray:
        """bool (n,): which rows are items of ``members`` (sorted ids)."""
        return rows_mask(self.ids, members)

    def profile_scores(self, passes: list[tuple[np.ndarray, bool]], label_ids: list[str], weights: np.ndarray,
                       query: np.ndarray, strong) -> list[np.ndarray]:
        """For each pass (``members``: bool (n,), ``need_tag``), float32 (n,): for each row
        that is a member and carries evidence of any ``strong`` label (tagged with it when
        ``need_tag``), the weighted cosine of its profile over ``label_ids`` with ``query``
        (``similar.profile_similarity``); -1 for the other rows. Where Numba runs, one
        compiled pass over the matrix serves every pass, its rows split over the cores."""
        out = np.full((len(self.ids), len(passes)), -1.0, np.float32)
        strong_cols = self.columns(sorted(strong))
        strong_cols = strong_cols[strong_cols >= 0]
        cols = self.columns(label_ids)
        if len(self.ids) == 0 or len(strong_cols) == 0 or not passes:
            return [out[:, s].copy() for s in range(len(passes))]
        weights, query = np.asarray(weights, np.float32), np.asarray(query, np.float32)
        if _compiled.AVAILABLE:
            values, tagged = np.asarray(self.values), np.asarray(self.tagged)
            stacked = np.ascontiguousarray(np.stack([m for m, _ in passes], axis=1))
            needs = np.array([need for _, need in passes], bool)
            # the query and the weights spread over the matrix's columns (0 where the model
            # has no label): the compiled loop then reads each row in memory order
            known = cols >= 0
            query_weight = np.zeros(len(self.label_ids), np.float64)
            weight = np.zeros(len(self.label_ids), np.float64)
            np.add.at(query_weight, cols[known], (query * weights)[known])
            np.add.at(weight, cols[known], weights[known])
            qnorm = max(float(np.sqrt(np.sum(query.astype(np.float64) ** 2 * weights))), 1e-9)
            parallel.run_blocks(lambda a, b: _compiled.profile_scores(
                values[a:b], tagged[a:b], stacked[a:b], needs, query_weight, weight, qnorm, strong_cols,
                out[a:b]), len(self.ids))
            return [out[:, s].copy() for s in range(len(passes))]
        for s, (members, need_tag) in enumerate(passes):
            for start in range(0, len(self.ids), SLICE):
                part = slice(start, start + SLICE)
                found = (self.tagged[part][:, strong_cols] if need_tag else self.values[part][:, strong_cols] > 0)
                rows = np.flatnonzero(found.any(axis=1) & members[part])
                if len(rows):
                    profiles = self.values[part][rows][:, np.maximum(cols, 0)]
                    profiles[:, cols < 0] = 0.0  # a label the matrix lacks
                    q, p = query * np.sqrt(weights), profiles * np.sqrt(weights)
                    norms = np.linalg.norm(p, axis=1) * max(float(np.linalg.norm(q)), 1e-9)
                    out[start + rows, s] = (p @ q) / np.maximum(norms, 1e-9)
        return [out[:, s].copy() for s in range(len(passes))]

    def profiles(self, item_ids, label_ids) -> np.ndarray:
        """float32 (items, labels): 1 where tagged, else the predicted probability, else 0
        (what ``similar.item_profiles`` reads from SQLite, for many items at once)."""
        rows, cols = self.rows_of(item_ids), self.columns(label_ids)
        if len(self.ids) == 0:
            return np.zeros((len(rows), len(cols)), np.float32)
        out = self.values[np.maximum(rows, 0)][:, np.maximum(cols, 0)]
        out[rows < 0] = 0.0
        out[:, cols < 0] = 0.0
        return out


def load(lib: Library, model_id: str | None, scheme_version: int) -> EvidenceMatrix:
    """Every item's evidence for ``model_id`` (tags only when it is None) under the scheme of
    ``scheme_version`` (its labels are the columns): the saved cache brought up to date when
    there is one, else read from every row."""
    cached = _cached(lib, model_id, scheme_version)
    if cached is not None:
        matrix = refresh(lib, cached, model_id, scheme_version)
        if matrix is not cached and matrix.saved_mark < matrix.mark and len(matrix) >= CACHE_FROM:
            _save(lib, matrix)  # changed since it was saved: else every process started after copies it again
        return matrix
    return _read_all(lib, model_id, scheme_version)


def refresh(lib: Library, matrix: EvidenceMatrix | None, model_id: str | None,
            scheme_version: int) -> EvidenceMatrix:
    """``matrix`` brought up to date with the library, whose scheme is at ``scheme_version``
    (the same object when nothing changed; never changed in place, so a query on another
    thread keeps a consistent one)."""
    if matrix is None or matrix.model_id != model_id or matrix.scheme_version != scheme_version:
        return load(lib, model_id, scheme_version)
    newest = lib.unchanged("evidence_mark", lib.evidence.mark)  # a read a search need not repeat
    if newest == matrix.mark:
        return matrix
    oldest = lib.evidence.oldest()
    if oldest is None or oldest > matrix.mark + 1 or lib.evidence.too_far(matrix.mark, newest, len(matrix)):
        return _read_all(lib, model_id, scheme_version)  # pruned past what it saw, or too much changed
    changed = lib.evidence.changed_since(matrix.mark, newest)
    if len(changed) > FULL_RELOAD_SHARE * max(len(matrix), 1) and len(changed) > 1000:
        return _read_all(lib, model_id, scheme_version)
    ids, tagged, values = _read(lib, model_id, matrix.col, changed)
    merged = _merged(matrix, np.asarray(changed, np.int64), ids, tagged, values, newest)
    if newest - merged.saved_mark > SAVE_AFTER_MARKS:
        _save(lib, merged)
    return merged


def _read_all(lib: Library, model_id: str | None, scheme_version: int) -> EvidenceMatrix:
    mark = lib.evidence.mark()  # first: a change made while reading is read again next time
    label_ids, _ = lib.evidence.labels()
    ids, tagged, values = _read(lib, model_id, {l: j for j, l in enumerate(label_ids)}, None)
    matrix = EvidenceMatrix(model_id, label_ids, ids, tagged, values, mark, scheme_version)
    if len(ids) >= CACHE_FROM:
        _save(lib, matrix)
    return matrix


def _cache_name(model_id: str | None) -> str:
    return "evidence-" + (hashlib.sha256(model_id.encode()).hexdigest()[:16] if model_id else "tags")


def _save(lib: Library, matrix: EvidenceMatrix) -> None:
    if cache.save(lib, _cache_name(matrix.model_id),
                  {"ids": matrix.ids, "tagged": matrix.tagged, "values": matrix.values},
                  {"model": matrix.model_id, "scheme_version": matrix.scheme_version, "mark": matrix.mark,
                   "labels": matrix.label_ids}):
        matrix.saved_mark = matrix.mark


def _cached(lib: Library, model_id: str | None, scheme_version: int) -> EvidenceMatrix | None:
    """The saved matrix, if it was made for this model and scheme and is whole."""
    found = cache.load(lib, _cache_name(model_id))
    if found is None:
        return None
    arrays, meta = found
    labels = meta.get("labels")
    if meta.get("model") != model_id or meta.get("scheme_version") != scheme_version \
            or not isinstance(labels, list) or not isinstance(meta.get("mark"), int):
        return None
    ids, tagged, values = arrays.get("ids"), arrays.get("tagged"), arrays.get("values")
    n, width = (len(ids), len(labels)) if ids is not None else (-1, -1)
    if ids is None or tagged is None or values is None or ids.dtype != np.int64 or ids.ndim != 1 \
            or tagged.dtype != bool or tagged.shape != (n, width) \
            or values.dtype != np.float32 or values.shape != (n, width):
        return None
    matrix = EvidenceMatrix(model_id, labels, ids, tagged, values, meta["mark"], scheme_version)
    matrix.saved_mark = matrix.mark
    return matrix


def _read(lib: Library, model_id: str | None, col: dict[str, int], item_ids: list[int] | None):
    """(ids, tagged, values) over the columns ``col`` of every item with evidence, or of
    those of ``item_ids``."""
    label_ids, rowids = lib.evidence.labels()
    column = np.full(int(rowids.max(initial=0)) + 1, -1, np.int64)
    column[rowids] = [col.get(l, -1) for l in label_ids]
    t_items, t_labels = lib.evidence.tags(item_ids)
    if model_id is not None:
        p_items, p_labels, p = lib.evidence.predictions(model_id, item_ids)
    else:
        p_items, p_labels, p = np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0)
    known_p, known_t = column[p_labels] >= 0, column[t_labels] >= 0
    p_items, p_labels, p = p_items[known_p], p_labels[known_p], p[known_p]
    t_items, t_labels = t_items[known_t], t_labels[known_t]
    ids = np.union1d(t_items, p_items)
    tagged = np.zeros((len(ids), len(col)), bool)
    values = np.zeros((len(ids), len(col)), np.float32)
    values[np.searchsorted(ids, p_items), column[p_labels]] = p
    rows, cols = np.searchsorted(ids, t_items), column[t_labels]
    tagged[rows, cols] = True
    values[rows, cols] = 1.0
    return ids, tagged, values


def _merged(matrix: EvidenceMatrix, changed: np.ndarray, ids: np.ndarray, tagged: np.ndarray,
            values: np.ndarray, mark: int) -> EvidenceMatrix:
    """A new matrix: ``matrix`` without the changed items' rows, with their new ones (each
    array copied once, ``app.store.splice``)."""
    splice = Splice(matrix.ids, ~np.isin(matrix.ids, changed), ids)
    merged = EvidenceMatrix(matrix.model_id, matrix.label_ids, splice.ids, splice(matrix.tagged, tagged),
                            splice(matrix.values, values), mark, matrix.scheme_version)
    merged.saved_mark = matrix.saved_mark
    return merged
