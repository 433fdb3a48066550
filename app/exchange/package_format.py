"""The ZIP package format (``wenyang-package`` version 1) and the checks on its metadata.

Layout::

    metadata.json   items, their photos and labels, collections (see README below)
    scheme.json     the label scheme of the exporting library (LabelScheme.to_dict)
    README.txt      what the package is, for a person who opens it
    photos/...      the photo files named in metadata.json

Everything read from a package is untrusted: every field is checked for type and shape
before anything is written, and the message names the first problem precisely.
"""
from __future__ import annotations

import re

from app.core.errors import WenyangError
from app.core.models import MAX_TEXT

FORMAT = "wenyang-package"
FORMAT_VERSION = 1
METADATA = "metadata.json"
SCHEME = "scheme.json"
README = "README.txt"
PHOTOS = "photos/"

_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_SOURCE = re.compile(r"^[a-z][a-z0-9_-]{0,39}$")


class PackageError(WenyangError):
    """A package is refused; nothing was imported."""


def _fail(where: str, what: str) -> None:
    raise PackageError(f"{METADATA}: {where} {what}.")


def _get(obj: dict, key: str, kind, where: str, default=None):
    """``obj[key]`` checked against ``kind``; absent keys give ``default`` (None = required)."""
    if key not in obj:
        if default is None:
            _fail(where, f"lacks {key!r}")
        return default
    value = obj[key]
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        names = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
        _fail(f"{where}.{key}", f"must be a {names}")
    if isinstance(value, str) and len(value) > MAX_TEXT:
        _fail(f"{where}.{key}", f"is longer than {MAX_TEXT:,} characters")
    return value


def check_document(doc) -> dict:
    """Check the whole metadata document; returns it unchanged or raises PackageError."""
    if not isinstance(doc, dict):
        _fail("the top level", "must be an object")
    if doc.get("format") != FORMAT:
        _fail("'format'", f"must be {FORMAT!r}; this is not a Wenyang package")
    version = _get(doc, "format_version", int, "the top level")
    if version > FORMAT_VERSION:
        raise PackageError(f"This package was made by a newer Wenyang (format {version}; this "
                           f"version reads up to {FORMAT_VERSION}). Install the newer Wenyang.")
    items = _get(doc, "items", list, "the top level")
    for n, item in enumerate(items):
        check_item(item, f"items[{n}]")
    for n, coll in enumerate(_get(doc, "collections", list, "the top level", [])):
        check_collection(coll, f"collections[{n}]")
    return doc


def check_item(item, where: str) -> None:
    if not isinstance(item, dict):
        _fail(where, "must be an object")
    accession = _get(item, "accession", str, where)
    if not accession.strip() or accession != accession.strip():
        _fail(f"{where}.accession", "must be non-empty without surrounding spaces")
    where = f"{where} ({accession!r})"
    for key in ("title", "description", "created", "modified"):
        _get(item, key, str, where, "")
    _get(item, "metadata", dict, where, {})
    for n, label in enumerate(_get(item, "labels", list, where, [])):
        check_label(label, f"{where}.labels[{n}]")
    photos = _get(item, "photos", list, where, [])
    for n, photo in enumerate(photos):
        check_photo(photo, f"{where}.photos[{n}]")


def check_label(label, where: str) -> None:
    if not isinstance(label, dict):
        _fail(where, "must be an object")
    if not _get(label, "id", str, where):
        _fail(f"{where}.id", "must not be empty")
    source = _get(label, "source", str, where, "import")
    if not _SOURCE.match(source) or source == "implied":
        _fail(f"{where}.source", "must be a short lower-case word other than 'implied'")


def check_photo(photo, where: str) -> None:
    if not isinstance(photo, dict):
        _fail(where, "must be an object")
    name = _get(photo, "file", str, where)
    if not name.startswith(PHOTOS):
        _fail(f"{where}.file", f"must name a file under {PHOTOS}")
    if not _SHA256.match(_get(photo, "sha256", str, where)):
        _fail(f"{where}.sha256", "must be 64 lower-case hex digits")
    for key in ("size", "width", "height"):
        if _get(photo, key, int, where) < (0 if key == "size" else 1):
            _fail(f"{where}.{key}", "is out of range")
    _get(photo, "format", str, where)
    _get(photo, "note", str, where, "")
    _get(photo, "position", int, where, 0)


def check_collection(coll, where: str) -> None:
    if not isinstance(coll, dict):
        _fail(where, "must be an object")
    if not _get(coll, "name", str, where).strip():
        _fail(f"{where}.name", "must not be empty")
    _get(coll, "description", str, where, "")
    members = _get(coll, "items", list, where)
    if not all(isinstance(m, str) for m in members):
        _fail(f"{where}.items", "must be a list of accession numbers")


def check_references(doc: dict, members: set[str], label_ids: set[str]) -> None:
    """Cross-references: unique accessions and photos, photos present, labels and collection
    members known."""
    accessions: set[str] = set()
    hashes: dict[str, str] = {}
    for item in doc["items"]:
        acc = item["accession"]
        if acc in accessions:
            raise PackageError(f"{METADATA}: the accession number {acc!r} appears twice; "
                               "a package must name each item once.")
        accessions.add(acc)
        for photo in item.get("photos", []):
            if photo["file"] not in members:
                raise PackageError(f"{METADATA}: item {acc!r} names the photo {photo['file']!r}, "
                                   "which is not in the package.")
            if photo["sha256"] in hashes:
                raise PackageError(f"{METADATA}: items {hashes[photo['sha256']]!r} and {acc!r} "
                                   "share the same photo; each photo may belong to one item.")
            hashes[photo["sha256"]] = acc
        for label in item.get("labels", []):
            if label["id"] not in label_ids:
                raise PackageError(f"{METADATA}: item {acc!r} has the label {label['id']!r}, "
                                   f"which {SCHEME} does not define.")
    for coll in doc.get("collections", []):
        unknown = [m for m in coll["items"] if m not in accessions]
        if unknown:
            raise PackageError(f"{METADATA}: collection {coll['name']!r} lists {unknown[0]!r}, "
                               "which is not an item of the package.")
