"""Turning item text and typed queries into keyword-index tokens (no SQL here).

The keyword index (``app/store/keywords.py``) stores each field as space-separated tokens made
here, so the full-text engine only has to split on spaces:

- a run of Han characters gives jieba's search-mode words of two or more characters (with the
  costume glossary: 龙袍, 明黄, 云蝠纹, 蝠纹) followed by every character of the run in order
  (明 黄 缎 绣 龙 袍). The character sequence lets a query match inside longer text as a phrase
  ("龙 袍"), whatever jieba made of the surrounding words, and lets a single character (龙) match;
- a run of letters and digits is one word, case-folded, with a trivial plural strip. Unlike the
  vocabulary tokenizer, digits and single letters are kept: accession numbers are made of them.

A query becomes :class:`QueryTerm` objects, each with alternative token phrases; a term matches
when any of its phrases occurs. Terms are meant to be OR-ed and ranked by the engine.
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from app.text.tokenizer import _HAN, TextTokenizer, default_tokenizer, strip_plural

FIELDS = ("accession", "title", "description", "metadata", "labels")
FORMAT = 1  # bump when the tokens made here change: stored indexes are then rebuilt
MAX_TERMS = 32  # a pasted essay must not become a query the engine chokes on

_RUNS = re.compile(f"(?P<han>[{_HAN}]+)|(?P<word>[^\\W_{_HAN}]+)")
_HAN_CHARACTER = re.compile(f"[{_HAN}]")
# Punctuation that joins the parts of one identifier ("M-1", "2024.001.3", "A/12", "B_7"): a query
# chunk whose words are joined only by these is searched as one phrase, not as loose words.
_JOINERS = re.compile(r"^[-./_#]+$")


@dataclass(frozen=True)
class QueryTerm:
    """One thing the curator typed: ``surface`` is shown to them, ``phrases`` are searched."""

    surface: str
    phrases: tuple[tuple[str, ...], ...]


class KeywordTokenizer:
    """Index and query tokens for the keyword search, built on a :class:`TextTokenizer`."""

    def __init__(self, tokenizer: TextTokenizer | None = None) -> None:
        self._tokenizer = tokenizer or default_tokenizer()

    def identity(self) -> str:
        """Changes whenever indexed tokens may change (jieba, glossary, this module's format)."""
        return f"keywords-{FORMAT}+{self._tokenizer.identity()}"

    # -- indexing ---------------------------------------------------------------------------
    def index_tokens(self, text: str | None) -> list[str]:
        """Tokens of ``text`` for the index, in reading order (see the module docstring)."""
        tokens: list[str] = []
        for kind, run in _runs(text or ""):
            if kind == "han":
                tokens.extend(w for w in self._search_words(run) if len(w) > 1)
                tokens.extend(run)
            else:
                tokens.append(_word(run))
        return tokens

    def document(self, accession: str, title: str, description: str, metadata: object,
                 label_names: Iterable[str]) -> dict[str, str]:
        """The indexed text of one item: each field of :data:`FIELDS` as space-joined tokens.

        ``metadata`` is the decoded JSON value; only its values are indexed (keys such as
        "donor" are on every item and would match everything).
        """
        parts = {
            "accession": [accession], "title": [title], "description": [description],
            "metadata": list(metadata_values(metadata)), "labels": list(label_names),
        }
        return {field: " ".join(t for text in parts[field] for t in self.index_tokens(text))
                for field in FIELDS}

    # -- querying ---------------------------------------------------------------------------
    def query_terms(self, text: str | None) -> list[QueryTerm]:
        """The terms of a typed query, longest first, at most :data:`MAX_TERMS`; never raises."""
        terms: list[QueryTerm] = []
        for chunk in (text or "").split():
            terms.extend(self._chunk_terms(chunk))
        unique = {term.phrases: term for term in terms}  # "龙 龙" is one term
        return sorted(unique.values(), key=lambda t: -len(t.surface))[:MAX_TERMS]

    def _chunk_terms(self, chunk: str) -> list[QueryTerm]:
        """Terms of one whitespace-free chunk: Han runs, and words (joined ones as a phrase)."""
        normal = unicodedata.normalize("NFKC", chunk)
        terms: list[QueryTerm] = []
        words: list[re.Match] = []  # the words of the identifier being built
        for match in _RUNS.finditer(normal):
            joined = words and _JOINERS.match(normal[words[-1].end():match.start()])
            if words and (match.lastgroup == "han" or not joined):
                terms.extend(self._word_terms(normal, words))
                words = []
            if match.lastgroup == "han":
                terms.extend(self._han_terms(match.group()))
            else:
                words.append(match)
        return terms + self._word_terms(normal, words)

    def _word_terms(self, text: str, words: list[re.Match]) -> list[QueryTerm]:
        """A word, or an identifier's words as one phrase; stop words alone are dropped."""
        if not words:
            return []
        tokens = tuple(_word(w.group()) for w in words)
        if len(tokens) == 1 and tokens[0] in self._tokenizer.glossary.en_stopwords:
            return []
        return [QueryTerm(text[words[0].start():words[-1].end()], (tokens,))]

    def _han_terms(self, run: str) -> list[QueryTerm]:
        """Each word jieba finds (as itself or as its characters), and the whole run as a phrase."""
        stop = self._tokenizer.glossary.zh_stopwords
        words = [w for w in self._segmenter().cut(run, HMM=False) if w not in stop]
        terms = [QueryTerm(w, ((w,), tuple(w)) if len(w) > 1 else ((w,),)) for w in words]
        if len(words) > 1 or (words and words[0] != run):
            terms.append(QueryTerm(run, (tuple(run),)))
        return terms

    def _search_words(self, run: str) -> list[str]:
        return list(self._segmenter().cut_for_search(run, HMM=False))

    def _segmenter(self):
        # The tokenizer's own jieba instance carries the glossary and is loaded once per process;
        # a second instance here would cost another second and the memory of a second dictionary.
        return self._tokenizer._segmenter()


def han_character(token: str) -> bool:
    """Whether an index token is one Han character (the characters of a run, in order)."""
    return len(token) == 1 and _HAN_CHARACTER.match(token) is not None


def metadata_values(value: object) -> Iterable[str]:
    """Every leaf value of decoded JSON metadata as text (keys and nulls left out)."""
    if isinstance(value, dict):
        for inner in value.values():
            yield from metadata_values(inner)
    elif isinstance(value, (list, tuple)):
        for inner in value:
            yield from metadata_values(inner)
    elif value is not None and not isinstance(value, bool):
        yield str(value)


def contains_phrase(tokens: list[str], phrase: tuple[str, ...]) -> bool:
    """True when ``phrase`` occurs in ``tokens`` as a contiguous run."""
    size = len(phrase)
    if not size:
        return False
    return any(tuple(tokens[i:i + size]) == phrase for i in range(len(tokens) - size + 1)
               if tokens[i] == phrase[0])


def _runs(text: str) -> Iterable[tuple[str, str]]:
    for match in _RUNS.finditer(unicodedata.normalize("NFKC", text)):
        yield match.lastgroup or "", match.group()


def _word(run: str) -> str:
    word = run.casefold()
    return strip_plural(word) if word.isalpha() else word
