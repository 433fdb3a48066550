"""Suggested labels from the trained model, with confidence; accept or reject each or all.

Accepting tags the item and marks the suggestion accepted in one undoable command
(``ops.DecideSuggestions``, undoable); rejecting marks it rejected, so it is not offered again.

Accept and reject are the tree's last two cells (click one; or Enter / Delete on the current row),
not a pair of tool buttons per row: building widgets per row cost about 1 ms each, and an item
with 17 suggestions held the GUI thread for tens of milliseconds on every selection change.
"""
from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
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
    ACCEPT, REJECT = 2, 3  # the columns that decide a row when clicked

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("suggestions")
        self.item_id: int | None = None
        self.rows: list[tuple[str, float, str]] = []
        self.scheme = None
        self.title = QLabel(self)
        self.tree = QTreeWidget(self)
        self.tree.setColumnCount(4)
        self.tree.setRootIsDecorated(False)
        self.tree.setUniformRowHeights(True)
        header = self.tree.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for column in (1, self.ACCEPT, self.REJECT):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        self.tree.itemClicked.connect(self._clicked)
        self.tree.installEventFilter(self)
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
        self.tree.setHeaderLabels([self.tr("Label"), self.tr("Confidence"), "", ""])
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
        accept_tip, reject_tip = self.tr("Accept"), self.tr("Reject")
        rows = []
        for label_id, confidence, *_ in self.rows:
            row = QTreeWidgetItem([self._name(label_id), f"{confidence:.0%}", "✓", "✗"])
            row.setData(0, LabelIdRole, label_id)
            row.setTextAlignment(1, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            for column, tip in ((self.ACCEPT, accept_tip), (self.REJECT, reject_tip)):
                row.setToolTip(column, tip)
                row.setTextAlignment(column, Qt.AlignmentFlag.AlignCenter)
            rows.append(row)
        self.tree.addTopLevelItems(rows)
        has_rows = bool(self.rows) and self.item_id is not None
        self.accept_all.setEnabled(has_rows)
        self.reject_all.setEnabled(has_rows)
        self.setVisible(self.item_id is not None)

    def _name(self, label_id: str) -> str:
        if self.scheme is not None and label_id in self.scheme.labels:
            return label_text(self.scheme.labels[label_id], label_language())
        return label_id

    def _clicked(self, row: QTreeWidgetItem, column: int) -> None:
        if column in (self.ACCEPT, self.REJECT):
            self.decide(row.data(0, LabelIdRole), column == self.ACCEPT)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """Enter accepts the current row and Delete rejects it, for work without the mouse.

        The tree claims Delete before the window's "move to trash" shortcut sees it, so a
        rejected suggestion never deletes the item."""
        tree: QTreeWidget = self.tree
        if watched is tree and event.type() in (QEvent.Type.ShortcutOverride, QEvent.Type.KeyPress):
            row = tree.currentItem()
            key = event.key()  # type: ignore[attr-defined]
            if row is not None and key in (Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Delete):
                event.accept()
                if event.type() == QEvent.Type.KeyPress:
                    self.decide(row.data(0, LabelIdRole), key != Qt.Key.Key_Delete)
                return True
        return super().eventFilter(watched, event)

    def decide(self, label_id: str, accept: bool) -> None:
        if self.item_id is not None:
            self.decided.emit([(self.item_id, label_id)], accept)

    def decide_all(self, accept: bool) -> None:
        if self.item_id is not None and self.rows:
            self.decided.emit([(self.item_id, r[0]) for r in self.rows], accept)
