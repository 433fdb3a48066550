"""Export a selection as a CSV sheet for spreadsheets: UTF-8 with a BOM (so Excel shows
Chinese correctly), one row per item.

Columns, in order:

``accession, title, description``
    as stored.
``labels``
    the item's explicit labels as English keyword paths (``Motif>Animal>Dragon``), joined
    by ``|`` (implied ancestors are left out: the path already names them).
``labels_zh``
    the same labels as Chinese paths (``纹样>动物纹>龙``).
``photos``
    the photo file names, joined by ``|``.
``collections``
    names of the collections the item belongs to, joined by ``|``.
``rank, distance``
    only for a search result: position (1 = best) and Hamming distance.
metadata
    one column per free-metadata key (the union over the exported items, in first-seen
    order). Text values are written as they are; numbers, lists and objects as JSON. A key
    that would clash with the columns above, or that Wenyang's sheet importer would read
    as a file/accession/title/description/labels column, is written as ``metadata.KEY``.

Every cell that a spreadsheet would run as a formula (it starts with ``=``, ``+``, ``-`` or
``@``, also after spaces, or with a tab or carriage return) gets a single quote in front, as
OWASP advises against CSV injection; the sheet importer takes that quote off again.

Re-importing this CSV with ``wenyang import LIBRARY PHOTOS --metadata FILE.csv`` matches rows
by accession number and restores titles, descriptions, labels and metadata; the labels_zh,
photos and collections columns come back as metadata. The ZIP package is the lossless route.
"""
from __future__ import annotations

import csv
import json
import re
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from app.core.jobs import ProgressFn
from app.core.safe_text import to_csv_cell
from app.exchange.common import ExportResult, Job, Selection, atomic_file
from app.exchange.records import gather
from app.exchange.sheets import COLUMN_ALIASES

if TYPE_CHECKING:
    from app.store import Library

FIXED = ["accession", "title", "description", "labels", "labels_zh", "photos", "collections"]
RANKED = ["rank", "distance"]
JOIN = "|"
_ALIASES = {alias for aliases in COLUMN_ALIASES.values() for alias in aliases}


def export_csv(lib: Library, selection: Selection, out: str | Path,
               progress: ProgressFn | None = None,
               cancel: threading.Event | None = None) -> ExportResult:
    """Write the selection to ``out`` as CSV (atomically; honours ``cancel``)."""
    job, out = Job(progress, cancel), Path(out)
    result = ExportResult(out, "csv")
    rows, keys = _rows(lib, selection, job, result)
    columns = FIXED + (RANKED if selection.distances is not None else [])
    meta_columns = {key: metadata_column(key, columns) for key in keys}
    job.step(result.items, result.items, "writing", out.name)
    with atomic_file(out) as tmp:
        with open(tmp, "w", encoding="utf-8-sig", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow([to_csv_cell(c) for c in columns + list(meta_columns.values())])
            for row, metadata in rows:
                writer.writerow([to_csv_cell(c) for c in row + [cell(metadata[k]) if k in metadata else ""
                                                                for k in meta_columns]])
        job.step(result.items, result.items, "writing", "finishing")
    result.bytes = out.stat().st_size
    result.seconds = job.seconds()
    return result


def _rows(lib: Library, selection: Selection, job: Job, result: ExportResult):
    scheme = lib.scheme
    rows, keys = [], {}
    for rank, g in enumerate(gather(lib, selection, job), start=1):
        item = g.item
        labels = [lid for lid, _ in g.explicit]
        row = [item.accession, item.title, item.description,
               JOIN.join(scheme.keyword_path(l, "en") for l in labels),
               JOIN.join(scheme.keyword_path(l, "zh") for l in labels),
               JOIN.join(Path(p.path).name for p in item.photos),
               JOIN.join(g.collections)]
        if selection.distances is not None:
            row += [str(rank), cell(g.distance)]
        keys.update(dict.fromkeys(item.metadata))
        rows.append((row, item.metadata))
        result.items += 1
        result.photos += len(item.photos)
    return rows, list(keys)


def metadata_column(key: str, taken: list[str]) -> str:
    """The header for a metadata key (prefixed when it would be misread on re-import)."""
    folded = re.sub(r"[\s_\-.#]+", "", key.strip().lower())
    if key.strip().lower() in taken or folded in _ALIASES or folded in RANKED:
        return f"metadata.{key}"
    return key


def cell(value) -> str:
    """A metadata value as CSV text: strings as they are, everything else as JSON."""
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)
