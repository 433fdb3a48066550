"""One entry point for every export format (what the CLI and the GUI call)."""
from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from app.core.jobs import ProgressFn
from app.exchange.common import ExportError, ExportResult, Selection

if TYPE_CHECKING:
    from app.exchange.research import SplitSizes
    from app.store import Library

FORMATS = ("csv", "json", "zip", "iiif", "research")
FOLDER_FORMATS = ("iiif", "research")   # these write a folder, the others one file
_BY_SUFFIX = {".csv": "csv", ".json": "json", ".zip": "zip"}


@dataclass
class ExportOptions:
    max_side: int | None = None      # zip, iiif, research: resize photos larger than this
    base_uri: str | None = None      # iiif: where the folder will be published
    split: SplitSizes | None = None  # research: how to split the set
    workers: int = 2


def format_for(out: str | Path, given: str | None) -> str:
    """The export format: as given, or guessed from the output's extension."""
    if given:
        if given not in FORMATS:
            raise ExportError(f"Unknown export format {given!r}; choose one of {', '.join(FORMATS)}.")
        return given
    guessed = _BY_SUFFIX.get(Path(out).suffix.lower())
    if guessed is None:
        raise ExportError(f"Cannot tell the format from {Path(out).name!r}; give --format "
                          f"({', '.join(FORMATS)}).")
    return guessed


def run_export(lib: Library, selection: Selection, fmt: str, out: str | Path,
               options: ExportOptions | None = None, progress: ProgressFn | None = None,
               cancel: threading.Event | None = None) -> ExportResult:
    """Export ``selection`` as ``fmt`` to ``out``; atomic, with progress and cancel."""
    options = options or ExportOptions()
    if options.max_side is not None and fmt not in ("zip", "iiif", "research"):
        raise ExportError("Resizing applies to exports with photos (zip, iiif, research), "
                          f"not to {fmt}.")
    if options.max_side is not None and options.max_side < 16:
        raise ExportError("Resize to at least 16 pixels on the longer side.")
    if options.base_uri and fmt != "iiif":
        raise ExportError("A base URI applies to IIIF exports only.")
    # exporters are imported on use: the research set pulls in the tokenizer (jieba)
    side, workers = options.max_side, options.workers
    if fmt == "csv":
        from app.exchange.export_csv import export_csv
        return export_csv(lib, selection, out, progress=progress, cancel=cancel)
    if fmt == "json":
        from app.exchange.export_json import export_json
        return export_json(lib, selection, out, progress=progress, cancel=cancel)
    if fmt == "zip":
        from app.exchange.package import export_package
        return export_package(lib, selection, out, max_side=side, workers=workers, progress=progress, cancel=cancel)
    if fmt == "iiif":
        from app.exchange.iiif import export_iiif
        return export_iiif(lib, selection, out, base_uri=options.base_uri, max_side=side, workers=workers,
                           progress=progress, cancel=cancel)
    if fmt == "research":
        from app.exchange.research import export_research
        return export_research(lib, selection, out, sizes=options.split, max_side=side, workers=workers,
                               progress=progress, cancel=cancel)
    raise ExportError(f"Unknown export format {fmt!r}; choose one of {', '.join(FORMATS)}.")
