"""Every op, applied and then undone, leaves the library as it was, row for row; its redo makes
the change again; and each names what it changed."""
from __future__ import annotations

import pytest

from app.core.errors import WenyangError
from app.core.models import Item
from app.services import ops
from app.services.saved_searches import SavedSearch, find_saved, saved_searches
from tests.library_rows import content, without_times

OLD = "2020-01-01T00:00:00+00:00"  # so that an op's "modified" stamp is a real change


@pytest.fixture
def lib(library):
    """Six items with tags, two collections, two models (one active) and open suggestions."""
    ids = [library.items.add(Item(f"M-{n:03d}", title=f"Robe {n}", description="云纹龙袍")) for n in range(6)]
    library.labels.tag(ids[:3], ["dragon", "robe"])
    library.labels.tag(ids[3:], ["phoenix", "skirt"], source="import")
    library.labels.tag(ids[2:4], ["cloud"])
    library.collections.create("Dragons", "the first three")
    library.collections.add("Dragons", ids[:3])
    library.collections.create("Empty")
    library.models.register("m1", 16, "ssah", {}, activate=False)
    library.models.register("m2", 16, "ssah", {})
    library.suggestions.put("m2", [(i, "peony", 0.8) for i in ids] + [(i, "bat", 0.6) for i in ids])
    library.suggestions.put("m1", [(ids[0], "lotus", 0.7)])
    library.db.execute("UPDATE items SET created = ?, modified = ?", [OLD, OLD])
    library.db.conn.commit()
    ops.SaveSearch(SavedSearch("robes", "robe")).run(library)
    library.ids = ids
    return library


CASES = {
    "tag": lambda ids: ops.Tag(ids[3:], ["dragon"]),
    "tag an implied label explicitly": lambda ids: ops.Tag(ids[:2], ["animal"]),
    "untag": lambda ids: ops.Untag(ids[:4], ["animal"]),
    "edit title": lambda ids: ops.EditItem(ids[0], {"title": "龙袍 (Qing)"}),
    "edit metadata": lambda ids: ops.EditItem(ids[1], {"metadata": {"donor": "Liu"}, "description": "x"}),
    "collection order": lambda ids: ops.PlaceInCollection("Dragons", [ids[2]], "start"),
    "collection description": lambda ids: ops.DescribeCollection("Dragons", "for the 2027 loan"),
    "batch edit": lambda ids: ops.EditItems(ids[:3], title="Surcoat 褂", metadata={"donor": "Liu", "old": ""}),
    "accept suggestions": lambda ids: ops.DecideSuggestions([(ids[0], "peony"), (ids[4], "bat")], True),
    "reject suggestions": lambda ids: ops.DecideSuggestions([(ids[1], "peony")], False),
    "create collection": lambda ids: ops.CreateCollection("Phoenixes", "new", ids[3:]),
    "rename collection": lambda ids: ops.RenameCollection("Dragons", "Dragon robes"),
    "delete collection": lambda ids: ops.DeleteCollection("Dragons"),
    "add to collection": lambda ids: ops.AddToCollection("Dragons", ids[2:5]),
    "remove from collection": lambda ids: ops.RemoveFromCollection("Dragons", ids[:2]),
    "add label": lambda ids: ops.AddLabel("Tiger", "虎", parent="animal"),
    "rename label": lambda ids: ops.RenameLabel("dragon", "Loong", "龙纹"),
    "move label": lambda ids: ops.MoveLabel("cloud", "animal"),
    "merge labels": lambda ids: ops.MergeLabels("phoenix", "dragon"),
    "delete a used label": lambda ids: ops.DeleteLabel("animal", force=True),
    "activate model": lambda ids: ops.ActivateModel("m1"),
    "delete the active model": lambda ids: ops.DeleteModel("m2"),
    "delete another model": lambda ids: ops.DeleteModel("m1"),
    "delete items": lambda ids: ops.DeleteItems(ids[1:4]),
    "save a search": lambda ids: ops.SaveSearch(SavedSearch("dragons", "龙袍", ["dragon"], ["qing"], None)),
    "forget a saved search": lambda ids: ops.ForgetSearch("robes"),
}


@pytest.mark.parametrize("name", CASES)
def test_undo_puts_back_every_row_and_redo_makes_the_change_again(lib, name):
    before = content(lib)
    result = CASES[name](lib.ids).run(lib)
    after = content(lib)
    assert after != before, "the op changed nothing: the case proves nothing"
    assert result.changes, "an op that changed rows must say what it changed"
    redo = result.undo.run(lib).undo
    assert content(lib) == before
    redo.run(lib)
    # A redo happens later than the change it repeats: times it stamps (when an item went to the
    # trash, when it was last edited) may fall in the next second, so they are left out here.
    assert without_times(content(lib)) == without_times(after)


def test_changes_name_what_changed(lib):
    ids = lib.ids
    tagged = ops.Tag(ids[:2], ["lotus"]).run(lib)
    assert tagged.changes.items == frozenset(ids[:2]) and tagged.changes.tags and not tagged.changes.collections
    assert tagged.value == 4  # lotus and the plant it implies, on each of two items
    created = ops.CreateCollection("New", item_ids=[ids[0]]).run(lib)
    assert created.changes.collections and created.value.size == 1
    renamed = ops.RenameLabel("lotus", "Water lily").run(lib)
    assert renamed.changes.scheme and not renamed.changes.items
    assert (tagged.changes | created.changes).collections and (tagged.changes | created.changes).tags


def test_a_refused_op_changes_nothing(lib):
    before = content(lib)
    with pytest.raises(WenyangError):
        ops.CreateCollection("dragons").run(lib)  # differs from "Dragons" only in case
    with pytest.raises(WenyangError):
        ops.DeleteLabel("animal").run(lib)        # used, and not forced
    assert content(lib) == before


def test_undo_after_later_unrelated_edits_keeps_them(lib):
    ids = lib.ids
    first = ops.Tag([ids[0]], ["lotus"]).run(lib)
    ops.EditItem(ids[5], {"title": "kept"}).run(lib)
    first.undo.run(lib)
    assert "lotus" not in lib.labels.labels_of(ids[0])
    assert lib.items.get(ids[5]).title == "kept"


def test_a_batch_edit_sets_the_fields_named_and_keeps_the_others(lib):
    ids = lib.ids
    lib.items.update(ids[0], metadata={"date": "c. 1880", "old": "x"}, description="kept")
    result = ops.EditItems(ids[:2], title="Surcoat", metadata={"donor": "Liu", "old": ""}).run(lib)
    first = lib.items.get(ids[0])
    assert (first.title, first.description, first.metadata) == ("Surcoat", "kept", {"date": "c. 1880", "donor": "Liu"})
    assert lib.items.get(ids[1]).metadata.get("donor") == "Liu"
    assert result.changes.items == frozenset(ids[:2])


def test_a_collection_keeps_its_own_order_and_description(lib):
    ids = lib.ids
    coll = lib.collections.get("Dragons").id
    assert lib.collections.member_ids(coll) == ids[:3]
    ops.PlaceInCollection("Dragons", [ids[2]], "start").run(lib)
    assert lib.items.ids(collection=coll, order="collection") == [ids[2], ids[0], ids[1]]
    ops.PlaceInCollection("Dragons", [ids[2]], "down").run(lib)
    assert lib.collections.member_ids(coll) == [ids[0], ids[2], ids[1]]
    ops.PlaceInCollection("Dragons", [ids[0]], "end").run(lib)
    assert lib.collections.member_ids(coll) == [ids[2], ids[1], ids[0]]
    ops.PlaceInCollection("Dragons", [ids[1]], "up").run(lib)
    assert lib.collections.member_ids(coll) == [ids[1], ids[2], ids[0]]
    assert ops.DescribeCollection("Dragons", " For the 2027 loan. ").run(lib).value.description == "For the 2027 loan."
    assert lib.items.ids(order="collection") == lib.items.ids()  # no collection: accession order


def test_saved_searches_keep_their_labels_and_filters_and_refuse_nonsense(lib):
    ops.SaveSearch(SavedSearch("Qing dragons", "龙袍", ["dragon", "robe"], ["qing"], 3)).run(lib)
    ops.SaveSearch(SavedSearch("robes", "robe skirt")).run(lib)  # the same name replaces
    assert [s.name for s in saved_searches(lib)] == ["Qing dragons", "robes"]
    kept = find_saved(lib, "Qing dragons")
    assert (kept.text, kept.labels, kept.filter_labels, kept.collection) == ("龙袍", ["dragon", "robe"], ["qing"], 3)
    assert find_saved(lib, "robes").text == "robe skirt"
    with pytest.raises(WenyangError, match="name"):
        SavedSearch("  ", "x")
    with pytest.raises(WenyangError, match="typed search"):
        SavedSearch("empty", "")
    with pytest.raises(WenyangError, match="No saved search"):
        ops.ForgetSearch("nothing").run(lib)
    lib.set_meta("saved_searches", "not json")  # damaged: no saved searches, no crash
    assert saved_searches(lib) == []
