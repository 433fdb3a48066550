"""Importing ZIP packages: check everything first, then copy photos and write in one transaction.

Order of work, and why:
1. ``check_package`` reads and checks the whole package (nothing is written).
2. The plan: items whose accession number (or photo) the library already has are skipped and
   reported; the package's labels that the library lacks are merged into its scheme (a label
   the library already has keeps the library's names unless asked otherwise).
3. Photos are copied into ``photos/`` (content-addressed, like ``import --copy``), each via a
   temporary file and re-hashed on the way, since the package could change after the check.
4. Items, labels and collections are written in ONE transaction. If anything fails, the
   transaction rolls back and the photo files this import created are removed again.
5. Thumbnails are made last: they are a cache, and a failure there is only a note.
"""
from __future__ import annotations

import hashlib
import os
import sqlite3
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from app.core.jobs import ProgressFn
from app.core.tempfiles import temp_file
from app.exchange.common import IMPORT_CANCELLED, Job
from app.exchange.package_check import CheckedPackage, check_package
from app.exchange.package_format import PackageError
from app.exchange.package_plan import Plan, merged_scheme, plan_items, write_collections, write_items
from app.exchange.package_read import PackageLimits, SafeZip
from app.exchange.photos import prefetch
from app.media.images import ImageProblem, decode, thumbnail_path, write_thumbnail
from app.store.snapshots import Recorder

if TYPE_CHECKING:
    from app.store import Library


@dataclass
class PackageImportOptions:
    take_label_names: bool = False     # adopt the package's names for labels both schemes have
    limits: PackageLimits | None = None
    workers: int = 2


@dataclass
class PackageReport:
    package: str
    items: int = 0
    added_items: int = 0
    added_photos: int = 0
    skipped: list[tuple[str, str]] = field(default_factory=list)   # (accession, why)
    added_labels: list[str] = field(default_factory=list)
    created_collections: list[str] = field(default_factory=list)
    extended_collections: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def partial(self) -> bool:
        """True when some items of the package were not imported."""
        return bool(self.skipped)


def import_packages(lib: Library, paths, options: PackageImportOptions | None = None,
                    progress: ProgressFn | None = None,
                    cancel: threading.Event | None = None,
                    record: Recorder | None = None) -> list[PackageReport]:
    """Check every package, then import them one after the other; one report per package.

    A package that fails its check stops everything before anything is written. ``record``
    keeps the rows the imports touch as they were (the ``ImportPackages`` op's undo).
    """
    lib.require_writable("import packages")
    options = options or PackageImportOptions()
    job = Job(progress, cancel, IMPORT_CANCELLED)
    try:
        checked = [check_package(p, options.limits, job, options.workers) for p in paths]
    except PackageError as exc:
        raise PackageError(f"{exc} The package was refused; nothing was imported.") from None
    reports = []
    for checked_package in checked:
        try:
            reports.append(import_checked(lib, checked_package, options, job, record))
        except PackageError as exc:
            earlier = f" ({len(reports)} earlier package(s) were imported)" if reports else ""
            raise PackageError(f"{exc} Nothing from {checked_package.path.name} was "
                               f"imported{earlier}.") from None
    return reports


def import_checked(lib: Library, checked: CheckedPackage, options: PackageImportOptions,
                   job: Job, record: Recorder | None = None) -> PackageReport:
    """Import a package that ``check_package`` accepted."""
    record = record or Recorder.off()
    started = time.perf_counter()
    report = PackageReport(checked.path.name, items=len(checked.items))
    if checked.ignored:
        report.notes.append(f"{len(checked.ignored)} file(s) in the package are not named in its "
                            f"metadata and were ignored (e.g. {checked.ignored[0]}).")
    bare = [item["accession"] for item in checked.items if not item.get("photos")]
    if bare:
        report.notes.append(f"{len(bare)} item(s) have no photo in the package and come in as records only "
                            f"(e.g. {', '.join(bare[:3])}).")
    plan = plan_items(lib, checked, report)
    scheme = merged_scheme(lib.scheme, checked.scheme, options.take_label_names, report)
    created: list[Path] = []
    try:
        copy_photos(lib, checked, plan, job, options.limits, created)
        job.step(len(plan.new), len(plan.new), "writing", "items")  # the last chance to cancel
        with lib.atomic():
            for table in ("facets", "labels", "collections"):
                record.before(table)
            here = set(plan.ids.values())  # items already in the library that the package names
            record.before("collection_items", "item_id", here)
            if scheme is not None:
                lib.labels.merge_in(scheme)
            write_items(lib, checked, plan, report)
            write_collections(lib, checked.doc, plan, report)
            for table, column in _NEW_ITEM_ROWS:  # the items this package added were not here
                record.absent(table, column, [i for i in plan.ids.values() if i not in here])
    except sqlite3.Error as exc:  # e.g. the disk filled up: the transaction rolled back
        remove_created(created)
        raise PackageError(f"The library could not be written ({exc}).") from None
    except BaseException:
        remove_created(created)
        raise
    write_thumbnails(lib, plan, report, options.workers)
    report.seconds = time.perf_counter() - started
    return report


_NEW_ITEM_ROWS = (("items", "id"), ("photos", "item_id"), ("item_labels", "item_id"),
                  ("collection_items", "item_id"))


def copy_photos(lib: Library, checked: CheckedPackage, plan: Plan, job: Job,
                limits: PackageLimits | None, created: list[Path]) -> None:
    """Copy the photos of the planned items into the library; ``created`` collects new paths."""
    todo = [photo for item in plan.new for photo in item.get("photos", [])]
    with SafeZip(checked.path, limits) as package:
        for n, photo in enumerate(todo):
            job.step(n, len(todo), "copying photos", photo["file"])
            dest = lib.root / plan.photo_paths[photo["file"]]
            if dest.is_file() and dest.stat().st_size == photo["size"]:
                continue  # content-addressed: the same bytes are already there
            copy_one(package, photo["file"], checked.photos[photo["file"]].sha256, dest, created)


def copy_one(package: SafeZip, member: str, sha256: str, dest: Path, created: list[Path]) -> None:
    """Stream one member to ``dest`` through a temporary file, checking its hash again."""
    make_dirs(dest.parent, created)
    try:
        fd, tmp = temp_file(dest.parent)
        digest = hashlib.sha256()
        try:
            with os.fdopen(fd, "wb") as handle:
                for chunk in package.chunks(member):
                    handle.write(chunk)
                    digest.update(chunk)
            if digest.hexdigest() != sha256:
                raise PackageError(f"{package.name}: {member} changed while it was being imported.")
            os.replace(tmp, dest)
            created.append(dest)
        finally:
            Path(tmp).unlink(missing_ok=True)
    except OSError as exc:
        raise PackageError(f"Cannot write photos into the library ({exc.strerror or exc}).") from None


def make_dirs(folder: Path, created: list[Path]) -> None:
    """``mkdir -p`` that remembers which folders it made, so a failed import can remove them."""
    missing = []
    while not folder.exists():
        missing.append(folder)
        folder = folder.parent
    for path in reversed(missing):
        path.mkdir()
        created.append(path)


def remove_created(created: list[Path]) -> None:
    """Undo the file system side of a failed import (files first, then the folders made)."""
    for path in reversed(created):
        try:
            path.rmdir() if path.is_dir() else path.unlink(missing_ok=True)
        except OSError:
            pass  # a folder someone else filled meanwhile stays


def write_thumbnails(lib: Library, plan: Plan, report: PackageReport, workers: int) -> None:
    """Thumbnails for the imported photos (after the commit: they are only a cache)."""
    def make(item):
        path, sha256 = item
        dest = thumbnail_path(lib.thumbnails_dir, sha256)
        try:
            if not dest.exists():
                write_thumbnail(decode(path).image, dest)
            return ""
        except (ImageProblem, OSError) as exc:
            return f"No thumbnail for {path.name}: {exc}."

    jobs = [(lib.root / rel, sha) for sha, rel in plan.imported_photos]
    report.notes.extend(note for note in prefetch(make, jobs, workers) if note)
