"""The main window: grid in the middle, facets and collections on the left, the detail pane
and search on the right, library path, model and inference device in the status bar.

The window wires panels to the session and to each other; the flows that open dialogs
(import, training, search) live in ``window_flows`` so this file stays about layout.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QDockWidget,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from app.services.library import ChangeWatch, short_location, shown_location
from app.ui import queries, settings
from app.ui.actions import GRID_ORDERS, THUMBNAIL_SIDES, WindowActions
from app.ui.collections_panel import CollectionsPanel
from app.ui.detail_pane import DetailPane
from app.ui.facet_panel import FacetPanel
from app.ui.fonts import NO_CHINESE_FONT, chinese_font_missing
from app.ui.grid_model import GridModel
from app.ui.grid_view import GridView
from app.ui.i18n import Retranslating
from app.ui.keep_encoded import KeepEncoded
from app.ui.search_backend import SearchBackend, device_text
from app.ui.search_panel import SearchPanel
from app.ui.session import Session
from app.ui.table_view import COLUMNS, TableModel, TableView
from app.ui.thumbnails import ThumbnailLoader
from app.ui.window_flows import WindowFlows
from app.ui.workers import to_main

if TYPE_CHECKING:
    from app.services.library import Library


STATUS_LINE = 120  # characters of a message the status bar shows (the rest in its tooltip)


def first_line(text: str, limit: int = STATUS_LINE) -> str:
    """The first non-empty line of ``text``, at most ``limit`` characters, ending in "…" when
    anything was left out."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if not lines:
        return ""
    line = lines[0]
    if len(line) > limit:
        return line[:limit - 1].rstrip() + "…"
    return line + " …" if len(lines) > 1 else line


class MainWindow(Retranslating, WindowFlows, QMainWindow):
    """One library in one window. ``owns_library``: close ``lib`` when the window closes."""

    def __init__(self, lib: Library, owns_library: bool = False):
        super().__init__()
        self.setObjectName("mainWindow")
        self.lib, self.owns_library = lib, owns_library
        self.session = Session(lib.location, self)
        order, side = settings.grid_view()
        side = side if side in THUMBNAIL_SIDES else 160
        self.loader = ThumbnailLoader(side=side, parent=self)
        self.grid_model = GridModel(self.session.queue, self.loader, parent=self)
        self.grid_model.order = order if order in GRID_ORDERS else "accession"
        # first on the library's thread, before the panels' counts: at a million items on a cold
        # disk the label counts took 6 s, and the grid waited behind them
        self.grid_model.reload()
        self.grid = GridView(side, self)
        self.grid.setModel(self.grid_model)
        self.table_model = TableModel(self.grid_model, self)
        self.table = TableView(self.table_model, self.grid, self)
        self.backend = SearchBackend(lib.location, self)
        self.keeper = KeepEncoded(self.session, getattr(lib, "read_only", False), self)
        self.label_filters: list[str] = []
        self.collection: int | None = None
        self.model_id: str | None = None
        self._build_layout()
        self.actions = WindowActions(self)
        self.actions.add_panel_toggles(self.docks)
        self.actions.orders[self.grid_model.order].setChecked(True)
        self.actions.sides[self.loader.side].setChecked(True)
        self._build_status_bar()
        self._connect()
        self.setAcceptDrops(True)
        self.retranslate()
        self._restore_state()
        settings.remember_library(lib.location)
        # A library on a server: other workstations' writes reload what this window shows.
        self.watch = ChangeWatch.start(lib, lambda changes: to_main(self._announced, changes))
        self._update_filter_bar()
        self.reload_summary()
        self.backend.refresh()
        self.keeper.soon()  # items imported or edited while no window was open

    # -- layout ----------------------------------------------------------------------------
    def _build_layout(self) -> None:
        self.filter_bar = QLabel(self)
        self.filter_bar.setObjectName("filterBar")
        self.back_button = QPushButton(self)  # leaves search results for the library again
        self.back_button.setObjectName("backToLibrary")
        self.back_button.clicked.connect(self.leave_results)
        self.back_button.hide()
        self.results_query: str | None = None  # the search whose results the grid shows
        center = QWidget(self)
        layout = QVBoxLayout(center)
        layout.setContentsMargins(2, 2, 2, 2)
        bar = QHBoxLayout()
        bar.addWidget(self.filter_bar, 1)
        bar.addWidget(self.back_button)
        layout.addLayout(bar)
        self.views = QStackedWidget(self)  # the thumbnail grid, or the same items as a table
        self.views.addWidget(self.grid)
        self.views.addWidget(self.table)
        layout.addWidget(self.views, 1)
        self.setCentralWidget(center)
        self.facets = FacetPanel(self.session, self)
        self.collections = CollectionsPanel(self.session, self.grid.selected_ids, self)
        self.detail = DetailPane(self.session, self)
        self.search = SearchPanel(self.session, self.backend, self.current_filters, self)
        self.docks = [self._dock("facetsDock", self.facets, Qt.DockWidgetArea.LeftDockWidgetArea),
                      self._dock("collectionsDock", self.collections, Qt.DockWidgetArea.LeftDockWidgetArea),
                      self._dock("detailDock", self.detail, Qt.DockWidgetArea.RightDockWidgetArea),
                      self._dock("searchDock", self.search, Qt.DockWidgetArea.RightDockWidgetArea)]
        self.tabifyDockWidget(self.docks[2], self.docks[3])
        self.docks[2].raise_()
        self.resize(1400, 900)
        # the label tree is the main way in; collections are a short list: give the tree the
        # height, and the right docks room for three search hits a row
        self.resizeDocks(self.docks[:2], [620, 200], Qt.Orientation.Vertical)
        self.resizeDocks([self.docks[0], self.docks[2]], [260, 430], Qt.Orientation.Horizontal)

    def _dock(self, name: str, widget: QWidget, area) -> QDockWidget:
        dock = QDockWidget(self)
        dock.setObjectName(name)  # saveState() needs names
        dock.setWidget(widget)
        self.addDockWidget(area, dock)
        return dock

    def _build_status_bar(self) -> None:
        self.path_label, self.count_label = QLabel(short_location(self.lib)), QLabel()
        self.path_label.setToolTip(shown_location(self.lib))
        self.model_label, self.device_label = QLabel(), QLabel()
        self.encoding_label = QLabel()
        self.encoding_label.setObjectName("encodingLabel")
        self.device = "CPU"
        bar = self.statusBar()
        for widget in (self.path_label, self.count_label, self.encoding_label, self.model_label,
                       self.device_label):
            widget.setObjectName(widget.__class__.__name__)
            bar.addPermanentWidget(widget)
        self.path_label.setObjectName("libraryPath")
        self.font_label = QLabel(NO_CHINESE_FONT)
        self.font_label.setObjectName("fontWarning")
        self.font_label.setStyleSheet("color: #a04000")
        self.font_label.setVisible(chinese_font_missing())
        bar.addWidget(self.font_label)
        self.model_label.setObjectName("modelLabel")
        self.device_label.setObjectName("deviceLabel")

    def _connect(self) -> None:
        s = self.session
        self.facets.filtersChanged.connect(self._facets_changed)
        self.facets.schemeLoaded.connect(self.search.set_scheme)
        self.collections.collectionSelected.connect(self._collection_changed)
        self.collections.exportRequested.connect(lambda coll_id: self.show_export(collection=coll_id))
        self._selection_timer = QTimer(self, singleShot=True, interval=40)
        self._selection_timer.timeout.connect(lambda: self.detail.show_items(self.grid.selected_ids()))
        self.grid.selectionIdsChanged.connect(lambda _ids: self._selection_timer.start())
        self.grid.itemsContextMenu.connect(self.grid_context_menu)
        self.grid.viewRequested.connect(self.show_viewer)
        self.table.itemsContextMenu.connect(self.grid_context_menu)
        self.table.viewRequested.connect(self.show_viewer)
        self.table.sortRequested.connect(self.set_grid_order)
        self.facets.schemeLoaded.connect(self.table_model.set_scheme)
        self.grid_model.totalChanged.connect(lambda _n: self._update_filter_bar())
        s.changed.connect(self._library_changed)
        s.message.connect(lambda text: self.statusBar().showMessage(text, 8000))
        self.detail.cropSearch.connect(self.search_region)
        self.search.itemActivated.connect(self.show_item)
        self.search.hitsContextMenu.connect(self.grid_context_menu)
        self.search.showInGrid.connect(self.show_results)
        self.search.filtersWanted.connect(self.set_filters)
        self.backend.availabilityChanged.connect(self._search_available)
        self.keeper.stateChanged.connect(self._update_status)
        self.search.pending_note = self.encoding_note
        self.backend.failed.connect(lambda text: self.statusBar().showMessage(text, 8000))

    def retranslate(self) -> None:
        title = self.tr("Wenyang 纹样 — {path}").format(path=shown_location(self.lib))
        if getattr(self.lib, "read_only", False):
            title += " " + self.tr("(read-only)")
        self.setWindowTitle(title)
        for dock, title in zip(self.docks, (self.tr("Labels"), self.tr("Collections"),
                                            self.tr("Item"), self.tr("Search"))):
            dock.setWindowTitle(title)
        self.actions.retranslate()
        self.table_model.headers = dict(zip(COLUMNS, (
            self.tr("Accession number"), self.tr("Title"), self.tr("Date"), self.tr("Labels"), self.tr("Photos"),
            self.tr("Modified"))))
        self.table_model.headerDataChanged.emit(Qt.Orientation.Horizontal, 0, len(COLUMNS) - 1)
        self.actions.set_search_available(self.backend.available)
        read_only = getattr(self.lib, "read_only", False)
        self.actions.set_read_only(read_only)
        self.detail.set_read_only(read_only)
        self.collections.set_read_only(read_only)
        self.facets.read_only = read_only
        if getattr(self.lib, "read_only", False):
            self.path_label.setText(self.tr("Read-only: browse, search and export only — {path}")
                                    .format(path=shown_location(self.lib)))
        self._update_filter_bar()
        self._update_status()
        self.statusBar().clearMessage()  # a passing notice in the language just left

    # -- filters and selection -------------------------------------------------------------
    def current_filters(self) -> tuple[list[str], int | None]:
        """The grid's filters: ticked labels and the chosen collection."""
        return list(self.label_filters), self.collection

    def _facets_changed(self, label_ids: list[str]) -> None:
        self.label_filters = list(label_ids)
        self.results_query = None
        self.grid_model.set_filters(self.label_filters, self.collection)

    def _collection_changed(self, coll_id) -> None:
        self.collection = coll_id
        self.results_query = None
        self.grid_model.set_filters(self.label_filters, self.collection)
        self.facets.set_collection(coll_id)

    def set_grid_order(self, order: str) -> None:
        """View ▸ Sort by: the grid in this order (remembered)."""
        self.grid_model.set_order(order)
        self.actions.orders[order].setChecked(True)
        settings.save_grid_view(order, self.loader.side)

    def set_thumbnail_side(self, side: int) -> None:
        """View ▸ Thumbnail size (remembered)."""
        self.grid.set_side(side)
        self.grid_model.set_side(side)
        self.actions.sides[side].setChecked(True)
        settings.save_grid_view(self.grid_model.order, side)

    def set_filters(self, label_ids: list[str], collection: int | None) -> None:
        """Tick exactly these labels and show this collection (a saved search's filters)."""
        self.collections.select(collection)
        self.facets.set_checked(label_ids)

    def set_table_view(self, table: bool) -> None:
        """View ▸ As a table: the same items, order and selection as rows with columns (remembered)."""
        if table:
            self.table.take_selection_from_grid()
        self.views.setCurrentWidget(self.table if table else self.grid)
        self.actions.as_table.setChecked(table)
        settings.save_table_view(table)

    def clear_filters(self) -> None:
        self.facets.clear()

    def show_results(self, item_ids: list[int], what: str) -> None:
        """Search results in the main grid, best first (thumbnails, selection, menus, drag to a
        collection as when browsing); the bar above it says which search, with a way back."""
        self.results_query = what
        self.grid_model.show_ids(item_ids)
        self._update_filter_bar()

    def leave_results(self) -> None:
        """Back from search results to the library under the current filters."""
        self.results_query = None
        self.grid_model.set_filters(self.label_filters, self.collection)
        self._update_filter_bar()

    def _update_filter_bar(self) -> None:
        self.back_button.setText(self.tr("Back to the library"))
        self.back_button.setVisible(self.results_query is not None)
        if self.results_query is not None:
            self.filter_bar.setText(self.tr("{n} search result(s), best first: {query}").format(
                n=self.grid_model.total, query=self.results_query))
            return
        if self.grid_model.loading and (self.grid_model.partial or not self.grid_model.total):
            self.filter_bar.setText(self.tr("Loading items…"))
            return
        parts = [self.tr("{n} item(s)").format(n=self.grid_model.total)]
        if self.label_filters:
            parts.append(self.tr("{n} label filter(s)").format(n=len(self.label_filters)))
        if self.collection is not None:
            parts.append(self.tr("collection: {name}").format(name=self.collections.name_of(self.collection)))
        self.filter_bar.setText(" · ".join(parts))

    def show_item(self, item_id: int) -> None:
        """Show an item in the detail pane, selecting it in the grid when it is there."""
        if self.grid_model.row_of(item_id) is not None:
            self.grid.select_ids([item_id])
        else:
            self.detail.show_items([item_id])
        self.docks[2].raise_()

    # -- status bar ------------------------------------------------------------------------
    def _library_changed(self, changes) -> None:
        """The grid and the summary line follow every change (the panels listen for themselves)."""
        if changes.item_set or (changes.collections and self.collection is not None):
            self.grid_model.reload()  # a collection on show may have gained, lost or reordered items
        elif changes.items and changes.photos:
            self.grid_model.forget_thumbnails(sorted(changes.items))
        elif changes.items:
            self.grid_model.refresh_items(sorted(changes.items))
        if changes.item_set or changes.models:
            self.reload_summary()
        if changes.models:
            self.backend.refresh()

    def reload_summary(self) -> None:
        self.session.run(queries.library_summary, self._summary_loaded)

    def _summary_loaded(self, summary: dict) -> None:
        self.model_id = summary["model"]
        self.items_total = summary["items"]
        card = summary["card"]
        hint = str(card.get("provider") or card.get("device") or "")
        if not self.backend.provider:  # until search reports the provider actually used
            self.device = "GPU (CUDA)" if "cuda" in hint.lower() else "CPU"
        self._update_status()

    def _search_available(self, available: bool, provider: str) -> None:
        self.actions.set_search_available(available)
        self.detail.set_search_available(available)
        if provider:
            self.set_inference_device(device_text(provider))

    def set_inference_device(self, text: str) -> None:
        """Say where inference runs ('GPU (CUDA)' or 'CPU'); the search service tells us."""
        self.device = text
        self._update_status()

    def _update_status(self) -> None:
        if not hasattr(self, "model_label"):
            return
        total = getattr(self, "items_total", None)
        self.count_label.setText("" if total is None else self.tr("{n} items in library").format(n=total))
        if total is None:  # the summary has not come yet: say nothing rather than "no model"
            self.model_label.setText(self.tr("Model: …"))
        else:
            self.model_label.setText(self.tr("Model: {model}").format(model=self.model_id) if self.model_id
                                     else self.tr("no model"))
        self.device_label.setText(self.tr("Inference: {device}").format(device=self.device))
        keeper = getattr(self, "keeper", None)
        self.encoding_label.setText(self.encoding_text())
        # a failure's whole message, which the status bar shortens to its first line
        self.encoding_label.setToolTip(keeper.problem if keeper is not None and keeper.problem
                                       and not keeper.running else "")

    def encoding_text(self) -> str:
        """The status bar's line on encoding: running, waiting, failed (the message's first line,
        shortened: an error from a library can run to a dozen lines), or nothing."""
        keeper = getattr(self, "keeper", None)
        if keeper is None:
            return ""
        if keeper.running:
            return self.tr("Encoding for search: {done} of {total}").format(done=keeper.done, total=keeper.total)
        if keeper.problem:
            return self.tr("Encoding: {problem}").format(problem=first_line(keeper.problem))
        if keeper.left:
            return self.tr("{n} item(s) wait for encoding").format(n=keeper.left)
        return ""

    def encoding_note(self) -> str:
        """For the search panel: what its results cannot include yet."""
        keeper = getattr(self, "keeper", None)
        if keeper is None or not (keeper.running or keeper.left):
            return ""
        return self.tr("some new or changed items are still being encoded and are found by words and tags only")

    # -- window state ----------------------------------------------------------------------
    def _restore_state(self) -> None:
        geometry, state = settings.window_state()
        if geometry is not None:
            self.restoreGeometry(geometry)
        if state is not None:
            self.restoreState(state, settings.STATE_VERSION)
        if settings.table_view():
            self.set_table_view(True)

    def _announced(self, changes) -> None:
        if not self.session.closed:
            self.session.changed.emit(changes)

    def closeEvent(self, event) -> None:
        if self.watch is not None:
            self.watch.stop()
        settings.save_window_state(self.saveGeometry(), self.saveState(settings.STATE_VERSION))
        self.session.close()
        self.backend.close()
        self.loader.clear()
        self.loader.wait(5000)
        self.search.loader.clear()
        self.search.loader.wait(5000)
        if self.owns_library:
            self.lib.close()
        super().closeEvent(event)
