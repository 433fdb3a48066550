"""The faceted, hierarchical, bilingual label scheme (pure logic, no storage).

A scheme has facets (garment category, motif, ...) and labels. Every label belongs to one facet
and may have a parent label in the same facet. Label ids are stable: renaming never changes
them, so trained models keep working; the structural fingerprint ignores names for that reason.
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import asdict, dataclass, replace

from app.core.errors import SchemeError

PATH_SEP = ">"
LANGS = ("en", "zh")


@dataclass(frozen=True)
class Facet:
    id: str
    name_en: str
    name_zh: str
    position: int = 0

    def name(self, lang: str = "en") -> str:
        return self.name_zh if lang == "zh" else self.name_en


@dataclass(frozen=True)
class Label:
    id: str
    facet: str
    name_en: str
    name_zh: str
    parent: str | None = None
    position: int = 0

    def name(self, lang: str = "en") -> str:
        return self.name_zh if lang == "zh" else self.name_en


def slugify(text: str) -> str:
    """A lower-case ascii id fragment from a name ('' when nothing ascii is left)."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def clean_name(text: str) -> str:
    """A name or accession number as stored: Unicode NFC, outer spaces removed.

    The same word typed on two systems can arrive as different code points: é composed or
    as e + combining accent (NFC vs NFD), 﨑 as a CJK compatibility ideograph or as its
    unified form. NFC maps both to one spelling, so they stay one label, one item."""
    return unicodedata.normalize("NFC", text).strip()


def name_key(text: str) -> str:
    """What two names are compared by: NFKC (full-width Ｒｏｂｅ = Robe), case-folded, runs of
    spaces as one. Names with the same key are near-duplicates and may not be siblings."""
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def split_path(path: str) -> list[str]:
    """``'Motif > Animal>Dragon'`` → ``['Motif', 'Animal', 'Dragon']``."""
    parts = [clean_name(p) for p in path.split(PATH_SEP)]
    if not all(parts):
        raise SchemeError(f"Label path {path!r} has an empty part.")
    return parts


class LabelScheme:
    """An immutable view of facets and labels with the tree queries everything else needs."""

    def __init__(self, facets: Iterable[Facet], labels: Iterable[Label], version: int = 1,
                 label_versions: dict[str, int] | None = None):
        self.facets: dict[str, Facet] = {f.id: f for f in sorted(facets, key=lambda f: f.position)}
        self.labels: dict[str, Label] = {l.id: l for l in labels}
        self.version = version
        # Each stored label's own version (counted up by every change to its names or place),
        # as read with the scheme: a change made from it is refused if the label changed since.
        self.label_versions: dict[str, int] = dict(label_versions or {})
        self._path_keys: dict[str, tuple[tuple[str, ...], ...]] | None = None  # built on first resolve
        self._validate()

    # -- structure -------------------------------------------------------------------------
    def _validate(self) -> None:
        for label in self.labels.values():
            if label.facet not in self.facets:
                raise SchemeError(f"Label {label.id!r} names an unknown facet {label.facet!r}.")
            if label.parent is not None:
                parent = self.labels.get(label.parent)
                if parent is None:
                    raise SchemeError(f"Label {label.id!r} names an unknown parent {label.parent!r}.")
                if parent.facet != label.facet:
                    raise SchemeError(f"Label {label.id!r} and its parent are in different facets.")
        for label_id in self.labels:
            self.ancestors(label_id)  # raises on cycles

    def children(self, parent: str | None, facet: str | None = None) -> list[Label]:
        """Direct children of ``parent`` (top-level labels of ``facet`` when parent is None)."""
        found = [l for l in self.labels.values()
                 if l.parent == parent and (facet is None or l.facet == facet)]
        return sorted(found, key=lambda l: (l.position, l.name_en))

    def ancestors(self, label_id: str) -> list[str]:
        """Ids of the label's ancestors, nearest first."""
        chain: list[str] = []
        current = self.get(label_id).parent
        while current is not None:
            if current in chain or current == label_id:
                raise SchemeError(f"Label {label_id!r} is its own ancestor.")
            chain.append(current)
            current = self.labels[current].parent
        return chain

    def descendants(self, label_id: str) -> list[str]:
        """Ids of every label below ``label_id``, depth first."""
        out: list[str] = []
        for child in self.children(label_id):
            out.append(child.id)
            out.extend(self.descendants(child.id))
        return out

    def closure(self, label_ids: Iterable[str]) -> set[str]:
        """The labels plus all their ancestors: ticking a child implies its parents."""
        result: set[str] = set()
        for label_id in label_ids:
            result.add(label_id)
            result.update(self.ancestors(label_id))
        return result

    def ordered(self) -> list[Label]:
        """All labels depth first, facet by facet: the order of label vectors."""
        out: list[Label] = []
        for facet in self.facets.values():
            for top in self.children(None, facet.id):
                out.append(top)
                out.extend(self.labels[d] for d in self.descendants(top.id))
        return out

    def get(self, label_id: str) -> Label:
        try:
            return self.labels[label_id]
        except KeyError:
            raise SchemeError(f"There is no label with id {label_id!r}.") from None

    # -- names and paths -------------------------------------------------------------------
    def path(self, label_id: str, lang: str = "en") -> list[str]:
        """Names from the facet down to the label."""
        label = self.get(label_id)
        chain = [label_id, *self.ancestors(label_id)][::-1]
        return [self.facets[label.facet].name(lang)] + [self.labels[i].name(lang) for i in chain]

    def keyword_path(self, label_id: str, lang: str = "en") -> str:
        return PATH_SEP.join(self.path(label_id, lang))

    def resolve(self, ref: str) -> Label:
        """Find a label by id, by name (either language) or by a keyword path (or its tail).

        Raises SchemeError naming the problem when nothing or more than one label matches.
        """
        ref = ref.strip()
        if ref in self.labels:
            return self.labels[ref]
        wanted = tuple(name_key(p) for p in split_path(ref))
        if self._path_keys is None:  # a scheme is never changed in place: key its paths once
            self._path_keys = {lid: tuple(tuple(name_key(n) for n in self.path(lid, lang)) for lang in LANGS)
                               for lid in self.labels}
        matches = [self.labels[lid] for lid, paths in self._path_keys.items()
                   if any(keys[-len(wanted):] == wanted for keys in paths)]
        if not matches:
            raise SchemeError(f"Unknown label {ref!r}.")
        if len(matches) > 1:
            options = ", ".join(self.keyword_path(m.id) for m in matches)
            raise SchemeError(f"Label {ref!r} is ambiguous: {options}. Use the full path.")
        return matches[0]

    def resolve_facet(self, ref: str) -> Facet:
        key = name_key(ref)
        for facet in self.facets.values():
            if key in (name_key(facet.id), name_key(facet.name_en), name_key(facet.name_zh)):
                return facet
        raise SchemeError(f"Unknown facet {ref!r}.")

    def new_id(self, name_en: str, name_zh: str = "") -> str:
        """A fresh, unused id derived from the English name."""
        base = slugify(name_en) or "label"
        candidate, n = base, 2
        while candidate in self.labels or candidate in self.facets:
            candidate, n = f"{base}-{n}", n + 1
        return candidate

    # -- identity and exchange -------------------------------------------------------------
    def fingerprint(self) -> str:
        """Hash of the structure (ids, facets, parents): names may change, models stay valid."""
        rows = sorted((l.id, l.facet, l.parent or "") for l in self.labels.values())
        return hashlib.sha256(json.dumps(rows).encode()).hexdigest()[:16]

    def to_dict(self) -> dict:
        return {
            "format": "wenyang-label-scheme",
            "version": self.version,
            "fingerprint": self.fingerprint(),
            "facets": [asdict(f) for f in self.facets.values()],
            "labels": [asdict(l) for l in self.ordered()],
        }

    @classmethod
    def from_dict(cls, data: dict) -> LabelScheme:
        if not isinstance(data, dict) or "facets" not in data or "labels" not in data:
            raise SchemeError("This is not a label scheme: 'facets' and 'labels' are required.")
        try:
            facets = [Facet(**_pick(f, Facet)) for f in data["facets"]]
            labels = [Label(**_pick(l, Label)) for l in data["labels"]]
            version = int(data.get("version", 1))
        except (TypeError, KeyError, ValueError) as exc:
            raise SchemeError(f"The label scheme is malformed: {exc}.") from None
        return cls(facets, labels, version)

    def to_keyword_paths(self, lang: str = "en") -> str:
        """One keyword path per line (Lightroom style), parents before children."""
        return "\n".join(self.keyword_path(l.id, lang) for l in self.ordered()) + "\n"

    def with_labels(self, labels: Iterable[Label]) -> LabelScheme:
        return LabelScheme(self.facets.values(), labels, self.version)


def _pick(data: dict, kind: type) -> dict:
    if not isinstance(data, dict):  # e.g. a bare string in "labels": not a label
        raise TypeError(f"each {kind.__name__.lower()} must be an object, not {data!r}")
    fields = {f.name for f in dataclasses.fields(kind)}
    return {k: v for k, v in data.items() if k in fields}


def scheme_from_keyword_paths(text: str, base: LabelScheme | None = None,
                              lang: str = "en") -> LabelScheme:
    """Build (or extend ``base``) from keyword paths, one per line; the first part is the facet.

    Names are taken for the given language; the other language gets the same text until a
    curator translates it.
    """
    scheme = base or LabelScheme([], [])
    facets = dict(scheme.facets)
    labels = dict(scheme.labels)
    for raw in text.splitlines():
        if not raw.strip() or raw.lstrip().startswith("#"):
            continue
        parts = split_path(raw)
        facet = _find_or_make_facet(facets, parts[0], lang)
        parent = None
        for name in parts[1:]:
            current = LabelScheme(facets.values(), labels.values())
            existing = [l for l in current.children(parent, facet.id)
                        if name_key(name) in (name_key(l.name_en), name_key(l.name_zh))]
            if existing:
                parent = existing[0].id
                continue
            new_id = current.new_id(name if lang == "en" else "", name)
            labels[new_id] = Label(new_id, facet.id, name, name, parent, len(labels))
            parent = new_id
    return LabelScheme(facets.values(), labels.values(), scheme.version)


def _find_or_make_facet(facets: dict[str, Facet], name: str, lang: str) -> Facet:
    for facet in facets.values():
        if name_key(name) in (name_key(facet.id), name_key(facet.name_en), name_key(facet.name_zh)):
            return facet
    fid = slugify(name) or f"facet-{len(facets) + 1}"
    while fid in facets:
        fid += "-x"
    facets[fid] = Facet(fid, name, name, len(facets))
    return facets[fid]


__all__ = ["Facet", "Label", "LabelScheme", "clean_name", "name_key", "scheme_from_keyword_paths", "slugify",
           "split_path", "replace"]
