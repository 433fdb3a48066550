"""Checking a whole package before anything is written: structure, metadata, scheme, photos.

Every photo is read (bounded), hashed against the SHA-256 its metadata declares and fully
decoded, so a package that would fail halfway is refused up front instead.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

from app.core.errors import SchemeError
from app.core.scheme import LabelScheme
from app.exchange.common import IMPORT_CANCELLED, Job
from app.exchange.package_format import METADATA, README, SCHEME, PackageError, check_document, check_references
from app.exchange.package_read import PackageLimits, SafeZip
from app.exchange.photos import prefetch
from app.media.images import ImageProblem, decode


@dataclass
class PhotoFacts:
    """What decoding a package photo established (the truth, whatever metadata.json says)."""
    sha256: str
    size: int
    width: int
    height: int
    format: str


@dataclass
class CheckedPackage:
    path: Path
    doc: dict
    scheme: LabelScheme
    photos: dict[str, PhotoFacts] = field(default_factory=dict)   # member name → facts
    ignored: list[str] = field(default_factory=list)               # members nobody names

    @property
    def items(self) -> list[dict]:
        return self.doc["items"]


def check_package(path: str | Path, limits: PackageLimits | None = None, job: Job | None = None,
                  workers: int = 2) -> CheckedPackage:
    """Read and check the package at ``path``; raises PackageError naming the first problem."""
    path = Path(path)
    job = job or Job(cancelled=IMPORT_CANCELLED)
    with SafeZip(path, limits) as package:
        doc = load_json(package, METADATA)
        check_document(doc)
        scheme = load_scheme(package)
        check_references(doc, set(package.members), set(scheme.labels))
        checked = CheckedPackage(path, doc, scheme)
        checked.photos = check_photos(package, doc, job, workers)
        known = {METADATA, SCHEME, README, *checked.photos}
        checked.ignored = sorted(set(package.members) - known)
    return checked


def load_json(package: SafeZip, name: str):
    """A JSON member, parsed; every way it can be broken is a PackageError."""
    if name not in package.members:
        raise PackageError(f"{package.name} is not a Wenyang package: it has no {name}.")
    data = package.read(name, package.limits.max_metadata_bytes)
    try:
        return json.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise PackageError(f"{package.name}: {name} is not UTF-8 text.") from None
    except json.JSONDecodeError as exc:
        raise PackageError(f"{package.name}: {name} is not valid JSON ({exc.msg} at line "
                           f"{exc.lineno}, column {exc.colno}).") from None
    except RecursionError:
        raise PackageError(f"{package.name}: {name} is nested too deeply to be real metadata.") from None


def load_scheme(package: SafeZip) -> LabelScheme:
    data = load_json(package, SCHEME)
    try:
        return LabelScheme.from_dict(data)
    except SchemeError as exc:
        raise PackageError(f"{package.name}: {SCHEME} is not a usable label scheme ({exc})") from None


def check_photos(package: SafeZip, doc: dict, job: Job, workers: int) -> dict[str, PhotoFacts]:
    """Hash and decode every photo the metadata names (decoding in a small thread pool)."""
    wanted = [(item["accession"], photo) for item in doc["items"] for photo in item.get("photos", [])]

    def read_all():
        for n, (accession, photo) in enumerate(wanted):
            job.step(n, len(wanted), "checking photos", photo["file"])
            yield accession, photo, package.read(photo["file"])

    facts = {}
    for name, fact in prefetch(lambda job_item: _check_one(package.name, *job_item), read_all(),
                               workers):
        facts[name] = fact
    return facts


def _check_one(package: str, accession: str, photo: dict, data: bytes) -> tuple[str, PhotoFacts]:
    digest = hashlib.sha256(data).hexdigest()
    if digest != photo["sha256"] or len(data) != photo["size"]:
        raise PackageError(f"{package}: the photo {photo['file']} of item {accession!r} does not "
                           "match the SHA-256 and size in metadata.json (damaged or altered).")
    try:
        decoded = decode(Path(photo["file"]), data)
    except ImageProblem as problem:
        raise PackageError(f"{package}: the photo {photo['file']} of item {accession!r} is not a "
                           f"usable image ({problem}).") from None
    except MemoryError:
        raise PackageError(f"{package}: the photo {photo['file']} is too large to decode.") from None
    return photo["file"], PhotoFacts(digest, len(data), decoded.width, decoded.height, decoded.format)
