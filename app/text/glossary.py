"""The word lists the tokenizer ships with: costume terms, stop words and term expansions.

All four files live in ``resources/glossary/`` so curators (or a translator) can edit them without
touching code. Each is UTF-8 text; ``#`` starts a comment line and blank lines are skipped.

- ``costume_terms.txt``: jieba user-dictionary lines ``term [freq] [pos]``; these terms are
  never split by the Chinese segmenter.
- ``stopwords_zh.txt`` / ``stopwords_en.txt``: words dropped after tokenising (whitespace-separated).
- ``term_expansions.txt``: ``term broader...``; the broader terms are emitted after the term.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

from app import paths

GLOSSARY_DIR = "glossary"
TERMS_FILE = "costume_terms.txt"
ZH_STOPWORDS_FILE = "stopwords_zh.txt"
EN_STOPWORDS_FILE = "stopwords_en.txt"
EXPANSIONS_FILE = "term_expansions.txt"


@dataclass(frozen=True)
class Term:
    """One glossary entry; ``freq``/``pos`` of ``None`` let jieba choose."""

    word: str
    freq: int | None = None
    pos: str | None = None


@dataclass(frozen=True)
class Glossary:
    """Everything the tokenizer needs besides jieba's own dictionary."""

    terms: tuple[Term, ...] = ()
    zh_stopwords: frozenset[str] = frozenset()
    en_stopwords: frozenset[str] = frozenset()
    expansions: dict[str, tuple[str, ...]] = field(default_factory=dict)

    @classmethod
    def load(cls, folder: Path | None = None) -> Glossary:
        """Read the four glossary files from ``folder`` (default: the shipped resources)."""
        folder = Path(folder) if folder is not None else paths.resource(GLOSSARY_DIR)
        return cls(
            terms=tuple(read_terms(folder / TERMS_FILE)),
            zh_stopwords=frozenset(read_words(folder / ZH_STOPWORDS_FILE)),
            en_stopwords=frozenset(w.lower() for w in read_words(folder / EN_STOPWORDS_FILE)),
            expansions=close_expansions(read_expansions(folder / EXPANSIONS_FILE)),
        )

    @property
    def fingerprint(self) -> str:
        """sha256 prefix of the parsed content: changes exactly when tokenising may change."""
        content = {
            "terms": [[t.word, t.freq, t.pos] for t in self.terms],
            "zh": sorted(self.zh_stopwords),
            "en": sorted(self.en_stopwords),
            "expansions": sorted([k, list(v)] for k, v in self.expansions.items()),
        }
        blob = json.dumps(content, ensure_ascii=False, sort_keys=True).encode("utf-8")
        return hashlib.sha256(blob).hexdigest()[:12]


def _content_lines(path: Path) -> list[tuple[int, list[str]]]:
    """(line number, whitespace-split fields) of every non-comment, non-blank line."""
    text = path.read_text(encoding="utf-8-sig")  # -sig: files saved by Windows editors carry a BOM
    rows = []
    for number, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if line and not line.startswith("#"):
            rows.append((number, line.split()))
    return rows


def read_terms(path: Path) -> list[Term]:
    """Parse a jieba-style user dictionary (``term [freq] [pos]`` per line)."""
    terms = []
    for number, fields in _content_lines(path):
        if len(fields) > 3:
            raise ValueError(f"{path.name}, line {number}: expected 'term [freq] [pos]'")
        word, rest = fields[0], fields[1:]
        freq = int(rest.pop(0)) if rest and rest[0].isdigit() else None
        pos = rest.pop(0) if rest else None
        if rest:
            raise ValueError(f"{path.name}, line {number}: expected 'term [freq] [pos]'")
        terms.append(Term(word, freq, pos))
    return terms


def read_words(path: Path) -> list[str]:
    """All whitespace-separated words of a word-list file."""
    return [word for _, fields in _content_lines(path) for word in fields]


def read_expansions(path: Path) -> dict[str, tuple[str, ...]]:
    """Parse ``term broader...`` lines into a one-step mapping."""
    mapping: dict[str, tuple[str, ...]] = {}
    for number, fields in _content_lines(path):
        if len(fields) < 2:
            raise ValueError(f"{path.name}, line {number}: expected 'term broader...'")
        term, broader = fields[0], tuple(fields[1:])
        mapping[term] = mapping.get(term, ()) + broader
    return mapping


def close_expansions(mapping: dict[str, tuple[str, ...]]) -> dict[str, tuple[str, ...]]:
    """Follow expansions transitively (breadth first, each term once, never the term itself)."""
    closed = {}
    for term in mapping:
        seen, queue, out = {term}, list(mapping[term]), []
        while queue:
            nxt = queue.pop(0)
            if nxt in seen:
                continue  # cycles and diamonds: emit each broader term once
            seen.add(nxt)
            out.append(nxt)
            queue.extend(mapping.get(nxt, ()))
        closed[term] = tuple(out)
    return closed
