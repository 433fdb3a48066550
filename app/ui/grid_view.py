"""The thumbnail grid: a QListView laid out as a wrapping grid, with a painting delegate.

The view uses list mode with left-to-right flow and wrapping rather than ``IconMode``: it
looks the same (a grid of icons) but Qt's icon-mode layout keeps a geometry per item and a
spatial tree, and over 100,000 rows it painted a scroll step in 12 ms on average (p99 49 ms)
against 5 ms (p99 32 ms) for the list-mode layout with uniform item sizes, which computes
positions arithmetically. The delegate paints the thumbnail and the accession number and never
asks for anything the model has not already got (the model loads lazily).
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QPoint, QRect, QSize, Qt, Signal
from PySide6.QtGui import QColor, QPainter, QPalette
from PySide6.QtWidgets import QAbstractItemView, QListView, QStyle, QStyledItemDelegate

from app.ui.grid_model import ItemIdRole, ThumbStateRole

CELL_MARGIN = 6
TEXT_HEIGHT = 18
PLACEHOLDER = QColor(232, 232, 232)
CROSS = QColor(170, 170, 170)

if TYPE_CHECKING:
    from app.ui.grid_model import GridModel


class ThumbnailDelegate(QStyledItemDelegate):
    """Paints one cell: a square thumbnail (or placeholder) above the accession number.

    ``width``: a cell wider than the thumbnail, for captions longer than an accession number
    (search hits add the distance); the thumbnail is centred in it."""

    def __init__(self, side: int, parent=None, width: int | None = None):
        super().__init__(parent)
        self.side = side
        self.width = max(width or 0, side + 2 * CELL_MARGIN)

    def sizeHint(self, option, index) -> QSize:
        return QSize(self.width, self.side + TEXT_HEIGHT + 2 * CELL_MARGIN)

    def paint(self, painter: QPainter, option, index) -> None:
        painter.save()
        rect = option.rect
        palette = option.palette
        if option.state & QStyle.StateFlag.State_Selected:
            painter.fillRect(rect, palette.color(QPalette.ColorRole.Highlight))
        square = QRect(rect.x() + (rect.width() - self.side) // 2, rect.y() + CELL_MARGIN,
                       self.side, self.side)
        pixmap = index.data(Qt.ItemDataRole.DecorationRole)
        if pixmap is not None and not pixmap.isNull():
            target = pixmap.size().scaled(square.size(), Qt.AspectRatioMode.KeepAspectRatio)
            x = square.x() + (square.width() - target.width()) // 2
            y = square.y() + (square.height() - target.height()) // 2
            painter.drawPixmap(QRect(x, y, target.width(), target.height()), pixmap)
        else:
            self._placeholder(painter, square, index.data(ThumbStateRole))
        self._caption(painter, option, index, square)
        painter.restore()

    def _placeholder(self, painter: QPainter, square: QRect, state) -> None:
        # an opaque fill: blending a translucent one cost 0.4 ms a cell in the raster engine
        painter.fillRect(square, PLACEHOLDER)
        if state == "none":  # no photo, or it cannot be read: say so rather than spin
            painter.setPen(CROSS)
            painter.drawLine(square.topLeft(), square.bottomRight())
            painter.drawLine(square.topRight(), square.bottomLeft())

    def _caption(self, painter: QPainter, option, index, square: QRect) -> None:
        text_rect = QRect(option.rect.x() + 2, square.bottom() + 2, option.rect.width() - 4, TEXT_HEIGHT)
        selected = option.state & QStyle.StateFlag.State_Selected
        role = QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.Text
        painter.setPen(option.palette.color(role))
        text = option.fontMetrics.elidedText(str(index.data(Qt.ItemDataRole.DisplayRole) or ""), Qt.TextElideMode.ElideMiddle,
                                             text_rect.width())
        painter.drawText(text_rect, Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignVCenter, text)


def space_opens(view, event) -> bool:
    """Space opens the selected items of ``view`` (two: side by side), as photo managers do;
    True when it did (the grid's and the table's key handling)."""
    ids = view.selected_ids() if event.key() == Qt.Key.Key_Space else []
    if ids:
        view.viewRequested.emit(ids[:2])
        event.accept()
    return bool(ids)


class GridView(QListView):
    """Icon-mode list of item thumbnails; multi-selection; drags item ids (to collections).

    ``itemsContextMenu(global_pos, ids)`` lets the window build a menu with its own actions.
    """

    itemsContextMenu = Signal(QPoint, list)
    selectionIdsChanged = Signal(list)
    viewRequested = Signal(list)  # double-click or Space: the full-size viewer for these items

    def __init__(self, side: int = 160, parent=None):
        super().__init__(parent)
        self.setObjectName("grid")
        self.setViewMode(QListView.ViewMode.ListMode)   # a grid all the same: see the module docstring
        self.setFlow(QListView.Flow.LeftToRight)
        self.setWrapping(True)
        self.setMovement(QListView.Movement.Static)     # items cannot be dragged about inside the grid
        self.setResizeMode(QListView.ResizeMode.Adjust)
        self.setUniformItemSizes(True)         # one size: layout never asks every row
        self.setLayoutMode(QListView.LayoutMode.Batched)
        self.setBatchSize(400)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setDragEnabled(True)
        self.setDragDropMode(QAbstractItemView.DragDropMode.DragOnly)  # drops go to the window (import)
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.delegate = ThumbnailDelegate(side, self)
        self.setItemDelegate(self.delegate)
        self.setGridSize(self.delegate.sizeHint(None, None) + QSize(4, 4))
        self.customContextMenuRequested.connect(self._context_menu)
        self.doubleClicked.connect(lambda index: self.viewRequested.emit([index.data(ItemIdRole)]))

    def setModel(self, model) -> None:
        super().setModel(model)
        self.selectionModel().selectionChanged.connect(
            lambda *_: self.selectionIdsChanged.emit(self.selected_ids()))
        # a reset (another filter or collection) clears the selection without selectionChanged:
        # say so, or the detail pane goes on showing items the grid no longer has
        model.modelReset.connect(lambda: self.selectionIdsChanged.emit(self.selected_ids()))

    def set_side(self, side: int) -> None:
        """Thumbnails of ``side`` pixels (the cells follow)."""
        self.delegate.side = side
        self.delegate.width = side + 2 * CELL_MARGIN
        self.setGridSize(self.delegate.sizeHint(None, None) + QSize(4, 4))
        self.doItemsLayout()

    def selected_ids(self) -> list[int]:
        """Ids of the selected items, in grid order."""
        rows = sorted(i.row() for i in self.selectionModel().selectedIndexes())
        return [self.model().index(r, 0).data(ItemIdRole) for r in rows]

    def select_ids(self, item_ids) -> None:
        """Select the given items (those currently fetched) and show the first."""
        from PySide6.QtCore import QItemSelection, QItemSelectionModel

        model: GridModel = self.model()  # type: ignore[assignment]  # the grid shows a GridModel
        selection = QItemSelection()
        for item_id in item_ids:
            row = model.row_of(item_id)
            while row is not None and row >= model.rowCount() and model.canFetchMore():
                model.fetchMore()
            if row is not None and row < model.rowCount():
                selection.select(model.index(row), model.index(row))
        self.selectionModel().select(selection, QItemSelectionModel.SelectionFlag.ClearAndSelect)
        if not selection.isEmpty():
            self.scrollTo(selection.indexes()[0])

    def keyPressEvent(self, event) -> None:
        if not space_opens(self, event):
            super().keyPressEvent(event)

    def _context_menu(self, pos: QPoint) -> None:
        index = self.indexAt(pos)
        if index.isValid() and not self.selectionModel().isSelected(index):
            self.setCurrentIndex(index)
        ids = self.selected_ids()
        if ids:
            self.itemsContextMenu.emit(self.viewport().mapToGlobal(pos), ids)
