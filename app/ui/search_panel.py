"""The search panel: type a description or drop a photo; matching photos and descriptions
in two tabs. Every query goes through ``SearchBackend`` (off the GUI thread); the panel is
disabled, with a tooltip saying why, until the library has a trained model.

After a typed search, what the text was understood as shows as chips above the results
(``QueryChips``); removing or adding one runs the same text again with the edited labels.
Each hit says why it is there (a second line for descriptions, the tooltip for photos)."""
from __future__ import annotations

from functools import partial
from pathlib import Path

from PySide6.QtCore import QPoint, Qt, Signal
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QFileDialog,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QListView,
    QMenu,
    QPushButton,
    QTabWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.services.photos import IMAGE_SUFFIXES
from app.ui.grid_model import ItemIdRole
from app.ui.grid_view import ThumbnailDelegate
from app.ui.hits_model import HitsModel
from app.ui.i18n import Retranslating, label_language
from app.ui.label_models import label_text
from app.ui.query_chips import QueryChips
from app.ui.thumbnails import ThumbnailLoader

HIT_CELL_WIDTH = 130
PAGE = 50  # hits per search; "Show more" asks for this many more
QUERY_PREVIEW = 120  # side of the query photo (or region) shown above its results


class DropZone(QLabel):
    """"Drop a photo here": a click opens a file picker, and a photo dragged over it lights it up."""

    clicked = Signal()
    IDLE = "QLabel { border: 1px dashed palette(mid); padding: 6px; }"
    HOT = "QLabel { border: 2px solid palette(highlight); background: palette(alternate-base); padding: 5px; }"

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.hot = False
        self.set_hot(False)

    def set_hot(self, hot: bool) -> None:
        self.hot = hot
        self.setStyleSheet(self.HOT if hot else self.IDLE)

    def mouseReleaseEvent(self, event) -> None:
        if self.isEnabled() and event.button() == Qt.MouseButton.LeftButton:
            self.clicked.emit()
        super().mouseReleaseEvent(event)


def dropped_photo(mime) -> str | None:
    """The first local image file among dropped urls, if any."""
    for url in mime.urls() if mime.hasUrls() else []:
        path = Path(url.toLocalFile())
        if path.is_file() and path.suffix.lower() in IMAGE_SUFFIXES:
            return str(path)
    return None


class SearchPanel(Retranslating, QWidget):
    """Query box, drop zone and the two result tabs; ``itemActivated(id)`` on a click."""

    itemActivated = Signal(int)
    hitsContextMenu = Signal(QPoint, list)  # the window offers the grid's menu for these items
    showInGrid = Signal(list, str)  # the hits of the tab on show, best first, and the search in words
    filtersWanted = Signal(list, object)  # a saved search's ticked labels and collection: the window sets them

    def __init__(self, session, backend, filters_provider, parent=None):
        super().__init__(parent)
        self.setObjectName("searchPanel")
        self.session = session
        self.backend = backend
        self.filters_provider = filters_provider  # () -> (labels, collection) of the grid
        self.scheme = None
        self.last_query = ""  # the search on show, in words (an export names it)
        self.pending_note = lambda: ""  # the window says here what is not encoded yet
        # The typed search the chips belong to: its text, and the labels the curator asked
        # for (None: as the service understood it). None when the last search was not typed.
        self._typed: tuple[str, list[str] | None] | None = None
        self.k = PAGE
        self._again = None  # the last search as a function of k, for "Show more"
        self.saved: list = []  # app.services.saved_searches.SavedSearch, by name
        self.loader = ThumbnailLoader(side=96, threads=1, parent=self)
        self.photos = HitsModel(session, self.loader, self)
        self.descriptions = HitsModel(session, self.loader, self, reasons_line=True)
        self._build_widgets()
        self.setAcceptDrops(True)
        backend.resultsReady.connect(self._on_results)
        backend.failed.connect(self._on_failed)
        backend.availabilityChanged.connect(lambda *_: self._update_enabled())
        session.changed.connect(lambda changes: self.reload_saved() if changes.searches else None)
        self.retranslate()
        self._update_enabled()
        self.reload_saved()

    def _build_widgets(self) -> None:
        self.query = QLineEdit(self)
        self.query.setObjectName("searchQuery")
        self.query.setClearButtonEnabled(True)
        self.query.returnPressed.connect(self.search_text)
        self.go = QPushButton(self)
        self.go.clicked.connect(self.search_text)
        self.saved_button = QToolButton(self)  # saved searches: save this one, run or forget one
        self.saved_button.setObjectName("savedSearches")
        self.saved_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.saved_menu = QMenu(self.saved_button)
        self.saved_menu.aboutToShow.connect(self._fill_saved_menu)
        self.saved_button.setMenu(self.saved_menu)
        self.use_filters = QCheckBox(self)
        self.use_filters.setChecked(True)
        self.drop_zone = DropZone(self)
        self.drop_zone.clicked.connect(self.choose_photo)
        self.query_view = QLabel(self)  # the query photo or region, above its results
        self.query_view.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.query_view.hide()
        self.more = QPushButton(self)
        self.more.clicked.connect(self.show_more)
        self.more.hide()
        self.in_grid = QPushButton(self)  # the results in the main grid, as large as the library's
        self.in_grid.setObjectName("showInGrid")
        self.in_grid.clicked.connect(self.show_in_grid)
        self.in_grid.hide()
        self.status = QLabel(self)
        self.status.setWordWrap(True)
        self.chips = QueryChips(self)
        self.chips.hide()
        self.chips.labelsEdited.connect(self.search_understood)
        self.tabs = QTabWidget(self)
        self.photo_view = self._hits_view(self.photos, icons=True)
        self.text_view = self._hits_view(self.descriptions, icons=False)
        self.tabs.addTab(self.photo_view, "")
        self.tabs.addTab(self.text_view, "")
        row = QHBoxLayout()
        row.addWidget(self.query, 1)
        row.addWidget(self.go)
        row.addWidget(self.saved_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(row)
        for widget in (self.use_filters, self.drop_zone, self.query_view, self.status, self.chips):
            layout.addWidget(widget)
        layout.addWidget(self.tabs, 1)
        buttons = QHBoxLayout()
        buttons.addWidget(self.more)
        buttons.addWidget(self.in_grid)
        layout.addLayout(buttons)

    def _hits_view(self, model: HitsModel, icons: bool) -> QListView:
        view = QListView(self)
        view.setModel(model)
        view.setUniformItemSizes(True)
        view.setDragEnabled(True)
        view.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        view.customContextMenuRequested.connect(lambda pos, v=view: self._context_menu(v, pos))
        if icons:
            view.setViewMode(QListView.ViewMode.ListMode)
            view.setFlow(QListView.Flow.LeftToRight)
            view.setWrapping(True)
            view.setResizeMode(QListView.ResizeMode.Adjust)
            # wide enough for "DEMO-0001  ·  d=10" under a 96 px thumbnail, three to a row
            view.setItemDelegate(ThumbnailDelegate(96, view, width=HIT_CELL_WIDTH))
        view.activated.connect(lambda index: self.itemActivated.emit(index.data(ItemIdRole)))
        view.clicked.connect(lambda index: self.itemActivated.emit(index.data(ItemIdRole)))
        return view

    def retranslate(self) -> None:
        self.query.setPlaceholderText(self.tr("Describe a garment or pattern… (Ctrl+F)"))
        self.go.setText(self.tr("Search"))
        self.use_filters.setText(self.tr("Only within the ticked labels and the chosen collection"))
        self.drop_zone.setText(self.tr("Drop a photo here (or click to choose one) to find what matches it"))
        self.more.setText(self.tr("Show {n} more").format(n=PAGE))
        self.saved_button.setText(self.tr("Saved"))
        self.saved_button.setToolTip(self.tr("Save this search, or run one saved before"))
        self.in_grid.setText(self.tr("Show in the grid"))
        self.in_grid.setToolTip(self.tr("Show these results in the main grid, best first, with its "
                                        "thumbnails, selection and menus"))
        self.tabs.setTabText(0, self.tr("Matching photos"))
        self.tabs.setTabText(1, self.tr("Matching descriptions"))
        self._update_enabled()

    def _update_enabled(self) -> None:
        # Typed search needs no model (keywords and labels); photo search does.
        available = self.backend.available
        tip = "" if available else self.tr("no model yet: train one (Model ▸ Train…)")
        self.drop_zone.setEnabled(available)
        self.drop_zone.setToolTip(tip)
        words_only = self.tr("no model yet: searching by words and labels only")
        for widget in (self.query, self.go):
            widget.setEnabled(True)
            widget.setToolTip("" if available else words_only)

    def focus_query(self) -> None:
        self.query.setFocus()
        self.query.selectAll()

    def set_scheme(self, scheme) -> None:
        self.scheme = scheme
        self.chips.set_scheme(scheme)

    # -- queries ---------------------------------------------------------------------------
    def filters(self):
        return self.filters_provider() if self.use_filters.isChecked() else None

    def search_text(self) -> None:
        text = self.query.text().strip()
        if text:
            self._typed = (text, None)
            filters = self.filters()
            self._run(lambda k: self.backend.by_text(text, filters, k=k))

    def search_understood(self, label_ids: list) -> None:
        """The last typed text again, read as ``label_ids`` (the chips after an edit)."""
        if self._typed is not None:
            text, labels, filters = self._typed[0], list(label_ids), self.filters()
            self._typed = (text, labels)
            self._run(lambda k: self.backend.by_text(text, filters, k=k, labels=labels))

    def search_photo(self, path: str, region=None) -> None:
        if self.backend.available:
            filters = self.filters()
            self._run(lambda k: self.backend.by_image(path, region, filters, k=k), typed=False)
            self._show_query_photo(path, region)

    def search_like(self, item_id: int) -> None:
        if self.backend.available:
            filters = self.filters()
            self._run(lambda k: self.backend.like_item(item_id, filters, k=k), typed=False)

    def search_edit(self, item_id: int, add, remove, weight: float) -> None:
        if self.backend.available:
            filters = self.filters()
            self._run(lambda k: self.backend.edit(item_id, add, remove, weight, filters, k=k), typed=False)

    def _run(self, call, typed: bool = True) -> None:
        """A new search: the first ``PAGE`` hits (``call(k)`` asks the backend)."""
        self._searching(typed)
        self.k, self._again = PAGE, call
        call(self.k)

    def show_more(self) -> None:
        """The same search again with ``PAGE`` more hits."""
        if self._again is not None:
            self.k += PAGE
            self.status.setText(self.tr("Searching…"))
            self._again(self.k)

    # -- saved searches --------------------------------------------------------------------
    def reload_saved(self) -> None:
        from app.services.saved_searches import saved_searches

        self.session.run(saved_searches, self._saved_loaded)

    def _saved_loaded(self, searches) -> None:
        self.saved = list(searches)

    def _fill_saved_menu(self) -> None:
        menu = self.saved_menu
        menu.clear()
        save = menu.addAction(self.tr("Save this search…"), lambda: self.save_search())
        save.setEnabled(self._typed is not None and not getattr(self.session, "read_only", False))
        if self.saved:
            menu.addSeparator()
            for search in self.saved:
                run = menu.addAction(search.name)
                run.setToolTip(search.text)
                run.triggered.connect(partial(self.run_saved, search))
            forget = menu.addMenu(self.tr("Forget"))
            for search in self.saved:
                forget.addAction(search.name).triggered.connect(partial(self.forget_saved, search.name))

    def save_search(self, name: str | None = None) -> None:
        """Save the typed search on show (with its chips and, when they apply, the filters)."""
        from app.core.errors import WenyangError
        from app.services.ops import SaveSearch
        from app.services.saved_searches import SavedSearch

        if self._typed is None:
            return
        text, labels = self._typed
        if name is None:
            name, ok = QInputDialog.getText(self, self.tr("Save search"), self.tr("Name:"), text=text)
            if not ok:
                return
        filters = self.filters()
        try:
            search = SavedSearch(name.strip(), text, labels, list(filters[0]) if filters else [],
                                 filters[1] if filters else None)
        except WenyangError as exc:
            self.status.setText(str(exc))
            return
        self.session.apply(SaveSearch(search), self.tr("Save search {name}").format(name=search.name))

    def run_saved(self, search) -> None:
        """Run a saved search: its filters are set in the window first, then its words and labels."""
        self.use_filters.setChecked(bool(search.filter_labels) or search.collection is not None)
        if self.use_filters.isChecked():
            self.filtersWanted.emit(list(search.filter_labels), search.collection)
        self.query.setText(search.text)
        text, labels, filters = search.text, search.labels, self.filters()
        self._typed = (text, labels)
        self._run(lambda k: self.backend.by_text(text, filters, k=k, labels=labels))

    def forget_saved(self, name: str) -> None:
        from app.services.ops import ForgetSearch

        self.session.apply(ForgetSearch(name), self.tr("Forget saved search {name}").format(name=name))

    def show_in_grid(self) -> None:
        """The hits of the tab on show go to the main grid (the window listens)."""
        hits, what = self.current_result()
        if hits:
            self.showInGrid.emit([h.item_id for h in hits], what or self.query.text().strip())

    def choose_photo(self) -> None:
        """The drop zone was clicked: pick a photo to search by."""
        path, _ = QFileDialog.getOpenFileName(self, self.tr("Search by photo"), "", self.tr(
            "Photos (*.jpg *.jpeg *.png *.tif *.tiff *.webp *.bmp)"))
        if path:
            self.search_photo(path)

    def _show_query_photo(self, path: str, region) -> None:
        """The photo (or the region drawn on it) that the results answer, above them."""
        image = QImage(path)
        if image.isNull():
            self.query_view.hide()
            return
        if region is not None:
            x, y, w, h = (int(v) for v in region)
            image = image.copy(x, y, w, h)
        self.query_view.setPixmap(QPixmap.fromImage(image.scaled(
            QUERY_PREVIEW, QUERY_PREVIEW, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation)))
        self.query_view.setToolTip(Path(path).name + (f" {tuple(region)}" if region is not None else ""))
        self.query_view.show()

    def _context_menu(self, view: QListView, pos) -> None:
        index = view.indexAt(pos)
        if index.isValid() and not view.selectionModel().isSelected(index):
            view.setCurrentIndex(index)
        rows = sorted(i.row() for i in view.selectionModel().selectedIndexes())
        ids = [view.model().index(r, 0).data(ItemIdRole) for r in rows]
        if ids:
            self.hitsContextMenu.emit(view.viewport().mapToGlobal(pos), ids)

    def _searching(self, typed: bool = True) -> None:
        self.status.setText(self.tr("Searching…"))
        if typed:
            self.query_view.hide()
        else:  # a photo or an item is the query now: no typed text may stand beside it
            self._typed = None
            self.query.clear()
            self.query_view.hide()

    def current_result(self) -> tuple[list, str]:
        """The hits of the tab on show (best first) and the search in words."""
        model = self.photos if self.tabs.currentIndex() == 0 else self.descriptions
        return list(model.hits), self.last_query

    def _on_results(self, results, what: str) -> None:
        self.last_query = what
        names, lang = self._label_names(), label_language()
        self.photos.set_hits(results.photos, names, self.scheme, lang)
        self.descriptions.set_hits(results.descriptions, names, self.scheme, lang)
        self._show_understood(results, what)
        labels = ", ".join(names.get(l, l) for l in getattr(results, "query_labels", [])[:8])
        self.status.setText((what + " · " if self._typed is None and what else "")
                            + self.tr("{p} photo(s), {d} description(s) in {s:.2f} s").format(
            p=len(results.photos), d=len(results.descriptions), s=getattr(results, "seconds", 0.0))
            + (" · " + self.tr("query labels: {labels}").format(labels=labels) if labels else "")
            + (" · " + self.pending_note() if self.pending_note() else ""))
        self.tabs.setCurrentIndex(0 if results.photos or not results.descriptions else 1)
        # a full page may mean there are more: offer them
        self.more.setVisible(len(results.photos) >= self.k or len(results.descriptions) >= self.k)
        self.in_grid.setVisible(bool(results.photos or results.descriptions))

    def _show_understood(self, results, what: str) -> None:
        """Chips for a typed search: the labels asked for, else what the service understood."""
        if self._typed is None or what != self._typed[0]:
            self.chips.hide()
            return
        asked = self._typed[1]
        self.chips.set_labels(asked if asked is not None else getattr(results, "understood", []))
        self.chips.show()

    def _on_failed(self, message: str) -> None:
        """The message replaces the results: it must not sit over another query's hits."""
        names, lang = self._label_names(), label_language()
        self.photos.set_hits([], names, self.scheme, lang)
        self.descriptions.set_hits([], names, self.scheme, lang)
        self.chips.hide()
        self.query_view.hide()
        self.more.hide()
        self.last_query = ""
        self.status.setText(message)

    def _label_names(self) -> dict[str, str]:
        if self.scheme is None:
            return {}
        lang = label_language()
        return {lid: label_text(label, lang) for lid, label in self.scheme.labels.items()}

    # -- drops -----------------------------------------------------------------------------
    def dragEnterEvent(self, event) -> None:
        wanted = self.backend.available and dropped_photo(event.mimeData()) is not None
        event.setAccepted(wanted)
        self.drop_zone.set_hot(wanted)

    def dragLeaveEvent(self, event) -> None:
        self.drop_zone.set_hot(False)
        super().dragLeaveEvent(event)

    def dropEvent(self, event) -> None:
        self.drop_zone.set_hot(False)
        path = dropped_photo(event.mimeData())
        if path:
            event.acceptProposedAction()
            self.search_photo(path)
