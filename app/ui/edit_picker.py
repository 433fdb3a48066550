"""The attribute-edit picker: "like this item, but with phoenix instead of dragon".

Tick labels to add and labels to remove, and set how strongly the edit should weigh against
the item's own photo; the search service turns that into a query (``SearchService.edit``).
"""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QSlider,
    QTreeWidget,
    QTreeWidgetItem,
    QTreeWidgetItemIterator,
    QVBoxLayout,
)

from app.ui.i18n import Retranslating, label_language
from app.ui.label_models import LabelIdRole, label_text

ADD, REMOVE = 1, 2  # columns


class EditPicker(Retranslating, QDialog):
    """Choose labels to add and to remove for an attribute-edit search."""

    def __init__(self, scheme, item_labels, parent=None):
        super().__init__(parent)
        self.setObjectName("editPicker")
        self.scheme = scheme
        self.item_labels = set(item_labels)
        self.filter_edit = QLineEdit(self)
        self.filter_edit.textChanged.connect(self._filter)
        self.tree = QTreeWidget(self)
        self.tree.setColumnCount(3)
        self.weight = QSlider(Qt.Horizontal, self)
        self.weight.setRange(0, 100)
        self.weight.setValue(50)
        self.weight_label = QLabel(self)
        self.buttons = QDialogButtonBox(QDialogButtonBox.Ok | QDialogButtonBox.Cancel, self)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        row = QHBoxLayout()
        row.addWidget(self.weight_label)
        row.addWidget(self.weight, 1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.filter_edit)
        layout.addWidget(self.tree, 1)
        layout.addLayout(row)
        layout.addWidget(self.buttons)
        self._fill()
        self.retranslate()
        self.resize(480, 560)

    def retranslate(self) -> None:
        self.setWindowTitle(self.tr("Like this, but…"))
        self.filter_edit.setPlaceholderText(self.tr("Filter labels…"))
        self.tree.setHeaderLabels([self.tr("Label"), self.tr("Add"), self.tr("Remove")])
        self.weight_label.setText(self.tr("Weight of the change"))

    def _fill(self) -> None:
        lang, bold = label_language(), QFont()
        bold.setBold(True)
        for facet in self.scheme.facets.values():
            heading = QTreeWidgetItem(self.tree, [facet.name(lang)])
            heading.setFlags(Qt.ItemFlag.ItemIsEnabled)
            for label in self.scheme.children(None, facet.id):
                self._add_row(heading, label, lang, bold)
        self.tree.expandToDepth(0)
        self.tree.resizeColumnToContents(0)

    def _add_row(self, parent, label, lang, bold) -> None:
        row = QTreeWidgetItem(parent, [label_text(label, lang), "", ""])
        row.setData(0, LabelIdRole, label.id)
        row.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsUserCheckable)
        row.setCheckState(ADD, Qt.CheckState.Unchecked)
        row.setCheckState(REMOVE, Qt.CheckState.Unchecked)
        if label.id in self.item_labels:  # what the item has now: candidates for removal
            row.setFont(0, bold)
        for child in self.scheme.children(label.id):
            self._add_row(row, child, lang, bold)

    def _rows(self):
        it = QTreeWidgetItemIterator(self.tree)
        while it.value():
            if it.value().data(0, LabelIdRole):
                yield it.value()
            it += 1

    def set_choice(self, add=(), remove=()) -> None:
        """Tick labels programmatically (tests, and a future 'swap' shortcut)."""
        for row in self._rows():
            label_id = row.data(0, LabelIdRole)
            row.setCheckState(ADD, Qt.CheckState.Checked if label_id in add else Qt.CheckState.Unchecked)
            row.setCheckState(REMOVE, Qt.CheckState.Checked if label_id in remove else Qt.CheckState.Unchecked)

    def choice(self) -> tuple[list[str], list[str], float]:
        """(labels to add, labels to remove, weight 0..1)."""
        add = [r.data(0, LabelIdRole) for r in self._rows() if r.checkState(ADD) == Qt.CheckState.Checked]
        remove = [r.data(0, LabelIdRole) for r in self._rows() if r.checkState(REMOVE) == Qt.CheckState.Checked]
        return add, remove, self.weight.value() / 100.0

    def _filter(self, text: str) -> None:
        needle = text.strip().casefold()
        for row in reversed(list(self._rows())):  # children first: a parent stays for its match
            label = self.scheme.labels[row.data(0, LabelIdRole)]
            hit = not needle or needle in f"{label.name_en} {label.name_zh}".casefold()
            shown_below = self._has_visible_child(row)
            row.setHidden(not hit and not shown_below)
            if needle and shown_below:  # open the way to a match ("Phoenix" sits under Animal)
                row.setExpanded(True)
        if not needle:
            self.tree.collapseAll()
            self.tree.expandToDepth(0)

    def _has_visible_child(self, row) -> bool:
        return any(not row.child(i).isHidden() for i in range(row.childCount()))
