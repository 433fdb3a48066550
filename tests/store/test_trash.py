"""The trash: deleted items leave every live table, come back as they were, and go for good
(with the files the library holds for them) when it is emptied."""
from __future__ import annotations

import pytest

from app.core.errors import WenyangError
from app.core.models import Item
from app.services.importing import ImportOptions, import_paths
from app.services.trash import empty_trash
from tests import samples


@pytest.fixture
def imported(library, tmp_path):
    """Four photos imported with copies into the library, tagged and collected."""
    for i in range(4):
        samples.photo(tmp_path / "in" / f"p{i}.png", i)
    import_paths(library, [tmp_path / "in"], ImportOptions(copy=True))
    ids = library.items.ids()
    library.labels.tag(ids[:2], ["dragon"])
    library.collections.create("All four")
    library.collections.add("All four", ids)
    return library, ids


def test_a_trashed_item_leaves_every_live_table_and_search_text(imported):
    lib, ids = imported
    assert lib.trash.move(ids[:2]) == 2
    assert lib.items.ids() == ids[2:] and lib.collections.members("All four") == ids[2:]
    assert lib.labels.items_with("dragon") == []
    lib.keywords.refresh()
    assert [t.id for t in lib.trash.items()] == ids[:2]
    assert all(t.photos == 1 for t in lib.trash.items())


def test_restore_puts_items_back_where_they_were(imported):
    lib, ids = imported
    before = {i: (lib.items.get(i), lib.labels.labels_of(i)) for i in ids}
    lib.trash.move(ids[1:3])
    assert lib.trash.restore() == ids[1:3]
    assert lib.collections.members("All four") == ids  # in their old places
    assert {i: (lib.items.get(i), lib.labels.labels_of(i)) for i in ids} == before
    assert lib.trash.count() == 0


def test_an_id_a_newer_item_took_is_replaced_and_a_taken_accession_refuses(imported):
    lib, ids = imported
    last = ids[-1]
    lib.trash.move([last])
    newcomer = lib.items.add(Item("NEW-1"))
    assert newcomer == last  # SQLite hands out the highest id again
    restored = lib.trash.restore([last])
    assert restored != [last] and lib.items.get(restored[0]).photos  # back, with its photo, under a new id
    lib.trash.move([newcomer])
    lib.items.add(Item("NEW-1"))
    with pytest.raises(WenyangError, match="NEW-1"):
        lib.trash.restore()
    assert lib.trash.count() == 1


def test_emptying_removes_the_copied_photos_and_thumbnails_only_of_trashed_items(imported):
    lib, ids = imported
    gone = lib.items.get(ids[0]).photos[0]
    kept = lib.items.get(ids[1]).photos[0]
    files = lambda photo: [lib.root / photo.path, lib.thumbnails_dir / photo.sha256[:2] / f"{photo.sha256}.jpg"]  # noqa: E731
    assert all(f.is_file() for f in files(gone) + files(kept))
    lib.trash.move([ids[0]])
    assert all(f.is_file() for f in files(gone))  # the trash keeps them for a restore
    assert empty_trash(lib) == (1, 2)
    assert not any(f.exists() for f in files(gone)) and all(f.is_file() for f in files(kept))
    with pytest.raises(WenyangError, match="Not in the trash"):
        lib.trash.restore([ids[0]])
