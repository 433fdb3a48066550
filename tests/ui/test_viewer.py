"""The full-size viewer: double-click or Space on the grid opens an item's photo at full
size, two selected items open side by side, and the zoom keys work on both."""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from tests.ui.helpers import wait_idle


def test_space_on_the_grid_opens_the_photo_fitted_and_space_closes_it(stocked, library, qtbot):
    window, ids = stocked
    window.grid.select_ids([ids[1]])
    window.grid.setFocus()
    QTest.keyClick(window.grid, Qt.Key.Key_Space)
    viewer = window.viewer
    [side] = viewer.sides
    qtbot.waitUntil(lambda: side.preview.path is not None)
    assert side.caption.text().startswith(library.items.get(ids[1]).accession)
    photo = side.preview.item.pixmap()
    shown = side.preview.mapFromScene(side.preview.item.sceneBoundingRect()).boundingRect()
    view = side.preview.viewport().rect()
    assert shown.width() <= view.width() + 2 and shown.height() <= view.height() + 2  # fitted
    assert shown.width() >= view.width() - 4 or shown.height() >= view.height() - 4  # and filling it
    QTest.keyClick(viewer, Qt.Key.Key_1)  # actual pixels: 96 x 72 photo, one screen pixel each
    assert round(side.preview.zoom_factor() * photo.width()) == 96
    QTest.keyClick(viewer, Qt.Key.Key_0)
    assert side.preview.fitted
    QTest.keyClick(viewer, Qt.Key.Key_Space)
    assert not viewer.isVisible()


def test_two_selected_items_are_compared_side_by_side_and_zoom_together(stocked, library, qtbot):
    window, ids = stocked
    window.grid.select_ids(ids[2:4])
    window.actions.view_photo.trigger()
    viewer = window.viewer
    qtbot.waitUntil(lambda: all(side.preview.path is not None for side in viewer.sides))
    assert [side.caption.text().split()[0] for side in viewer.sides] == \
        [library.items.get(i).accession for i in ids[2:4]]
    before = [p.zoom_factor() for p in viewer.previews()]
    QTest.keyClick(viewer, Qt.Key.Key_Plus)
    after = [p.zoom_factor() for p in viewer.previews()]
    assert all(a > b for a, b in zip(after, before))  # both sides zoomed
    viewer.close()
    wait_idle(qtbot, window)


def test_double_click_opens_the_viewer(stocked, qtbot):
    window, ids = stocked
    index = window.grid_model.index(0)
    rect = window.grid.visualRect(index)
    QTest.mouseClick(window.grid.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    QTest.mouseDClick(window.grid.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())  # as a mouse does
    qtbot.waitUntil(lambda: hasattr(window, "viewer") and window.viewer.item_ids == [ids[0]])
