"""Exports, packages and sheets: the exchange layer's use cases as the window and the CLI
run them (what to export, in which format, written atomically, with progress and cancel)."""
from __future__ import annotations

import os
import secrets
import shutil
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from app.core.jobs import ProgressFn
from app.exchange.common import (
    ExportError,
    Selection,
    atomic_file,
    safe_name,
    select_all,
    select_collection,
    select_items,
    select_search,
)
from app.exchange.export import FORMATS, ExportOptions, format_for, run_export
from app.exchange.iiif import valid_base_uri
from app.exchange.package_import import PackageImportOptions, import_packages
from app.exchange.research import SplitSizes
from app.exchange.sheets import decode_text
from app.services.ops import Changes, Op, OpResult, Restore

if TYPE_CHECKING:
    from app.store import Library

__all__ = ["Export", "ExportError", "ExportFiles", "ExportOptions", "FORMATS", "ImportPackages",
           "PackageImportOptions",
           "Selection", "SplitSizes", "atomic_file", "decode_text", "format_for",
           "import_packages", "run_export", "safe_name", "select_all", "select_collection", "select_items",
           "select_search", "valid_base_uri"]


# -- ops ---------------------------------------------------------------------------------------
@dataclass
class Export(Op):
    """Write an export. The library does not change; the undo takes the export away (and puts
    back the file it replaced), by renames beside it, so undo and redo are exact and instant."""

    choose: Selection | Callable[[Library], Selection]  # the items, or how to pick them
    fmt: str
    out: Path
    options: ExportOptions = field(default_factory=ExportOptions)
    progress: ProgressFn | None = field(default=None, repr=False, compare=False)
    cancel: threading.Event | None = field(default=None, repr=False, compare=False)

    def run(self, lib: Library) -> OpResult:
        out = Path(self.out)
        kept = _set_aside(out)
        try:
            selection = self.choose if isinstance(self.choose, Selection) else self.choose(lib)
            result = run_export(lib, selection, self.fmt, out, self.options, self.progress, self.cancel)
        except BaseException:
            if kept is not None:
                os.replace(kept, out)
            raise
        what = f"Export {result.items} item(s) to {out.name}"
        return OpResult(what, Changes(files=True), ExportFiles(out, kept, _beside(out, "undone"), True, what), result)


@dataclass
class ExportFiles(Op):
    """The undo (``shown``: the export is in place) or the redo of an export."""

    out: Path
    kept: Path | None  # the file the export replaced, set aside beside it
    hidden: Path       # where the export waits while undone
    shown: bool
    what: str = "Export"

    @property
    def description(self) -> str:
        return self.what

    def run(self, lib: Library) -> OpResult:
        if self.shown:
            _move(self.out, self.hidden)
            if self.kept is not None:
                _move(self.kept, self.out)
        else:
            if self.kept is not None:
                _move(self.out, self.kept)
            _move(self.hidden, self.out)
        return OpResult(self.what, Changes(files=True), replace(self, shown=not self.shown), self.out)

    def discard(self) -> None:
        """Never to run: an export in place lets the file it replaced go, as any export does;
        an undone one goes itself."""
        _remove(self.kept if self.shown else self.hidden)


@dataclass
class ImportPackages(Op):
    """Import ZIP packages; the undo takes out the items, labels and collections they added
    (the photos they copied in stay on disk until the trash is emptied: a redo needs them)."""

    paths: Sequence[Path]
    options: PackageImportOptions = field(default_factory=PackageImportOptions)
    progress: ProgressFn | None = field(default=None, repr=False, compare=False)
    cancel: threading.Event | None = field(default=None, repr=False, compare=False)

    def run(self, lib: Library) -> OpResult:
        record = lib.snapshots.recorder()
        reports = import_packages(lib, self.paths, self.options, self.progress, self.cancel, record)
        added = sum(r.added_items for r in reports)
        what = f"Import {added} item(s) from {len(reports)} package(s)"
        changes = Changes(item_set=True, tags=True, scheme=True, collections=True) if added else Changes()
        return OpResult(what, changes, Restore(record.rows(), what, changes), reports)


def _beside(path: Path, why: str) -> Path:
    """A hidden name in the same folder (a rename there never copies)."""
    return path.with_name(f".{path.name}.{secrets.token_hex(4)}.{why}")


def _set_aside(out: Path) -> Path | None:
    """Rename the file an export is about to replace to a hidden name beside it."""
    if not out.is_file():
        return None  # a new name, or a folder (an export never fills one that is not empty)
    kept = _beside(out, "replaced")
    os.replace(out, kept)
    return kept


def _move(source: Path, dest: Path) -> None:
    if not os.path.lexists(source):
        raise ExportError(f"{source.name} is no longer in {source.parent}: it was moved or deleted, "
                          "so this export cannot be undone or redone.")
    if os.path.lexists(dest):
        raise ExportError(f"{dest} exists now; move it away first, then try again.")
    os.replace(source, dest)


def _remove(path: Path | None) -> None:
    if path is None:
        return
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)
