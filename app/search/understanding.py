"""Query understanding: read typed text against the label scheme (龙袍 → Robe + Dragon).

What is recognised, in order of precedence when two sources spell the same words:

1. label ids, label names in Chinese and English, and keyword paths (``Motif>Animal>Dragon``,
   or a tail of one such as ``Animal>Dragon``), in either language;
2. curator-editable variants in ``resources/glossary/label_synonyms.txt``
   (``凤凰 = phoenix``, ``five-clawed dragon = dragon``, ``明显 = -`` for "not a label");
3. the glossary's term expansions (``term_expansions.txt``: 云蝠纹 → 云纹 蝙蝠 → Cloud + Bat).

Chinese is matched anywhere inside longer text; English as whole words, case-insensitive, with
hyphens read as spaces and plurals stripped on both sides. Overlapping matches are settled
longest first, so 马面裙 is the horse-face skirt (not skirt + horse) and 云肩 the cloud collar.
When a label and one of its ancestors are both read, only the more specific is kept.

The matcher (a trie over words and characters) is built once per scheme and glossary and cached;
reading a query is then a few dozen dictionary lookups.
"""
from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from pathlib import Path

from app import paths
from app.core.errors import SchemeError
from app.core.scheme import LANGS, PATH_SEP, LabelScheme
from app.text.glossary import EXPANSIONS_FILE, GLOSSARY_DIR, close_expansions, read_expansions
from app.text.tokenizer import strip_plural

SYNONYMS_FILE = "label_synonyms.txt"
NOT_A_LABEL = "-"
_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
# A unit is one CJK character, one run of letters/digits, or the keyword-path separator.
_UNIT = re.compile(rf"[{_CJK}]|[^\W_{_CJK}]+|{re.escape(PATH_SEP)}")
_END = ""  # trie key of "a form ends here" (no unit is empty)
_CACHE_SIZE = 8

Form = tuple[str, ...]


@dataclass(frozen=True)
class Understanding:
    """What a query was read as."""

    labels: list[str]               # label ids, most specific only, in the order found
    spans: list[tuple[str, str]]    # (matched text, label id) for each label kept
    rest: str                       # the text not read as a label, spaces tidied


def understand(text: str, scheme: LabelScheme, glossary_dir: Path | None = None) -> Understanding:
    """Read ``text`` against ``scheme`` (and the glossary in ``glossary_dir``, default: shipped)."""
    return matcher_for(scheme, glossary_dir).read(text)


# -- units --------------------------------------------------------------------------------------
def _is_cjk(unit: str) -> bool:
    return len(unit) == 1 and re.match(f"[{_CJK}]", unit) is not None


def _units(text: str) -> list[tuple[str, int, int]]:
    """(normalised unit, start, end) for each unit of ``text``."""
    out = []
    for match in _UNIT.finditer(text):
        unit = match.group()
        if not _is_cjk(unit) and unit != PATH_SEP:
            unit = strip_plural(unit.casefold())  # robes = robe, peonies = peony, both sides
        out.append((unit, match.start(), match.end()))
    return out


def form_of(text: str) -> Form:
    """The units a written form is matched by ("Horse-face skirts" → horse, face, skirt)."""
    return tuple(unit for unit, _, _ in _units(text))


# -- the matcher --------------------------------------------------------------------------------
class LabelMatcher:
    """A trie of label forms for one scheme; ``read`` settles overlaps longest first."""

    def __init__(self, scheme: LabelScheme, forms: dict[Form, tuple[str, ...]]):
        self.ancestors = {lid: set(scheme.ancestors(lid)) for lid in scheme.labels}
        self.trie: dict = {}
        for form, labels in forms.items():
            node = self.trie
            for unit in form:
                node = node.setdefault(unit, {})
            node[_END] = labels

    def read(self, text: str) -> Understanding:
        """Read one query: the labels found, the spans that named them, and the rest."""
        units = _units(text)
        chosen = self._settle(self._candidates(units))
        found = [lid for _, _, labels in chosen for lid in labels]
        kept = self._most_specific(found)
        spans: list[tuple[str, str]] = []
        used: list[tuple[int, int]] = []
        for start, end, labels in chosen:
            named = [lid for lid in labels if lid in kept]
            if named:
                first, last = units[start][1], units[end - 1][2]
                spans.extend((text[first:last], lid) for lid in named)
                used.append((first, last))
        return Understanding(list(kept), spans, _rest(text, used))

    def _candidates(self, units) -> list[tuple[int, int, tuple[str, ...]]]:
        """Every (start, end, labels) where a form matches, in unit positions."""
        found = []
        for start in range(len(units)):
            node: dict | None = self.trie
            for end in range(start, len(units)):
                node = node.get(units[end][0]) if node is not None else None
                if node is None:
                    break
                if _END in node:
                    found.append((start, end + 1, node[_END]))
        return found

    @staticmethod
    def _settle(candidates) -> list[tuple[int, int, tuple[str, ...]]]:
        """Non-overlapping matches, longest first (leftmost on ties), in text order."""
        taken: set[int] = set()
        chosen = []
        for start, end, labels in sorted(candidates, key=lambda c: (c[0] - c[1], c[0])):
            if taken.isdisjoint(range(start, end)):
                taken.update(range(start, end))
                chosen.append((start, end, labels))
        return sorted(chosen)

    def _most_specific(self, found: list[str]) -> dict[str, None]:
        """Found labels in order, once each, without those that are ancestors of another."""
        covered = set().union(*(self.ancestors.get(lid, set()) for lid in found)) if found else set()
        return dict.fromkeys(lid for lid in found if lid not in covered)


def _rest(text: str, used: list[tuple[int, int]]) -> str:
    """``text`` without the spans read as labels, with spaces tidied."""
    pieces, position = [], 0
    for start, end in used:
        pieces.append(text[position:start])
        position = end
    pieces.append(text[position:])
    return " ".join(" ".join(pieces).split())


# -- building the forms -------------------------------------------------------------------------
def scheme_forms(scheme: LabelScheme) -> dict[Form, tuple[str, ...]]:
    """Ids, names (both languages) and keyword-path tails of every label of ``scheme``."""
    forms: dict[Form, tuple[str, ...]] = {}
    for label in scheme.labels.values():
        written = {label.id, label.name_en, label.name_zh}
        for lang in LANGS:
            path = scheme.path(label.id, lang)
            written.update(PATH_SEP.join(path[i:]) for i in range(len(path) - 1))
        for text in written:
            form = form_of(text)
            if form and label.id not in forms.get(form, ()):
                forms[form] = forms.get(form, ()) + (label.id,)  # a shared name reads as both
    return forms


def synonym_forms(lines: list[tuple[str, list[str]]], scheme: LabelScheme) -> dict[Form, tuple[str, ...]]:
    """``variant = labels`` entries whose labels this scheme has (``-``: read as no label)."""
    forms: dict[Form, tuple[str, ...]] = {}
    for variant, refs in lines:
        labels = () if refs == [NOT_A_LABEL] else tuple(filter(None, (_label_id(r, scheme) for r in refs)))
        form = form_of(variant)
        if form and (labels or refs == [NOT_A_LABEL]):
            forms.setdefault(form, labels)
    return forms


def expansion_forms(expansions: dict[str, tuple[str, ...]],
                    known: dict[Form, tuple[str, ...]]) -> dict[Form, tuple[str, ...]]:
    """Glossary terms whose broader terms name labels: 蟒袍 → 蟒 袍 龙 → Robe + Dragon."""
    forms: dict[Form, tuple[str, ...]] = {}
    for term, broader in expansions.items():
        labels: dict[str, None] = {}
        for word in (term, *broader):
            labels.update(dict.fromkeys(known.get(form_of(word), ())))
        if labels:
            forms[form_of(term)] = tuple(labels)
    return forms


def _label_id(ref: str, scheme: LabelScheme) -> str | None:
    if ref in scheme.labels:
        return ref
    try:
        return scheme.resolve(ref).id
    except SchemeError:
        return None  # a label this library's scheme does not have (any more)


def read_synonyms(path: Path) -> list[tuple[str, list[str]]]:
    """Parse ``variant = label label ...`` lines (``#`` comments and blank lines skipped)."""
    entries: list[tuple[str, list[str]]] = []
    if not path.is_file():
        return entries
    for number, line in enumerate(path.read_text(encoding="utf-8-sig").splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        variant, sep, refs = line.partition("=")
        if not sep or not variant.strip() or not refs.split():
            raise ValueError(f"{path.name}, line {number}: expected 'variant = label ...'")
        entries.append((variant.strip(), refs.split()))
    return entries


# -- the cache ----------------------------------------------------------------------------------
_matchers: dict[tuple, LabelMatcher] = {}
_matchers_lock = threading.Lock()  # the window's worker and GUI threads both read queries


def matcher_for(scheme: LabelScheme, glossary_dir: Path | None = None) -> LabelMatcher:
    """The matcher of ``scheme``, built on first use and kept while the scheme and files stay."""
    folder = Path(glossary_dir) if glossary_dir is not None else paths.resource(GLOSSARY_DIR)
    key = (_scheme_key(scheme), str(folder), _stamp(folder / SYNONYMS_FILE), _stamp(folder / EXPANSIONS_FILE))
    matcher = _matchers.get(key)
    if matcher is None:
        matcher = LabelMatcher(scheme, build_forms(scheme, folder))
        with _matchers_lock:
            if len(_matchers) >= _CACHE_SIZE:
                _matchers.pop(next(iter(_matchers)))  # oldest first: schemes change rarely
            _matchers[key] = matcher
    return matcher


def build_forms(scheme: LabelScheme, folder: Path) -> dict[Form, tuple[str, ...]]:
    """All forms in precedence order: scheme, then synonyms, then glossary expansions."""
    forms = scheme_forms(scheme)
    for form, labels in synonym_forms(read_synonyms(folder / SYNONYMS_FILE), scheme).items():
        forms.setdefault(form, labels)
    expansions_path = folder / EXPANSIONS_FILE
    expansions = close_expansions(read_expansions(expansions_path)) if expansions_path.is_file() else {}
    for form, labels in expansion_forms(expansions, forms).items():
        forms.setdefault(form, labels)
    return forms


def _scheme_key(scheme: LabelScheme) -> tuple:
    # The fingerprint ignores names (renames keep models valid), but names are what is matched.
    return (scheme.fingerprint(),
            tuple((l.id, l.name_en, l.name_zh) for l in scheme.labels.values()),
            tuple((f.id, f.name_en, f.name_zh) for f in scheme.facets.values()))


def _stamp(path: Path) -> int:
    try:
        return path.stat().st_mtime_ns
    except OSError:
        return 0


__all__ = ["LabelMatcher", "Understanding", "form_of", "matcher_for", "understand"]
