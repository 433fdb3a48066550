"""Export a selection as a ZIP package that another Wenyang library imports losslessly.

Photos are stored uncompressed (JPEG, PNG and TIFF scans are compressed already, and
deflating them again only costs time); the text files are deflated.
"""
from __future__ import annotations

import json
import threading
import time
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING

import app
from app.core.jobs import ProgressFn
from app.core.models import MAX_TEXT, now_iso
from app.exchange.common import ExportError, ExportResult, Job, Selection, atomic_file
from app.exchange.package_format import FORMAT, FORMAT_VERSION, METADATA, PHOTOS, README, SCHEME
from app.exchange.package_read import TEXT_MEMBERS, PackageLimits, human_bytes
from app.exchange.photos import PhotoOut, write_all, write_photo
from app.exchange.records import collection_records, scheme_summary

if TYPE_CHECKING:
    from app.store import Library

ZIP64_ABOVE = 1 << 31  # members this large need ZIP64 extra fields from the start


def export_package(lib: Library, selection: Selection, out: str | Path, max_side: int | None = None,
                   progress: ProgressFn | None = None,
                   cancel: threading.Event | None = None, workers: int = 2) -> ExportResult:
    """Write ``out`` (a .zip): photos (original bytes, or longer side ``max_side`` px),
    ``metadata.json``, ``scheme.json`` and ``README.txt``. Atomic; honours ``cancel``."""
    job, out = Job(progress, cancel), Path(out)
    result = ExportResult(out, "zip")
    scheme = lib.scheme
    stamp = time.localtime()[:6]
    with atomic_file(out) as tmp, zipfile.ZipFile(tmp, "w", allowZip64=True) as zf:
        def writer(photo: PhotoOut):
            return _write_member(zf, PHOTOS + photo.name, photo, stamp)

        items = write_all(lib, selection, job, result, writer, max_side, PHOTOS, workers)
        job.step(result.items, result.items, "writing", METADATA)
        doc = package_document(lib, selection, items, max_side)
        _write_text(zf, SCHEME, json.dumps(scheme.to_dict(), ensure_ascii=False, indent=1), stamp)
        _write_text(zf, METADATA, json.dumps(doc, ensure_ascii=False, indent=1), stamp)
        _write_text(zf, README, readme_text(doc, result), stamp)
        _check_importable(zf.infolist(), out)
        job.step(result.items, result.items, "writing", "finishing")
    result.bytes = out.stat().st_size
    result.seconds = job.seconds()
    return result


def _check_importable(infos: list[zipfile.ZipInfo], out: Path) -> None:
    """A package this library writes must be one it reads back: the import's limits
    (``PackageLimits``) are checked here too, before the file is kept."""
    limits = PackageLimits()
    total = sum(info.file_size for info in infos)
    problems = []
    if len(infos) > limits.max_members:
        problems.append(f"it would hold {len(infos):,} files (the limit is {limits.max_members:,})")
    if total > limits.max_total_bytes:
        problems.append(f"it would unpack to {human_bytes(total)} (the limit is {human_bytes(limits.max_total_bytes)})")
    for info in infos:
        if info.filename in TEXT_MEMBERS and info.file_size > limits.max_metadata_bytes:
            problems.append(f"its {info.filename} would be {human_bytes(info.file_size)} "
                            f"(the limit is {human_bytes(limits.max_metadata_bytes)})")
    if problems:
        raise ExportError(f"{out.name} was not written: " + "; ".join(problems) + ", more than a Wenyang "
                          "package may hold on import. Export the selection in smaller parts (by collection).")


def package_document(lib: Library, selection: Selection, items: list[dict], max_side: int | None) -> dict:
    """The content of metadata.json."""
    scheme = lib.scheme
    ids = selection.item_ids
    return {
        "format": FORMAT, "format_version": FORMAT_VERSION,
        "created": now_iso(), "created_by": f"wenyang {app.__version__}",
        "selection": selection.description,
        "photos": f"resized to at most {max_side} px" if max_side else "original files",
        "scheme": {"file": SCHEME} | scheme_summary(scheme),
        "items": items,
        "collections": collection_records(lib, ids),
    }


def _write_member(zf: zipfile.ZipFile, name: str, photo: PhotoOut, stamp) -> tuple[str, int]:
    info = zipfile.ZipInfo(name, date_time=stamp)
    info.compress_type = zipfile.ZIP_STORED
    info.external_attr = 0o644 << 16  # a plain, read-write file wherever it is unpacked
    size = len(photo.data) if photo.data is not None else photo.source.stat().st_size
    with zf.open(info, "w", force_zip64=size >= ZIP64_ABOVE) as handle:
        return write_photo(photo, handle)  # type: ignore[arg-type]  # a zip member is a binary stream


def _write_text(zf: zipfile.ZipFile, name: str, text: str, stamp) -> None:
    info = zipfile.ZipInfo(name, date_time=stamp)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16
    zf.writestr(info, (text + "\n").encode("utf-8"))


def limits_text() -> list[str]:
    """The limits a package must keep, as stated in its README."""
    limits = PackageLimits()
    return [f"at most {limits.max_members:,} files, {human_bytes(limits.max_total_bytes)} unpacked in all;",
            f"each photo at most {human_bytes(limits.max_member_bytes)}, and not compressed more than "
            f"{limits.max_ratio:.0f}:1 (above {human_bytes(limits.ratio_floor)});",
            f"{METADATA} and {SCHEME} at most {human_bytes(limits.max_metadata_bytes)} each;",
            f"a title, description or metadata text at most {MAX_TEXT:,} characters."]


def readme_text(doc: dict, result: ExportResult) -> str:
    """A short explanation for whoever unpacks the package by hand."""
    lines = [
        "Wenyang package (纹样 藏品包)",
        "=" * 28,
        f"Made by {doc['created_by']} on {doc['created']} from {doc['selection']}.",
        f"{result.items} items, {result.photos} photos ({doc['photos']}), "
        f"{len(doc['collections'])} collections.",
        f"Label scheme: version {doc['scheme']['version']}, fingerprint "
        f"{doc['scheme']['fingerprint']}.",
        "",
        "Contents",
        f"  {METADATA}  items (accession, title, description, metadata, labels with their",
        "                 English and Chinese keyword paths, photos with SHA-256), collections",
        f"  {SCHEME}    the label scheme: facets and labels with stable ids, both languages",
        f"  {PHOTOS:<15}the photo files; each is named in {METADATA} with its SHA-256",
        "",
        "To import into a Wenyang library:",
        "  wenyang import LIBRARY this-package.zip",
        "Items whose accession number the library already has are skipped and reported.",
        "",
        "Limits (the same when a package is written and when it is read back):",
        *(f"  {line}" for line in limits_text()),
    ]
    if result.missing_photos:
        lines += ["", "Photos that could not be read and are NOT included:"]
        lines += [f"  {m}" for m in result.missing_photos]
    return "\n".join(lines)
