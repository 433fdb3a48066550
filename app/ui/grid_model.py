"""The thumbnail grid's model: every id at once, records and thumbnails loaded lazily.

Two levels of laziness keep a million items smooth:
1. the filtered id list is computed on the library thread (a few ints per item); every row is
   exposed at once: the view places cells by arithmetic and lays nothing out (``GridView``);
2. a row's record (accession, title, photo paths) is loaded a page at a time when the view
   first paints it, and its thumbnail is decoded off the GUI thread into an LRU of pixmaps.
   Only the ``MAX_PAGES`` pages loaded last keep their records; an older page is loaded again
   when it is painted again. Kept without a bound, a fling through a million items gathered
   a record per item passed, four objects each for the garbage collector, whose full
   collections then walked them all while holding the interpreter lock: 20-45 ms pauses in
   the middle of the fling, on a 2-core machine (``bench/bench_grid_scroll.py --library``
   with ``gc.callbacks`` timing each collection).

Rows are no longer fetched a batch at a time (``canFetchMore``, before 2026-12-02): the
QListView of then laid every row out again after each insertion, and while it did its scroll
range shrank to the first batch, so a fling past the fetched rows was thrown back towards the
top (``bench/bench_grid_scroll.py`` counts such frames).
"""
from __future__ import annotations

import json
from array import array
from collections import OrderedDict

from PySide6.QtCore import QAbstractListModel, QByteArray, QMimeData, QModelIndex, QPersistentModelIndex, Qt, Signal

from app.ui import queries
from app.ui.thumbnails import LruCache, ThumbnailLoader
from app.ui.workers import LibraryQueue

ITEM_IDS_MIME = "application/x-wenyang-item-ids"
ItemIdRole = Qt.ItemDataRole.UserRole + 1
ThumbStateRole = Qt.ItemDataRole.UserRole + 2  # 'loading', 'ready', 'none' (no photo / unreadable)
# plain ints: data() runs for every painted cell, and comparing with enum members is slow
DISPLAY, TOOLTIP, DECORATION = (int(r.value) for r in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole, Qt.ItemDataRole.DecorationRole))


def item_ids_mime(item_ids: list[int]) -> QMimeData:
    """Mime data carrying item ids (a drag from the grid onto a collection)."""
    mime = QMimeData()
    mime.setData(ITEM_IDS_MIME, QByteArray(json.dumps(list(item_ids)).encode()))
    return mime


def ids_from_mime(mime: QMimeData) -> list[int]:
    if not mime.hasFormat(ITEM_IDS_MIME):
        return []
    return [int(i) for i in json.loads(bytes(mime.data(ITEM_IDS_MIME).data()).decode())]


class GridModel(QAbstractListModel):
    """Items of the library passing the current filters, in the chosen order."""

    PAGE = 200
    MAX_PAGES = 40  # pages whose records are kept: 8,000 items, a viewport shows about 60
    STALE_ASKS = 8  # a page load not begun before this many more pages were asked is skipped
    totalChanged = Signal(int)  # number of items passing the filters (after a reload)

    def __init__(self, queue: LibraryQueue, loader: ThumbnailLoader, cache_size: int = 1200,
                 parent=None):
        super().__init__(parent)
        self.queue = queue
        self.loader = loader
        self.pixmaps = LruCache(cache_size)
        self._ids: array = array("q")  # not a list: see _ids_and_rows
        self._row_of: dict[int, int] = {}
        self._records: dict[int, queries.Record] = {}
        self._pages_asked: set[int] = set()
        self._pages_kept: OrderedDict[int, list[int]] = OrderedDict()  # page -> its item ids, oldest first
        self._asks = 0  # pages asked so far (read by the library thread: see _ask_page)
        self._no_thumb: set[int] = set()
        self._generation = 0
        self.filters: tuple[tuple[str, ...], int | None] = ((), None)
        self.order = "accession"  # app.store.items.ORDERS
        self.pinned: list[int] | None = None  # search results on show instead of the filtered library
        self.keep_place = True  # read by the view after a reset: stay on the same items, or go to the top
        self.loading = False  # the id list of the last reload has not arrived yet
        self.partial = False  # what is shown is only its first page (see reload)
        self._partial_generation = 0  # the reload that first page belongs to
        loader.loaded.connect(self._on_pixmap)
        loader.failed.connect(self._on_no_pixmap)

    # -- filters and reloads ---------------------------------------------------------------
    def set_filters(self, labels=(), collection: int | None = None) -> None:
        """Show only items passing the facet labels and the collection; reloads."""
        self.filters = (tuple(labels), collection)
        self.pinned = None
        self.reload(keep_place=False)

    def show_ids(self, item_ids: list[int] | None) -> None:
        """Show exactly these items in this order (search results, best first); None goes
        back to the filtered library. Items deleted meanwhile drop out on the next reload."""
        self.pinned = None if item_ids is None else list(item_ids)
        self.reload(keep_place=False)

    def set_side(self, side: int) -> None:
        """Thumbnails at another size: the cached ones are dropped and read again at it."""
        self.loader.clear()
        self.loader.side = side
        self.pixmaps.clear()
        self._no_thumb.clear()
        if self._ids:
            self.dataChanged.emit(self.index(0), self.index(len(self._ids) - 1), [Qt.ItemDataRole.DecorationRole])

    def set_order(self, order: str) -> None:
        """Sort by ``order`` (accession, title, date, modified, imported); reloads (search
        results keep their ranking)."""
        self.order = order
        if self.pinned is None:
            self.reload(keep_place=False)

    def reload(self, keep_place: bool = True) -> None:
        """Fetch the id list again (items were added, removed or filters changed).
        ``keep_place``: the view stays on the items it showed (an edit, an import); otherwise
        it goes back to the top (other filters, search results, another order)."""
        self.keep_place = keep_place
        self._generation += 1
        generation = self._generation
        self.loading = True
        labels, collection = self.filters
        order, pinned = self.order, self.pinned
        if pinned is not None:
            self.queue.submit(lambda lib: _ids_and_rows(queries.still_there(lib, pinned)),
                              lambda found: self._on_ids(generation, *found))
            return
        if not self._ids and not labels:
            # An empty grid shows the first page at once, read through the order's index: the
            # whole list read that index end to end, 2-3 s at a million items and 8-15 s from
            # a cold disk, and the grid said "0 items" all that while.
            self.queue.submit(lambda lib: queries.first_page(lib, collection, order, self.PAGE),
                              lambda found: self._on_first_page(generation, *found))
        self.queue.submit(lambda lib: _ids_and_rows(queries.ordered_ids(lib, labels, collection, order)),
                          lambda found: self._on_ids(generation, *found))

    def _on_first_page(self, generation: int, ids: list[int], records: dict) -> None:
        if generation != self._generation or not self.loading or self._ids or not ids:
            return  # a newer reload, the whole list already, or a view with items on it
        self.beginResetModel()
        self._ids, self._row_of = array("q", ids), {item_id: row for row, item_id in enumerate(ids)}
        self._records = dict(records)
        self._pages_asked, self._pages_kept = {0}, OrderedDict([(0, list(records))])
        self.partial, self._partial_generation = True, generation
        self.endResetModel()
        self.totalChanged.emit(len(ids))

    def _on_ids(self, generation: int, ids: array, row_of: dict[int, int]) -> None:
        if generation != self._generation:
            return  # a newer reload is on its way
        shown = len(self._ids)
        if self.partial and self._partial_generation == generation and ids[:shown] == self._ids:
            # this reload's first page, on show, begins the whole list: the rest go after it, and
            # what the curator selected or scrolled to meanwhile stays
            if len(ids) > shown:
                self.beginInsertRows(QModelIndex(), shown, len(ids) - 1)
                self._ids, self._row_of = ids, row_of
                self.endInsertRows()
            self.loading = self.partial = False
            self.totalChanged.emit(len(ids))
            return
        self.beginResetModel()
        self._ids = ids
        self._row_of = row_of
        self._records.clear()
        self._pages_asked.clear()
        self._pages_kept.clear()
        self.loader.clear()
        self.loading = self.partial = False
        self.endResetModel()
        self.totalChanged.emit(len(ids))

    def refresh_items(self, item_ids) -> None:
        """Records of these items changed (title, labels): load them again. Thumbnails stay:
        edits in the window never change an item's first photo, and a reload would flicker."""
        for item_id in item_ids:
            self._records.pop(item_id, None)
            row = self._row_of.get(item_id)
            if row is not None:
                self._pages_asked.discard(row // self.PAGE)
                index = self.index(row)
                self.dataChanged.emit(index, index)

    def forget_thumbnails(self, item_ids) -> None:
        """These items' first photos may be others now (a photo was deleted or restored)."""
        for item_id in item_ids:
            self.pixmaps.discard(item_id)
            self._no_thumb.discard(item_id)
        self.refresh_items(item_ids)

    # -- Qt model API ----------------------------------------------------------------------
    def rowCount(self, parent=QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._ids)

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = DISPLAY):
        row = index.row()
        if row < 0 or row >= len(self._ids):
            return None
        if role == ItemIdRole:
            return self._ids[row]
        item_id, record = self._loaded(row)
        if role == DISPLAY:
            return record.accession if record else "…"
        if role == DECORATION:
            return self._pixmap(item_id, record)
        if role == TOOLTIP:
            return (record.title or record.accession) if record else None
        if role == ThumbStateRole:
            return self._thumb_state(item_id, record)
        return None

    def cell(self, row: int) -> tuple[str, object, str | None]:
        """What the grid paints for ``row``, as ``data()`` gives it role by role: the caption,
        the thumbnail (None until decoded) and, without one, its state. Like ``data()`` it asks
        for the record's page and the thumbnail when they are missing."""
        item_id, record = self._loaded(row)
        pixmap = self._pixmap(item_id, record)
        state = None if pixmap is not None and not pixmap.isNull() else self._thumb_state(item_id, record)
        return (record.accession if record else "…"), pixmap, state

    def flags(self, index: QModelIndex | QPersistentModelIndex):
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsDragEnabled

    def mimeTypes(self) -> list[str]:
        return [ITEM_IDS_MIME]

    def mimeData(self, indexes) -> QMimeData:
        return item_ids_mime(sorted({self._ids[i.row()] for i in indexes if i.isValid()}))

    # -- lookups used by the window --------------------------------------------------------
    def item_id(self, row: int) -> int:
        return self._ids[row]

    def row_of(self, item_id: int) -> int | None:
        return self._row_of.get(item_id)

    def record(self, item_id: int) -> queries.Record | None:
        return self._records.get(item_id)

    @property
    def total(self) -> int:
        return len(self._ids)

    # -- lazy loading ----------------------------------------------------------------------
    def _loaded(self, row: int):
        """(item id, its record or None) of ``row``; a missing record's page is asked for."""
        item_id = self._ids[row]
        record = self._records.get(item_id)
        if record is None:
            self._ask_page(row)
        return item_id, record

    def _ask_page(self, row: int) -> None:
        page = row // self.PAGE
        if page in self._pages_asked:
            return
        self._pages_asked.add(page)
        ids = self._ids[page * self.PAGE:(page + 1) * self.PAGE].tolist()
        generation = self._generation
        self._asks += 1
        asked = self._asks

        def load(lib):
            # A fling asks a page every few frames, faster than the library thread reads them:
            # by its turn a page asked long before has been scrolled past. Reading it anyway
            # held the interpreter lock the window was painting with, and kept a curator's
            # edit queued behind a backlog of pages nobody would see.
            if self._asks - asked > self.STALE_ASKS:
                return None
            return queries.item_records(lib, ids)

        self.queue.submit(load, lambda records: self._on_records(generation, page, records))

    def _on_records(self, generation: int, page: int, records: dict | None) -> None:
        if generation != self._generation:
            return
        first = page * self.PAGE
        last = min(first + self.PAGE, len(self._ids)) - 1
        if records is None:  # skipped: asked again when it is painted again
            self._pages_asked.discard(page)
            if last >= first:
                self.dataChanged.emit(self.index(first), self.index(last))
            return
        self._records.update(records)
        self._pages_kept[page] = list(records)
        self._pages_kept.move_to_end(page)
        while len(self._pages_kept) > self.MAX_PAGES:
            old, item_ids = self._pages_kept.popitem(last=False)
            self._pages_asked.discard(old)
            for item_id in item_ids:
                self._records.pop(item_id, None)
        if last >= first:
            self.dataChanged.emit(self.index(first), self.index(last))

    def _pixmap(self, item_id: int, record):
        pixmap = self.pixmaps.get(item_id)
        if pixmap is None and record is not None and record.paths and item_id not in self._no_thumb:
            self.loader.request(item_id, record.paths)
        return pixmap

    def _thumb_state(self, item_id: int, record) -> str:
        if item_id in self.pixmaps:
            return "ready"
        if record is not None and (not record.paths or item_id in self._no_thumb):
            return "none"
        return "loading"

    def _on_pixmap(self, item_id, pixmap) -> None:
        self.pixmaps.put(item_id, pixmap)
        self._changed(item_id)

    def _on_no_pixmap(self, item_id) -> None:
        self._no_thumb.add(item_id)
        self._changed(item_id)

    def _changed(self, item_id: int) -> None:
        row = self._row_of.get(item_id)
        if row is not None:
            index = self.index(row)
            self.dataChanged.emit(index, index, [DECORATION])


def _ids_and_rows(ids: list[int]) -> tuple[array, dict[int, int]]:
    """The ids as an array of int64 and their reverse index, built on the worker (100k entries
    take a while). A list of a million ints made every full collection of the garbage
    collector visit each int, in the middle of a fling: 23-26 ms pauses holding the
    interpreter lock (the id list was the only large object it walked; 2-core machine,
    ``bench/bench_grid_scroll.py --library`` on 1,000,500 items). An array is one object to
    it, and an int-to-int dict is not tracked at all."""
    return array("q", ids), {item_id: row for row, item_id in enumerate(ids)}
