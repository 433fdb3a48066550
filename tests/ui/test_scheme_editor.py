"""The label-scheme editor: right-click a label in the facet tree, change the scheme through a
dialog that says how many items it touches, and take it back with Edit ▸ Undo."""
from __future__ import annotations

from app.services.ops import Changes
from app.ui.label_models import FacetIdRole, LabelIdRole, rows_by_label
from tests.ui.helpers import wait_idle


def menu_for(window, label_id):
    row = rows_by_label(window.facets.model)[label_id]
    index = window.facets.proxy.mapFromSource(row.index())
    assert index.data(LabelIdRole) == label_id
    return window.facets.scheme_menu_at(index)


def open_dialog(window, qtbot, label_id, kind):
    menu = menu_for(window, label_id)
    menu.entries[kind].trigger()
    dialog = menu.dialog
    assert dialog is not None and dialog.isVisible()
    if kind != "add":
        qtbot.waitUntil(lambda: dialog.affected is not None)
    return dialog


def ok(dialog):
    dialog.buttons.button(dialog.buttons.StandardButton.Ok).click()


def test_right_click_menu_offers_every_edit(stocked, qtbot):
    window, _ids = stocked
    menu = menu_for(window, "dragon")
    assert set(menu.entries) == {"add", "rename", "move", "merge", "delete"}
    assert all(a.isEnabled() for a in menu.entries.values())
    # a facet heading offers only a new label at its top
    heading = window.facets.proxy.index(0, 0)
    assert heading.data(LabelIdRole) is None
    assert set(window.facets.scheme_menu_at(heading).entries) == {"add"}


def test_rename_says_the_count_and_undo_takes_it_back(stocked, library, qtbot):
    window, ids = stocked
    library.labels.tag(ids[:3], ["dragon"])
    window.session.announce(Changes(tags=True))
    wait_idle(qtbot, window)
    dialog = open_dialog(window, qtbot, "dragon", "rename")
    assert dialog.affected == 3
    assert "3 items carry it" in dialog.note.text()
    dialog.name_en.setText("Long")
    dialog.name_zh.setText("龙纹")
    ok(dialog)
    wait_idle(qtbot, window)
    qtbot.waitUntil(lambda: rows_by_label(window.facets.model)["dragon"].text() == "Long · 龙纹 (3)")
    window.session.undo.undo()
    wait_idle(qtbot, window)
    qtbot.waitUntil(lambda: rows_by_label(window.facets.model)["dragon"].text() == "Dragon · 龙 (3)")
    assert library.scheme.labels["dragon"].name_en == "Dragon"


def test_add_below_a_label_and_at_a_facets_top(stocked, library, qtbot):
    window, _ids = stocked
    dialog = open_dialog(window, qtbot, "animal", "add")
    ok(dialog)  # no name: refused, the dialog stays open and says why
    assert dialog.isVisible() and "name" in dialog.note.text()
    dialog.name_en.setText("Qilin")
    dialog.name_zh.setText("麒麟")
    ok(dialog)
    wait_idle(qtbot, window)
    qtbot.waitUntil(lambda: "qilin" in rows_by_label(window.facets.model))
    scheme = library.scheme
    assert scheme.labels["qilin"].parent == "animal"
    heading = window.facets.proxy.index(0, 0)
    facet_id = heading.data(FacetIdRole)
    menu = window.facets.scheme_menu_at(heading)
    menu.entries["add"].trigger()
    menu.dialog.name_en.setText("Cape")
    ok(menu.dialog)
    wait_idle(qtbot, window)
    label = library.scheme.resolve("Cape")
    assert label.parent is None and label.facet == facet_id


def test_merge_moves_items_and_undo_restores_them(stocked, library, qtbot):
    window, ids = stocked
    library.labels.tag(ids[:2], ["phoenix"])
    library.labels.tag(ids[2:4], ["dragon"])
    window.session.announce(Changes(tags=True))
    wait_idle(qtbot, window)
    dialog = open_dialog(window, qtbot, "phoenix", "merge")
    assert dialog.affected == 2
    targets = [dialog.place.itemData(i) for i in range(dialog.place.count())]
    assert "dragon" in targets and "phoenix" not in targets
    dialog.place.setCurrentIndex(targets.index("dragon"))
    ok(dialog)
    wait_idle(qtbot, window)
    assert "phoenix" not in library.scheme.labels
    assert sorted(library.labels.items_with("dragon")) == sorted(ids[:4])
    window.session.undo.undo()
    wait_idle(qtbot, window)
    assert sorted(library.labels.items_with("phoenix")) == sorted(ids[:2])
    assert sorted(library.labels.items_with("dragon")) == sorted(ids[2:4])


def test_move_and_delete_with_counts(stocked, library, qtbot):
    window, ids = stocked
    library.labels.tag(ids[:2], ["peony"])
    window.session.announce(Changes(tags=True))
    wait_idle(qtbot, window)
    dialog = open_dialog(window, qtbot, "peony", "move")
    places = [dialog.place.itemData(i) for i in range(dialog.place.count())]
    assert places[0] is None and "peony" not in places
    dialog.place.setCurrentIndex(0)  # the top of its facet
    ok(dialog)
    wait_idle(qtbot, window)
    assert library.scheme.labels["peony"].parent is None
    dialog = open_dialog(window, qtbot, "peony", "delete")
    assert dialog.affected == 2 and "lose" in dialog.note.text()
    ok(dialog)
    wait_idle(qtbot, window)
    assert "peony" not in library.scheme.labels
    qtbot.waitUntil(lambda: "peony" not in rows_by_label(window.facets.model))
    window.session.undo.undo()
    wait_idle(qtbot, window)
    assert sorted(library.labels.items_with("peony")) == sorted(ids[:2])
