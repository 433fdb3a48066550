"""The tagging tree: tick labels for the selected items, with type-ahead.

For a multi-item selection a label is ticked when every selected item carries it, partly
ticked when only some do. Ticking tags all of them (one undoable step), unticking untags all.
The tree never writes to the library itself: it asks for commands (``tagRequested`` /
``untagRequested``) and shows the state the library reports back.
"""
from __future__ import annotations

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QLabel, QLineEdit, QTreeView, QVBoxLayout, QWidget

from app.ui.i18n import Retranslating, label_language
from app.ui.label_models import LabelFilterProxy, LabelIdRole, build_label_model, label_items, rows_by_label


class LabelFilterEdit(QLineEdit):
    """The type-ahead field. Its Ctrl+Z and Ctrl+Shift+Z (Ctrl+Y) are the window's: after
    "Ctrl+T, type, Enter" the curator's hands are here, and what they mean to undo is the
    tagging, not the few letters typed to find the label."""

    def event(self, event) -> bool:
        if event.type() == QEvent.Type.ShortcutOverride and (
                event.matches(QKeySequence.StandardKey.Undo) or event.matches(QKeySequence.StandardKey.Redo)
                or event.keyCombination().toCombined() in _WINDOW_REDO):
            event.ignore()  # not overridden: the Edit menu's shortcut takes the key
            return False
        return super().event(event)


_WINDOW_REDO = {QKeySequence(keys)[0].toCombined() for keys in ("Ctrl+Shift+Z", "Ctrl+Y")}  # type: ignore[index]  # QKeySequence[0] is a key combination


class TagTree(Retranslating, QWidget):
    """Checkable label tree for the current selection."""

    read_only = False  # a library on a read-only medium: shown, never ticked

    tagRequested = Signal(list, str)    # item ids, label id
    untagRequested = Signal(list, str)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("tagTree")
        self.scheme = None
        self.item_ids: list[int] = []
        self.usage: dict[str, int] = {}
        self._updating = False
        self.model = build_label_model(_NoScheme(), "en", True, parent=self)
        self.proxy = LabelFilterProxy(self)
        self.proxy.setSourceModel(self.model)
        self.model.itemChanged.connect(self._item_changed)
        self.filter_edit = LabelFilterEdit(self)
        self.filter_edit.setClearButtonEnabled(True)
        self.filter_edit.textChanged.connect(self._filter_text)
        self.filter_edit.returnPressed.connect(self._tag_first_match)
        self.tree = QTreeView(self)
        self.tree.setHeaderHidden(True)
        self.tree.setUniformRowHeights(True)
        self.tree.setModel(self.proxy)
        self.caption = QLabel(self)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.caption)
        layout.addWidget(self.filter_edit)
        layout.addWidget(self.tree, 1)
        self.retranslate()

    def retranslate(self) -> None:
        self.filter_edit.setPlaceholderText(self.tr("Type to find a label; Enter ticks it (Ctrl+T)"))
        self._update_caption()
        if self.scheme is not None:
            self.set_scheme(self.scheme)

    def focus_filter(self) -> None:
        self.filter_edit.setFocus()
        self.filter_edit.selectAll()

    # -- state -----------------------------------------------------------------------------
    def set_scheme(self, scheme) -> None:
        """Rebuild the tree for ``scheme`` (names in the interface language)."""
        self.scheme = scheme
        self._updating = True
        try:
            self.model.clear()
            built = build_label_model(scheme, label_language(), True)
            while built.rowCount():
                self.model.appendRow(built.takeRow(0))
        finally:
            self._updating = False
        self.tree.expandToDepth(0)
        self._apply_usage()

    def set_selection(self, item_ids: list[int], usage: dict[str, int]) -> None:
        """Show the labels of ``item_ids``: ``usage`` counts how many carry each label."""
        self.item_ids = list(item_ids)
        self.usage = dict(usage)
        self._apply_usage()
        self._reveal_ticked()
        self._update_caption()
        self.setEnabled(bool(self.item_ids) and not self.read_only)

    def _reveal_ticked(self) -> None:
        """Expand the branches holding ticked labels, so what an item carries is in view."""
        for row in label_items(self.model):
            if row.checkState() != Qt.CheckState.Unchecked and row.parent() is not None:
                self.tree.expand(self.proxy.mapFromSource(row.parent().index()))

    def check_state(self, label_id: str):
        row = rows_by_label(self.model).get(label_id)
        return row.checkState() if row is not None else None

    def _apply_usage(self) -> None:
        n = len(self.item_ids)
        self._updating = True
        try:
            for row in label_items(self.model):
                count = self.usage.get(row.data(LabelIdRole), 0)
                state = Qt.CheckState.Unchecked if n == 0 or count == 0 else (
                    Qt.CheckState.Checked if count >= n else Qt.CheckState.PartiallyChecked)
                if row.checkState() != state:
                    row.setCheckState(state)
        finally:
            self._updating = False

    def _update_caption(self) -> None:
        n = len(self.item_ids)
        if n == 0:
            self.caption.setText(self.tr("Select items to tag them"))
        elif n == 1:
            self.caption.setText(self.tr("Labels"))
        else:
            self.caption.setText(self.tr("Labels of {n} selected items").format(n=n))

    # -- requests --------------------------------------------------------------------------
    def _item_changed(self, row) -> None:
        if self._updating or row.data(LabelIdRole) is None or not self.item_ids:
            return
        label_id, wanted = row.data(LabelIdRole), row.checkState()
        self._apply_usage()  # show the library's state until it reports the change back
        self.request(label_id, wanted == Qt.CheckState.Checked)

    def request(self, label_id: str, tag: bool) -> None:
        """Ask to tag (or untag) every selected item with ``label_id``."""
        if not self.item_ids:
            return
        (self.tagRequested if tag else self.untagRequested).emit(list(self.item_ids), label_id)

    def _tag_first_match(self) -> None:
        index = self.proxy.first_label() if self.filter_edit.text().strip() else None
        if index is None:
            return
        label_id = index.data(LabelIdRole)
        carried_by_all = self.usage.get(label_id, 0) >= len(self.item_ids) > 0
        self.request(label_id, not carried_by_all)  # Enter toggles, like a click
        self.filter_edit.selectAll()

    def _filter_text(self, text: str) -> None:
        self.proxy.setFilterFixedString(text.strip())
        if text.strip():
            self.tree.expandAll()


class _NoScheme:
    facets: dict = {}
