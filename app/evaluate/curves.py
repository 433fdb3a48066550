"""Precision-recall by Hamming radius, and precision@K broken down by class.

``pr_curve_by_radius`` answers "if I return everything within radius r, how precise and
how complete is the result?" for r = 0..bits (METHOD.md, "PR curve by Hamming radius").
``precision_at_k_by_class`` answers the curator's "how good is my model for dragons?".
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from app.evaluate._ranking import block_rows, check_inputs, hamming, ranked_blocks, shared_labels


@dataclass(frozen=True)
class PRCurve:
    """Precision and recall of "everything within radius r", for r = 0..bits."""

    radius: np.ndarray  # (bits + 1,) int
    precision: np.ndarray  # (bits + 1,) float, NaN where no query retrieves anything
    recall: np.ndarray  # (bits + 1,) float
    n_retrieving: np.ndarray  # (bits + 1,) queries with >= 1 item within r
    n_queries: int  # queries with R_q > 0 (those entering the recall mean)
    n_skipped: int  # queries with R_q = 0
    definition: str


def _radius_counts(dist: np.ndarray, rel: np.ndarray, bits: int):
    """Per query, items and relevant items within each radius: two (b, bits+1) arrays."""
    width = bits + 1
    offset = (np.arange(len(dist), dtype=np.int64) * width)[:, None]
    flat = (dist.astype(np.int64) + offset).ravel()
    size = len(dist) * width
    at = np.bincount(flat, minlength=size).reshape(-1, width)
    rel_at = np.bincount(flat, weights=rel.ravel(), minlength=size).reshape(-1, width)
    return np.cumsum(at, axis=1), np.cumsum(rel_at, axis=1)


def pr_curve_by_radius(query_codes, db_codes, query_labels, db_labels,
                       packed: bool = False) -> PRCurve:
    """Precision and recall of the Hamming ball of radius r, for every r = 0..bits.

    Both are means over queries (macro average).  Recall(r) = hits(r) / R_q over the
    queries with R_q > 0.  Precision(r) = hits(r) / retrieved(r) is undefined for a query
    that retrieves nothing at radius r: such queries are left out of the mean at that r
    (``n_retrieving[r]`` says how many remain), and the precision is NaN when none
    remains.  Counting an empty answer as precision 0 or 1 instead would bend the curve
    at small radii by a convention, not by the model.
    """
    qc, dc, ql, dl = check_inputs(query_codes, db_codes, query_labels, db_labels,
                                  packed=packed, tie_break="index")
    bits = qc.shape[1]
    prec_sum, n_ret = np.zeros(bits + 1), np.zeros(bits + 1, dtype=np.int64)
    rec_sum, n_rel = np.zeros(bits + 1), 0
    rows = block_rows(len(dc))
    for start in range(0, len(qc), rows):
        stop = min(start + rows, len(qc))
        rel = shared_labels(ql[start:stop], dl) > 0
        retrieved, hits = _radius_counts(hamming(qc[start:stop], dc), rel, bits)
        has = retrieved > 0
        prec_sum += np.where(has, hits / np.maximum(retrieved, 1), 0.0).sum(axis=0)
        n_ret += has.sum(axis=0)
        r_total = rel.sum(axis=1)
        rec_sum += (hits[r_total > 0] / r_total[r_total > 0, None]).sum(axis=0)
        n_rel += int((r_total > 0).sum())
    with np.errstate(invalid="ignore", divide="ignore"):
        precision = np.where(n_ret > 0, prec_sum / np.maximum(n_ret, 1), np.nan)
    recall = rec_sum / n_rel if n_rel else np.full(bits + 1, np.nan)
    definition = ("PR by Hamming radius r=0..bits: macro means over queries; precision "
                  "over queries retrieving >=1 item at r (NaN if none), recall over R_q>0")
    return PRCurve(np.arange(bits + 1), precision, recall, n_ret, n_rel, len(qc) - n_rel,
                   definition)


@dataclass(frozen=True)
class ClassPrecision:
    """Precision@K for the queries that carry one class."""

    value: float
    n_queries: int

    @property
    def precision(self) -> float:
        """Alias of ``value`` (what the number is)."""
        return self.value


def _one_hot(q_labels: np.ndarray, db_labels: np.ndarray):
    """Class ids -> (multi-hot query, multi-hot db, class keys)."""
    keys = np.unique(np.concatenate([q_labels, db_labels]))
    to_col = {k: i for i, k in enumerate(keys.tolist())}
    eye = np.eye(len(keys), dtype=np.uint8)
    return (eye[[to_col[v] for v in q_labels.tolist()]],
            eye[[to_col[v] for v in db_labels.tolist()]], keys.tolist())


def precision_at_k_by_class(query_codes, db_codes, query_labels, db_labels, k: int = 20,
                            class_names=None, query_scores=None, db_scores=None,
                            tie_break: str = "index",
                            packed: bool = False) -> dict[object, ClassPrecision]:
    """Precision@K per class c: over the queries carrying c, the share of the top K
    results that also carry c (for class ids: that are of the same class).

    Keys are the class ids (1-D labels), or ``class_names[i]`` / column index ``i``
    (multi-hot).  Classes that no query carries are left out.
    """
    qc, dc, ql, dl = check_inputs(query_codes, db_codes, query_labels, db_labels,
                                  packed=packed, tie_break=tie_break)
    if ql.ndim == 1:
        ql, dl, keys = _one_hot(ql, dl)
    else:
        keys = list(class_names) if class_names is not None else list(range(ql.shape[1]))
    ql, dl = (ql > 0), (dl > 0).astype(np.float64)
    sums, counts = np.zeros(ql.shape[1]), np.zeros(ql.shape[1], dtype=np.int64)
    # The (rows, K, c) gather below must also fit the block budget when K*c is large.
    rows = max(1, min(block_rows(len(dc)), block_rows(min(k, len(dc)) * ql.shape[1])))
    for b in ranked_blocks(qc, dc, ql, dl, tie_break, query_scores, db_scores, rows=rows):
        top = dl[b.order[:, :k]]  # (b, K', c): does the j-th result carry class c?
        share = top.mean(axis=1)  # (b, c)
        mask = ql[b.start:b.start + len(b.order)]
        sums += np.where(mask, share, 0.0).sum(axis=0)
        counts += mask.sum(axis=0)
    return {keys[c]: ClassPrecision(float(sums[c] / counts[c]), int(counts[c]))
            for c in range(len(keys)) if counts[c] > 0}
