"""Curating collections from the sidebar: create, fill by drag from the grid or by the
context menu, filter the grid by one, remove items, rename, delete."""
from __future__ import annotations

import pytest
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QDropEvent
from PySide6.QtWidgets import QMessageBox

from app.ui.collections_panel import CollectionIdRole
from tests.ui.helpers import wait_idle

pytestmark = pytest.mark.backends("sqlite", "postgresql")


def row_of(panel, coll_id):
    for i in range(panel.list.count()):
        if panel.list.item(i).data(CollectionIdRole) == coll_id:
            return panel.list.item(i)
    return None


def drop_on_collection(panel, coll_id, mime) -> None:
    """Drop mime data (a drag from the grid) onto a collection's row."""
    rect = panel.list.visualItemRect(row_of(panel, coll_id))
    event = QDropEvent(QPointF(rect.center()), Qt.CopyAction, mime, Qt.LeftButton, Qt.NoModifier)
    panel.list.dropEvent(event)
    assert event.isAccepted()


def test_collection_lifecycle(stocked, library, qtbot, monkeypatch):
    window, ids = stocked
    panel = window.collections
    panel.create_collection("Dragon robes")
    wait_idle(qtbot, window)
    coll = library.collections.get("Dragon robes")
    assert row_of(panel, coll.id).text() == "Dragon robes (0)"

    # drag three items from the grid onto the collection
    indexes = [window.grid_model.index(r) for r in range(3)]
    drop_on_collection(panel, coll.id, window.grid_model.mimeData(indexes))
    wait_idle(qtbot, window)
    assert library.collections.members(coll.id) == ids[:3]
    assert row_of(panel, coll.id).text() == "Dragon robes (3)"

    # the context menu adds the selection too
    window.grid.select_ids([ids[4]])
    menu = window.build_grid_menu([ids[4]])
    add_menu = menu.actions()[0].menu()
    next(a for a in add_menu.actions() if a.text() == "Dragon robes").trigger()
    wait_idle(qtbot, window)
    assert library.collections.members(coll.id) == [*ids[:3], ids[4]]

    # clicking the collection filters the grid; removing from it updates the grid
    panel.list.setCurrentItem(row_of(panel, coll.id))
    wait_idle(qtbot, window)
    assert [window.grid_model.item_id(r) for r in range(window.grid_model.rowCount())] == [*ids[:3], ids[4]]
    assert "collection: Dragon robes" in window.filter_bar.text()
    window.grid.select_ids([ids[0]])
    window.actions.remove_from_collection.trigger()
    wait_idle(qtbot, window)
    assert library.collections.members(coll.id) == [ids[1], ids[2], ids[4]]
    assert window.grid_model.rowCount() == 3

    panel.rename_collection(coll.id, "Imperial robes")
    wait_idle(qtbot, window)
    assert library.collections.get(coll.id).name == "Imperial robes"
    assert row_of(panel, coll.id).text() == "Imperial robes (3)"

    monkeypatch.setattr("app.ui.collections_panel.QMessageBox.question",
                        lambda *args, **kw: QMessageBox.Yes)
    panel.delete_button.click()  # the current collection, after a confirmation
    wait_idle(qtbot, window)
    assert library.collections.list() == []
    assert panel.current is None
    assert window.grid_model.rowCount() == len(ids)  # back to all items
    assert library.items.count() == len(ids)         # items stay in the library


def test_duplicate_name_is_reported_not_raised(stocked, library, qtbot):
    window, _ = stocked
    window.collections.create_collection("Hats")
    window.collections.create_collection("Hats")
    wait_idle(qtbot, window)
    assert "already exists" in window.statusBar().currentMessage()
    assert len(library.collections.list()) == 1


def test_new_collection_shortcut_fills_it_with_the_selection(stocked, library, qtbot, monkeypatch):
    window, ids = stocked
    monkeypatch.setattr("app.ui.collections_panel.QInputDialog.getText",
                        lambda *args, **kw: ("Exhibition 2025", True))
    window.grid.select_ids(ids[2:4])
    assert window.actions.new_collection.shortcut().toString() == "Ctrl+Shift+N"
    window.actions.new_collection.trigger()
    wait_idle(qtbot, window)
    assert library.collections.members("Exhibition 2025") == ids[2:4]


def test_every_collection_edit_is_undone_and_redone_from_the_edit_menu(stocked, library, qtbot, monkeypatch):
    window, ids = stocked
    panel, stack = window.collections, window.session.undo
    monkeypatch.setattr("app.ui.collections_panel.QMessageBox.question", lambda *args, **kw: QMessageBox.Yes)
    panel.create_collection("Dragon robes", item_ids=ids[:2])
    wait_idle(qtbot, window)
    coll = library.collections.get("Dragon robes").id
    panel.add_items(coll, ids[2:4])
    wait_idle(qtbot, window)
    panel.remove_items(coll, [ids[0]])
    wait_idle(qtbot, window)
    panel.rename_collection(coll, "Imperial robes")
    wait_idle(qtbot, window)
    panel.delete_collection(coll)
    wait_idle(qtbot, window)
    assert library.collections.list() == []
    assert stack.undoText() == "Delete collection Imperial robes"

    states = []  # (name, members) after each undo, newest edit first
    for _ in range(5):
        window.actions.undo.trigger()
        wait_idle(qtbot, window)
        found = library.collections.list()
        states.append((found[0].name, library.collections.members(found[0].id)) if found else None)
    assert states == [("Imperial robes", [ids[1], ids[2], ids[3]]), ("Dragon robes", [ids[1], ids[2], ids[3]]),
                      ("Dragon robes", ids[:4]), ("Dragon robes", ids[:2]), None]
    assert panel.list.count() == 1  # the sidebar followed: only "All items" is left

    for _ in range(5):
        window.actions.redo.trigger()
        wait_idle(qtbot, window)
    assert library.collections.list() == []
    window.actions.undo.trigger()
    wait_idle(qtbot, window)
    assert row_of(panel, coll).text() == "Imperial robes (3)"


def test_an_exhibition_list_keeps_its_own_order_and_description(stocked, library, qtbot):
    from tests.ui.helpers import wait_idle

    window, ids = stocked
    window.collections.create_collection("Loan 2027", item_ids=ids[:3])
    wait_idle(qtbot, window)
    coll = library.collections.get("Loan 2027").id
    window._collection_changed(coll)
    window.place_in_collection([ids[2]], "start")
    wait_idle(qtbot, window)
    assert window.grid_model.order == "collection" and window.actions.orders["collection"].isChecked()

    def grid() -> list[int]:
        return [window.grid_model.item_id(r) for r in range(window.grid_model.rowCount())]

    qtbot.waitUntil(lambda: grid() == [ids[2], ids[0], ids[1]])
    window.actions.undo.trigger()
    qtbot.waitUntil(lambda: grid() == ids[:3])
    window.collections.describe_collection(coll, "Silk robes for the 2027 loan to Suzhou")
    wait_idle(qtbot, window)
    assert library.collections.get(coll).description == "Silk robes for the 2027 loan to Suzhou"
    qtbot.waitUntil(lambda: any(window.collections.list.item(r).toolTip().startswith("Silk robes")
                                for r in range(window.collections.list.count())))
    menu_texts = [a.text() for a in window.build_grid_menu(ids[:1]).actions()]
    assert "Place in this collection's order" in menu_texts
