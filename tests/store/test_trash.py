"""The trash: deleted items leave every live table, come back as they were, and go for good
(with the files the library holds for them) when it is emptied."""
from __future__ import annotations

import pytest

from app.core.errors import WenyangError
from app.core.models import Item
from app.services.importing import ImportOptions, import_paths
from app.services.trash import empty_trash
from tests import samples

pytestmark = pytest.mark.backends("sqlite", "postgresql")


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
    if lib.on_server:  # PostgreSQL's sequence hands out a new id: give the newcomer the old one
        lib.db.execute("UPDATE items SET id = ? WHERE id = ?", [last, newcomer])
        newcomer = last
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


@pytest.fixture
def two_photos(imported):
    """The first item gets the last one's photo as its second (the last item goes)."""
    lib, ids = imported
    lib.db.execute("UPDATE photos SET item_id = ?, position = 1 WHERE item_id = ?", [ids[0], ids[3]])
    lib.db.execute("DELETE FROM items WHERE id = ?", [ids[3]])
    lib.db.conn.commit()
    return lib, ids[:3]


def photo_rows(lib):
    return sorted(tuple(r) for r in lib.db.execute("SELECT * FROM photos"))


def test_a_single_photo_goes_to_the_trash_and_comes_back_as_it_was(two_photos):
    lib, ids = two_photos
    first, second = lib.items.photos(ids[0])
    before = photo_rows(lib)
    entries, items = lib.trash.move_photos([first.id])  # the first photo: the other one leads now
    assert items == [ids[0]] and len(entries) == 1
    assert [p.id for p in lib.items.photos(ids[0])] == [second.id]
    assert lib.items.first_photos()[ids[0]][1] == second.sha256
    (trashed,) = lib.trash.lone_photos()
    assert (trashed.id, trashed.photo_id, trashed.accession, trashed.path) == (entries[0], first.id,
                                                                             lib.items.get(ids[0]).accession, first.path)
    assert lib.trash.count() == 0 and lib.trash.photo_count() == 1  # the item is not in the trash
    assert first.sha256 in lib.trash.photo_hashes()  # its files are still the library's
    assert lib.trash.restore_photos(entries) == ([first.id], [ids[0]])
    assert photo_rows(lib) == before and lib.trash.photo_count() == 0


def test_a_photo_whose_item_is_gone_or_imported_again_is_not_restored(two_photos, tmp_path):
    lib, ids = two_photos
    first, second = lib.items.photos(ids[0])
    entries, _ = lib.trash.move_photos([second.id])
    lib.trash.move([ids[0]])
    with pytest.raises(WenyangError, match="restore the item from the trash first"):
        lib.trash.restore_photos(entries)
    lib.trash.restore([ids[0]])
    lib.db.execute("UPDATE photos SET sha256 = ? WHERE item_id = ?", [second.sha256, ids[1]])  # "imported again"
    with pytest.raises(WenyangError, match="imported again"):
        lib.trash.restore_photos(entries)
    assert lib.trash.photo_count() == 1  # nothing was restored
    with pytest.raises(WenyangError, match="Not in the trash"):
        lib.trash.restore_photos([entries[0] + 99])


def test_emptying_forgets_single_photos_with_their_files(two_photos):
    lib, ids = two_photos
    first, second = lib.items.photos(ids[0])
    files = [lib.root / second.path, lib.thumbnails_dir / second.sha256[:2] / f"{second.sha256}.jpg"]
    assert all(f.is_file() for f in files)
    lib.trash.move_photos([second.id])
    assert empty_trash(lib) == (0, 2)
    assert not any(f.exists() for f in files) and (lib.root / first.path).is_file()
    assert lib.trash.photo_count() == 0
    # an item emptied from the trash takes its single photos with it
    lib.trash.move_photos([first.id])
    lib.trash.move([ids[0]])
    empty_trash(lib, [ids[0]])
    assert lib.trash.photo_count() == 0 and lib.trash.count() == 0


def test_deleting_a_photo_is_one_op_with_an_exact_undo(two_photos):
    from app.services import ops
    from tests.library_rows import content

    lib, ids = two_photos
    first, _ = lib.items.photos(ids[0])
    before = content(lib)
    result = ops.DeletePhotos([first.id]).run(lib)
    after = content(lib)
    assert after != before and result.changes.photos and result.changes.items == frozenset([ids[0]])
    redo = result.undo.run(lib).undo
    assert content(lib) == before
    redo.run(lib)
    assert content(lib)["photos"] == after["photos"]
    with pytest.raises(WenyangError, match="None of these photos"):
        ops.DeletePhotos([first.id]).run(lib)
