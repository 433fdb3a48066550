"""The grid view lays cells out by arithmetic: where each cell is, which one a point hits, keys,
clicks and rubber bands, scrolling, resizing, and a million rows with no layout pass."""
from __future__ import annotations

import pytest
from PySide6.QtCore import QAbstractListModel, QItemSelection, QItemSelectionModel, QPoint, QRect, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QAbstractItemView

from app.ui.grid_view import GridView

Move = QAbstractItemView.CursorAction


class Rows(QAbstractListModel):
    """``count`` rows named by number; remembers which rows were asked for their text."""

    def __init__(self, count: int):
        super().__init__()
        self.count = count
        self.asked: set[int] = set()

    def rowCount(self, parent=None) -> int:
        return 0 if parent is not None and parent.isValid() else self.count

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if role in (0, Qt.ItemDataRole.DisplayRole):  # Qt passes the role as a plain int
            self.asked.add(index.row())
            return f"R{index.row()}"
        return None


@pytest.fixture
def grid(qtbot):
    def make(count: int, columns: int = 4, lines: float = 3.5) -> GridView:
        view = GridView(96)
        qtbot.addWidget(view)
        view.rows = Rows(count)  # held here: the view does not own its model
        view.setModel(view.rows)
        cell = view.gridSize()
        frame = 2 * view.frameWidth() + view.verticalScrollBar().sizeHint().width()
        view.resize(columns * cell.width() + frame + cell.width() // 2, int(lines * cell.height()) + 2 * view.frameWidth())
        view.show()
        qtbot.waitExposed(view)
        assert view.columns() == columns
        return view
    return make


def row_at(view: GridView, row: int) -> int:
    return view.indexAt(view.visualRect(view.model().index(row, 0)).center()).row()


def test_cells_sit_in_reading_order_and_points_find_them(grid):
    view = grid(10)
    cell = view.gridSize()
    for row in range(10):
        rect = view.visualRect(view.model().index(row, 0))
        line, column = divmod(row, 4)
        assert rect.topLeft() == QPoint(column * cell.width() + 2, line * cell.height() + 2)
        assert row_at(view, row) == row
    beyond_columns = QPoint(4 * cell.width() + 3, 5)
    after_last = QPoint(3 * cell.width() - 5, 2 * cell.height() + 5)  # line 2 holds rows 8 and 9 only
    assert not view.indexAt(beyond_columns).isValid() and not view.indexAt(after_last).isValid()


def test_the_scroll_range_spans_every_line_and_scroll_to_shows_a_far_row(grid):
    view = grid(1001)
    cell, height = view.gridSize(), view.viewport().height()
    bar = view.verticalScrollBar()
    assert bar.maximum() == 251 * cell.height() - height  # 1001 rows in lines of 4
    far = view.model().index(900, 0)
    view.scrollTo(far)
    assert view.viewport().rect().contains(view.visualRect(far))
    view.scrollTo(view.model().index(500, 0), QAbstractItemView.ScrollHint.PositionAtTop)
    assert view.visualRect(view.model().index(500, 0)).top() == 2 and bar.value() == 125 * cell.height()
    view.scrollTo(view.model().index(3, 0))
    assert bar.value() == 0


def test_arrow_keys_page_keys_home_and_end_move_through_the_grid(grid):
    view = grid(50)
    view.setFocus()
    view.setCurrentIndex(view.model().index(0, 0))
    steps = [(Qt.Key.Key_Right, 1), (Qt.Key.Key_Down, 5), (Qt.Key.Key_Left, 4), (Qt.Key.Key_Up, 0),
             (Qt.Key.Key_Up, 0), (Qt.Key.Key_PageDown, 12), (Qt.Key.Key_End, 49), (Qt.Key.Key_Right, 49),
             (Qt.Key.Key_Down, 49), (Qt.Key.Key_Home, 0)]
    for key, expected in steps:
        QTest.keyClick(view, key)
        assert view.currentIndex().row() == expected, key
    QTest.keyClick(view, Qt.Key.Key_End)
    assert view.viewport().rect().contains(view.visualRect(view.currentIndex()))  # followed into view


def test_shift_click_and_shift_arrows_select_in_reading_order(grid):
    view = grid(40)
    model = view.model()

    def click(row, modifier=Qt.KeyboardModifier.NoModifier):
        QTest.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, modifier,
                         view.visualRect(model.index(row, 0)).center())

    def selected():
        return sorted(i.row() for i in view.selectionModel().selectedIndexes())
    click(6)  # line 1, column 2
    click(1, Qt.KeyboardModifier.ShiftModifier)  # line 0, column 1: back up and to the left
    assert selected() == [1, 2, 3, 4, 5, 6]
    click(9)
    assert selected() == [9]
    QTest.keyClick(view, Qt.Key.Key_Down, Qt.KeyboardModifier.ShiftModifier)  # 9 -> 13
    assert selected() == [9, 10, 11, 12, 13]
    click(2, Qt.KeyboardModifier.ControlModifier)
    assert selected() == [2, 9, 10, 11, 12, 13]


def test_a_rubber_band_takes_the_cells_under_it(grid):
    view = grid(40)
    cell = view.gridSize()
    view.setState(QAbstractItemView.State.DragSelectingState)
    band = QRect(QPoint(cell.width() + 10, cell.height() // 2), QPoint(2 * cell.width() + 10, 2 * cell.height() + 10))
    view.setSelection(band, QItemSelectionModel.SelectionFlag.ClearAndSelect)
    view.setState(QAbstractItemView.State.NoState)
    assert sorted(i.row() for i in view.selectionModel().selectedIndexes()) == [1, 2, 5, 6, 9, 10]
    region = view.visualRegionForSelection(view.selectionModel().selection())
    assert region.contains(view.visualRect(view.model().index(6, 0))) and not region.contains(
        view.visualRect(view.model().index(7, 0)))


def test_resizing_keeps_the_first_visible_item_in_view(grid):
    view = grid(400)
    view.scrollTo(view.model().index(201, 0), QAbstractItemView.ScrollHint.PositionAtTop)
    first = view.indexAt(QPoint(5, 5)).row()
    assert first == 200
    view.resize(view.width() + 2 * view.gridSize().width(), view.height())  # 6 columns now
    assert view.columns() == 6
    assert view.viewport().rect().contains(view.visualRect(view.model().index(200, 0)))


def test_a_million_rows_have_their_whole_range_at_once_and_paint_only_what_shows(grid, qtbot):
    view = grid(1_000_000)
    bar = view.verticalScrollBar()
    assert bar.maximum() == 250_000 * view.gridSize().height() - view.viewport().height()
    view.model().asked.clear()
    bar.setValue(bar.maximum())
    view.viewport().grab()  # paints the cells in view
    assert row_at(view, 999_999) == 999_999
    assert view.viewport().rect().contains(view.visualRect(view.model().index(999_999, 0)))
    assert view.model().asked and min(view.model().asked) > 999_900  # only the last lines were painted


def test_scrolling_the_grid_asks_background_loads_to_wait(grid, monkeypatch):
    import time

    from app.core import pacing
    monkeypatch.setattr(pacing, "_last_busy", float("-inf"))
    view = grid(400)
    view.verticalScrollBar().setValue(view.verticalScrollBar().value() + 50)
    assert time.monotonic() - pacing._last_busy < 1.0


def test_changed_rows_repaint_only_where_they_are_in_view(grid, qtbot):
    view = grid(1_000_000)
    model = view.model()
    qtbot.waitUntil(lambda: bool(model.asked))  # the first paint
    model.asked.clear()
    model.dataChanged.emit(model.index(5, 0), model.index(5, 0))
    qtbot.waitUntil(lambda: 5 in model.asked)
    assert model.asked == {5}  # that cell alone
    model.asked.clear()
    model.dataChanged.emit(model.index(500_000, 0), model.index(600_000, 0))  # nowhere in view
    model.dataChanged.emit(model.index(0, 0), model.index(999_999, 0))  # every row: the visible ones repaint
    qtbot.waitUntil(lambda: 0 in model.asked)
    assert max(model.asked) < 16  # 3.5 lines of 4 in view


def test_a_rubber_band_from_the_empty_end_of_the_last_line(grid):
    view = grid(10)  # lines of 4: the last line holds rows 8 and 9
    cell = view.gridSize()
    view.setState(QAbstractItemView.State.DragSelectingState)
    empty = QPoint(3 * cell.width() + 10, 2 * cell.height() + 10)  # line 2, column 3: no item
    view.setSelection(QRect(empty, QPoint(cell.width() + 10, cell.height() + 10)),  # up to row 5
                      QItemSelectionModel.SelectionFlag.ClearAndSelect)
    view.setState(QAbstractItemView.State.NoState)
    assert sorted(i.row() for i in view.selectionModel().selectedIndexes()) == [5, 6, 7, 9]


def test_down_onto_a_shorter_last_line_goes_to_its_last_item(grid):
    view = grid(10)
    view.setFocus()
    view.setCurrentIndex(view.model().index(7, 0))  # line 1, column 3; line 2 has columns 0-1
    QTest.keyClick(view, Qt.Key.Key_Down)
    assert view.currentIndex().row() == 9
    QTest.keyClick(view, Qt.Key.Key_Down)
    assert view.currentIndex().row() == 9  # nothing below the last line


def test_a_thumbnail_fits_its_square_as_qsize_scaled_fits_it():
    from PySide6.QtCore import QSize

    from app.ui.grid_view import fit

    for width, height in [(1, 1), (160, 120), (120, 160), (7, 300), (300, 7), (96, 96), (333, 334), (1, 999)]:
        for side in (64, 96, 160, 97):
            want = QSize(width, height).scaled(QSize(side, side), Qt.AspectRatioMode.KeepAspectRatio)
            assert fit(width, height, side) == (want.width(), want.height()), (width, height, side)


def test_selected_cells_are_painted_highlighted_and_others_not(grid):
    from PySide6.QtGui import QPalette

    view = grid(12)
    selection = view.selectionModel()
    model = view.model()
    selection.select(model.index(1, 0), QItemSelectionModel.SelectionFlag.Select)
    selection.select(model.index(5, 0), QItemSelectionModel.SelectionFlag.Select)  # a second range
    selection.select(QItemSelection(model.index(8, 0), model.index(10, 0)), QItemSelectionModel.SelectionFlag.Select)
    image = view.viewport().grab().toImage()
    highlight = view.palette().color(QPalette.ColorRole.Highlight).rgb()

    def corner(row: int) -> int:  # inside the cell, outside its thumbnail square
        return image.pixel(view.visualRect(model.index(row, 0)).topLeft() + QPoint(1, 1))

    assert all(corner(row) == highlight for row in (1, 5, 8, 9, 10))
    assert not any(corner(row) == highlight for row in (0, 2, 6, 7, 11))
