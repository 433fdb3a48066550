"""Two curators edit the same item: the one who saves second from what they saw is told who
changed it first, their text stays in the field, the other's edit is kept, and saving again
replaces it knowingly."""
from __future__ import annotations

import pytest

from app.store import open_library
from tests.ui.helpers import wait_idle

pytestmark = pytest.mark.backends("sqlite", "postgresql")


def test_a_title_changed_elsewhere_is_not_overwritten_silently(stocked, library, qtbot):
    window, ids = stocked
    window.grid.select_ids([ids[0]])
    qtbot.waitUntil(lambda: window.detail.detail is not None and window.detail.detail.item_id == ids[0])
    wait_idle(qtbot, window)
    with open_library(library.location) as other:  # another workstation, meanwhile
        other.items.update(ids[0], title="Their title")
    edit = window.detail.title_edit
    edit.setFocus()
    edit.setText("My title")
    edit.editingFinished.emit()
    qtbot.waitUntil(lambda: "was changed by" in window.statusBar().currentMessage())
    wait_idle(qtbot, window)
    assert library.items.get(ids[0]).title == "Their title"  # not written over
    assert edit.text() == "My title"                          # not lost either
    edit.blockSignals(True)   # the curator looks elsewhere (no commit on the way out)
    edit.clearFocus()
    edit.blockSignals(False)
    window.detail.show_items([ids[0]])  # a later reload (their next change, say) keeps it too
    wait_idle(qtbot, window)
    qtbot.wait(300)  # the reload's result reaches the pane after the library thread is idle
    assert window.detail.detail.title == "Their title" and edit.text() == "My title"
    edit.setFocus()
    edit.editingFinished.emit()                               # saved again, knowingly
    qtbot.waitUntil(lambda: library.items.get(ids[0]).title == "My title")
    wait_idle(qtbot, window)
    edit.setText("My title, again")
    edit.editingFinished.emit()  # its own edits never count as someone else's
    qtbot.waitUntil(lambda: library.items.get(ids[0]).title == "My title, again")


def test_a_label_renamed_elsewhere_while_the_dialog_is_open_is_not_renamed_over(stocked, library, qtbot):
    """The rename dialog changes the label as the window showed it: another curator's rename
    meanwhile is kept, and the status bar says who made it."""
    from tests.ui.test_scheme_editor import ok, open_dialog

    window, _ids = stocked
    dialog = open_dialog(window, qtbot, "dragon", "rename")
    with open_library(library.location) as other:
        other.labels.rename("dragon", name_en="Loong")
    dialog.name_en.setText("Dragon motif")
    ok(dialog)
    qtbot.waitUntil(lambda: "was changed by" in window.statusBar().currentMessage())
    wait_idle(qtbot, window)
    assert library.scheme.labels["dragon"].name_en == "Loong"
    assert "Label Loong was changed by" in window.statusBar().currentMessage()
