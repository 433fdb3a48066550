"""The full-size viewer: one item's photo filling a window, or two side by side to compare.

Opened by a double-click on the grid, Space on the grid (Space or Escape closes it again) or
View ▸ Compare with two items selected. Each side zooms with the wheel or + / − / 0 (fit) / 1
(actual pixels) and pans by dragging; "Zoom together" keeps two sides at the same scale, so
that a motif can be compared stitch for stitch.
"""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QCheckBox, QDialog, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from app.ui import queries
from app.ui.i18n import Retranslating
from app.ui.preview import PhotoPreview


class _Side(QWidget):
    """One photo with its accession number and title above it."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.caption = QLabel(self)
        self.caption.setTextFormat(Qt.TextFormat.PlainText)
        self.caption.setWordWrap(True)
        self.preview = PhotoPreview(self)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.caption)
        layout.addWidget(self.preview, 1)


class PhotoViewer(Retranslating, QDialog):
    def __init__(self, session, item_ids: list[int], parent=None):
        super().__init__(parent)
        self.setObjectName("photoViewer")
        self.session = session
        self.item_ids = list(item_ids)[:2]
        self.details: dict[int, object] = {}
        self.sides = [_Side(self) for _ in self.item_ids]
        self.together = QCheckBox(self)
        self.together.setChecked(True)
        self.together.setVisible(len(self.sides) == 2)
        self.fit_button, self.actual_button, self.close_button = QPushButton(self), QPushButton(self), QPushButton(self)
        self.fit_button.clicked.connect(self.fit)
        self.actual_button.clicked.connect(lambda: self.zoom_to(1.0))
        self.close_button.clicked.connect(self.accept)
        row = QHBoxLayout()
        for side in self.sides:
            row.addWidget(side, 1)
        buttons = QHBoxLayout()
        for widget in (self.fit_button, self.actual_button, self.together):
            buttons.addWidget(widget)
        buttons.addStretch(1)
        buttons.addWidget(self.close_button)
        layout = QVBoxLayout(self)
        layout.addLayout(row, 1)
        layout.addLayout(buttons)
        self.resize(1100 if len(self.sides) == 2 else 800, 760)
        self.retranslate()
        for item_id in self.item_ids:
            self.session.run(lambda lib, i=item_id: queries.item_detail(lib, i), self._loaded)

    def retranslate(self) -> None:
        self.setWindowTitle(self.tr("Compare") if len(self.sides) == 2 else self.tr("Photo"))
        self.fit_button.setText(self.tr("Fit"))
        self.actual_button.setText(self.tr("Actual pixels"))
        self.together.setText(self.tr("Zoom together"))
        self.close_button.setText(self.tr("Close"))
        self.fit_button.setToolTip(self.tr("Fit the whole photo (0)"))
        self.actual_button.setToolTip(self.tr("One photo pixel per screen pixel (1)"))

    def _loaded(self, detail) -> None:
        if detail is None or detail.item_id not in self.item_ids:
            return
        self.details[detail.item_id] = detail
        side = self.sides[self.item_ids.index(detail.item_id)]
        side.caption.setText(f"{detail.accession}  {detail.title}".strip())
        if detail.photo is None:
            side.caption.setText(side.caption.text() + "  —  " + self.tr("no photo"))
        side.preview.show_photo(detail.photo)

    # -- zoom ------------------------------------------------------------------------------
    def previews(self) -> list[PhotoPreview]:
        return [side.preview for side in self.sides]

    def fit(self) -> None:
        for preview in self.previews():
            preview.fit()

    def zoom_to(self, factor: float) -> None:
        """Show photo pixels at ``factor`` screen pixels each (on every side)."""
        for preview in self.previews():
            preview.fitted = False
            preview.resetTransform()
            preview.scale(factor * preview.scale_to_original, factor * preview.scale_to_original)

    def zoom(self, steps: float) -> None:
        targets = self.previews() if self.together.isChecked() else self.previews()[:1]
        for preview in targets:
            preview.zoom(steps)

    def keyPressEvent(self, event) -> None:
        key = event.key()
        if key in (Qt.Key.Key_Space, Qt.Key.Key_Escape):
            self.accept()
        elif key in (Qt.Key.Key_Plus, Qt.Key.Key_Equal):
            self.zoom(1)
        elif key == Qt.Key.Key_Minus:
            self.zoom(-1)
        elif key == Qt.Key.Key_0:
            self.fit()
        elif key == Qt.Key.Key_1:
            self.zoom_to(1.0)
        else:
            super().keyPressEvent(event)
