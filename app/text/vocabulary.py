"""The text vocabulary: which term is which column, with the idf weights of its training texts.

A vocabulary is saved as UTF-8 JSON beside (or inside the model card of) the ONNX text encoder.
Its ``fingerprint`` (sha256 prefix of the term list) names the column layout, so a model trained
on one vocabulary is never fed vectors of another; ``tokenizer`` records the jieba version and
glossary it was built with, so a changed glossary can be noticed.
"""
from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from app.core.errors import WenyangError
from app.text.selection import document_frequencies, select_terms
from app.text.tokenizer import TextTokenizer, default_tokenizer
from app.text.vectors import smooth_idf, vectorize

FORMAT = "wenyang-vocabulary"
VERSION = 1


class VocabularyError(WenyangError, ValueError):
    """A vocabulary file or dictionary cannot be read."""


@dataclass(frozen=True, eq=False)
class Vocabulary:
    """An ordered list of terms (most informative first) with document frequencies and idf."""

    terms: tuple[str, ...]
    df: tuple[int, ...]
    idf: tuple[float, ...]
    n_docs: int
    tokenizer: str = ""
    selection: str = ""
    _index: dict[str, int] = field(init=False, repr=False)
    _idf: np.ndarray = field(init=False, repr=False)

    def __post_init__(self) -> None:
        if not len(self.terms) == len(self.df) == len(self.idf):
            raise VocabularyError("The vocabulary's terms, df and idf lists differ in length.")
        index = {term: j for j, term in enumerate(self.terms)}
        if len(index) != len(self.terms):
            raise VocabularyError("The vocabulary lists a term twice.")
        object.__setattr__(self, "_index", index)
        object.__setattr__(self, "_idf", np.asarray(self.idf, dtype=np.float32))

    # --- building ---------------------------------------------------------------------------
    @classmethod
    def build(cls, texts: Sequence[str | None], size: int = 1000, min_df: int = 2,
              max_df: float = 0.9, labels: np.ndarray | None = None,
              tokenizer: TextTokenizer | None = None) -> Vocabulary:
        """Choose up to ``size`` terms from descriptions (``None`` entries are empty texts).

        Terms need ``min_df`` documents and at most a ``max_df`` fraction of them; they are then
        ranked by summed mutual information with ``labels`` (an n×c 0/1 matrix whose rows match
        ``texts``) or, without labels, by document frequency. See :mod:`app.text.selection`.
        """
        tokenizer = tokenizer or default_tokenizer()
        docs = tokenize_all(texts, tokenizer)
        return cls.build_from_tokens(docs, size, min_df, max_df, labels, tokenizer.identity())

    @classmethod
    def build_from_tokens(cls, docs: Sequence[Sequence[str]], size: int = 1000, min_df: int = 2,
                          max_df: float = 0.9, labels: np.ndarray | None = None,
                          tokenizer_id: str = "") -> Vocabulary:
        """As :meth:`build`, for documents already tokenised (tokenise once, reuse for vectors)."""
        _check_build_args(len(docs), size, min_df, max_df, labels)
        terms, method = select_terms(docs, size, min_df, max_df, labels)
        df_all = document_frequencies(docs)
        df = tuple(df_all[t] for t in terms)
        idf = tuple(float(x) for x in smooth_idf(df, len(docs)))
        return cls(tuple(terms), df, idf, len(docs), tokenizer_id, method)

    # --- using ------------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.terms)

    def __contains__(self, term: object) -> bool:
        return term in self._index

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Vocabulary) and self.to_dict() == other.to_dict()

    __hash__ = None  # type: ignore[assignment]  # mutable-looking content; equality is by value

    def index(self, term: str) -> int | None:
        """Column of ``term``, or ``None`` when it is not in the vocabulary."""
        return self._index.get(term)

    @property
    def fingerprint(self) -> str:
        """First 16 hex digits of sha256 over the terms in order (one per line)."""
        return hashlib.sha256("\n".join(self.terms).encode("utf-8")).hexdigest()[:16]

    def transform(self, texts: Sequence[str | None], mode: str = "tfidf",
                  tokenizer: TextTokenizer | None = None) -> np.ndarray:
        """Vectors of descriptions: float32, shape ``(len(texts), len(self))``.

        ``mode`` is ``"tfidf"`` (L2-normalised rows), ``"bow"`` (counts) or ``"binary"``.
        Empty, blank or ``None`` texts give zero rows; words outside the vocabulary are ignored.
        """
        return self.transform_tokens(tokenize_all(texts, tokenizer or default_tokenizer()), mode)

    def transform_tokens(self, docs: Sequence[Sequence[str]], mode: str = "tfidf") -> np.ndarray:
        """As :meth:`transform`, for documents already tokenised."""
        return vectorize(docs, self._index, self._idf, mode)

    # --- storing ----------------------------------------------------------------------------
    def to_dict(self) -> dict:
        """A JSON-ready dictionary (terms in column order)."""
        return {
            "format": FORMAT, "version": VERSION, "fingerprint": self.fingerprint,
            "tokenizer": self.tokenizer, "selection": self.selection, "n_docs": self.n_docs,
            "terms": list(self.terms), "df": list(self.df), "idf": list(self.idf),
        }

    @classmethod
    def from_dict(cls, data: dict) -> Vocabulary:
        """Inverse of :meth:`to_dict`; raises :class:`VocabularyError` on anything malformed."""
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise VocabularyError("This is not a Wenyang vocabulary.")
        version = data.get("version")
        if not isinstance(version, int) or version > VERSION:
            raise VocabularyError(f"The vocabulary has version {version!r}; this Wenyang reads up to {VERSION}.")
        try:
            vocab = cls(tuple(str(t) for t in data["terms"]), tuple(int(d) for d in data["df"]),
                        tuple(float(x) for x in data["idf"]), int(data["n_docs"]),
                        str(data.get("tokenizer", "")), str(data.get("selection", "")))
        except (KeyError, TypeError, ValueError) as err:
            raise VocabularyError(f"The vocabulary is incomplete or malformed ({err}).") from err
        if data.get("fingerprint", vocab.fingerprint) != vocab.fingerprint:
            raise VocabularyError("The vocabulary's terms do not match its fingerprint (edited or damaged).")
        return vocab

    def save(self, path: str | os.PathLike) -> Path:
        """Write UTF-8 JSON atomically (a crash never leaves half a file beside a model)."""
        path = Path(path)
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(json.dumps(self.to_dict(), ensure_ascii=False, indent=1), encoding="utf-8")
        os.replace(tmp, path)
        return path

    @classmethod
    def load(cls, path: str | os.PathLike) -> Vocabulary:
        """Read a file written by :meth:`save`."""
        path = Path(path)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as err:
            raise VocabularyError(f"The vocabulary file {path.name} is not valid JSON ({err}).") from err
        return cls.from_dict(data)


def tokenize_all(texts: Iterable[str | None], tokenizer: TextTokenizer) -> list[list[str]]:
    """Tokens of each text; a lone string is refused (it would be read character by character)."""
    if isinstance(texts, (str, bytes)):
        raise TypeError("texts must be a sequence of descriptions, not a single string; wrap it in a list")
    return [tokenizer.tokenize(text) for text in texts]


def _check_build_args(n_docs: int, size: int, min_df: int, max_df: float, labels) -> None:
    if size < 1 or min_df < 1:
        raise ValueError("size and min_df must be at least 1")
    if not 0.0 < max_df <= 1.0:
        raise ValueError("max_df is a fraction of the documents: 0 < max_df <= 1")
    if labels is not None:
        shape = np.shape(labels)
        if len(shape) != 2 or shape[0] != n_docs:
            raise ValueError(f"labels must be an n×c matrix with one row per text ({n_docs}), got shape {shape}")
