"""Exports, packages and sheets: the exchange layer's use cases as the window and the CLI
run them (what to export, in which format, written atomically, with progress and cancel)."""
from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

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
from app.exchange.package_import import PackageImportOptions, import_packages
from app.exchange.research import SplitSizes
from app.exchange.sheets import decode_text
from app.store import open_library

__all__ = ["ExportError", "ExportOptions", "FORMATS", "PackageImportOptions",
           "Selection", "SplitSizes", "atomic_file", "decode_text", "export_on_own_connection", "format_for",
           "import_packages", "run_export", "safe_name", "select_all", "select_collection", "select_items",
           "select_search"]


def export_on_own_connection(root: Path, choose: Callable[[object], Selection], fmt: str, out: Path,
                             options: ExportOptions, progress: ProgressFn | None,
                             cancel: threading.Event):
    """Export from a connection of its own (a worker thread's, so that the window's library
    queue goes on meanwhile): ``choose(lib)`` picks the items, then ``run_export`` writes them."""
    lib = open_library(root)
    try:
        return run_export(lib, choose(lib), fmt, out, options, progress, cancel)
    finally:
        lib.close()
