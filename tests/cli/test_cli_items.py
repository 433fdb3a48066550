"""wenyang init, ls, show, tag, untag."""
from __future__ import annotations

import json
import sqlite3

import pytest

from app.core.models import Item, Photo
from app.store import open_library
from app.store.migrations import SCHEMA_VERSION


@pytest.fixture
def lib_path(tmp_path, cli):
    path = tmp_path / "lib"
    assert cli("init", path).code == 0
    with open_library(path) as lib:
        lib.items.add(Item("B-2", title="红缎袍", description="Red satin robe", labels=["Dragon"],
                           metadata={"尺寸": "120 cm"},
                           photos=[Photo("/p/b2.jpg", "a" * 64, 10, 640, 480, "JPEG", note="front")]))
        lib.items.add(Item("A-1", title="Surcoat", labels=["Peony", "Satin"]))
        lib.items.add(Item("C-3"))
        lib.collections.create("Exhibition")
    return path


def test_init_creates_and_reports(tmp_path, cli):
    r = cli("init", tmp_path / "new")
    assert r.code == 0 and "created" in r.out and "0 items" in r.out and "7 facets" in r.out
    assert (tmp_path / "new" / "library.sqlite").is_file()
    again = cli("init", tmp_path / "new")
    assert again.code == 0 and "already a library" in again.out


@pytest.mark.parametrize("name", ["", ".default"])
def test_init_default_library_goes_to_wenyang_home(cli, wenyang_home, name, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # a regression must not litter the repository
    r = cli("init", name)
    assert r.code == 0 and str(wenyang_home) in r.out
    assert (wenyang_home / "library.sqlite").is_file()
    assert not (tmp_path / "library.sqlite").exists()
    assert cli("ls", name).out.endswith("(0 of 0 items)\n")


def test_init_where_a_file_is(tmp_path, cli):
    (tmp_path / "f").write_text("x")
    r = cli("init", tmp_path / "f")
    assert r.code == 1 and "not a folder" in r.err


def test_init_refuses_a_newer_library_and_changes_nothing(tmp_path, cli):
    path = tmp_path / "lib"
    cli("init", path)
    conn = sqlite3.connect(path / "library.sqlite")
    conn.execute("INSERT INTO _migrations VALUES (?, 'future', 'x')", [SCHEMA_VERSION + 3])
    conn.commit()
    conn.close()
    before = {p.name: p.read_bytes() for p in path.iterdir() if p.is_file()}
    for argv in (["init", path], ["ls", path], ["labels", "list", path]):
        r = cli(*argv)
        assert r.code == 1 and "newer version of Wenyang" in r.err
    assert {p.name: p.read_bytes() for p in path.iterdir() if p.is_file()} == before


@pytest.mark.parametrize("command, rest", [(["ls"], []), (["show"], ["A-1"]),
                                           (["tag"], ["A-1", "-l", "Dragon"]),
                                           (["labels", "list"], []), (["collections", "list"], [])])
def test_commands_on_a_missing_library_point_to_init(tmp_path, cli, command, rest):
    r = cli(*command, tmp_path / "missing", *rest)
    assert r.code == 1 and "wenyang init" in r.err
    assert not (tmp_path / "missing").exists()


def test_ls_lists_in_accession_order_with_labels(lib_path, cli):
    r = cli("ls", lib_path)
    assert r.code == 0
    lines = r.out.splitlines()
    assert [l.split("\t")[0] for l in lines[:-1]] == ["A-1", "B-2", "C-3"]
    assert lines[0].split("\t")[3] == "peony, plant, satin, silk"
    assert lines[1].split("\t")[1:3] == ["红缎袍", "1 photo(s)"]
    assert lines[2].split("\t")[1] == "-" and lines[2].split("\t")[3] == "-"
    assert lines[-1] == "(3 of 3 items)"


def test_ls_filters_and_limits(lib_path, cli):
    assert [l.split("\t")[0] for l in cli("ls", lib_path, "--label", "动物纹").out.splitlines()[:-1]] == ["B-2"]
    assert cli("ls", lib_path, "--label", "Silk").out.splitlines()[-1] == "(1 of 1 items)"
    limited = cli("ls", lib_path, "--limit", "2").out.splitlines()
    assert len(limited) == 3 and limited[-1] == "(2 of 3 items)"
    cli("collections", "add", lib_path, "Exhibition", "C-3", "A-1")
    r = cli("ls", lib_path, "--collection", "Exhibition", "--label", "Peony")
    assert r.out.splitlines() == [r.out.splitlines()[0], "(1 of 1 items)"] and r.out.startswith("A-1\t")


def test_ls_json(lib_path, cli):
    data = json.loads(cli("ls", lib_path, "--json").out)
    assert [d["accession"] for d in data] == ["A-1", "B-2", "C-3"]
    assert data[1]["metadata"] == {"尺寸": "120 cm"} and data[1]["photos"][0]["width"] == 640


@pytest.mark.parametrize("argv, message", [
    (["--label", "Unicorn"], "Unknown label 'Unicorn'"),
    (["--label", "Cloud>>x"], "empty part"),
    (["--collection", "Nope"], "no collection 'Nope'"),
])
def test_ls_errors(lib_path, cli, argv, message):
    r = cli("ls", lib_path, *argv)
    assert r.code == 1 and message in r.err and r.out == ""


def test_show_text_and_json(lib_path, cli):
    cli("collections", "add", lib_path, "Exhibition", "B-2")
    r = cli("show", lib_path, "B-2")
    assert r.code == 0
    assert r.out.startswith("B-2 (id ")
    assert "Title: 红缎袍" in r.out and "  尺寸: 120 cm" in r.out
    assert "Motif>Animal>Dragon / 纹样>动物纹>龙" in r.out
    assert "Photo: /p/b2.jpg 640×480 JPEG [front]" in r.out
    assert "Collections: Exhibition" in r.out
    data = json.loads(cli("show", lib_path, "B-2", "--json").out)
    assert data["accession"] == "B-2" and data["collections"] == ["Exhibition"]
    assert set(data["labels"]) == {"dragon", "animal"}
    by_id = json.loads(cli("show", lib_path, f"#{data['id']}", "--json").out)
    assert by_id == data


def test_show_unknown_item(lib_path, cli):
    r = cli("show", lib_path, "Z-9")
    assert r.code == 1 and "Z-9" in r.err


def test_tag_and_untag(lib_path, cli):
    r = cli("tag", lib_path, "A-1", "C-3", "-l", "Animal>Phoenix", "--label", "红")
    assert r.code == 0 and "to 2 item(s)" in r.out
    with open_library(lib_path) as lib:
        c3 = lib.items.get_by_accession("C-3")
        assert c3.labels == ["animal", "phoenix", "red"]
    r = cli("untag", lib_path, "C-3", "-l", "phoenix")
    assert r.code == 0 and "Removed 1 tag(s) from 1 item(s)" in r.out
    with open_library(lib_path) as lib:
        assert lib.items.get_by_accession("C-3").labels == ["red"]
        assert lib.items.get_by_accession("A-1").labels == ["animal", "peony", "phoenix", "plant",
                                                            "red", "satin", "silk"]


@pytest.mark.parametrize("argv, message", [
    (["tag", "A-1", "C-3", "-l", "Dragon", "-l", "Unicorn"], "Unicorn"),
    (["tag", "A-1", "Z-9", "-l", "Dragon"], "Z-9"),
    (["untag", "A-1", "-l", "Unicorn"], "Unicorn"),
    (["tag", "A-1", "-l", "Cloud collar>Dragon"], "Unknown label"),
])
def test_tag_errors_change_nothing(lib_path, cli, argv, message):
    with open_library(lib_path) as lib:
        before = {i: lib.items.get(i).labels for i in lib.items.ids()}
    r = cli(argv[0], lib_path, *argv[1:])
    assert r.code == 1 and message in r.err
    with open_library(lib_path) as lib:
        assert {i: lib.items.get(i).labels for i in lib.items.ids()} == before
