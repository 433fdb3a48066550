"""wenyang collections list|create|add|remove|rename|delete."""
from __future__ import annotations

import pytest

from app.core.models import Item
from app.store import open_library


@pytest.fixture
def lib_path(tmp_path, cli):
    path = tmp_path / "lib"
    cli("init", path)
    with open_library(path) as lib:
        for accession in ("A-1", "A-2", "A-3"):
            lib.items.add(Item(accession))
    return path


def members(path, name) -> list[str]:
    with open_library(path) as lib:
        return [lib.items.get(i).accession for i in lib.collections.members(name)]


def test_the_whole_life_of_a_collection(lib_path, cli):
    assert cli("collections", "list", lib_path).out == "(0 collections)\n"
    r = cli("collections", "create", lib_path, "2024 展览", "--description", "Spring")
    assert r.code == 0 and "'2024 展览'" in r.out
    r = cli("collections", "add", lib_path, "2024 展览", "A-3", "A-1", "A-3")
    assert r.code == 0 and "Added 2 item(s)" in r.out
    assert members(lib_path, "2024 展览") == ["A-3", "A-1"]
    with open_library(lib_path) as lib:
        a2 = lib.items.get_by_accession("A-2").id
    assert "Added 1 item(s)" in cli("collections", "add", lib_path, "2024 展览", f"#{a2}").out
    assert cli("collections", "list", lib_path).out.splitlines() == ["2024 展览\t3 item(s)\tSpring",
                                                                     "(1 collections)"]
    r = cli("collections", "remove", lib_path, "2024 展览", "A-1", "A-1")
    assert r.code == 0 and "Removed 1 item(s)" in r.out
    assert members(lib_path, "2024 展览") == ["A-3", "A-2"]
    r = cli("collections", "rename", lib_path, "2024 展览", "Loans")
    assert r.code == 0 and "'Loans'" in r.out
    assert cli("ls", lib_path, "--collection", "Loans").out.splitlines()[-1] == "(2 of 2 items)"
    r = cli("collections", "delete", lib_path, "Loans")
    assert r.code == 0
    assert cli("collections", "list", lib_path).out == "(0 collections)\n"
    assert cli("ls", lib_path).out.splitlines()[-1] == "(3 of 3 items)"


@pytest.mark.parametrize("argv, message", [
    (["create", "{lib}", "Loans"], "already exists"),
    (["create", "{lib}", " "], "needs a name"),
    (["add", "{lib}", "Nope", "A-1"], "no collection 'Nope'"),
    (["add", "{lib}", "Loans", "A-1", "Z-9"], "Z-9"),
    (["remove", "{lib}", "Loans", "Z-9"], "Z-9"),
    (["rename", "{lib}", "Loans", "Other"], "already exists"),
    (["rename", "{lib}", "Loans", ""], "needs a name"),
    (["rename", "{lib}", "Nope", "X"], "no collection"),
    (["delete", "{lib}", "Nope"], "no collection"),
])
def test_errors_change_nothing(lib_path, cli, argv, message):
    cli("collections", "create", lib_path, "Loans")
    cli("collections", "create", lib_path, "Other")
    cli("collections", "add", lib_path, "Loans", "A-2")
    r = cli("collections", *[a.replace("{lib}", str(lib_path)) for a in argv])
    assert r.code == 1 and message in r.err
    assert cli("collections", "list", lib_path).out.splitlines() == [
        "Loans\t1 item(s)\t", "Other\t0 item(s)\t", "(2 collections)"]
