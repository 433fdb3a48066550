"""Shared plumbing for the retrieval metrics: input normalisation and chunked ranking.

Every metric in this package ranks a database by Hamming distance for a block of
queries at a time.  The block size is chosen so that one (block, n_db) array stays
within ``_BLOCK_BYTES``; a handful of such arrays are alive at once, so peak memory is
a few hundred MB at most even for 2,000 queries x 20,000 database items (or far more).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

# Bytes per (block, n_db) array of 8-byte elements.  Five or six such arrays live at
# once (distances, order, relevance, cumulative sums), so ~48 MB keeps the peak < 300 MB.
_BLOCK_BYTES = 48 * 1024 * 1024

TIE_BREAKS = ("index", "score")


def as_pm1(codes, packed: bool = False) -> np.ndarray:
    """Return codes as a float32 (n, bits) array of +1/-1.

    Accepts +1/-1, 0/1, or pre-sign real values (positive -> +1, else -1), or with
    ``packed=True`` a uint8 (n, bits/8) array in FAISS's binary layout.
    """
    arr = np.asarray(codes)
    if arr.ndim == 1:
        arr = arr[None, :]
    if packed:
        arr = np.unpackbits(arr.astype(np.uint8, copy=False), axis=1)
    return np.where(arr > 0, 1.0, -1.0).astype(np.float32)


def relevance_kind(labels) -> str:
    """'class' for 1-D integer class ids, 'multihot' for (n, c) 0/1 arrays."""
    return "class" if np.asarray(labels).ndim == 1 else "multihot"


def shared_labels(q_labels: np.ndarray, db_labels: np.ndarray) -> np.ndarray:
    """Number of shared labels (graded relevance), shape (nq, n_db), int32.

    For 1-D class ids this is 1 for the same class and 0 otherwise.
    """
    if q_labels.ndim == 1:
        return (q_labels[:, None] == db_labels[None, :]).astype(np.int32)
    # float32 matmul is exact for counts far below 2**24.
    counts = (q_labels > 0).astype(np.float32) @ (db_labels > 0).astype(np.float32).T
    return np.rint(counts).astype(np.int32)


def check_inputs(q_codes, db_codes, q_labels, db_labels, packed: bool, tie_break: str):
    """Normalise and validate the arrays every metric takes; return them as a tuple."""
    if tie_break not in TIE_BREAKS:
        raise ValueError(f"tie_break must be one of {TIE_BREAKS}, got {tie_break!r}")
    qc, dc = as_pm1(q_codes, packed), as_pm1(db_codes, packed)
    ql, dl = np.asarray(q_labels), np.asarray(db_labels)
    if qc.shape[1] != dc.shape[1]:
        raise ValueError(f"code lengths differ: {qc.shape[1]} vs {dc.shape[1]}")
    if len(qc) != len(ql) or len(dc) != len(dl):
        raise ValueError("codes and labels must have the same number of rows")
    if ql.ndim != dl.ndim or (ql.ndim == 2 and ql.shape[1] != dl.shape[1]):
        raise ValueError("query and database labels must have the same layout")
    return qc, dc, ql, dl


def hamming(q_pm1: np.ndarray, db_pm1: np.ndarray) -> np.ndarray:
    """Hamming distances between +/-1 codes, (nq, n_db), in the smallest unsigned dtype.

    d = (bits - <q, db>) / 2; the float32 inner product of +/-1 vectors is exact.
    A uint8/uint16 result lets the stable sort below use NumPy's radix sort.
    """
    bits = q_pm1.shape[1]
    dist = (bits - q_pm1 @ db_pm1.T) * 0.5
    dtype = np.uint8 if bits < 256 else np.uint16
    return np.rint(dist).astype(dtype)


def rank(dist: np.ndarray, tie_scores: np.ndarray | None = None) -> np.ndarray:
    """Database order per query: by distance, ties by higher score, then by index.

    Both sorts are stable, so with ``tie_scores=None`` ties keep database order (the
    convention of the published evaluation code).
    """
    if tie_scores is None:
        return np.argsort(dist, axis=1, kind="stable")
    by_score = np.argsort(-tie_scores, axis=1, kind="stable")
    d_sorted = np.take_along_axis(dist, by_score, axis=1)
    return np.take_along_axis(by_score, np.argsort(d_sorted, axis=1, kind="stable"), axis=1)


@dataclass
class RankedBlock:
    """One block of queries with the database ranked for each."""

    start: int
    order: np.ndarray  # (b, n_db) database positions, best first
    dist: np.ndarray  # (b, n_db) Hamming distances in ranked order
    gain: np.ndarray  # (b, n_db) shared-label counts in ranked order
    gain_total: np.ndarray  # (b,) relevant items in the whole database (gain > 0)


def block_rows(n_db: int) -> int:
    """How many queries to rank at once for a database of ``n_db`` items."""
    return max(1, _BLOCK_BYTES // (8 * max(1, n_db)))


def ranked_blocks(qc, dc, ql, dl, tie_break="index", q_scores=None, db_scores=None,
                  rows: int | None = None) -> Iterator[RankedBlock]:
    """Yield query blocks with the whole database ranked for each query."""
    if tie_break == "score" and (q_scores is None or db_scores is None):
        raise ValueError("tie_break='score' needs query_scores and db_scores")
    rows = rows or block_rows(len(dc))
    qs = None if q_scores is None else np.asarray(q_scores, dtype=np.float64)
    ds = None if db_scores is None else np.asarray(db_scores, dtype=np.float64)
    for start in range(0, len(qc), rows):
        stop = min(start + rows, len(qc))
        dist = hamming(qc[start:stop], dc)
        tie = qs[start:stop] @ ds.T if tie_break == "score" and qs is not None and ds is not None else None
        order = rank(dist, tie)
        gain = shared_labels(ql[start:stop], dl)
        yield RankedBlock(start, order, np.take_along_axis(dist, order, axis=1),
                          np.take_along_axis(gain, order, axis=1), (gain > 0).sum(axis=1))
