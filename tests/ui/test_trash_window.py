"""Deleting items in the window: Delete moves the selection to the trash, Ctrl+Z brings it
back, and the trash dialog restores or empties."""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from tests.ui.helpers import wait_idle


def test_delete_then_undo_then_restore_and_empty_from_the_trash(stocked, library, qtbot):
    window, ids = stocked
    window.show()
    window.grid.select_ids(ids[:2])
    window.grid.setFocus()
    QTest.keyClick(window.grid, Qt.Key.Key_Delete)
    wait_idle(qtbot, window)
    assert library.items.ids() == ids[2:] and window.grid_model.rowCount() == len(ids) - 2
    assert "moved to the trash" in window.statusBar().currentMessage()
    assert window.actions.undo.text().startswith("&Undo Move 2 items to the trash")

    window.actions.undo.trigger()
    wait_idle(qtbot, window)
    assert library.items.ids() == ids and window.grid_model.rowCount() == len(ids)

    window.delete_selection(ids[3:5])
    wait_idle(qtbot, window)
    dialog = window.show_trash()
    qtbot.waitUntil(lambda: dialog.list.topLevelItemCount() == 2)
    assert not dialog.restore_button.isEnabled()
    dialog.list.topLevelItem(0).setSelected(True)
    restored = dialog.selected_ids()
    dialog.restore_selected()
    wait_idle(qtbot, window)
    qtbot.waitUntil(lambda: dialog.list.topLevelItemCount() == 1)
    assert set(restored) <= set(library.items.ids())
    dialog.empty(confirm=False)
    wait_idle(qtbot, window)
    qtbot.waitUntil(lambda: dialog.list.topLevelItemCount() == 0)
    assert library.trash.count() == 0 and library.items.count() == len(ids) - 1
    assert "Trash emptied: 1 item" in window.statusBar().currentMessage()
