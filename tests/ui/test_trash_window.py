"""Deleting items in the window: Delete moves the selection to the trash, Ctrl+Z brings it
back, and the trash dialog restores or empties."""
from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from tests.ui.helpers import wait_idle

pytestmark = pytest.mark.backends("sqlite", "postgresql")


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


def test_one_photo_of_an_item_is_deleted_from_the_detail_pane_and_restored(stocked, library, qtbot):
    """An item with two photos shows a strip; "Delete photo" trashes the one on show (the item
    stays, its thumbnail follows its new first photo); Ctrl+Z and the trash bring it back."""
    from app.services.ops import Changes

    window, ids = stocked
    library.db.execute("UPDATE photos SET item_id = ?, position = 1 WHERE item_id = ?", [ids[0], ids[5]])
    library.db.execute("DELETE FROM items WHERE id = ?", [ids[5]])
    library.db.conn.commit()
    window.session.announce(Changes(item_set=True))
    wait_idle(qtbot, window)
    first, second = library.items.photos(ids[0])
    window.grid.select_ids([ids[0]])
    detail = window.detail
    qtbot.waitUntil(lambda: detail.strip.count() == 2)
    assert detail.strip.isVisibleTo(detail) and detail.delete_photo_button.isEnabled()
    detail.strip.setCurrentRow(1)
    qtbot.waitUntil(lambda: (detail.preview.path or "").endswith(second.path.rsplit("/", 1)[-1]))
    detail.delete_photo_button.click()
    wait_idle(qtbot, window)
    assert [p.id for p in library.items.photos(ids[0])] == [first.id]
    assert library.items.ids() == ids[:5]  # the item stays
    qtbot.waitUntil(lambda: detail.strip.count() == 1)
    assert not detail.strip.isVisibleTo(detail)
    assert window.actions.undo.text().startswith("&Undo Move photo 2 of ")
    window.actions.undo.trigger()
    wait_idle(qtbot, window)
    assert [p.id for p in library.items.photos(ids[0])] == [first.id, second.id]
    window.actions.redo.trigger()
    wait_idle(qtbot, window)
    dialog = window.show_trash()
    qtbot.waitUntil(lambda: dialog.list.topLevelItemCount() == 1)
    row = dialog.list.topLevelItem(0)
    assert row.text(0) == f"Photo 2 of {library.items.get(ids[0]).accession}"
    row.setSelected(True)
    dialog.restore_selected()
    wait_idle(qtbot, window)
    qtbot.waitUntil(lambda: dialog.list.topLevelItemCount() == 0)
    assert [p.id for p in library.items.photos(ids[0])] == [first.id, second.id]
