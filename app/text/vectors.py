"""Bag-of-words and tf-idf matrices from tokenised documents (NumPy only, no sklearn).

Dense ``float32`` rows of the vocabulary's width: the text network takes them as they are, and at
1,000 terms even 20,000 descriptions fit in 80 MB. Tokens outside the vocabulary are ignored; a
document without known tokens is a zero row (the network sees "no text", not an error).
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

MODES = ("tfidf", "bow", "binary")


def occurrences(docs: Sequence[Sequence[str]], index: Mapping[str, int]) -> tuple[np.ndarray, np.ndarray]:
    """(row, column) of every known token, repeated as often as the token occurs."""
    rows: list[int] = []
    cols: list[int] = []
    for i, doc in enumerate(docs):
        found = [j for j in map(index.get, doc) if j is not None]
        rows.extend([i] * len(found))
        cols.extend(found)
    return np.asarray(rows, dtype=np.intp), np.asarray(cols, dtype=np.intp)


def vectorize(docs: Sequence[Sequence[str]], index: Mapping[str, int], idf: np.ndarray,
              mode: str = "tfidf") -> np.ndarray:
    """An ``(len(docs), len(index))`` float32 matrix.

    ``bow``: token counts; ``binary``: 1 where a term occurs; ``tfidf``: counts × idf with each
    non-zero row scaled to unit L2 norm (so long descriptions do not outweigh short ones).
    """
    if mode not in MODES:
        raise ValueError(f"unknown text vector mode {mode!r}; expected one of {', '.join(MODES)}")
    out = np.zeros((len(docs), len(index)), dtype=np.float32)
    rows, cols = occurrences(docs, index)
    if mode == "binary":
        out[rows, cols] = 1.0
        return out
    np.add.at(out, (rows, cols), 1.0)
    if mode == "tfidf":
        out *= np.asarray(idf, dtype=np.float32)
        l2_normalise_rows(out)
    return out


def l2_normalise_rows(matrix: np.ndarray) -> np.ndarray:
    """Scale each non-zero row to unit length in place; zero rows stay zero."""
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    np.divide(matrix, norms, out=matrix, where=norms > 0)
    return matrix


def smooth_idf(df: Sequence[int], n_docs: int) -> np.ndarray:
    """``ln((1 + n) / (1 + df)) + 1``: never zero, so a term in every document still counts a little."""
    df_arr = np.asarray(df, dtype=np.float64)
    return np.log((1.0 + n_docs) / (1.0 + df_arr)) + 1.0
