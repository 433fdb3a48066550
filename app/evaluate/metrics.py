"""Retrieval metrics for hash codes: MAP@all, MAP@K, precision@K, recall@K, NDCG@K.

All metrics rank the whole database by Hamming distance for every query.  Ties are
broken by database order (``tie_break="index"``, the convention of the published
evaluation code, so numbers are comparable with papers) or by the continuous score
``<query_scores, db_scores>``, higher first (``tie_break="score"``, the tie-aware variant).

Codes may be +1/-1, 0/1 or pre-sign reals (sign taken), or packed uint8 bits
(``packed=True``, FAISS's binary layout).  Labels are multi-hot (n, c) arrays (relevant =
shares at least one label; graded relevance = number of shared labels) or 1-D class ids
(relevant = same class).  Every result carries a one-line ``definition`` to print next to
the number (METHOD.md: "state the definition next to the number").
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from app.evaluate._ranking import check_inputs, ranked_blocks


@dataclass(frozen=True)
class MapResult:
    """Mean average precision with the query bookkeeping needed to report it honestly."""

    map: float
    n_queries: int  # queries that entered the mean
    n_skipped: int  # queries with no relevant item in the database (R_q = 0)
    definition: str

    def __str__(self) -> str:
        return (f"{self.map:.4f} ({self.n_queries} queries, {self.n_skipped} skipped "
                f"with R_q=0) — {self.definition}")


@dataclass(frozen=True)
class MetricResult:
    """A mean over queries of precision@K, recall@K or NDCG@K."""

    value: float
    n_queries: int
    n_skipped: int
    definition: str

    def __str__(self) -> str:
        return (f"{self.value:.4f} ({self.n_queries} queries, {self.n_skipped} skipped) "
                f"— {self.definition}")


def _tie_text(tie_break: str) -> str:
    return ("ties by database order" if tie_break == "index"
            else "ties by continuous score, higher first")


def _safe_mean(values: list[np.ndarray]) -> float:
    allv = np.concatenate(values) if values else np.empty(0)
    return float(allv.mean()) if allv.size else float("nan")


def _blocks(args, packed, tie_break, query_scores, db_scores):
    qc, dc, ql, dl = check_inputs(*args, packed=packed, tie_break=tie_break)
    return ranked_blocks(qc, dc, ql, dl, tie_break, query_scores, db_scores), len(qc)


def _ap_block(rel: np.ndarray, r_total: np.ndarray, k: int | None) -> np.ndarray:
    """AP (or AP@K) per query of one block; ``rel`` is boolean in ranked order."""
    if k is not None:
        rel = rel[:, :k]
    hits = np.cumsum(rel, axis=1, dtype=np.float64)
    positions = np.arange(1, rel.shape[1] + 1, dtype=np.float64)
    summed = (hits / positions * rel).sum(axis=1)
    denom = r_total if k is None else np.minimum(r_total, k)
    return summed / denom


def mean_average_precision(query_codes, db_codes, query_labels, db_labels,
                           k: int | None = None, query_scores=None, db_scores=None,
                           tie_break: str = "index", packed: bool = False) -> MapResult:
    """MAP@all (``k=None``) or MAP@K over Hamming ranking.

    AP(q) = (1/R_q) sum_k P(k) rel(k) over the whole ranking; AP@K(q) =
    (1/min(R_q, K)) sum_{k<=K} P(k) rel(k), R_q counted over the whole database.
    Queries with R_q = 0 are skipped and counted in ``n_skipped``.
    """
    if k is not None and k < 1:
        raise ValueError("k must be a positive integer or None")
    blocks, nq = _blocks((query_codes, db_codes, query_labels, db_labels), packed,
                         tie_break, query_scores, db_scores)
    aps = []
    for b in blocks:
        keep = b.gain_total > 0
        aps.append(_ap_block(b.gain[keep] > 0, b.gain_total[keep], k))
    n_used = sum(len(a) for a in aps)
    at = "all" if k is None else str(k)
    norm = "R_q" if k is None else "min(R_q, K)"
    definition = (f"MAP@{at}: AP = (1/{norm}) Σ_{{k≤{at}}} P(k)·rel(k), Hamming ranking, "
                  f"{_tie_text(tie_break)}, queries with R_q=0 skipped")
    return MapResult(_safe_mean(aps), n_used, nq - n_used, definition)


def precision_at_k(query_codes, db_codes, query_labels, db_labels, k: int,
                   query_scores=None, db_scores=None, tie_break: str = "index",
                   packed: bool = False) -> MetricResult:
    """Mean over all queries of (relevant items in the top K) / min(K, n_db).

    Queries without any relevant item count (with precision 0): a retrieval that
    returns nothing useful is a real failure, not an undefined case.
    """
    blocks, nq = _blocks((query_codes, db_codes, query_labels, db_labels), packed,
                         tie_break, query_scores, db_scores)
    vals = []
    for b in blocks:
        top = b.gain[:, :k] > 0
        vals.append(top.sum(axis=1) / top.shape[1])
    definition = (f"P@{k}: relevant in top min(K, n_db) / min(K, n_db), all queries, "
                  f"{_tie_text(tie_break)}")
    return MetricResult(_safe_mean(vals), nq, 0, definition)


def recall_at_k(query_codes, db_codes, query_labels, db_labels, k: int,
                query_scores=None, db_scores=None, tie_break: str = "index",
                packed: bool = False) -> MetricResult:
    """Mean of (relevant items in the top K) / R_q; queries with R_q = 0 skipped."""
    blocks, nq = _blocks((query_codes, db_codes, query_labels, db_labels), packed,
                         tie_break, query_scores, db_scores)
    vals = []
    for b in blocks:
        keep = b.gain_total > 0
        vals.append((b.gain[keep, :k] > 0).sum(axis=1) / b.gain_total[keep])
    n_used = sum(len(v) for v in vals)
    definition = f"R@{k}: relevant in top K / R_q, R_q=0 skipped, {_tie_text(tie_break)}"
    return MetricResult(_safe_mean(vals), n_used, nq - n_used, definition)


def _dcg(gains: np.ndarray, exponential: bool) -> np.ndarray:
    g = np.exp2(gains) - 1.0 if exponential else gains.astype(np.float64)
    discounts = 1.0 / np.log2(np.arange(2, gains.shape[1] + 2, dtype=np.float64))
    return g @ discounts


def ndcg_at_k(query_codes, db_codes, query_labels, db_labels, k: int,
              query_scores=None, db_scores=None, tie_break: str = "index",
              packed: bool = False, gain: str = "exponential") -> MetricResult:
    """NDCG@K with graded relevance g = number of shared labels.

    DCG@K = sum_{i<=K} G(g_i) / log2(i + 1) with G(g) = 2^g - 1 (``gain="exponential"``,
    the usual choice in the hashing literature) or G(g) = g (``gain="linear"``).  IDCG@K
    is the DCG of the ideal ordering (all gains sorted descending).  Queries whose IDCG
    is 0 (no relevant item) are skipped.
    """
    if gain not in ("exponential", "linear"):
        raise ValueError("gain must be 'exponential' or 'linear'")
    exp = gain == "exponential"
    blocks, nq = _blocks((query_codes, db_codes, query_labels, db_labels), packed,
                         tie_break, query_scores, db_scores)
    vals = []
    for b in blocks:
        keep = b.gain_total > 0
        got = b.gain[keep, :k]
        ideal = -np.sort(-b.gain[keep], axis=1)[:, :k]
        vals.append(_dcg(got, exp) / _dcg(ideal, exp))
    n_used = sum(len(v) for v in vals)
    g_text = "2^g-1" if exp else "g"
    definition = (f"NDCG@{k}: Σ G(g_i)/log2(i+1), G={g_text}, g=shared labels, "
                  f"IDCG from ideal order, R_q=0 skipped, {_tie_text(tie_break)}")
    return MetricResult(_safe_mean(vals), n_used, nq - n_used, definition)


def label_ranking_map(probs: np.ndarray, truth: np.ndarray) -> float:
    """Mean over labels of the AP of ranking items by their predicted probability of it.

    This is what a curator sees when typing a label's name over photos nobody has tagged:
    the items are ranked by how likely they carry the label. Labels no item carries are
    skipped; ties are broken by item order (stable sort). NaN when no label has a positive.
    """
    probs, truth = np.asarray(probs, np.float64), np.asarray(truth) > 0
    aps = []
    for j in np.flatnonzero(truth.any(axis=0)):
        rel = truth[np.argsort(-probs[:, j], kind="stable"), j]
        hits = np.cumsum(rel)
        aps.append(float((hits[rel] / (np.flatnonzero(rel) + 1)).mean()))
    return float(np.mean(aps)) if aps else float("nan")
