"""Choosing the vocabulary's terms from tokenised documents.

Two steps. First a document-frequency filter: a term must occur in at least ``min_df`` documents
(rarer terms cannot generalise and mostly are typos) and in at most ``max_df`` of them (a term in
nearly every description, such as a collection-wide "清代", separates nothing). Then a ranking:

- with a label matrix, by **mutual information** between "the document contains the term" and
  each label, summed over labels. MI rewards terms that predict labels in either direction and,
  unlike chi², does not favour rare terms that co-occur with a rare label by chance (Yang &
  Pedersen 1997 found MI-like information gain and chi² best for text feature selection). It is
  computed on labelled documents only: an item nobody has labelled yet is not a negative example.
- without labels (or when no document has a label), by document frequency: the common terms
  that survived the filter are the ones a text network can learn something about.

Ties are broken by higher document frequency, then by the term itself, so the same input always
gives the same vocabulary in the same order (scores are rounded to hide float summation noise).
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import numpy as np

SCORE_DECIMALS = 12


def document_frequencies(docs: Sequence[Sequence[str]]) -> Counter[str]:
    """How many documents contain each term (a term counts once per document)."""
    df: Counter[str] = Counter()
    for doc in docs:
        df.update(set(doc))
    return df


def candidate_terms(df: Counter[str], n_docs: int, min_df: int, max_df: float) -> list[str]:
    """Terms passing the document-frequency filter, sorted by term."""
    ceiling = max_df * n_docs
    return sorted(t for t, f in df.items() if min_df <= f <= ceiling)


def select_terms(docs: Sequence[Sequence[str]], size: int, min_df: int, max_df: float,
                 labels: np.ndarray | None = None) -> tuple[list[str], str]:
    """The ``size`` best terms in ranked order, and the name of the ranking used."""
    df = document_frequencies(docs)
    candidates = candidate_terms(df, len(docs), min_df, max_df)
    scores, method = None, "document-frequency"
    if labels is not None and candidates:
        scores = label_scores(docs, candidates, labels)
        method = "mutual-information" if scores is not None else method
    if scores is None:
        ranked = sorted(candidates, key=lambda t: (-df[t], t))
    else:
        rounded = np.round(scores, SCORE_DECIMALS).tolist()
        order = sorted(range(len(candidates)), key=lambda i: (-rounded[i], -df[candidates[i]], candidates[i]))
        ranked = [candidates[i] for i in order]
    return ranked[:size], method


def label_scores(docs: Sequence[Sequence[str]], candidates: list[str], labels: np.ndarray) -> np.ndarray | None:
    """Summed mutual information of each candidate with the labels; ``None`` if nothing is labelled."""
    labels = (np.asarray(labels) > 0).astype(np.float64)  # any positive value means "has label"
    labelled = labels.any(axis=1)
    n = int(labelled.sum())
    if n == 0:
        return None
    index = {t: j for j, t in enumerate(candidates)}
    doc_ids, term_ids = _occurrences(docs, index, labelled)
    present = np.bincount(term_ids, minlength=len(candidates)).astype(np.float64)
    hits = np.empty((len(candidates), labels.shape[1]))
    for k in range(labels.shape[1]):
        hits[:, k] = np.bincount(term_ids, weights=labels[doc_ids, k], minlength=len(candidates))
    return mutual_information(hits, present, labels[labelled].sum(axis=0), n)


def _occurrences(docs, index: dict[str, int], keep) -> tuple[np.ndarray, np.ndarray]:
    """(document, candidate) index pairs, once per document, for the kept documents."""
    doc_ids: list[int] = []
    term_ids: list[int] = []
    for i, doc in enumerate(docs):
        if keep[i]:
            found = {index[t] for t in doc if t in index}
            doc_ids.extend([i] * len(found))
            term_ids.extend(found)
    return np.asarray(doc_ids, dtype=np.intp), np.asarray(term_ids, dtype=np.intp)


def mutual_information(hits: np.ndarray, present: np.ndarray, positives: np.ndarray, n: int) -> np.ndarray:
    """Σ_labels MI(term; label) in nats from the 2×2 contingency counts.

    ``hits[t, k]``: documents with term t and label k; ``present[t]``: documents with term t;
    ``positives[k]``: documents with label k; ``n``: documents in all.
    """
    df = present[:, None]
    pos = positives[None, :]
    cells = (
        (hits, df, pos),
        (df - hits, df, n - pos),
        (pos - hits, n - df, pos),
        (n - df - pos + hits, n - df, n - pos),
    )
    total = np.zeros_like(hits, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        for cell, row, col in cells:
            # 0·log 0 = 0; a cell > 0 implies its row and column totals are > 0.
            total += np.where(cell > 0, cell / n * np.log(cell * n / (row * col)), 0.0)
    return total.sum(axis=1)
