"""Tagging through the detail pane's label tree: several items at once, partial ticks,
type-ahead, undo and redo, and model suggestions accepted or rejected as one undo step."""
from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from app.ui.label_models import rows_by_label
from tests.ui.helpers import wait_idle

pytestmark = pytest.mark.backends("sqlite", "postgresql")


def select(window, qtbot, ids):
    window.grid.select_ids(ids)
    qtbot.waitUntil(lambda: window.detail.item_ids == list(ids) and window.detail.tags.item_ids == list(ids))
    wait_idle(qtbot, window)


def click_label(window, label_id, state=Qt.Checked):
    """What a click on the check box does: the model item's check state changes."""
    rows_by_label(window.detail.tags.model)[label_id].setCheckState(state)


def test_tag_two_items_then_undo_and_redo(stocked, library, qtbot):
    window, ids = stocked
    pair = ids[:2]
    select(window, qtbot, pair)
    assert window.detail.heading.text() == "2 items selected"
    click_label(window, "dragon")
    wait_idle(qtbot, window)
    for item_id in pair:
        assert {"dragon", "animal"} <= set(library.labels.labels_of(item_id))
    assert "dragon" not in library.labels.labels_of(ids[2])
    tags = window.detail.tags
    qtbot.waitUntil(lambda: tags.check_state("dragon") == Qt.Checked)
    assert tags.check_state("animal") == Qt.Checked  # implied by the child
    assert window.actions.undo.text().startswith("&Undo Tag 2 items")

    window.actions.undo.trigger()
    wait_idle(qtbot, window)
    for item_id in pair:
        assert library.labels.labels_of(item_id) == []
    qtbot.waitUntil(lambda: tags.check_state("dragon") == Qt.Unchecked)

    window.actions.redo.trigger()
    wait_idle(qtbot, window)
    for item_id in pair:
        assert "dragon" in library.labels.labels_of(item_id)
    select(window, qtbot, pair[:1])  # one item: the pane shows its labels as chips, paths in the tooltip
    assert "&nbsp;Dragon&nbsp;</span>" in window.detail.labels_label.text()
    assert window.detail.labels_label.toolTip() == "Motif>Animal>Dragon"
    dragon = rows_by_label(tags.model)["dragon"]
    assert tags.tree.isExpanded(tags.proxy.mapFromSource(dragon.parent().index()))


def test_partial_state_and_tagging_the_rest(stocked, library, qtbot):
    window, ids = stocked
    library.labels.tag([ids[0]], ["phoenix"])
    select(window, qtbot, ids[:3])
    tags = window.detail.tags
    assert tags.check_state("phoenix") == Qt.PartiallyChecked
    assert tags.check_state("dragon") == Qt.Unchecked
    click_label(window, "phoenix")  # a click on a partial box ticks it for all
    wait_idle(qtbot, window)
    assert all("phoenix" in library.labels.labels_of(i) for i in ids[:3])
    window.actions.undo.trigger()  # undo untags only the two that lacked it
    wait_idle(qtbot, window)
    assert [("phoenix" in library.labels.labels_of(i)) for i in ids[:3]] == [True, False, False]


def test_untag_with_undo_restores_child_labels(stocked, library, qtbot):
    window, ids = stocked
    library.labels.tag(ids[:2], ["dragon"])
    select(window, qtbot, ids[:2])
    click_label(window, "animal", Qt.Unchecked)  # untagging a parent removes the child too
    wait_idle(qtbot, window)
    assert library.labels.labels_of(ids[0]) == []
    window.actions.undo.trigger()
    wait_idle(qtbot, window)
    assert set(library.labels.labels_of(ids[0])) == {"animal", "dragon"}


def test_type_ahead_filters_the_tree_and_enter_tags(stocked, library, qtbot):
    window, ids = stocked
    select(window, qtbot, ids[:1])
    tags = window.detail.tags
    window.actions.tag.trigger()  # Ctrl+T puts the cursor in the filter
    tags.filter_edit.insert("凤")  # what an input method commits (QTest types ASCII only)
    proxy = tags.proxy
    visible = [proxy.index(r, 0).data() for r in range(proxy.rowCount())]
    assert visible == ["Motif"]  # only the facet holding the match stays
    tags.filter_edit.clear()
    QTest.keyClicks(tags.filter_edit, "phoen")
    assert [proxy.index(r, 0).data() for r in range(proxy.rowCount())] == ["Motif"]
    QTest.keyClick(tags.filter_edit, Qt.Key_Return)
    wait_idle(qtbot, window)
    assert "phoenix" in library.labels.labels_of(ids[0])


def test_suggestions_accept_and_reject_are_undoable(stocked, library, qtbot):
    window, ids = stocked
    library.models.register("m1", 32, "ssah", {})
    library.suggestions.put("m1", [(ids[0], "dragon", 0.91), (ids[0], "cloud", 0.72),
                                         (ids[0], "qing", 0.55)])
    select(window, qtbot, ids[:1])
    panel = window.detail.suggestions
    assert panel.tree.topLevelItemCount() == 3
    assert panel.tree.topLevelItem(0).text(1) == "91%"
    panel.decide("dragon", True)
    wait_idle(qtbot, window)
    assert "dragon" in library.labels.labels_of(ids[0])
    assert ("dragon", 0.91, "accepted") in library.suggestions.of_item(ids[0], include_decided=True) \
        or "dragon" in library.labels.labels_of(ids[0])
    qtbot.waitUntil(lambda: panel.tree.topLevelItemCount() == 2)
    window.actions.undo.trigger()  # one step: the tag and the decision go together
    wait_idle(qtbot, window)
    assert "dragon" not in library.labels.labels_of(ids[0])
    assert [r[0] for r in library.suggestions.of_item(ids[0])] == ["dragon", "cloud", "qing"]
    qtbot.waitUntil(lambda: panel.tree.topLevelItemCount() == 3)
    panel.reject_all.click()
    wait_idle(qtbot, window)
    assert library.suggestions.of_item(ids[0]) == []
    assert library.labels.labels_of(ids[0]) == []


def test_ctrl_z_in_the_label_filter_undoes_the_tagging_not_the_typed_text(stocked, library, qtbot):
    window, ids = stocked
    window.show()
    select(window, qtbot, ids[:2])
    tags = window.detail.tags
    window.actions.tag.trigger()  # Ctrl+T: the cursor goes to the filter
    QTest.keyClicks(tags.filter_edit, "phoen")
    QTest.keyClick(tags.filter_edit, Qt.Key_Return)
    wait_idle(qtbot, window)
    assert all("phoenix" in library.labels.labels_of(i) for i in ids[:2])
    assert tags.filter_edit.hasFocus()
    QTest.keyClick(tags.filter_edit, Qt.Key_Z, Qt.ControlModifier)  # where the curator's hands are
    wait_idle(qtbot, window)
    assert not any("phoenix" in library.labels.labels_of(i) for i in ids[:2])
    QTest.keyClick(tags.filter_edit, Qt.Key_Z, Qt.ControlModifier | Qt.ShiftModifier)
    wait_idle(qtbot, window)
    assert all("phoenix" in library.labels.labels_of(i) for i in ids[:2])


def test_a_suggestion_is_accepted_by_its_tick_cell_and_rejected_by_delete_without_trashing_the_item(
        stocked, library, qtbot):
    window, ids = stocked
    window.resize(1440, 900)  # a desktop window: at Qt's default size the panel's list may get no height
    library.models.register("m1", 32, "ssah", {})
    library.suggestions.put("m1", [(ids[0], "dragon", 0.91), (ids[0], "cloud", 0.72)])
    select(window, qtbot, ids[:1])
    panel = window.detail.suggestions
    qtbot.waitUntil(lambda: panel.tree.topLevelItemCount() == 2)
    wait_idle(qtbot, window)  # the panel laid out and no refresh pending: the cell stays where it is
    qtbot.waitUntil(lambda: panel.tree.viewport().height() > 20)
    first = panel.tree.topLevelItem(0)
    tick = panel.tree.indexFromItem(first, panel.ACCEPT)
    panel.tree.scrollTo(tick)  # in a narrow dock the tick column may start out of view
    cell = panel.tree.visualRect(tick)
    assert panel.tree.viewport().rect().contains(cell.center())
    QTest.mouseClick(panel.tree.viewport(), Qt.MouseButton.LeftButton, pos=cell.center())
    wait_idle(qtbot, window)
    assert "dragon" in library.labels.labels_of(ids[0])
    qtbot.waitUntil(lambda: panel.tree.topLevelItemCount() == 1)
    panel.tree.setFocus()
    panel.tree.setCurrentItem(panel.tree.topLevelItem(0))
    QTest.keyClick(panel.tree, Qt.Key.Key_Delete)
    wait_idle(qtbot, window)
    assert [r[2] for r in library.suggestions.of_item(ids[0], include_decided=True)
            if r[0] == "cloud"] == ["rejected"]
    assert "cloud" not in library.labels.labels_of(ids[0])
    assert library.items.get(ids[0]).id == ids[0]  # still in the library, not in the trash
    assert ids[0] in library.items.ids()
