"""Where the window meets the search service (``app.services.search``).

Queries run on their own library thread (a second serial queue, so a search never waits
behind tagging) with one SearchService kept for the life of the window: it caches the
Hamming indices and the loaded ONNX model. The service module is imported lazily and
guarded, so the window works (with search disabled) where it, or a model, is missing.
"""
from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal

from app.services.library import explained
from app.ui.workers import LibraryQueue

if TYPE_CHECKING:
    from app.services.library import Library


def search_module():
    """``app.services.search`` or None when it is not there (yet)."""
    if importlib.util.find_spec("app.services.search") is None:
        return None
    try:
        import app.services.search as module
    except ImportError:
        return None
    return module if hasattr(module, "SearchService") else None


def device_text(provider: str) -> str:
    """What the status bar says for an ONNX Runtime provider name."""
    return "GPU (CUDA)" if "CUDA" in (provider or "") or "Tensorrt" in (provider or "") else "CPU"


class SearchBackend(QObject):
    """Runs searches off the GUI thread; results and state arrive as signals."""

    availabilityChanged = Signal(bool, str)   # available, provider name ('' when not)
    resultsReady = Signal(object, str)        # SearchResults, the query in words
    failed = Signal(str)

    def __init__(self, root, parent=None):
        super().__init__(parent)
        self.queue = LibraryQueue(root, self)
        self.available = False
        self.provider = ""
        self._service = None  # created and used on the worker thread only

    def close(self) -> None:
        self.queue.close()

    def _svc(self, lib: Library):
        module = search_module()
        if module is None:
            raise RuntimeError("search is not available in this version")
        if not isinstance(self._service, module.SearchService):  # first use, or a new service
            self._service = module.SearchService(lib)
        return self._service

    def refresh(self) -> None:
        """Check (on the worker) whether there is a model to search with, and where it runs."""
        def probe(lib: Library):
            if search_module() is None:
                return False, ""
            service = self._svc(lib)
            if not service.available():
                return False, ""
            provider = service.provider()
            service.warm(compile_apart=True)  # the indexes, before the first search asks for them
            return True, provider

        self.queue.submit(probe, lambda found: self._set_available(*found),
                          lambda exc: self._set_available(False, "", str(exc)))

    def _set_available(self, available: bool, provider: str, problem: str = "") -> None:
        self.available, self.provider = available, provider
        self.availabilityChanged.emit(available, provider)
        if problem:
            self.failed.emit(problem)

    # -- queries ---------------------------------------------------------------------------
    def _run(self, what, call) -> None:
        """``what``: the query in words, or a function of the library that says it (run on the
        worker, beside the search: an item's accession number, label names)."""
        def work(lib):
            results = call(self._svc(lib), _filters_class())
            return results, (what(lib) if callable(what) else what)

        self.queue.submit(work, lambda found: self.resultsReady.emit(*found),
                          lambda exc: self.failed.emit(explained(exc)))

    def by_text(self, text: str, filters=None, k: int = 50, labels=None) -> None:
        """``labels``: label ids that replace what the service would understand the text as
        (the curator's edited chips); None lets the service read the text itself."""
        extra = {} if labels is None else {"labels": list(labels)}  # older services lack it
        self._run(text, lambda s, F: s.by_text(text, k=k, filters=_filters(F, filters), **extra))

    def by_image(self, path: str, region=None, filters=None, k: int = 50) -> None:
        name = Path(path).name  # the file the curator chose, not where it lies
        what = name if region is None else f"{name} {tuple(region)}"
        self._run(what, lambda s, F: s.by_image(path, region=region, k=k, filters=_filters(F, filters)))

    def by_labels(self, label_ids, filters=None, k: int = 50) -> None:
        ids = list(label_ids)
        self._run(", ".join(ids), lambda s, F: s.by_labels(ids, k=k, filters=_filters(F, filters)))

    def like_item(self, item_id: int, filters=None, k: int = 50) -> None:
        self._run(lambda lib: self.tr("More like {item}").format(item=_item_name(lib, item_id)),
                  lambda s, F: s.like_item(item_id, k=k, filters=_filters(F, filters)))

    def edit(self, item_id: int, add, remove, weight: float = 0.5, filters=None, k: int = 50) -> None:
        add, remove = list(add), list(remove)

        def what(lib) -> str:
            item, added, removed = _item_name(lib, item_id), _names(lib, add), _names(lib, remove)
            if added and removed:
                return self.tr("Like {item}, with {added} instead of {removed}").format(
                    item=item, added=added, removed=removed)
            if added:
                return self.tr("Like {item}, with {added}").format(item=item, added=added)
            return self.tr("Like {item}, without {removed}").format(item=item, removed=removed)

        self._run(what, lambda s, F: s.edit(item_id, add=add, remove=remove, weight=weight, k=k,
                                            filters=_filters(F, filters)))


def _item_name(lib: Library, item_id: int) -> str:
    """An item as the curator knows it: its accession number."""
    try:
        return lib.items.get(item_id).accession
    except Exception:  # deleted meanwhile: say nothing internal
        return "?"


def _names(lib: Library, label_ids) -> str:
    """Label names in the interface language, joined."""
    from app.ui.i18n import label_language

    scheme, lang = lib.scheme, label_language()
    return ", ".join(scheme.labels[l].name(lang) if l in scheme.labels else l for l in label_ids)


def _filters_class():
    module = search_module()
    return getattr(module, "SearchFilters", None) if module else None


def _filters(filters_class, filters):
    """(labels, collection) from the window → the service's SearchFilters (None: no filter)."""
    if filters is None or filters_class is None:
        return None
    labels, collection = filters
    if not labels and collection is None:
        return None
    return filters_class(labels=list(labels), collection=collection)
