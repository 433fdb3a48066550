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
    assert "A-1" in listed and "A-3" in listed and "(2 item(s) in the trash)" in listed
    assert "Restored 1 item(s)." in cli("trash", "restore", path, "A-3").out
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
