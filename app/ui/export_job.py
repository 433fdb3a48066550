"""Exporting from the window: what can be exported (a collection, the selected items, the
search result on show, the whole library) and the job that writes it on a worker thread.

The job runs the same op as ``wenyang export`` (``app.services.exchange.Export``) on its own
library connection; progress is posted to the GUI thread at most ~20 times a second.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject

from app.services.library import as_location
from app.ui.jobs import Job

if TYPE_CHECKING:
    from app.services.library import Library


@dataclass(frozen=True)
class ExportSource:
    """One choice in the dialog's "Export" box; ``selection(lib)`` turns it into items."""

    kind: str                           # 'collection', 'items', 'search' or 'all'
    item_ids: tuple[int, ...] = ()      # items: the selection; search: the hits, best first
    collection: int | None = None
    name: str = ""                      # the collection's name, or the search in words
    size: int | None = None             # how many items, when the window knows
    distances: tuple[float, ...] | None = None

    def selection(self, lib: Library):
        """The exchange layer's Selection (worker thread: this reads the library)."""
        from app.services.exchange import ExportError, Selection, select_all, select_collection, select_search

        if self.kind == "collection":
            return select_collection(lib, self.collection if self.collection is not None else "")
        if self.kind == "search":
            return select_search(lib, self.item_ids, self.distances, query=self.name)
        if self.kind == "items":
            if not self.item_ids:
                raise ExportError("Nothing to export: no items are selected.")
            for item_id in self.item_ids:  # by id: select_items would try accession numbers first
                lib.items.get(item_id)     # a clear NotFound when an item was deleted meanwhile
            return Selection(list(self.item_ids), f"{len(self.item_ids)} selected item(s)")
        return select_all(lib)

    def file_stem(self) -> str:
        """A file name suggestion: the collection's name, else what the export holds."""
        from app.services.exchange import safe_name

        stems = {"collection": self.name, "items": "selection", "search": "search-results"}
        return safe_name(stems.get(self.kind) or "library", fallback="export")


def window_sources(window, collection: int | None = None,
                   item_ids: list[int] | None = None) -> tuple[list[ExportSource], int]:
    """Everything the window could export now, and the index of the likeliest choice: the
    items or collection asked for, else the chosen collection, else the grid's selection."""
    sources = [ExportSource("all", size=getattr(window, "items_total", None))]
    coll_id = collection if collection is not None else window.collection
    if coll_id is not None:
        coll = next((c for c in window.collections.collections if c.id == coll_id), None)
        if coll is not None:
            sources.append(ExportSource("collection", collection=coll.id, name=coll.name, size=coll.size))
    selected = list(item_ids) if item_ids else window.grid.selected_ids()
    if selected:
        sources.append(ExportSource("items", tuple(selected), size=len(selected)))
    hits, query = window.search.current_result()
    if hits:
        sources.append(ExportSource("search", tuple(h.item_id for h in hits), name=query,
                                    size=len(hits), distances=tuple(float(h.distance) for h in hits)))
    if item_ids or (selected and collection is None):
        wanted = "items"
    elif coll_id is not None:
        wanted = "collection"
    else:
        wanted = "all"
    kinds = [s.kind for s in sources]
    return sources, kinds.index(wanted) if wanted in kinds else 0


class ExportJob(Job):
    """One export run on a worker thread (stages 'items', 'photos', 'writing')."""

    def __init__(self, root: Path, source: ExportSource, fmt: str, out: Path, options,
                 parent: QObject | None = None):
        super().__init__(parent)
        self.root, self.source, self.fmt, self.out = as_location(root), source, fmt, Path(out)
        self.options = options

    def work(self):
        """The ``Export`` op on a connection of its own: the library queue goes on meanwhile."""
        from app.services.exchange import Export
        from app.services.ops import run_on

        return run_on(self.root, Export(self.source.selection, self.fmt, self.out, self.options,
                                        self.report, self.cancel_token))
