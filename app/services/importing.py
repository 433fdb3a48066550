"""Importing photos (files, folders) with optional metadata sheets into a library.

Work is split so a crash loses nothing: decoding and thumbnails happen first (a worker
thread pool), then each item is written in a single transaction. Re-running an import
skips what is already there by content hash, so a killed import simply completes.
"""
from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from app.core.errors import SchemeError, WenyangError
from app.core.jobs import CancelToken, Progress, ProgressFn, ignore
from app.core.models import Item, Photo
from app.core.scheme import clean_name
from app.core.tempfiles import temp_file
from app.exchange.sheets import Sheet, SheetError, SheetRow, read_sheet
from app.media.images import (
    IMAGE_SUFFIXES,
    DecodedImage,
    ImageProblem,
    decode,
    read_bytes,
    thumbnail_path,
    write_thumbnail,
)
from app.services.files import collect_files
from app.services.ops import Changes, Op, OpResult, Restore
from app.store.items import PhotoLookup
from app.store.pg import ServerError
from app.store.pg import disk_full as server_disk_full
from app.store.snapshots import Recorder

if TYPE_CHECKING:
    from app.store import Library


class DiskFullError(WenyangError):
    """The disk (or the database) is full: the import stopped, nothing half-written."""


@dataclass
class ImportOptions:
    metadata: Path | None = None
    mapping: dict[str, str] | None = None
    create_labels: bool = False
    new_label_facet: str = "category"
    copy: bool = False
    workers: int = 2


@dataclass
class Skipped:
    path: str
    reason: str
    detail: str = ""


@dataclass
class ImportReport:
    added_items: int = 0
    added_photos: int = 0
    duplicates: list[tuple[str, str]] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    unknown_labels: dict[str, int] = field(default_factory=dict)
    created_labels: list[str] = field(default_factory=list)
    unmatched_rows: list[int] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    total_files: int = 0
    cancelled: bool = False
    error: str = ""
    seconds: float = 0.0

    @property
    def partial(self) -> bool:
        """True when something was left out: skipped files, unknown labels, a stop."""
        return bool(self.skipped or self.unknown_labels or self.cancelled or self.error)


@dataclass
class _Prepared:
    path: Path
    sha256: str = ""
    decoded: DecodedImage | None = None
    problem: ImageProblem | None = None
    thumbnail_error: str = ""


class Importer:
    """One import run. Iterate ``run()`` for progress; ``report`` holds the outcome."""

    def __init__(self, lib: Library, paths: Iterable[str | Path], options: ImportOptions | None = None,
                 cancel: threading.Event | None = None, record: Recorder | None = None):
        self.lib = lib
        self.record = record or Recorder.off()  # rows as they were before this run wrote them
        self.paths = [Path(p) for p in paths]
        self.options = options or ImportOptions()
        self.cancel = cancel or CancelToken()
        self.report = ImportReport()
        self._known: set[str] = set()
        self._lookup = PhotoLookup(lib)  # photos already in the library, asked from the decode threads
        self._sheet_rows: tuple[dict, dict] = ({}, {})
        self._used_rows: set[int] = set()

    # -- orchestration ---------------------------------------------------------------------
    def run(self) -> Iterator[Progress]:
        """One ``Progress`` per file, stage 'import': ``detail`` the file, ``data["outcome"]``
        'added', 'photo added', 'duplicate' or 'skipped'."""
        started = time.perf_counter()
        self.lib.require_writable("import photos")
        sheet = self._load_sheet()
        self.lib.clean_temporaries(deep=True)  # what a killed import left half-written
        files, ignored = collect_files(self.paths, IMAGE_SUFFIXES)
        sheet_path = Path(self.options.metadata).resolve() if self.options.metadata else None
        self.report.skipped.extend(Skipped(str(p), reason) for p, reason in ignored
                                   if sheet_path is None or p.resolve() != sheet_path)
        self.report.total_files = len(files)
        if sheet is not None and files:
            self._refuse_unmatched_sheet(sheet, files)
        self._known = set()  # photos this run added; the library's own are looked up one by one
        try:
            yield from self._process(files)
        except DiskFullError as exc:
            self.report.error = str(exc)
        finally:
            self._lookup.close()
            if sheet:
                self._note_unmatched(sheet)
            self.report.seconds = time.perf_counter() - started

    def _load_sheet(self) -> Sheet | None:
        if not self.options.metadata:
            return None
        sheet = read_sheet(self.options.metadata, self.options.mapping)
        if sheet.encoding not in ("UTF-8", "UTF-8 with BOM"):
            self.report.notes.append(f"{Path(self.options.metadata).name} was read as {sheet.encoding}.")
        self._sheet_rows = sheet.index()
        return sheet

    def _process(self, files: list[Path]) -> Iterator[Progress]:
        """Decode ahead on the pool (a bounded window), store strictly in file order."""
        with ThreadPoolExecutor(max_workers=max(1, self.options.workers)) as pool:
            window = 4 * max(1, self.options.workers)
            pending = [pool.submit(self._prepare, p) for p in files[:window]]
            upcoming = iter(files[window:])
            for done in range(1, len(files) + 1):
                prepared = pending.pop(0).result()
                following = next(upcoming, None)
                if following is not None:
                    pending.append(pool.submit(self._prepare, following))
                outcome = self._store(prepared)
                yield Progress("import", done, len(files), str(prepared.path), {"outcome": outcome})
                if self.cancel.is_set():
                    self.report.cancelled = done < len(files)
                    for future in pending:
                        future.cancel()
                    return

    # -- per file --------------------------------------------------------------------------
    def _prepare(self, path: Path) -> _Prepared:
        """Worker thread: hash, and decode + thumbnail only when the photo is new."""
        if self.cancel.is_set():
            return _Prepared(path, problem=ImageProblem("cancelled"))
        try:
            data = read_bytes(path)
            digest = hashlib.sha256(data).hexdigest()
            if digest in self._known or self._in_library(digest):
                return _Prepared(path, digest)
            decoded = decode(path, data)
        except ImageProblem as problem:
            return _Prepared(path, problem=problem)
        except MemoryError:
            return _Prepared(path, problem=ImageProblem("too large to decode", "out of memory"))
        prepared = _Prepared(path, digest, decoded)
        try:
            write_thumbnail(decoded.image, thumbnail_path(self.lib.thumbnails_dir, digest))
        except OSError as exc:
            prepared.thumbnail_error = exc.strerror or str(exc)
        decoded.image = None  # type: ignore[assignment]  # free pixels early: the store step needs only the facts
        return prepared

    def _in_library(self, digest: str) -> bool:
        """Worker thread: whether the library has a photo with this hash, looked up through
        the index (``PhotoLookup``: the library's connection is the import thread's, writing).
        Reading every hash into a set first took 1.3 s at the start of each import into a
        million-photo library (bench/bench_scale.py). When the lookup fails the photo is
        decoded; the store step checks again."""
        try:
            return self._lookup.known(digest)
        except sqlite3.Error:
            return False

    def _store(self, prepared: _Prepared) -> str:
        if prepared.problem is not None:
            if prepared.problem.reason != "cancelled":
                self.report.skipped.append(Skipped(str(prepared.path), prepared.problem.reason,
                                                   prepared.problem.detail))
            return "skipped"
        if prepared.thumbnail_error:
            _raise_if_disk_full(prepared.thumbnail_error)
        if prepared.decoded is None or prepared.sha256 in self._known:
            existing = self.lib.items.item_for_photo_hash(prepared.sha256)
            accession = self.lib.items.get(existing).accession if existing else "this import"
            self.report.duplicates.append((str(prepared.path), accession))
            return "duplicate"
        try:
            outcome = self._write_item(prepared)
        except sqlite3.OperationalError as exc:
            _raise_if_disk_full(str(exc))
            raise
        except ServerError as exc:
            if server_disk_full(exc):
                raise DiskFullError("The library's server has no space left on its disk. The import stopped; "
                                    "every item written so far is complete. Free space on the server and run "
                                    "the import again to add the rest.") from exc
            raise
        self._known.add(prepared.sha256)
        return outcome

    def _write_item(self, prepared: _Prepared) -> str:
        """One photo, in one transaction that holds the write lock from its first read: another
        import running at the same time cannot add the same photo or accession in between."""
        row = self._row_for(prepared.path)
        accession = clean_name(row.accession if row and row.accession else prepared.path.stem)
        photo = self._photo(prepared)
        with self.lib.atomic():
            other = self.lib.items.item_for_photo_hash(prepared.sha256)
            if other is not None:  # another process imported it since this import began
                self.report.duplicates.append((str(prepared.path), self.lib.items.get(other).accession))
                return "duplicate"
            labels = self._resolve_labels(row.labels if row else [])
            existing = self.lib.items.id_for_accession(accession)
            if existing is not None:
                for table, column in _ITEM_ROWS:
                    self.record.before(table, column, (existing,))
                self.lib.items.add_photo(existing, photo)
                if labels:
                    self.lib.labels.tag([existing], labels, source="import")
                self.report.added_photos += 1
                return "photo added"
            item = Item(accession=accession, title=row.title if row else "",
                        description=row.description if row else "",
                        metadata=dict(row.metadata) if row else {}, photos=[photo], labels=labels)
            item_id = self.lib.items.add(item)
            for table, column in _ITEM_ROWS:
                self.record.absent(table, column, (item_id,))
        self.report.added_items += 1
        self.report.added_photos += 1
        return "added"

    def _photo(self, prepared: _Prepared) -> Photo:
        d = prepared.decoded
        assert d is not None  # only decoded photos reach the store step
        path = str(prepared.path.resolve())
        if self.options.copy:
            path = self._copy_in(prepared.path, d.sha256)
        return Photo(path=path, sha256=d.sha256, size=d.size, width=d.width, height=d.height,
                     format=d.format, note=d.note)

    def _copy_in(self, source: Path, sha256: str) -> str:
        """Copy the photo into the library (atomically); returns the library-relative path."""
        rel = Path("photos") / sha256[:2] / f"{sha256}{source.suffix.lower()}"
        dest = self.lib.root / rel
        if not dest.exists():
            dest.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = temp_file(dest.parent)
            os.close(fd)
            try:
                shutil.copyfile(source, tmp)
                os.replace(tmp, dest)
            except OSError as exc:
                Path(tmp).unlink(missing_ok=True)
                _raise_if_disk_full(exc.strerror or str(exc))
                raise
        return rel.as_posix()

    # -- metadata --------------------------------------------------------------------------
    def _match(self, path: Path) -> SheetRow | None:
        by_file, by_accession = self._sheet_rows
        name = clean_name(path.name).lower()  # macOS spells file names in NFD
        return by_file.get(name) or by_file.get(Path(name).stem) or by_accession.get(clean_name(path.stem))

    def _row_for(self, path: Path) -> SheetRow | None:
        row = self._match(path)
        if row is not None:
            self._used_rows.add(row.line)
        return row

    def _refuse_unmatched_sheet(self, sheet: Sheet, files: list[Path]) -> None:
        """A sheet that names none of the photos was misread or is the wrong sheet: importing
        the photos without their metadata would look like success. Stop before writing."""
        if any(self._match(path) is not None for path in files):
            return
        name = Path(self.options.metadata or "").name
        named = [r.file or r.accession for r in sheet.rows if r.file or r.accession][:3]
        raise SheetError(
            f"{name} ({sheet.encoding}) names none of the {len(files)} photo(s), so nothing was imported. "
            + (f"Its rows name e.g. {', '.join(named)}; the photos are called e.g. "
               f"{', '.join(p.name for p in files[:3])}. " if named else "It has no rows. ")
            + "Check that the sheet's file or accession column holds the photos' file names, "
              "or import without --metadata.")

    def _resolve_labels(self, refs: list[str]) -> list[str]:
        ids = []
        for ref in refs:
            try:
                ids.append(self.lib.scheme.resolve(ref).id)
            except SchemeError:
                created = self._create_label(ref) if self.options.create_labels else None
                if created:
                    ids.append(created)
                else:
                    self.report.unknown_labels[ref] = self.report.unknown_labels.get(ref, 0) + 1
        return ids

    def _create_label(self, ref: str) -> str | None:
        from app.core.scheme import scheme_from_keyword_paths, split_path

        self.record.before("facets")
        self.record.before("labels")
        parts = split_path(ref)
        scheme = self.lib.scheme
        if len(parts) == 1:
            facet = scheme.resolve_facet(self.options.new_label_facet)
            label = self.lib.labels.add(name_en=parts[0], name_zh=parts[0], facet=facet.id)
            self.report.created_labels.append(scheme.facets[facet.id].name_en + ">" + parts[0])
            return label.id
        extended = scheme_from_keyword_paths(ref, base=scheme)
        self.lib.labels.merge_in(extended)
        self.report.created_labels.append(ref)
        return self.lib.scheme.resolve(ref).id

    def _note_unmatched(self, sheet: Sheet) -> None:
        self.report.unmatched_rows = [r.line for r in sheet.rows if r.line not in self._used_rows]


# The rows an import writes for one item: the item, its photos, its tags.
_ITEM_ROWS = (("items", "id"), ("photos", "item_id"), ("item_labels", "item_id"))


@dataclass
class ImportFiles(Op):
    """Import photos (files, folders) with an optional sheet. The undo takes out the items the
    import added, the photos and tags it gave items already there, and the labels it created;
    photos it copied into the library stay on disk until the trash is emptied (a redo needs them)."""

    paths: Sequence[str | Path]
    options: ImportOptions = field(default_factory=ImportOptions)
    progress: ProgressFn | None = field(default=None, repr=False, compare=False)
    cancel: threading.Event | None = field(default=None, repr=False, compare=False)

    def run(self, lib: Library) -> OpResult:
        record = lib.snapshots.recorder()
        importer = Importer(lib, self.paths, self.options, self.cancel, record)
        emit = self.progress or ignore
        for event in importer.run():
            emit(event)
        report = importer.report
        what = f"Import {report.added_items} item(s) and {report.added_photos} photo(s)"
        changes = Changes(item_set=True, tags=True, scheme=bool(report.created_labels)) \
            if report.added_photos else Changes()
        return OpResult(what, changes, Restore(record.rows(), what, changes), report)


def _raise_if_disk_full(message: str) -> None:
    lowered = message.lower()
    if "full" in lowered or "no space" in lowered or "quota" in lowered:
        raise DiskFullError("The disk is full. The import stopped; every item written so far is "
                            "complete. Free some space and run the import again to add the rest.")


def import_paths(lib: Library, paths: Iterable[str | Path], options: ImportOptions | None = None,
                 cancel: threading.Event | None = None) -> ImportReport:
    """Run a whole import without progress reporting; returns the report."""
    importer = Importer(lib, paths, options, cancel)
    for _ in importer.run():
        pass
    return importer.report
