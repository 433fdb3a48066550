"""wenyang delete, wenyang trash list|restore|empty."""
from __future__ import annotations

from app.core.models import Item
from app.store import open_library


def test_delete_list_restore_and_empty(tmp_path, cli):
    path = tmp_path / "lib"
    cli("init", path)
    with open_library(path) as lib:
        for a in ("A-1", "A-2", "A-3"):
            lib.items.add(Item(a, title=f"robe {a}"))
    r = cli("delete", path, "A-1", "A-3")
    assert r.code == 0 and "Moved 2 item(s) to the trash" in r.out
    assert cli("ls", path).out.endswith("(1 of 1 items)\n")
    listed = cli("trash", "list", path).out
    assert "A-1" in listed and "A-3" in listed and "(2 item(s) and 0 single photo(s) in the trash)" in listed
    assert "Restored 1 item(s) and 0 photo(s)." in cli("trash", "restore", path, "A-3").out
    assert "would be forgotten" in cli("trash", "empty", path).out  # asks first
    assert "1 item(s) forgotten" in cli("trash", "empty", path, "--yes").out
    with open_library(path) as lib:
        assert sorted(lib.items.get(i).accession for i in lib.items.ids()) == ["A-2", "A-3"]
        assert lib.trash.count() == 0


def test_restoring_what_is_not_in_the_trash_says_so(tmp_path, cli):
    path = tmp_path / "lib"
    cli("init", path)
    r = cli("trash", "restore", path, "NOPE-1")
    assert r.code != 0 and "Not in the trash" in r.err


def test_one_photo_of_an_item_is_deleted_and_restored(tmp_path, cli):
    from app.core.models import Photo

    path = tmp_path / "lib"
    cli("init", path)
    with open_library(path) as lib:
        lib.items.add(Item("B-1", photos=[Photo(f"/photos/b{i}.jpg", f"{i}" * 64, 10, 4, 3, "JPEG") for i in (1, 2)]))
    r = cli("delete-photo", path, "B-1", "3")
    assert r.code != 0 and "B-1 has 2 photo(s); there is no photo 3." in r.err
    r = cli("delete-photo", path, "B-1", "2")
    assert r.code == 0 and "Moved photo 2 of B-1 to the trash" in r.out
    listed = cli("trash", "list", path).out
    assert "of B-1\t/photos/b2.jpg" in listed and "(0 item(s) and 1 single photo(s) in the trash)" in listed
    entry = listed.split("photo entry ")[1].split("\t")[0]
    assert "Restored 0 item(s) and 1 photo(s)." in cli("trash", "restore", path, "--photo", entry).out
    with open_library(path) as lib:
        assert [p.path for p in lib.items.photos(lib.items.resolve("B-1").id)] == ["/photos/b1.jpg", "/photos/b2.jpg"]
