"""Browsing: the facet tree filters the grid (AND across facets, OR within one), counts
follow tagging, the grid fetches lazily, and the detail pane shows and edits an item."""
from __future__ import annotations

from PySide6.QtCore import QPoint, QPointF, QRect, Qt
from PySide6.QtGui import QWheelEvent

from app.services.ops import Changes
from app.ui.grid_model import ItemIdRole
from app.ui.label_models import rows_by_label
from tests.ui.helpers import wait_idle


def grid_ids(window) -> list[int]:
    model = window.grid_model
    return [model.item_id(r) for r in range(model.rowCount())]


def bare_items(library, prefix: str, n: int) -> None:
    """``n`` items with an accession and a title only, written at once."""
    conn = library.db.conn
    conn.execute("BEGIN")
    conn.executemany("INSERT INTO items (accession, title, description, metadata, created, modified) "
                     "VALUES (?, ?, '', '{}', '', '')", [(f"{prefix}{i:05d}", f"t{i}") for i in range(n)])
    conn.execute("COMMIT")


def tick(window, qtbot, label_id, state=Qt.Checked):
    rows_by_label(window.facets.model)[label_id].setCheckState(state)
    wait_idle(qtbot, window)


def test_facet_filters_combine_and_across_or_within(stocked, library, qtbot):
    window, ids = stocked
    library.labels.tag([ids[0]], ["dragon", "qing"])
    library.labels.tag([ids[1]], ["phoenix", "qing"])
    library.labels.tag([ids[2]], ["dragon", "ming"])
    library.labels.tag([ids[3]], ["cloud"])
    window.session.announce(Changes(tags=True))  # as a tagging op would
    wait_idle(qtbot, window)
    dragon = rows_by_label(window.facets.model)["dragon"]
    assert dragon.text() == "Dragon · 龙 (2)"
    tick(window, qtbot, "dragon")
    assert grid_ids(window) == [ids[0], ids[2]]
    tick(window, qtbot, "phoenix")
    assert grid_ids(window) == ids[:3]  # OR within the motif facet
    tick(window, qtbot, "qing")
    assert grid_ids(window) == ids[:2]  # AND with the era facet
    assert "3 label filters" in window.filter_bar.text()
    tick(window, qtbot, "animal")        # a parent admits every child
    tick(window, qtbot, "dragon", Qt.Unchecked)
    tick(window, qtbot, "phoenix", Qt.Unchecked)
    assert grid_ids(window) == ids[:2]
    window.actions.clear_filters.trigger()
    wait_idle(qtbot, window)
    assert grid_ids(window) == ids


def test_counts_follow_tagging(stocked, library, qtbot):
    window, ids = stocked
    window.grid.select_ids(ids[:3])
    qtbot.waitUntil(lambda: window.detail.tags.item_ids == ids[:3])
    wait_idle(qtbot, window)
    rows_by_label(window.detail.tags.model)["peony"].setCheckState(Qt.Checked)
    wait_idle(qtbot, window)
    qtbot.waitUntil(lambda: rows_by_label(window.facets.model)["peony"].text().endswith("(3)"))
    assert rows_by_label(window.facets.model)["plant"].text().endswith("(3)")


def count_of(window, label_id) -> str:
    return rows_by_label(window.facets.model)[label_id].text().rsplit("(", 1)[-1].rstrip(")")


def test_counts_follow_the_filter_and_the_collection(stocked, library, qtbot):
    """Counts say how many items a tick would show: other facets' ticks and the collection
    narrow them; a facet's own ticks do not (they add up, OR)."""
    window, ids = stocked
    library.labels.tag(ids[:4], ["dragon"])
    library.labels.tag(ids[2:], ["phoenix"])
    library.labels.tag(ids[:2], ["qing"])
    library.labels.tag(ids[2:3], ["ming"])
    window.facets.reload()
    qtbot.waitUntil(lambda: count_of(window, "dragon") == "4" and count_of(window, "qing") == "2")
    tick(window, qtbot, "qing")
    qtbot.waitUntil(lambda: count_of(window, "dragon") == "2")  # Qing items with a dragon
    assert count_of(window, "phoenix") == "0"
    assert count_of(window, "ming") == "1"  # same facet as Qing: ticking it would add one
    tick(window, qtbot, "qing", Qt.Unchecked)
    qtbot.waitUntil(lambda: count_of(window, "dragon") == "4")
    library.collections.create("Three")
    library.collections.add("Three", ids[3:])
    window.collections.reload()
    wait_idle(qtbot, window)
    window._collection_changed(library.collections.get("Three").id)
    qtbot.waitUntil(lambda: count_of(window, "dragon") == "1" and count_of(window, "phoenix") == "3")
    window._collection_changed(None)
    qtbot.waitUntil(lambda: count_of(window, "phoenix") == "4")


def test_the_grid_has_every_row_at_once_and_loads_records_a_page_at_a_time(library, open_window, qtbot):
    bare_items(library, "A", 4500)
    window = open_window(library)
    model, grid = window.grid_model, window.grid
    qtbot.waitUntil(lambda: model.total == 4500)
    assert model.rowCount() == 4500  # no batches to fetch: the scroll bar spans the library at once
    cell = grid.gridSize()
    lines = -(-4500 // (grid.viewport().width() // cell.width()))
    assert grid.verticalScrollBar().maximum() == lines * cell.height() - grid.viewport().height()
    assert model.index(0).data() in ("…", "A00000")  # records load a page at a time
    qtbot.waitUntil(lambda: model.index(0).data() == "A00000")
    assert model.record(model.item_id(4000)) is None  # far pages stay unloaded
    grid.scrollToBottom()
    qtbot.waitUntil(lambda: model.record(model.item_id(4499)) is not None)  # painted, so loaded


def test_the_grid_keeps_the_records_of_the_last_pages_only_and_loads_a_page_again(library, open_window, qtbot,
                                                                                   monkeypatch):
    from app.ui.grid_model import GridModel

    monkeypatch.setattr(GridModel, "MAX_PAGES", 3)
    bare_items(library, "A", 4500)
    window = open_window(library)
    model, grid = window.grid_model, window.grid
    qtbot.waitUntil(lambda: model.total == 4500)
    qtbot.waitUntil(lambda: model.index(0).data() == "A00000")
    bar = grid.verticalScrollBar()
    for step in range(1, 9):  # down the library, a page or more at a time
        bar.setValue(bar.maximum() * step // 8)
        row = grid.indexAt(grid.viewport().rect().center()).row()
        qtbot.waitUntil(lambda row=row: model.index(row).data() == f"A{row:05d}")
    pages = {model.row_of(item_id) // model.PAGE for item_id in model._records}
    assert len(pages) <= 3 and len(model._records) <= 3 * model.PAGE
    assert model.record(model.item_id(0)) is None  # the first page's records were let go
    assert model.record(model.item_id(4499)) is not None  # the page on show keeps its own
    bar.setValue(0)  # painted again, so loaded again
    qtbot.waitUntil(lambda: model.index(0).data() == "A00000")


def test_the_grid_paints_from_cell_what_data_gives_role_by_role(stocked, qtbot):
    from app.ui.grid_model import ThumbStateRole

    window, _ids = stocked
    model = window.grid_model
    rows = list(window.grid._visible_rows())
    qtbot.waitUntil(lambda: all(model.record(model.item_id(r)) is not None for r in rows))
    for row in rows:
        text, pixmap, state = model.cell(row)
        index = model.index(row)
        assert text == index.data(Qt.DisplayRole)
        shown = index.data(Qt.DecorationRole)
        if pixmap is None:
            assert shown is None and state == index.data(ThumbStateRole) and state in ("loading", "none")
        else:
            assert shown is not None and shown.cacheKey() == pixmap.cacheKey() and state is None


def test_page_loads_the_grid_has_scrolled_past_are_skipped(library, open_window, qtbot):
    import threading

    bare_items(library, "A", 6000)
    window = open_window(library)
    model = window.grid_model
    qtbot.waitUntil(lambda: model.total == 6000)
    qtbot.waitUntil(lambda: model.index(0).data() == "A00000")
    wait_idle(qtbot, window)
    shown = {row // model.PAGE for row in window.grid._visible_rows()}
    gate = threading.Event()
    model.queue.submit(lambda lib: gate.wait(10))  # the library thread is busy meanwhile
    for page in range(10, 30):  # a fling asks 20 pages, each a few frames after the last
        model.index(page * model.PAGE).data()
    gate.set()
    wait_idle(qtbot, window)
    loaded = {model.row_of(item_id) // model.PAGE for item_id in model._records}
    # the last STALE_ASKS + 1 asked were read, the 11 asked before them skipped
    assert loaded == shown | set(range(30 - model.STALE_ASKS - 1, 30))
    assert not {10, 11, 20} & model._pages_asked  # skipped pages can be asked again
    model.index(10 * model.PAGE).data()
    qtbot.waitUntil(lambda: model.index(10 * model.PAGE).data() == f"A{10 * model.PAGE:05d}")


def test_detail_pane_edits_title_and_description_with_undo(stocked, library, qtbot):
    window, ids = stocked
    window.grid.select_ids([ids[1]])
    detail = window.detail
    qtbot.waitUntil(lambda: detail.detail is not None and detail.detail.item_id == ids[1])
    assert detail.heading.text() == library.items.get(ids[1]).accession
    detail.title_edit.setText("Dragon robe 龙袍")
    detail.title_edit.editingFinished.emit()
    detail.description_edit.setPlainText("Yellow satin with five-clawed dragons.")
    detail.description_edit.editingFinished.emit()
    wait_idle(qtbot, window)
    item = library.items.get(ids[1])
    assert (item.title, item.description) == ("Dragon robe 龙袍", "Yellow satin with five-clawed dragons.")
    qtbot.waitUntil(lambda: window.grid_model.index(1).data(Qt.ToolTipRole) == "Dragon robe 龙袍")
    window.actions.undo.trigger()
    wait_idle(qtbot, window)
    assert library.items.get(ids[1]).description == ""
    qtbot.waitUntil(lambda: detail.description_edit.toPlainText() == "")
    window.actions.undo.trigger()
    wait_idle(qtbot, window)
    assert library.items.get(ids[1]).title == ""
    window.actions.redo.trigger()
    wait_idle(qtbot, window)
    assert library.items.get(ids[1]).title == "Dragon robe 龙袍"
    qtbot.waitUntil(lambda: detail.title_edit.text() == "Dragon robe 龙袍")


def test_preview_zooms_with_the_wheel_and_emits_a_crop_region(stocked, qtbot):
    window, ids = stocked
    window.grid.select_ids([ids[0]])
    preview = window.detail.preview
    with qtbot.waitSignal(preview.loaded, timeout=10_000):
        pass
    assert preview.path is not None
    before = preview.zoom_factor()
    wheel = QWheelEvent(QPointF(50, 50), QPointF(50, 50), QPoint(0, 0), QPoint(0, 240),
                        Qt.NoButton, Qt.NoModifier, Qt.NoScrollPhase, False)
    preview.wheelEvent(wheel)
    assert preview.zoom_factor() > before * 1.3
    preview.fit()
    centre = preview.mapFromScene(preview.item.boundingRect().center())
    with qtbot.waitSignal(preview.regionSelected) as region:
        preview.select_view_rect(QRect(centre.x() - 20, centre.y() - 20, 40, 40))
    x, y, w, h = region.args
    assert 0 <= x < 96 and 0 <= y < 72 and 0 < w <= 96 and 0 < h <= 72


def test_the_detail_pane_follows_the_grid_when_a_filter_removes_the_selection(stocked, library, qtbot):
    """Switching to a collection that lacks the selected items empties the selection; the
    detail pane must say so instead of still showing them (seen in a trial)."""
    window, ids = stocked
    library.collections.create("Two")
    library.collections.add("Two", ids[4:])
    window.collections.reload()
    wait_idle(qtbot, window)
    window.grid.select_ids(ids[:2])
    qtbot.waitUntil(lambda: window.detail.item_ids == ids[:2])
    coll = library.collections.get("Two").id
    window._collection_changed(coll)
    qtbot.waitUntil(lambda: grid_ids(window) == ids[4:])
    qtbot.waitUntil(lambda: window.detail.item_ids == [], timeout=3000)
    assert window.detail.heading.text() == "No item selected"


def test_the_detail_pane_names_labels_in_the_language_just_chosen(stocked, library, qtbot):
    """A trial saw the pane keep English label names after switching to Chinese."""
    window, ids = stocked
    library.labels.tag([ids[0]], ["dragon"])
    window.grid.select_ids([ids[0]])
    detail = window.detail
    qtbot.waitUntil(lambda: detail.detail is not None and "Dragon" in detail.labels_label.text())
    window.actions.languages["zh_CN"].trigger()
    qtbot.waitUntil(lambda: "龙" in detail.labels_label.text())
    assert "Dragon" not in detail.labels_label.text()
    window.actions.languages["en"].trigger()
    qtbot.waitUntil(lambda: "Dragon" in detail.labels_label.text())


def test_a_museum_record_is_readable_without_scrolling_inside_small_boxes(stocked, library, qtbot):
    window, ids = stocked
    description = "\n".join(f"Line {i}: satin ground, couched gold dragons, sea-wave hem." for i in range(10))
    metadata = {f"field {i}": f"value {i}" for i in range(7)}
    library.items.update(ids[0], description=description, metadata=metadata)
    window.grid.select_ids([ids[0]])
    detail = window.detail
    qtbot.waitUntil(lambda: detail.detail is not None and detail.detail.description == description)
    qtbot.waitUntil(lambda: detail.metadata_table.rowCount() == 7)
    line = detail.description_edit.fontMetrics().lineSpacing()
    assert detail.description_edit.height() >= 10 * line  # grew with its ten lines
    assert detail.metadata_table.verticalScrollBar().maximum() == 0  # every field on show
    assert detail.record.widgetResizable()  # the record scrolls as a whole


def test_the_grid_sorts_and_resizes_its_thumbnails_and_remembers_both(stocked, library, open_window, qtbot):
    window, ids = stocked
    titles = ["Robe", "", "apron", "Collar", "", "belt"]
    for item_id, title in zip(ids, titles):
        library.items.update(item_id, title=title, metadata={"date": f"c. {1900 - item_id * 10}"})
    window.actions.orders["title"].trigger()
    qtbot.waitUntil(lambda: grid_ids(window) == [ids[2], ids[5], ids[3], ids[0], ids[1], ids[4]])  # untitled last
    window.actions.orders["date"].trigger()
    qtbot.waitUntil(lambda: grid_ids(window) == ids[::-1])  # the sheet's date column, earliest first
    window.actions.orders["imported"].trigger()
    qtbot.waitUntil(lambda: grid_ids(window) == sorted(ids))
    for row in range(len(ids)):
        window.grid_model.index(row).data(Qt.DecorationRole)
    qtbot.waitUntil(lambda: len(window.grid_model.pixmaps) == len(ids), timeout=10_000)
    small = window.grid.gridSize().width()
    window.actions.sides[240].trigger()
    assert window.grid.gridSize().width() > max(240, small) and window.loader.side == 240
    assert len(window.grid_model.pixmaps) == 0  # read again at the new size
    qtbot.waitUntil(lambda: len(window.grid_model.pixmaps) > 0, timeout=10_000)
    window.close()
    again = open_window(library)  # a new window keeps both choices
    assert again.grid_model.order == "imported" and again.loader.side == 240
    assert again.actions.orders["imported"].isChecked() and again.actions.sides[240].isChecked()


def test_ctrl_z_in_the_facet_filter_undoes_the_last_edit_not_the_typed_text(stocked, library, qtbot):
    from PySide6.QtTest import QTest

    window, ids = stocked
    window.show()
    window.grid.select_ids(ids[:1])
    qtbot.waitUntil(lambda: window.detail.item_ids == ids[:1])
    window.detail.tag(ids[:1], "phoenix")
    qtbot.waitUntil(lambda: "phoenix" in library.labels.labels_of(ids[0]))
    window.facets.filter_edit.setFocus()
    QTest.keyClicks(window.facets.filter_edit, "dra")
    QTest.keyClick(window.facets.filter_edit, Qt.Key_Z, Qt.ControlModifier)
    qtbot.waitUntil(lambda: "phoenix" not in library.labels.labels_of(ids[0]))
    assert window.facets.filter_edit.text() == "dra"


def test_a_batch_edit_gives_the_selection_one_title_and_field_in_one_undo_step(stocked, library, qtbot):
    window, ids = stocked
    library.items.update(ids[0], metadata={"date": "c. 1880"})
    window.grid.select_ids(ids[:3])
    qtbot.waitUntil(lambda: window.grid.selected_ids() == ids[:3])
    window.actions.batch_edit.trigger()
    dialog = window.batch_edit_dialog
    qtbot.waitUntil(lambda: dialog.field.findText("date") >= 0)  # the fields the items use are offered
    from PySide6.QtTest import QTest

    QTest.keyClicks(dialog.title, "Surcoat")  # (QTest types Latin-1 only)
    assert dialog.set_title.isChecked()  # typing a title ticks it
    dialog.title.setText("Surcoat 褂")
    dialog.field.setEditText("donor")
    dialog.value.setText("Mrs. Helen Wu")
    dialog.buttons.button(dialog.buttons.StandardButton.Ok).click()
    wait_idle(qtbot, window)
    for item_id in ids[:3]:
        item = library.items.get(item_id)
        assert item.title == "Surcoat 褂" and item.metadata["donor"] == "Mrs. Helen Wu"
    assert library.items.get(ids[0]).metadata["date"] == "c. 1880"  # other fields stay
    assert library.items.get(ids[3]).title == ""
    assert window.session.undo.undoText() == "Edit 3 items"
    window.actions.undo.trigger()
    wait_idle(qtbot, window)
    assert all(library.items.get(i).title == "" and "donor" not in library.items.get(i).metadata for i in ids[:3])


def test_the_table_view_shows_the_grids_items_as_rows_with_columns(stocked, library, qtbot):
    """View ▸ As a table: the same items in the same order, with accession, title, date, labels,
    photo count; a selection there is the window's selection; a heading click sorts."""
    from app.services.ops import EditItems
    from app.ui.table_view import COLUMNS

    window, ids = stocked
    library.labels.tag([ids[1]], ["dragon"])
    EditItems([ids[1]], title="Dragon robe", metadata={"date": "1820"}).run(library)
    window.session.announce(Changes(item_set=True, tags=True))
    wait_idle(qtbot, window)
    window.actions.as_table.trigger()
    assert window.views.currentWidget() is window.table and window.actions.as_table.isChecked()
    model = window.table.model()
    assert model.rowCount() == len(ids)
    assert [model.headerData(i, Qt.Horizontal) for i in range(len(COLUMNS))] == [
        "Accession number", "Title", "Date", "Labels", "Photos", "Modified"]
    row = grid_ids(window).index(ids[1])

    def cells():
        return [model.index(row, c).data() for c in range(len(COLUMNS))]
    qtbot.waitUntil(lambda: cells()[1] == "Dragon robe")
    accession, title, date, labels, photos, modified = cells()
    assert (date, labels, photos) == ("1820", "Dragon", "1")  # the leaf label, not its implied parent
    item = library.items.get(ids[1])
    assert accession == item.accession and modified == item.modified[:16].replace("T", " ")
    window.table.selectRow(row)
    qtbot.waitUntil(lambda: window.detail.tags.item_ids == [ids[1]])
    assert window.grid.selected_ids() == [ids[1]]
    window.table.horizontalHeader().sectionClicked.emit(COLUMNS.index("title"))
    wait_idle(qtbot, window)
    assert window.grid_model.order == "title" and window.actions.orders["title"].isChecked()
    assert grid_ids(window)[0] == ids[1]  # the only titled item comes first
    window.actions.as_table.trigger()
    assert window.views.currentWidget() is window.grid


def test_a_reload_keeps_the_grids_place_and_a_new_list_starts_at_the_top(library, open_window, qtbot):
    bare_items(library, "B", 3000)
    window = open_window(library)
    model, grid = window.grid_model, window.grid
    qtbot.waitUntil(lambda: model.total == 3000)
    far = model.index(2000)
    grid.scrollTo(far, grid.ScrollHint.PositionAtTop)
    first = grid.indexAt(grid.visualRect(far).center()).data(ItemIdRole)
    model.reload()  # an edit or an import elsewhere: the same list again
    qtbot.waitUntil(lambda: grid.verticalScrollBar().value() > 0 and grid.indexAt(
        grid.visualRect(model.index(model.row_of(first))).center()).isValid())
    assert grid.viewport().rect().contains(grid.visualRect(model.index(model.row_of(first))))
    model.show_ids(model._ids[2990:])  # search results, ten of them: the best first, at the top
    qtbot.waitUntil(lambda: model.total == 10)
    assert grid.verticalScrollBar().value() == 0
    assert grid.indexAt(grid.visualRect(model.index(0)).center()).row() == 0
