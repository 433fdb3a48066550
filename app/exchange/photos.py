"""Photo files for exports: original bytes streamed with a hash, or resized copies.

Originals are copied in chunks by the writing thread (museum scans can be hundreds of MB, so
they are never held whole in memory); resizing is decoding work and runs in a small thread
pool ahead of the writer, with a bounded window so memory stays flat.
"""
from __future__ import annotations

import hashlib
import io
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, TypeVar

from PIL import Image

from app.core.models import Photo
from app.exchange.common import ExportError, photo_file, safe_name, unique_name
from app.exchange.records import gather, item_record
from app.media.images import IMAGE_SUFFIXES, ImageProblem, decode

if TYPE_CHECKING:
    from app.store import Library

CHUNK = 1 << 20
FORMAT_SUFFIX = {"JPEG": ".jpg", "MPO": ".jpg", "PNG": ".png", "TIFF": ".tif", "WEBP": ".webp",
                 "BMP": ".bmp"}
MIME = {"JPEG": "image/jpeg", "MPO": "image/jpeg", "PNG": "image/png", "TIFF": "image/tiff",
        "WEBP": "image/webp", "BMP": "image/bmp"}
RESIZED_QUALITY = 90

T = TypeVar("T")
R = TypeVar("R")


@dataclass
class PhotoOut:
    """One photo as it will appear in an export."""
    photo: Photo
    source: Path
    name: str = ""                 # file name inside the export
    data: bytes | None = None      # resized bytes; None means "copy the original"
    width: int = 0
    height: int = 0
    format: str = ""
    problem: str = ""

    @property
    def resized(self) -> bool:
        return self.data is not None


def export_name(accession: str, index: int, photo: Photo, source: Path, resized: bool,
                taken: set[str]) -> str:
    """``ACC.jpg`` for an item's first photo, ``ACC_2.jpg`` for the next, never clashing."""
    suffix = source.suffix.lower()
    if resized:
        suffix = ".jpg"
    elif suffix not in IMAGE_SUFFIXES:
        suffix = FORMAT_SUFFIX.get(photo.format, ".bin")
    stem = safe_name(accession) + (f"_{index + 1}" if index else "")
    return unique_name(stem + suffix, taken)


def prepare(lib: Library, photo: Photo, max_side: int | None) -> PhotoOut:
    """Decide how a photo is exported; resize it now when it is larger than ``max_side``."""
    out = PhotoOut(photo, photo_file(lib, photo.path), width=photo.width, height=photo.height,
                   format=photo.format)
    if not out.source.is_file():
        out.problem = "the photo file is missing"
    elif max_side and max(photo.width, photo.height) > max_side:
        try:
            out.data, out.width, out.height = resized_jpeg(out.source, max_side)
            out.format = "JPEG"
        except ImageProblem as problem:
            out.problem = str(problem)
    return out


def resized_jpeg(source: Path, max_side: int) -> tuple[bytes, int, int]:
    """The photo scaled so its longer side is ``max_side``, as JPEG bytes (EXIF applied)."""
    image = decode(source).image
    image.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", **jpeg_settings(source))
    return buffer.getvalue(), image.width, image.height


def jpeg_settings(source: Path) -> dict:
    """Keep a JPEG original's compression (its quantization tables): re-encoding a small,
    strongly compressed photo at a fixed high quality makes the "resized" file larger."""
    try:
        with Image.open(source) as original:
            tables = getattr(original, "quantization", None) if original.format == "JPEG" else None
    except (OSError, ValueError):
        tables = None
    return {"qtables": tables} if tables else {"quality": RESIZED_QUALITY}


def write_photo(out: PhotoOut, handle: BinaryIO) -> tuple[str, int]:
    """Write the photo's bytes to ``handle``; returns (sha256, size) of what was written.

    A failure names the side that failed: reading the library's photo, or writing the export
    (a full disk is the export's problem, not the photo's)."""
    if out.data is not None:
        _write(handle, out.data, out)
        return hashlib.sha256(out.data).hexdigest(), len(out.data)
    digest, size = hashlib.sha256(), 0
    try:
        src = open(out.source, "rb")
    except OSError as exc:
        raise _read_failed(out, exc) from None
    with src:
        while True:
            try:
                chunk = src.read(CHUNK)
            except OSError as exc:
                raise _read_failed(out, exc) from None
            if not chunk:
                break
            _write(handle, chunk, out)
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def _write(handle: BinaryIO, data: bytes, out: PhotoOut) -> None:
    try:
        handle.write(data)
    except OSError as exc:
        target = getattr(handle, "name", None)
        where = f"to {target}" if isinstance(target, str) else "into the export"
        raise ExportError(f"Writing {out.name or out.source.name} {where} failed: {exc.strerror or exc}. "
                          "The export was stopped and nothing was written.") from None


def _read_failed(out: PhotoOut, exc: OSError) -> ExportError:
    return ExportError(f"Reading the library's photo {out.source} failed: {exc.strerror or exc}. "
                       "The export was stopped and nothing was written.")


def prefetch(func: Callable[[T], R], items: Iterable[T], workers: int = 2,
             window: int = 8) -> Iterator[R]:
    """``map(func, items)`` in a thread pool, in order, at most ``window`` results ahead."""
    if workers <= 1:
        yield from map(func, items)
        return
    with ThreadPoolExecutor(max_workers=workers) as pool:
        pending = []
        try:
            for item in items:
                pending.append(pool.submit(func, item))
                if len(pending) >= window:
                    yield pending.pop(0).result()
            while pending:
                yield pending.pop(0).result()
        finally:  # a cancelled export must not leave decoders running
            for future in pending:
                future.cancel()


def photo_entry(out: PhotoOut, sha256: str, size: int) -> dict:
    """The record of an exported photo (what a reader needs to check and use it)."""
    entry = {"sha256": sha256, "size": size, "width": out.width, "height": out.height,
             "format": out.format, "note": out.photo.note, "position": out.photo.position,
             "original_name": Path(out.photo.path).name}
    if out.resized:
        entry["resized_from"] = {"sha256": out.photo.sha256, "width": out.photo.width,
                                 "height": out.photo.height, "format": out.photo.format}
    return entry


def changed_note(out: PhotoOut, sha256: str) -> str:
    """A note when the file on disk no longer matches what the library recorded."""
    if out.resized or sha256 == out.photo.sha256:
        return ""
    return (f"{out.source} has changed since it was imported; the current file was "
            "exported.")


def photo_stream(lib: Library, selection, job, max_side: int | None, workers: int = 2,
                 first_only: bool = False):
    """Yield (gathered item, its prepared photos) in selection order, prepared ahead."""
    def load(g):
        photos = g.item.photos[:1] if first_only else g.item.photos
        return g, [prepare(lib, p, max_side) for p in photos]

    yield from prefetch(load, gather(lib, selection, job), workers)


def write_all(lib: Library, selection, job, result, writer, max_side: int | None = None,
              prefix: str = "", workers: int = 2, first_only: bool = False) -> list[dict]:
    """Write every selected item's photos (or only its first, for a research set) with
    ``writer(photo_out) -> (sha256, size)`` and return the item records, each photo entry
    carrying its ``file`` (``prefix`` + name).

    A missing or unreadable photo is left out and listed in ``result.missing_photos``.
    """
    scheme, records = lib.scheme, []
    taken: set[str] = set()
    for g, outs in photo_stream(lib, selection, job, max_side, workers, first_only):
        entries = []
        for index, out in enumerate(outs):
            if out.problem:
                result.missing_photos.append(f"{g.item.accession}: {out.source} ({out.problem})")
                continue
            out.name = export_name(g.item.accession, index, out.photo, out.source, out.resized, taken)
            sha256, size = writer(out)
            if note := changed_note(out, sha256):
                result.notes.append(note)
            entries.append({"file": prefix + out.name} | photo_entry(out, sha256, size))
            result.photos += 1
        records.append(item_record(g, scheme, entries))
        result.items += 1
    return records
