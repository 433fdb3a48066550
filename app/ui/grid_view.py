"""The thumbnail grid: an item view whose cells are all one size, laid out by arithmetic.

A cell's place is ``divmod(row, columns)``: nothing is laid out, so a million rows cost no
more than a hundred. QListView (list mode, wrapping, uniform sizes) was used before
2026-12-02: it lays every row out again after each insertion or resize, in batches on the
event loop, and while it does its scroll range shrinks to the first batch, which threw a fling
back towards the top (``bench/bench_grid_scroll.py`` counts such frames). Painting asks the
delegate for the visible cells only. The delegate paints the thumbnail and the accession
number and never asks for anything the model has not already got (the model loads lazily).
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QItemSelection, QItemSelectionModel, QModelIndex, QPoint, QRect, QSize, Qt, Signal
from PySide6.QtGui import QColor, QPainter, QPalette, QRegion
from PySide6.QtWidgets import QAbstractItemView, QStyle, QStyledItemDelegate, QStyleOptionViewItem

from app.core import pacing
from app.ui.grid_model import ItemIdRole, ThumbStateRole

CELL_MARGIN = 6
TEXT_HEIGHT = 18
PLACEHOLDER = QColor(232, 232, 232)
CROSS = QColor(170, 170, 170)
# PySide's flags are Python enums: combining or testing them cell by cell cost more than the
# drawing (44,100 enum calls in 300 repaints of 20 cells); these are built once
SELECTED = QStyle.StateFlag.State_Selected
CENTRED = Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignVCenter
ELIDE = Qt.TextElideMode.ElideMiddle
HIGHLIGHT, HIGHLIGHTED_TEXT, TEXT = (QPalette.ColorRole.Highlight, QPalette.ColorRole.HighlightedText,
                                     QPalette.ColorRole.Text)
ELIDED_KEPT = 4096  # captions kept elided, per delegate (cleared when full or the font changes)

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
        self._elided_font = ""
        self._elided: dict[tuple[str, int], str] = {}

    def sizeHint(self, option, index) -> QSize:
        return QSize(self.width, self.side + TEXT_HEIGHT + 2 * CELL_MARGIN)

    def elided_captions(self, font_key: str) -> dict:
        """(caption, cell width) -> the caption elided to fit: kept for the grid's repaints,
        emptied when the font is another."""
        if self._elided_font != font_key:
            self._elided_font, self._elided = font_key, {}
        return self._elided

    def paint(self, painter: QPainter, option, index) -> None:
        """Qt's entry point (the search panel's hit list); the grid calls ``paint_cell``."""
        painter.save()
        text, pixmap, state = _cell_from_index(index)
        self.paint_cell(painter, option.rect, option.palette, bool(option.state & SELECTED), pixmap, state,
                        option.fontMetrics.elidedText(text, ELIDE, option.rect.width() - 4))
        painter.restore()

    def paint_cell(self, painter: QPainter, rect: QRect, palette, selected: bool, pixmap, state,
                   caption: str) -> None:
        """One cell in ``rect``: the highlight, the thumbnail ``pixmap`` centred in its square
        (or the placeholder for ``state``), and ``caption`` (already elided) below it. Every
        call sets the pen it draws with, so cells need no save and restore of the painter."""
        x0, y0, width = rect.x(), rect.y(), rect.width()
        if selected:
            painter.fillRect(rect, palette.color(HIGHLIGHT))
        side = self.side
        left, top = x0 + (width - side) // 2, y0 + CELL_MARGIN
        if pixmap is not None and not pixmap.isNull():
            w, h = fit(pixmap.width(), pixmap.height(), side)
            painter.drawPixmap(QRect(left + (side - w) // 2, top + (side - h) // 2, w, h), pixmap)
        else:
            self._placeholder(painter, QRect(left, top, side, side), state)
        painter.setPen(palette.color(HIGHLIGHTED_TEXT if selected else TEXT))
        painter.drawText(QRect(x0 + 2, top + side + 1, width - 4, TEXT_HEIGHT), CENTRED, caption)

    def _placeholder(self, painter: QPainter, square: QRect, state) -> None:
        # an opaque fill: blending a translucent one cost 0.4 ms a cell in the raster engine
        painter.fillRect(square, PLACEHOLDER)
        if state == "none":  # no photo, or it cannot be read: say so rather than spin
            painter.setPen(CROSS)
            painter.drawLine(square.topLeft(), square.bottomRight())
            painter.drawLine(square.topRight(), square.bottomLeft())



def _cell_from_index(index) -> tuple[str, object, object]:
    """(caption, pixmap or None, thumbnail state) of a model without ``GridModel.cell``."""
    pixmap = index.data(Qt.ItemDataRole.DecorationRole)
    state = None if pixmap is not None and not pixmap.isNull() else index.data(ThumbStateRole)
    return str(index.data(Qt.ItemDataRole.DisplayRole) or ""), pixmap, state


def fit(width: int, height: int, side: int) -> tuple[int, int]:
    """``width`` × ``height`` scaled to fit a ``side`` square, keeping its aspect ratio, with
    the integer rounding of ``QSize.scaled(..., Qt.KeepAspectRatio)``."""
    if width <= 0 or height <= 0:
        return side, side
    scaled_width = side * width // height
    if scaled_width <= side:
        return scaled_width, side
    return side, side * height // width


def space_opens(view, event) -> bool:
    """Space opens the selected items of ``view`` (two: side by side), as photo managers do;
    True when it did (the grid's and the table's key handling)."""
    ids = view.selected_ids() if event.key() == Qt.Key.Key_Space else []
    if ids:
        view.viewRequested.emit(ids[:2])
        event.accept()
    return bool(ids)


class GridView(QAbstractItemView):
    """A grid of item thumbnails, read left to right; multi-selection; drags item ids (to
    collections). Cells are ``gridSize()``; the delegate paints inside a 2-pixel margin.

    ``itemsContextMenu(global_pos, ids)`` lets the window build a menu with its own actions.
    """

    itemsContextMenu = Signal(QPoint, list)
    selectionIdsChanged = Signal(list)
    viewRequested = Signal(list)  # double-click or Space: the full-size viewer for these items

    def __init__(self, side: int = 160, parent=None):
        super().__init__(parent)
        self.delegate = ThumbnailDelegate(side, self)
        self._cell = self.delegate.sizeHint(None, None) + QSize(4, 4)  # first: the setters below ask for geometry
        self.setObjectName("grid")
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setDragEnabled(True)
        self.setDragDropMode(QAbstractItemView.DragDropMode.DragOnly)  # drops go to the window (import)
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.setItemDelegate(self.delegate)
        self.customContextMenuRequested.connect(self._context_menu)
        self.doubleClicked.connect(lambda index: self.viewRequested.emit([index.data(ItemIdRole)]))

    # -- geometry: all arithmetic ----------------------------------------------------------
    def gridSize(self) -> QSize:
        return QSize(self._cell)

    def setGridSize(self, size: QSize) -> None:
        self._cell = QSize(size)
        self._fit_scroll_range()
        self.viewport().update()

    def columns(self) -> int:
        return max(1, self.viewport().width() // max(1, self._cell.width()))

    def _count(self) -> int:
        model = self.model()
        return model.rowCount() if model is not None else 0

    def _cell_rect(self, row: int) -> QRect:
        """Where row ``row``'s cell is, in content coordinates (the top of row 0 is y = 0)."""
        line, column = divmod(row, self.columns())
        return QRect(column * self._cell.width(), line * self._cell.height(), self._cell.width(), self._cell.height())

    def _row_at(self, point: QPoint, clamp: bool = False) -> int:
        """The row whose cell holds ``point`` (viewport coordinates); -1 for none, or with
        ``clamp`` the nearest row (a shift-click past the last cell reaches it)."""
        count, columns = self._count(), self.columns()
        x, y = point.x(), point.y() + self.verticalOffset()
        column, line = x // self._cell.width(), y // self._cell.height()
        if clamp:
            column, line = min(max(column, 0), columns - 1), max(line, 0)
            return min(line * columns + column, count - 1)
        if x < 0 or y < 0 or column >= columns:
            return -1
        row = line * columns + column
        return row if row < count else -1

    def _visible_rows(self) -> range:
        count = self._count()
        if not count:
            return range(0)
        top, height = self.verticalOffset(), self.viewport().height()
        first = top // self._cell.height() * self.columns()
        last = min(count, ((top + height) // self._cell.height() + 1) * self.columns())
        return range(first, last)

    def visualRect(self, index) -> QRect:
        if not index.isValid() or index.row() >= self._count():
            return QRect()
        return self._cell_rect(index.row()).adjusted(2, 2, -2, -2).translated(0, -self.verticalOffset())

    def indexAt(self, point: QPoint) -> QModelIndex:
        row = self._row_at(point)
        return self.model().index(row, 0) if row >= 0 and self.model() is not None else QModelIndex()

    def horizontalOffset(self) -> int:
        return 0

    def verticalOffset(self) -> int:
        return self.verticalScrollBar().value()

    def isIndexHidden(self, index) -> bool:
        return False

    def scrollTo(self, index, hint=QAbstractItemView.ScrollHint.EnsureVisible) -> None:
        if not index.isValid():
            return
        rect, bar = self._cell_rect(index.row()), self.verticalScrollBar()
        height, top = self.viewport().height(), self.verticalOffset()
        Hint = QAbstractItemView.ScrollHint
        if hint == Hint.PositionAtTop:
            bar.setValue(rect.top())
        elif hint == Hint.PositionAtBottom:
            bar.setValue(rect.bottom() + 1 - height)
        elif hint == Hint.PositionAtCenter:
            bar.setValue(rect.center().y() - height // 2)
        elif rect.top() < top:
            bar.setValue(rect.top())
        elif rect.bottom() + 1 > top + height:
            bar.setValue(rect.bottom() + 1 - height)

    def _remember_place(self) -> None:
        rows = self._visible_rows()
        model = self.model()
        self._place = model.item_id(rows.start) if rows and hasattr(model, "item_id") else None

    def reset(self) -> None:
        """After the model is reset: the scroll range at once (Qt fits it only later), and the
        same first item in view for a reload of the same list, the top for a new one (other
        filters, search results: a short list would otherwise show its end)."""
        super().reset()
        self._fit_scroll_range()
        model, place = self.model(), getattr(self, "_place", None)
        keep = place is not None and getattr(model, "keep_place", False)
        row = model.row_of(place) if keep else None  # type: ignore[attr-defined]  # a GridModel
        bar = self.verticalScrollBar()
        bar.setValue(0 if row is None else self._cell_rect(row).top())

    def updateGeometries(self) -> None:
        self._fit_scroll_range()
        super().updateGeometries()

    def rowsInserted(self, parent, first: int, last: int) -> None:
        """Rows added at the end (the whole list after its first page): Qt's own lays nothing
        out again, so the scroll range is fitted here."""
        super().rowsInserted(parent, first, last)
        self._fit_scroll_range()
        self.viewport().update()

    def _fit_scroll_range(self) -> None:
        """The scroll bar's range for the rows there are (on every change of rows, size or cells)."""
        lines = -(-self._count() // self.columns())
        height = self.viewport().height()
        bar = self.verticalScrollBar()
        bar.setRange(0, max(0, lines * self._cell.height() - height))
        bar.setPageStep(height)
        bar.setSingleStep(max(1, self._cell.height() // 3))  # three wheel steps: one line of cells

    def scrollContentsBy(self, dx: int, dy: int) -> None:
        pacing.busy()  # background loads wait while the curator scrolls (app.core.pacing)
        super().scrollContentsBy(dx, dy)

    def resizeEvent(self, event) -> None:
        # Keep the first visible item in view as the columns change. The viewport has its new
        # width already; the scroll position still counts lines of the old width.
        widened = event.size().width() - event.oldSize().width() if event.oldSize().isValid() else 0
        before = max(1, (self.viewport().width() - widened) // max(1, self._cell.width()))
        first = self.verticalOffset() // max(1, self._cell.height()) * before
        super().resizeEvent(event)  # updateGeometries: the scroll range for the new width
        if self._count() and widened:
            self.verticalScrollBar().setValue(self._cell_rect(min(first, self._count() - 1)).top())

    # -- keys and selection ----------------------------------------------------------------
    def moveCursor(self, action, modifiers) -> QModelIndex:
        count = self._count()
        if not count:
            return QModelIndex()
        current = self.currentIndex()
        row = current.row() if current.isValid() else -1
        columns = self.columns()
        page = max(1, self.viewport().height() // self._cell.height()) * columns
        Move = QAbstractItemView.CursorAction
        step = {Move.MoveLeft: -1, Move.MovePrevious: -1, Move.MoveRight: 1, Move.MoveNext: 1,
                Move.MoveUp: -columns, Move.MoveDown: columns,
                Move.MovePageUp: -page, Move.MovePageDown: page}
        if row < 0:
            row = 0
        elif action == Move.MoveHome:
            row = 0
        elif action == Move.MoveEnd:
            row = count - 1
        elif action in step:
            moved = row + step[action]
            if 0 <= moved < count:
                row = moved
            elif action in (Move.MovePageUp, Move.MovePageDown):
                row = min(max(moved, 0), count - 1)
            elif action == Move.MoveDown and row // columns < (count - 1) // columns:
                row = count - 1  # the line below is shorter: its last item
        return self.model().index(row, 0)

    def setSelection(self, rect: QRect, command) -> None:
        """Select the cells ``rect`` covers: a rubber band takes the cells under it; a click,
        a shift-click or shift-arrows take every item from one corner to the other in reading
        order (``rect`` runs from where the selection started to where it ends, as given)."""
        model, count = self.model(), self._count()
        if model is None or not count:
            return
        selection = QItemSelection()
        if self.state() == QAbstractItemView.State.DragSelectingState:
            band = rect.normalized().translated(0, self.verticalOffset())
            columns, last_line = self.columns(), (count - 1) // self.columns()
            left = min(max(band.left() // self._cell.width(), 0), columns - 1)
            right = min(max(band.right() // self._cell.width(), 0), columns - 1)
            top = min(max(band.top() // self._cell.height(), 0), last_line)
            bottom = min(max(band.bottom() // self._cell.height(), 0), last_line)
            for line in range(top, bottom + 1):  # the cells under the band, line by line
                a, b = line * columns + left, min(line * columns + right, count - 1)
                if a <= b:
                    selection.select(model.index(a, 0), model.index(b, 0))
        else:
            start, end = self._row_at(rect.topLeft()), self._row_at(rect.bottomRight())
            if start < 0 or end < 0:
                start, end = self._row_at(rect.topLeft(), clamp=True), self._row_at(rect.bottomRight(), clamp=True)
            if start >= 0 and end >= 0:
                selection.select(model.index(min(start, end), 0), model.index(max(start, end), 0))
        self.selectionModel().select(selection, command)

    def visualRegionForSelection(self, selection: QItemSelection) -> QRegion:
        region = QRegion()
        visible = self._visible_rows()
        for n in range(selection.count()):
            span = selection.at(n)
            for row in range(max(span.top(), visible.start), min(span.bottom() + 1, visible.stop)):
                region += self.visualRect(self.model().index(row, 0))
        return region

    # -- painting --------------------------------------------------------------------------
    def dataChanged(self, top, bottom, roles=()) -> None:
        """Repaint the changed cells that are in view. (Qt's own asks ``visualRect`` of every
        changed row, in Python here: a page of records is 200 calls, a new thumbnail size all.)"""
        visible = self._visible_rows()
        first, last = max(top.row(), visible.start), min(bottom.row(), visible.stop - 1)
        if first > last:
            return
        columns, offset = self.columns(), self.verticalOffset()
        if first // columns == last // columns:  # one line: from the first cell to the last
            rect = self._cell_rect(first).united(self._cell_rect(last))
        else:  # several lines: their whole width
            rect = QRect(0, first // columns * self._cell.height(), columns * self._cell.width(),
                         (last // columns - first // columns + 1) * self._cell.height())
        self.viewport().update(rect.translated(0, -offset))

    def paintEvent(self, event) -> None:
        """The visible cells, each through ``ThumbnailDelegate.paint_cell`` with what
        ``GridModel.cell`` says of its row: no model index, ``data()`` call or enum per cell
        (through Qt's own ``paint(option, index)`` a cell cost about 95 µs of the GUI thread
        when the machine was quiet, several times that while workers decoded thumbnails)."""
        model = self.model()
        if model is None:
            return
        rows = self._visible_rows()
        if not rows:
            return
        painter = QPainter(self.viewport())
        option = QStyleOptionViewItem()
        self.initViewItemOption(option)
        palette, metrics, delegate = option.palette, option.fontMetrics, self.delegate
        elided = delegate.elided_captions(option.font.key())
        first, stop = rows.start, rows.stop
        selected: set[int] = set()
        for part in self.selectionModel().selection():  # type: ignore[attr-defined]  # a QList: iterable
            low, high = max(part.top(), first), min(part.bottom(), stop - 1)
            if low <= high:
                selected.update(range(low, high + 1))
        columns, offset = self.columns(), self.verticalOffset()
        width, height = self._cell.width(), self._cell.height()
        exposed = event.region()
        cell = getattr(model, "cell", None) or (lambda row: _cell_from_index(model.index(row, 0)))
        for row in rows:
            line, column = divmod(row, columns)
            rect = QRect(column * width + 2, line * height - offset + 2, width - 4, height - 4)
            if not exposed.intersects(rect):
                continue
            text, pixmap, state = cell(row)
            key = (text, width)
            caption = elided.get(key)
            if caption is None:
                if len(elided) >= ELIDED_KEPT:
                    elided.clear()
                caption = elided[key] = metrics.elidedText(text, ELIDE, width - 8)
            delegate.paint_cell(painter, rect, palette, row in selected, pixmap, state, caption)
        painter.end()

    def setModel(self, model) -> None:
        super().setModel(model)
        model.modelAboutToBeReset.connect(self._remember_place)
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

    def selected_ids(self) -> list[int]:
        """Ids of the selected items, in grid order."""
        rows = sorted(i.row() for i in self.selectionModel().selectedIndexes())
        return [self.model().index(r, 0).data(ItemIdRole) for r in rows]

    def select_ids(self, item_ids) -> None:
        """Select the given items (those shown) and show the first."""
        model: GridModel = self.model()  # type: ignore[assignment]  # the grid shows a GridModel
        selection = QItemSelection()
        for item_id in item_ids:
            row = model.row_of(item_id)
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
