"""The facet tree: the label scheme with item counts; ticking labels filters the grid.

Ticked labels combine as the search filters do: AND across facets, OR within a facet
(``app.services.filtering``), so "Motif: dragon, phoenix" + "Era: Qing" means Qing items with
a dragon or a phoenix.
"""
from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QStandardItem
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QTreeView, QVBoxLayout, QWidget

from app.ui import queries
from app.ui.i18n import Retranslating, label_language
from app.ui.label_models import FacetIdRole, LabelFilterProxy, LabelIdRole, build_label_model, label_items, label_text
from app.ui.scheme_editor import SchemeEditor
from app.ui.tagging import LabelFilterEdit


class FacetPanel(Retranslating, QWidget):
    """Checkable facet/label tree with counts; emits the ticked label ids."""

    filtersChanged = Signal(list)
    schemeLoaded = Signal(object)  # the LabelScheme, whenever it is (re)loaded

    def __init__(self, session, parent=None):
        super().__init__(parent)
        self.setObjectName("facetPanel")
        self.session = session
        self.scheme = None
        self.counts: dict[str, int] = {}
        self.checked: set[str] = set()
        self.collection: int | None = None  # counts follow the collection on show too
        self._building = False
        self.read_only = False
        self.scheme_menu: SchemeEditor | None = None
        self.model = build_label_model(_EmptyScheme(), "en", True, parent=self)
        self.proxy = LabelFilterProxy(self)
        self.proxy.setSourceModel(self.model)
        self.model.itemChanged.connect(self._item_changed)
        self._build_widgets()
        session.changed.connect(lambda changes: self.reload() if changes.tags or changes.item_set or changes.scheme
                                else None)
        self.retranslate()
        self.reload()

    def _build_widgets(self) -> None:
        self.filter_edit = LabelFilterEdit(self)  # Ctrl+Z here undoes the last edit, as in the tag tree
        self.filter_edit.setClearButtonEnabled(True)
        self.filter_edit.textChanged.connect(self._filter_text)
        self.tree = QTreeView(self)
        self.tree.setHeaderHidden(True)
        self.tree.setModel(self.proxy)
        self.tree.setUniformRowHeights(True)
        self.tree.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.tree.customContextMenuRequested.connect(
            lambda pos: self.scheme_menu_at(self.tree.indexAt(pos)).popup(self.tree.viewport().mapToGlobal(pos)))
        self.clear_button = QPushButton(self)
        self.clear_button.clicked.connect(self.clear)
        self.summary = QLabel(self)
        bar = QHBoxLayout()
        bar.addWidget(self.summary, 1)
        bar.addWidget(self.clear_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.filter_edit)
        layout.addWidget(self.tree, 1)
        layout.addLayout(bar)

    def retranslate(self) -> None:
        self.filter_edit.setPlaceholderText(self.tr("Filter labels…"))
        self.clear_button.setText(self.tr("Clear"))
        self.clear_button.setToolTip(self.tr("Show all items again"))
        self._update_summary()
        if self.scheme is not None:
            self._rebuild()  # label names follow the interface language
        else:  # until the scheme and its counts are read (seconds at a million items on a cold disk)
            self.model.clear()
            waiting = QStandardItem(self.tr("Loading labels…"))
            waiting.setEnabled(False)
            self.model.appendRow(waiting)

    # -- loading ---------------------------------------------------------------------------
    def reload(self) -> None:
        """Fetch the scheme and the counts under the current filter (on the library thread),
        then rebuild the tree (or only its counts)."""
        checked, collection = sorted(self.checked), self.collection
        self.session.run(lambda lib: queries.scheme_and_counts(lib, checked, collection), self._on_loaded)

    def set_collection(self, collection: int | None) -> None:
        """The grid shows this collection (None: the whole library): count within it."""
        self.collection = collection
        self.reload()

    def _on_loaded(self, found) -> None:
        scheme, counts = found
        self.schemeLoaded.emit(scheme)
        if self.scheme is not None and scheme.version == self.scheme.version:
            self.scheme, self.counts = scheme, counts
            self._update_counts()  # same tree: keep expansion and scroll position
            return
        self.scheme, self.counts = scheme, counts
        self.checked &= set(scheme.labels)
        self._rebuild()

    def _rebuild(self) -> None:
        self._building = True
        try:
            self.model.clear()
            built = build_label_model(self.scheme, label_language(), True, self.counts)
            while built.rowCount():
                self.model.appendRow(built.takeRow(0))
            for item in label_items(self.model):
                if item.data(LabelIdRole) in self.checked:
                    item.setCheckState(Qt.CheckState.Checked)
        finally:
            self._building = False
        self.tree.expandToDepth(0)

    def _update_counts(self) -> None:
        self._building = True
        try:
            lang = label_language()
            for item in label_items(self.model):
                label = self.scheme.labels.get(item.data(LabelIdRole))
                if label is not None:
                    item.setText(label_text(label, lang, self.counts.get(label.id, 0)))
        finally:
            self._building = False

    # -- editing the scheme ----------------------------------------------------------------
    def scheme_menu_at(self, index) -> SchemeEditor:
        """The scheme editor's menu for the label (or facet heading) at a tree index: add,
        rename, move, merge, delete (``app.ui.scheme_editor``)."""
        label_id, facet_id = index.data(LabelIdRole), index.data(FacetIdRole)
        if label_id is None and facet_id is None and self.scheme is not None and self.scheme.facets:
            facet_id = next(iter(self.scheme.facets))
        if self.scheme_menu is not None:
            self.scheme_menu.deleteLater()  # one right-click's menu at a time (its dialog is the panel's)
        self.scheme_menu = SchemeEditor(self.session, self.scheme, label_id, facet_id, self,
                                        read_only=self.read_only)
        return self.scheme_menu

    # -- filtering -------------------------------------------------------------------------
    def _item_changed(self, item) -> None:
        if self._building or item.data(LabelIdRole) is None:
            return
        label_id = item.data(LabelIdRole)
        if item.checkState() == Qt.CheckState.Checked:
            self.checked.add(label_id)
        else:
            self.checked.discard(label_id)
        self._update_summary()
        self.filtersChanged.emit(sorted(self.checked))
        self.reload()  # the other facets' counts narrow

    def set_checked(self, label_ids) -> None:
        """Tick exactly these labels (and emit the new filter)."""
        self.checked = set(label_ids)
        self._building = True
        try:
            for item in label_items(self.model):
                state = Qt.CheckState.Checked if item.data(LabelIdRole) in self.checked else Qt.CheckState.Unchecked
                item.setCheckState(state)
        finally:
            self._building = False
        self._update_summary()
        self.filtersChanged.emit(sorted(self.checked))
        self.reload()  # the other facets' counts narrow

    def clear(self) -> None:
        self.set_checked([])

    def _filter_text(self, text: str) -> None:
        self.proxy.setFilterFixedString(text.strip())
        if text.strip():
            self.tree.expandAll()

    def _update_summary(self) -> None:
        n = len(self.checked)
        self.summary.setText(self.tr("{n} label(s) ticked").format(n=n) if n else "")
        self.clear_button.setEnabled(bool(n))


class _EmptyScheme:
    """Stands in until the scheme arrives from the library thread."""

    facets: dict = {}
