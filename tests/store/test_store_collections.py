"""Named collections of items."""
from __future__ import annotations

import pytest

from app.core.errors import NotFound, WenyangError
from app.core.models import Item

pytestmark = pytest.mark.backends("sqlite", "postgresql")


@pytest.fixture
def items(library):
    return [library.items.add(Item(f"C-{n}")) for n in range(4)]


def test_create_list_and_get_by_name_or_id(library):
    b = library.collections.create("  展览 2024 ", description="Spring show")
    a = library.collections.create("Alpha")
    assert b.name == "展览 2024" and b.description == "Spring show" and b.size == 0 and b.created
    assert [c.name for c in library.collections.list()] == ["Alpha", "展览 2024"]
    assert library.collections.get(b.id).name == "展览 2024"
    assert library.collections.get(str(a.id)).name == "Alpha"
    with pytest.raises(NotFound, match="no collection 'Beta'"):
        library.collections.get("Beta")


def test_a_name_that_looks_like_an_id_prefers_the_name(library):
    first = library.collections.create("first")
    named = library.collections.create(str(first.id))
    assert library.collections.get(str(first.id)).id == named.id
    assert library.collections.get(first.id).id == named.id  # same text; the name wins


@pytest.mark.parametrize("name", ["Alpha", " Alpha "])
def test_duplicate_names_are_refused(library, name):
    library.collections.create("Alpha")
    with pytest.raises(WenyangError, match="already exists"):
        library.collections.create(name)
    assert len(library.collections.list()) == 1


@pytest.mark.parametrize("name", ["", "   "])
def test_empty_names_are_refused(library, name):
    coll = library.collections.create("Alpha")
    with pytest.raises(WenyangError, match="needs a name"):
        library.collections.create(name)
    with pytest.raises(WenyangError, match="needs a name"):
        library.collections.rename("Alpha", name)
    assert library.collections.get(coll.id).name == "Alpha"


def test_rename(library):
    library.collections.create("Alpha")
    library.collections.create("Beta")
    renamed = library.collections.rename("Alpha", " Gamma ")
    assert renamed.name == "Gamma"
    with pytest.raises(WenyangError, match="already exists"):
        library.collections.rename("Gamma", "Beta")
    assert sorted(c.name for c in library.collections.list()) == ["Beta", "Gamma"]
    with pytest.raises(NotFound):
        library.collections.rename("Alpha", "Delta")


def test_add_remove_and_members_keep_order(library, items):
    library.collections.create("show")
    assert library.collections.add("show", [items[2], items[0]]) == 2
    assert library.collections.add("show", [items[0], items[3]]) == 1  # item 0 already there
    assert library.collections.members("show") == [items[2], items[0], items[3]]
    assert library.collections.get("show").size == 3
    assert library.collections.remove("show", [items[0], items[1]]) == 1
    assert library.collections.members("show") == [items[2], items[3]]
    assert library.collections.of_item(items[2]) == ["show"]
    assert library.collections.of_item(items[1]) == []


def test_adding_an_unknown_item_adds_nothing(library, items):
    library.collections.create("show")
    with pytest.raises(NotFound):
        library.collections.add("show", [items[0], 9999])
    assert library.collections.members("show") == []


def test_delete_keeps_the_items(library, items):
    library.collections.create("show")
    library.collections.create("other")
    library.collections.add("show", items)
    library.collections.add("other", items[:1])
    library.collections.delete("show")
    with pytest.raises(NotFound):
        library.collections.members("show")
    assert library.items.count() == 4
    assert library.collections.of_item(items[0]) == ["other"]
    assert library.db.execute("SELECT COUNT(*) FROM collection_items").fetchone()[0] == 1
