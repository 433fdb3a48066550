"""Export a selection as one JSON document (items, photos, labels in both languages,
collections and the full label scheme with its version and fingerprint).

Photos are not copied: each photo entry carries the absolute ``path`` of the file in the
library, its ``file_name`` and its SHA-256. Use the ZIP package to move photos too.
"""
from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import TYPE_CHECKING

import app
from app.core.jobs import ProgressFn
from app.core.models import now_iso
from app.exchange.common import ExportResult, Job, Selection, atomic_file, photo_file
from app.exchange.records import collection_records, gather, item_record, photo_record

if TYPE_CHECKING:
    from app.store import Library

FORMAT = "wenyang-export"
FORMAT_VERSION = 1


def export_json(lib: Library, selection: Selection, out: str | Path,
                progress: ProgressFn | None = None,
                cancel: threading.Event | None = None) -> ExportResult:
    """Write the selection to ``out`` as UTF-8 JSON (atomically; honours ``cancel``)."""
    job, out = Job(progress, cancel), Path(out)
    result = ExportResult(out, "json")
    doc = json_document(lib, selection, job, result)
    job.step(result.items, result.items, "writing", out.name)
    with atomic_file(out) as tmp:
        with open(tmp, "w", encoding="utf-8", newline="\n") as handle:
            json.dump(doc, handle, ensure_ascii=False, indent=1)
            handle.write("\n")
        job.step(result.items, result.items, "writing", "finishing")
    result.bytes = out.stat().st_size
    result.seconds = job.seconds()
    return result


def json_document(lib: Library, selection: Selection, job: Job | None = None,
                  result: ExportResult | None = None) -> dict:
    """The export document as a dictionary (what ``export_json`` writes)."""
    scheme = lib.scheme
    items = []
    for g in gather(lib, selection, job):
        photos = [photo_record(p) | {"file_name": Path(p.path).name,
                                     "path": str(photo_file(lib, p.path))}
                  for p in g.item.photos]
        items.append(item_record(g, scheme, photos))
        if result is not None:
            result.items += 1
            result.photos += len(photos)
    return {
        "format": FORMAT, "format_version": FORMAT_VERSION,
        "created": now_iso(), "created_by": f"wenyang {app.__version__}",
        "selection": selection.description,
        "scheme": scheme.to_dict(),
        "items": items,
        "collections": collection_records(lib, selection.item_ids),
    }
