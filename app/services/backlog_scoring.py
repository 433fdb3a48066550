"""Scoring for the backlog benchmark, in NumPy only: graded precision@10 beside chance,
photo-query relevance, attribute-edit NDCG, tag-suggestion AP, micro-F1 and calibration.

Everything takes a truth matrix: backlog (or library) rows × label columns, True where the
item has the label *or a label below it* (an item tagged Dragon has Animal), so a query for
a parent label is answered by any of its children.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np

K = 10


def truth_matrix(scheme, label_ids: Sequence[str], item_labels: Iterable[Iterable[str]]) -> np.ndarray:
    """bool (n, c): each item's labels closed under the scheme's ancestors."""
    column = {label_id: j for j, label_id in enumerate(label_ids)}
    rows = []
    for labels in item_labels:
        row = np.zeros(len(label_ids), bool)
        for label_id in scheme.closure(l for l in labels if l in scheme.labels):
            if label_id in column:
                row[column[label_id]] = True
        rows.append(row)
    return np.array(rows, bool).reshape(len(rows), len(label_ids))


def relevance_matrix(truth: np.ndarray, queries: Sequence[Sequence[int]]) -> np.ndarray:
    """float (n, q): the share of query j's asked label columns that item i has."""
    asked = np.zeros((truth.shape[1], len(queries)), np.float32)
    for j, cols in enumerate(queries):
        asked[list(cols), j] = 1.0 / len(cols)
    return truth.astype(np.float32) @ asked


def precision_at_k(relevance: np.ndarray, rankings: np.ndarray, k: int = K) -> np.ndarray:
    """Graded P@k per query. ``rankings`` (q, ≥k) holds row indices, -1 where a search
    returned fewer hits (an empty slot counts 0, so a short answer is not rewarded)."""
    padded = np.vstack([relevance, np.zeros((1, relevance.shape[1]), relevance.dtype)])
    top = np.asarray(rankings)[:, :k]
    top = np.where(top < 0, len(relevance), top)
    return padded[top, np.arange(len(top))[:, None]].sum(axis=1) / k


def chance_rate(relevance: np.ndarray) -> np.ndarray:
    """Per query: the expected P@k of a random order (mean relevance over all items)."""
    return relevance.mean(axis=0)


def best_possible(relevance: np.ndarray, k: int = K) -> np.ndarray:
    """Per query: the P@k of a perfect ranking, under 1 where fewer than k items are fully
    relevant (a class with 4 backlog photos scores at most 0.4, and a phrase of labels that
    no photo has all of cannot reach 1 either)."""
    if len(relevance) == 0:
        return np.zeros(relevance.shape[1], np.float32)
    top = -np.sort(-relevance, axis=0)[:k]
    return top.sum(axis=0) / k


def rankings_array(ranked: Sequence[Sequence[int]], k: int = K) -> np.ndarray:
    """Lists of row indices (maybe short) → int (q, k), padded with -1."""
    out = np.full((len(ranked), k), -1, np.int64)
    for j, rows in enumerate(ranked):
        rows = list(rows)[:k]
        out[j, :len(rows)] = rows
    return out


def pairwise_same(query_sets: np.ndarray, item_truth: np.ndarray, require_all: bool) -> np.ndarray:
    """bool (nq, n): item j has all (``require_all``) or any of query i's marked columns."""
    overlap = query_sets.astype(np.int32) @ item_truth.T.astype(np.int32)
    if require_all:
        return overlap == query_sets.sum(axis=1, keepdims=True)
    return overlap > 0


def ndcg_at_k(gains_ranked: np.ndarray, gains_all: np.ndarray, k: int = K) -> float:
    """NDCG@k of one ranked list of gains against the best order of every candidate's gain."""
    discount = 1.0 / np.log2(np.arange(2, k + 2))
    dcg = float((np.asarray(gains_ranked, float)[:k] * discount[:len(gains_ranked[:k])]).sum())
    ideal = np.sort(np.asarray(gains_all, float))[::-1][:k]
    idcg = float((ideal * discount[:len(ideal)]).sum())
    return dcg / idcg if idcg > 0 else 0.0


def average_precision(scores: np.ndarray, positives: np.ndarray) -> np.ndarray:
    """AP per column of ``scores`` (n, c) against bool ``positives`` (n, c); NaN where a
    column has no positive."""
    order = np.argsort(-scores, axis=0, kind="stable")
    hits = np.take_along_axis(positives, order, axis=0).astype(np.float64)
    cum = np.cumsum(hits, axis=0)
    precision = cum / np.arange(1, len(scores) + 1)[:, None]
    n_pos = hits.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(n_pos > 0, (precision * hits).sum(axis=0) / n_pos, np.nan)


def micro_f1(predicted: np.ndarray, truth: np.ndarray) -> dict:
    """Micro precision, recall and F1 of bool (n, c) predictions."""
    tp = int((predicted & truth).sum())
    fp = int((predicted & ~truth).sum())
    fn = int((~predicted & truth).sum())
    precision = tp / max(1, tp + fp)
    recall = tp / max(1, tp + fn)
    f1 = 2 * tp / max(1, 2 * tp + fp + fn)
    return {"precision": precision, "recall": recall, "f1": f1, "tp": tp, "fp": fp, "fn": fn}


RELIABILITY_BINS = ((0.5, 0.6), (0.6, 0.7), (0.7, 0.8), (0.8, 0.9), (0.9, 1.0001))


def reliability(confidences: np.ndarray, correct: np.ndarray, bins=RELIABILITY_BINS) -> list[dict]:
    """Per confidence bin [lo, hi): how many suggestions, and the share that is right."""
    out = []
    for lo, hi in bins:
        inside = (confidences >= lo) & (confidences < hi)
        n = int(inside.sum())
        out.append({"bin": f"{lo:.2f}-{min(hi, 1.0):.2f}", "count": n,
                    "correct": float(correct[inside].mean()) if n else None})
    return out


def median_or_none(values: Sequence[float | None]) -> float | None:
    """The median of the values that are numbers, None when there is none."""
    vals = [v for v in values if v is not None and not (isinstance(v, float) and np.isnan(v))]
    return float(np.median(vals)) if vals else None
