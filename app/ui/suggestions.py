"""Suggested labels from the trained model, with confidence; accept or reject each or all.

Accepting tags the item and marks the suggestion accepted in one undoable command
(``ops.DecideSuggestions``, undoable); rejecting marks it rejected, so it is not offered again.
"""
from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPushButton,
    QToolButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.ui.i18n import Retranslating, label_language
from app.ui.label_models import LabelIdRole, label_text


class SuggestionsPanel(Retranslating, QWidget):
    """Open suggestions of one item; ``decided(decisions, accept)`` with (item, label) pairs."""

    decided = Signal(list, bool)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("suggestions")
        self.item_id: int | None = None
        self.rows: list[tuple[str, float, str]] = []
        self.scheme = None
        self.title = QLabel(self)
        self.tree = QTreeWidget(self)
        self.tree.setColumnCount(3)
        self.tree.setRootIsDecorated(False)
        self.tree.setUniformRowHeights(True)
        self.accept_all = QPushButton(self)
        self.reject_all = QPushButton(self)
        self.accept_all.clicked.connect(lambda: self.decide_all(True))
        self.reject_all.clicked.connect(lambda: self.decide_all(False))
        buttons = QHBoxLayout()
        buttons.addWidget(self.accept_all)
        buttons.addWidget(self.reject_all)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.title)
        layout.addWidget(self.tree, 1)
        layout.addLayout(buttons)
        self.retranslate()
        self.set_suggestions(None, [], None)

    def retranslate(self) -> None:
        self.title.setText(self.tr("Suggested labels"))
        self.tree.setHeaderLabels([self.tr("Label"), self.tr("Confidence"), ""])
        self.accept_all.setText(self.tr("Accept all"))
        self.reject_all.setText(self.tr("Reject all"))
        self._fill()

    def set_suggestions(self, item_id: int | None, rows, scheme) -> None:
        """Show ``rows`` ((label id, confidence, status), open ones) of ``item_id``."""
        self.item_id = item_id
        self.rows = [r for r in rows if len(r) < 3 or r[2] == "open"]
        self.scheme = scheme
        self._fill()

    def _fill(self) -> None:
        self.tree.clear()
        for label_id, confidence, *_ in self.rows:
            row = QTreeWidgetItem(self.tree, [self._name(label_id), f"{confidence:.0%}", ""])
            row.setData(0, LabelIdRole, label_id)
            row.setTextAlignment(1, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            self.tree.setItemWidget(row, 2, self._buttons(label_id))
        has_rows = bool(self.rows) and self.item_id is not None
        self.accept_all.setEnabled(has_rows)
        self.reject_all.setEnabled(has_rows)
        self.setVisible(self.item_id is not None)
        self.tree.resizeColumnToContents(0)

    def _name(self, label_id: str) -> str:
        if self.scheme is not None and label_id in self.scheme.labels:
            return label_text(self.scheme.labels[label_id], label_language())
        return label_id

    def _buttons(self, label_id: str) -> QWidget:
        box = QWidget(self.tree)
        layout = QHBoxLayout(box)
        layout.setContentsMargins(0, 0, 0, 0)
        for text, tip, accept in (("✓", self.tr("Accept"), True), ("✗", self.tr("Reject"), False)):
            button = QToolButton(box)
            button.setText(text)
            button.setToolTip(tip)
            button.setObjectName(f"{'accept' if accept else 'reject'}:{label_id}")
            button.clicked.connect(lambda _=False, l=label_id, a=accept: self.decide(l, a))
            layout.addWidget(button)
        return box

    def decide(self, label_id: str, accept: bool) -> None:
        if self.item_id is not None:
            self.decided.emit([(self.item_id, label_id)], accept)

    def decide_all(self, accept: bool) -> None:
        if self.item_id is not None and self.rows:
            self.decided.emit([(self.item_id, r[0]) for r in self.rows], accept)
