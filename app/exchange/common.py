"""What every exporter shares: the selection, progress and cancel, and atomic output.

An export never leaves a half-written file: it writes into a temporary sibling of the
output and renames it into place only when everything succeeded.
"""
from __future__ import annotations

import glob
import os
import re
import shutil
import stat
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from app.core.errors import WenyangError
from app.core.jobs import Cancelled, CancelToken, Progress, ProgressFn
from app.core.tempfiles import clean_stale, temp_dir, temp_file

if TYPE_CHECKING:
    from app.store import Library


class ExportError(WenyangError):
    """An export cannot be written; nothing was left behind."""


EXPORT_CANCELLED = "The export was cancelled; no file was written."
IMPORT_CANCELLED = "The import was cancelled; nothing was imported."


@dataclass
class Selection:
    """What to export: item ids in order (a search result adds one distance per item)."""
    item_ids: list[int]
    description: str
    distances: list[float] | None = None
    title: str = ""     # a short name for the export (the collection's name)

    @property
    def name(self) -> str:
        return self.title or self.description


@dataclass
class ExportResult:
    path: Path
    format: str
    items: int = 0
    photos: int = 0
    bytes: int = 0
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)
    missing_photos: list[str] = field(default_factory=list)

    @property
    def partial(self) -> bool:
        """True when a photo could not be read and was left out."""
        return bool(self.missing_photos)


class Job:
    """Progress reporting and cancellation for one export (or package import) run: its
    stages are 'items', 'photos' and 'writing'."""

    def __init__(self, progress: ProgressFn | None = None,
                 cancel: threading.Event | None = None, cancelled: str = EXPORT_CANCELLED):
        self.progress = progress
        self.cancel = cancel or CancelToken()
        self.cancelled = cancelled
        self.started = time.perf_counter()

    def step(self, done: int, total: int, stage: str, detail: str = "") -> None:
        """Report progress, and stop (raising ``Cancelled``) when cancel is set."""
        if self.cancel.is_set():
            raise Cancelled(self.cancelled)
        if self.progress is not None:
            self.progress(Progress(stage, done, total, detail))

    def seconds(self) -> float:
        return time.perf_counter() - self.started


# -- choosing items --------------------------------------------------------------------------
def _ordered_unique(ids) -> list[int]:
    return list(dict.fromkeys(int(i) for i in ids))


def select_all(lib: Library) -> Selection:
    """Every item of the library, in accession order."""
    return _non_empty(Selection(lib.items.ids(), "the whole library"))


def select_collection(lib: Library, ref: str | int) -> Selection:
    """The members of a collection, in the collection's order."""
    coll = lib.collections.get(ref)
    members = lib.collections.members(coll.name)
    return _non_empty(Selection(members, f"collection {coll.name!r}", title=coll.name))


def select_items(lib: Library, refs) -> Selection:
    """Items named by accession number or id, in the order given."""
    ids = _ordered_unique(lib.items.resolve(ref).id for ref in refs)
    return _non_empty(Selection(ids, f"{len(ids)} selected item(s)"))


def select_search(lib: Library, item_ids, distances=None, query: str = "") -> Selection:
    """A ranked search result; ``distances`` (one per item) are exported with it."""
    ids = [int(i) for i in item_ids]
    if distances is not None and len(distances) != len(ids):
        raise ExportError("A search result needs exactly one distance per item.")
    if len(set(ids)) != len(ids):
        raise ExportError("A search result lists an item twice.")
    for item_id in ids:
        lib.items.get(item_id)  # a clear NotFound for a stale result
    what = f"search results for {query!r}" if query else "search results"
    dist = [float(d) for d in distances] if distances is not None else None
    return _non_empty(Selection(ids, what, dist))


def _non_empty(selection: Selection) -> Selection:
    if not selection.item_ids:
        raise ExportError(f"Nothing to export: {selection.description} has no items.")
    return selection


# -- names and files -------------------------------------------------------------------------
_UNSAFE = re.compile(r"[^\w.\-]+", re.UNICODE)


_RESERVED = {"CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$",
             *(f"{port}{n}" for port in ("COM", "LPT") for n in (*"0123456789", "¹", "²", "³"))}


def safe_name(text: str, fallback: str = "item", limit: int = 80) -> str:
    """A file-name fragment from any text (accession numbers may hold '/', ':' or spaces).

    Names Windows reserves for devices (``CON``, ``NUL``, ``COM1``..., also with an extension
    such as ``aux.json``) get a ``_`` so the export can be copied onto a Windows disk."""
    cleaned = _UNSAFE.sub("_", text.strip()).strip("._")[:limit]
    if cleaned.split(".")[0].upper() in _RESERVED:
        cleaned = "_" + cleaned
    return cleaned or fallback


def unique_name(name: str, taken: set[str]) -> str:
    """``name``, or ``stem-2.ext``... when the (case-folded) name is taken; records it."""
    stem, dot, ext = name.rpartition(".")
    if not dot:
        stem, ext = name, ""
    candidate, n = name, 2
    while candidate.casefold() in taken:
        candidate, n = f"{stem}-{n}{dot}{ext}", n + 1
    taken.add(candidate.casefold())
    return candidate


def photo_file(lib: Library, stored: str) -> Path:
    """Stored photo paths are absolute, or relative to the library (copied photos)."""
    path = Path(stored)
    return path if path.is_absolute() else lib.root / path


@contextmanager
def atomic_file(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; it becomes ``path`` only if the block succeeds."""
    path = Path(path)
    if path.is_dir():
        raise ExportError(f"{path} is a folder; give a file name for this export.")
    _refuse_special(path)
    _make_parent(path)
    _clean_leftovers(path)
    fd, tmp = temp_file(path.parent, prefix=f".{path.name}.")
    os.close(fd)
    try:
        yield Path(tmp)
        os.chmod(tmp, 0o666 & ~process_umask())  # mkstemp made it private (0600)
        os.replace(tmp, path)
    except BaseException as exc:
        Path(tmp).unlink(missing_ok=True)
        _raise_plainly(exc, path)
        raise


@contextmanager
def atomic_dir(path: str | Path) -> Iterator[Path]:
    """Yield a temporary folder beside ``path``; renamed to ``path`` only on success.

    An existing non-empty folder is refused rather than merged into: a stale file from an
    earlier export would silently become part of this one.
    """
    path = Path(path)
    _refuse_special(path)
    if path.exists() and (not path.is_dir() or any(path.iterdir())):
        raise ExportError(f"{path} already exists and is not an empty folder. "
                          "Choose a new folder name, or delete the old export first.")
    _make_parent(path)
    _clean_leftovers(path)
    tmp = temp_dir(path.parent, prefix=f".{path.name}.")
    try:
        yield tmp
        os.chmod(tmp, 0o777 & ~process_umask())  # mkdtemp made it private (0700)
        if path.exists():
            path.rmdir()
        os.replace(tmp, path)
    except BaseException as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        _raise_plainly(exc, path)
        raise


def process_umask() -> int:
    """The umask new files get, so that an export ends with the permissions any other file the
    curator saves would have (0644 under the usual 022), not the private ones of a temporary."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)  # no /proc: read it by setting it, and put it straight back
    os.umask(mask)
    return mask


def _clean_leftovers(path: Path) -> None:
    """A killed export to ``path`` left a hidden ``.NAME.*.part`` beside it: remove it now
    (only when its process is gone; ``app.core.tempfiles``)."""
    clean_stale(path.parent, (f".{glob.escape(path.name)}.*.part",))


def _refuse_special(path: Path) -> None:
    """An export replaces a regular file or fills a folder, nothing else: at a FIFO, a socket or
    a device node (``/dev/null``, a disk) the rename would replace the node itself."""
    try:
        mode = path.stat().st_mode
    except (FileNotFoundError, NotADirectoryError):  # a new name; its folder is checked next
        return
    except OSError as exc:
        raise ExportError(f"Cannot use {path} for the export: {exc.strerror or exc}.") from None
    if not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
        raise ExportError(f"{path} is not a regular file or a folder (a device, a pipe or a socket); "
                          "export to a file or folder instead.")


def _raise_plainly(exc: BaseException, path: Path) -> None:
    """A disk or permission error becomes a sentence (the partial output is already gone)."""
    if isinstance(exc, OSError):
        raise ExportError(f"Cannot write {path}: {exc.strerror or exc}. Nothing was written.") from None


def _make_parent(path: Path) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ExportError(f"Cannot create the folder {path.parent}: {exc.strerror or exc}.") from None
