"""Items and their photos in a real library file."""
from __future__ import annotations

import hashlib

import pytest

from app.core.errors import NotFound, SchemeError, WenyangError
from app.core.models import Item, Photo

pytestmark = pytest.mark.backends("sqlite", "postgresql")


def photo(n: int, **kw) -> Photo:
    return Photo(path=f"/photos/{n}.jpg", sha256=hashlib.sha256(str(n).encode()).hexdigest(),
                 size=1000 + n, width=64, height=48, format="JPEG", **kw)


def test_add_and_get_round_trip(library):
    item = Item("1998.12.3", title="石青缎绣云蝠纹女褂", description="Dark blue satin surcoat",
                metadata={"尺寸": "110 cm", "donor": {"name": "Li"}, "year": 1890},
                photos=[photo(1, note="front"), photo(2, note="back")], labels=["Dragon", "缎"])
    item_id = library.items.add(item)
    got = library.items.get(item_id)
    assert (got.id, got.accession, got.title, got.description) == \
        (item_id, "1998.12.3", item.title, item.description)
    assert got.metadata == item.metadata
    assert [p.note for p in got.photos] == ["front", "back"]
    assert [p.position for p in got.photos] == [0, 1]
    assert got.photos[0].sha256 == item.photos[0].sha256 and got.photos[0].item_id == item_id
    assert got.labels == sorted(["dragon", "animal", "satin", "silk"])
    assert got.created and got.modified
    assert library.items.item_for_photo_hash(item.photos[1].sha256) == item_id
    assert library.items.item_for_photo_hash("0" * 64) is None


def test_add_is_all_or_nothing(library):
    """An unknown label aborts the whole item: no row, no photos, no tags."""
    with pytest.raises(SchemeError):
        library.items.add(Item("X-1", photos=[photo(1)], labels=["Dragon", "Unicorn"]))
    assert library.items.count() == 0
    assert library.db.execute("SELECT COUNT(*) FROM photos").fetchone()[0] == 0
    assert library.db.execute("SELECT COUNT(*) FROM item_labels").fetchone()[0] == 0


def test_duplicate_accession_is_a_clear_error(library):
    library.items.add(Item("A-1"))
    with pytest.raises(WenyangError, match="A-1"):
        library.items.add(Item("A-1", title="again"))
    second = library.items.add(Item("A-2"))
    with pytest.raises(WenyangError, match="A-1"):
        library.items.update(second, accession="A-1")
    assert library.items.get(second).accession == "A-2" and library.items.count() == 2


def test_add_photo_appends_in_order(library):
    item_id = library.items.add(Item("P-1", photos=[photo(1)]))
    library.items.add_photo(item_id, photo(2))
    library.items.add_photo(item_id, photo(3))
    assert [p.sha256 for p in library.items.photos(item_id)] == [photo(n).sha256 for n in (1, 2, 3)]
    assert [p.position for p in library.items.photos(item_id)] == [0, 1, 2]


def test_update_changes_only_editable_fields(library):
    item_id = library.items.add(Item("U-1", title="old", metadata={"a": 1}))
    before = library.items.get(item_id)
    after = library.items.update(item_id, title="新标题", metadata={"b": [1, 2]}, description="d")
    assert (after.title, after.description, after.metadata) == ("新标题", "d", {"b": [1, 2]})
    assert after.accession == "U-1" and after.created == before.created
    assert library.items.get(item_id) == after
    with pytest.raises(WenyangError, match="cannot be edited: created, id"):
        library.items.update(item_id, id=5, created="x")
    with pytest.raises(NotFound):
        library.items.update(999, title="x")


def test_delete_cascades_to_photos_tags_and_collections(library):
    keep = library.items.add(Item("K-1", photos=[photo(1)], labels=["Dragon"]))
    gone = library.items.add(Item("D-1", photos=[photo(2)], labels=["Dragon"]))
    library.collections.create("show")
    library.collections.add("show", [keep, gone])
    library.items.delete(gone)
    with pytest.raises(NotFound):
        library.items.get(gone)
    assert library.items.item_for_photo_hash(photo(2).sha256) is None
    assert library.labels.items_with("dragon") == [keep]
    assert library.collections.members("show") == [keep]
    assert library.labels.counts()["animal"] == 1


def test_resolve_by_accession_id_or_hash_id(library):
    a = library.items.add(Item("MZ-7"))
    b = library.items.add(Item(str(a + 100)))  # an accession that looks like an id
    assert library.items.resolve("MZ-7").id == a
    assert library.items.resolve(f"#{a}").id == a
    assert library.items.resolve(str(a)).id == a
    assert library.items.resolve(f" {a + 100} ").id == b  # the accession number wins
    assert library.items.get_by_accession("MZ-7").id == a
    for ref in ("nope", "#999", "999"):
        with pytest.raises(NotFound):
            library.items.resolve(ref)
    with pytest.raises(NotFound, match="accession number 'zz'"):
        library.items.get_by_accession("zz")


def test_ids_filter_by_label_collection_and_page(library):
    ids = {acc: library.items.add(Item(acc, labels=labels)) for acc, labels in [
        ("A3", ["Dragon"]), ("A1", ["Phoenix", "Red"]), ("A2", ["Peony"]), ("A4", [])]}
    assert library.items.ids() == [ids["A1"], ids["A2"], ids["A3"], ids["A4"]]  # accession order
    assert library.items.ids(label="dragon") == [ids["A3"]]
    assert library.items.ids(label="animal") == [ids["A1"], ids["A3"]]  # descendants count
    assert library.items.ids(label="red") == [ids["A1"]]
    assert library.items.ids(label="hat") == []
    coll = library.collections.create("c")
    library.collections.add("c", [ids["A2"], ids["A3"], ids["A4"]])
    assert library.items.ids(collection=coll.id) == [ids["A2"], ids["A3"], ids["A4"]]
    assert library.items.ids(label="animal", collection=coll.id) == [ids["A3"]]
    assert library.items.ids(limit=2) == [ids["A1"], ids["A2"]]
    assert library.items.ids(limit=2, offset=2) == [ids["A3"], ids["A4"]]
    assert library.items.ids(offset=3) == [ids["A4"]]
    assert library.items.count() == 4
    assert [i.accession for i in library.items.many([ids["A4"], ids["A1"]])] == ["A4", "A1"]


def test_labels_on_a_child_of_an_explicit_tag_stay_under_the_ancestor_filter(library):
    """Tagging the parent explicitly and the child too keeps both; the filter finds it once."""
    item = library.items.add(Item("B-1", labels=["Animal", "Dragon"]))
    assert library.items.ids(label="animal") == [item]


def test_summaries_agree_with_get_in_bulk(library):
    """The grid's bulk read says of each item what get() says: first photo by position (a photo
    put in front comes first), photo count, labels, date; deleted and unknown ids are left out."""
    first = library.items.add(Item("S-1", title="龙袍", metadata={"date": "1890", "donor": "Li"},
                                   photos=[photo(1), photo(2)], labels=["Dragon"]))
    library.items.add_photo(first, photo(3), position=-1)
    bare = library.items.add(Item("S-2", metadata={"date": 1901}))
    gone = library.items.add(Item("S-3", photos=[photo(4)]))
    library.items.delete(gone)
    many = [library.items.add(Item(f"M-{n}", photos=[photo(100 + n)], labels=["Satin"])) for n in range(600)]
    got = library.items.summaries([first, bare, gone, 10_000_000, *many])
    assert set(got) == {first, bare, *many}  # across two chunks of 500
    for item_id in (first, bare, many[0], many[-1]):
        item = library.items.get(item_id)
        row = got[item_id]
        assert (row["accession"], row["title"], row["modified"]) == (item.accession, item.title, item.modified)
        assert row["labels"] == item.labels and row["photos"] == len(item.photos)
        assert row["first"] == ((item.photos[0].path, item.photos[0].sha256) if item.photos else None)
        assert row["date"] == str(item.metadata.get("date", ""))
    assert got[first]["first"][1] == photo(3).sha256 and got[first]["photos"] == 3
    assert got[bare]["date"] == "1901" and got[bare]["first"] is None and got[bare]["labels"] == []


def test_an_edit_made_from_an_item_changed_since_is_refused_naming_who(library):
    from app.core.errors import StaleEdit
    from app.store import open_library

    item_id = library.items.add(Item("V-1", title="Robe"))
    seen = library.items.get(item_id)
    assert seen.version == 1 and seen.changed_by == ""
    with open_library(library.location) as other:  # another curator's program
        other.items.update(item_id, expected_version=seen.version, title="Dragon robe")
    with pytest.raises(StaleEdit, match=r"V-1 was changed by .+@.+ at \d\d:\d\d UTC: your edit was not saved"):
        library.items.update(item_id, expected_version=seen.version, title="Surcoat")
    now = library.items.get(item_id)
    assert now.title == "Dragon robe" and now.version == 2 and "@" in now.changed_by  # theirs kept
    assert library.items.update(item_id, expected_version=now.version, title="Surcoat").version == 3
    assert library.items.update(item_id, title="Any version").version == 4  # no version given: no check


def test_cards_give_each_items_first_photo_in_one_statement(library):
    from app.core.models import Photo

    two = library.items.add(Item("CARD-1", title="两张", photos=[
        Photo("/a/front.jpg", "f" * 64, 10, 4, 3, "JPEG"), Photo("/a/back.jpg", "b" * 64, 10, 4, 3, "JPEG")]))
    bare = library.items.add(Item("CARD-2", title="no photo"))
    assert library.items.cards([two, bare, 999_999]) == {
        two: ("CARD-1", "两张", "/a/front.jpg", "f" * 64), bare: ("CARD-2", "no photo", "", "")}
    library.db.execute("UPDATE photos SET position = 5 WHERE path = '/a/front.jpg'")  # the back first now
    assert library.items.cards([two])[two][2:] == ("/a/back.jpg", "b" * 64)
