"""wenyang labels list|add|rename|move|merge|delete|export|import."""
from __future__ import annotations

import json

import pytest

from app.core.models import Item
from app.core.scheme import LabelScheme
from app.store import open_library


@pytest.fixture
def lib_path(tmp_path, cli):
    path = tmp_path / "lib"
    cli("init", path)
    with open_library(path) as lib:
        lib.items.add(Item("A-1", labels=["Dragon"]))
        lib.items.add(Item("A-2", labels=["Dragon", "Peony"]))
    return path


def scheme(path) -> LabelScheme:
    with open_library(path) as lib:
        return lib.scheme


def test_list_shows_the_tree_with_counts(lib_path, cli):
    r = cli("labels", "list", lib_path)
    assert r.code == 0
    lines = r.out.splitlines()
    assert lines[0] == "Garment category [category]"
    assert "  Animal / 动物纹 [animal] (2)" in lines
    assert "    Dragon / 龙 [dragon] (2)" in lines
    assert "    Peony / 牡丹 [peony] (1)" in lines
    assert lines.index("  Animal / 动物纹 [animal] (2)") < lines.index("    Dragon / 龙 [dragon] (2)")
    fp = scheme(lib_path).fingerprint()
    assert lines[-1].startswith(f"({len(scheme(lib_path).labels)} labels") and fp in lines[-1]
    zh = cli("labels", "list", lib_path, "--lang", "zh").out.splitlines()
    assert zh[0] == "类别 [category]" and "    龙 / Dragon [dragon] (2)" in zh


def test_add_rename_move_merge_delete(lib_path, cli):
    r = cli("labels", "add", lib_path, "Fish", "--zh", "鱼", "--parent", "Animal")
    assert r.code == 0 and "Motif>Animal>Fish [fish]" in r.out
    r = cli("labels", "add", lib_path, "Purple", "--zh", "紫", "--facet", "色彩")
    assert r.code == 0 and "Colour>Purple [purple]" in r.out
    r = cli("labels", "rename", lib_path, "Fish", "--en", "Carp", "--zh", "鲤")
    assert r.code == 0 and "[fish] to Carp / 鲤" in r.out
    r = cli("labels", "move", lib_path, "Carp", "--parent", "Nature")
    assert r.code == 0 and "Motif>Nature>Carp" in r.out
    r = cli("labels", "merge", lib_path, "Dragon", "Carp")
    assert r.code == 0 and "2 item(s) re-tagged" in r.out
    s = scheme(lib_path)
    assert "dragon" not in s.labels and s.labels["fish"].parent == "nature"
    with open_library(lib_path) as lib:
        assert lib.items.get_by_accession("A-1").labels == ["fish", "nature"]
    r = cli("labels", "delete", lib_path, "Purple")
    assert r.code == 0 and "Deleted 1 label(s): purple" in r.out
    assert "purple" not in scheme(lib_path).labels


def test_delete_used_label_needs_force(lib_path, cli):
    r = cli("labels", "delete", lib_path, "Animal")
    assert r.code == 1 and "used by 2 item(s)" in r.err and "force" in r.err
    assert "animal" in scheme(lib_path).labels
    r = cli("labels", "delete", lib_path, "Animal", "--force")
    assert r.code == 0 and "animal" in r.out and "dragon" in r.out
    with open_library(lib_path) as lib:
        assert lib.items.get_by_accession("A-1").labels == []
        assert lib.items.get_by_accession("A-2").labels == ["peony", "plant"]


@pytest.mark.parametrize("argv, message", [
    (["add", "{lib}", "Fish"], "parent label or a facet"),
    (["add", "{lib}", "Fish", "--parent", "Unicorn"], "Unknown label 'Unicorn'"),
    (["add", "{lib}", "Dragon", "--parent", "Animal"], "already exists"),
    (["rename", "{lib}", "Dragon"], "--en"),
    (["rename", "{lib}", "Unicorn", "--en", "x"], "Unknown label"),
    (["move", "{lib}", "Dragon"], "--parent"),
    (["move", "{lib}", "Animal", "--parent", "Dragon"], "below itself"),
    (["move", "{lib}", "Dragon", "--facet", "Smell"], "Unknown facet"),
    (["merge", "{lib}", "Animal", "Dragon"], "outside its own subtree"),
    (["delete", "{lib}", "Cloud>Unicorn"], "Unknown label"),
])
def test_edit_errors(lib_path, cli, argv, message):
    before = scheme(lib_path)
    r = cli("labels", *[a.replace("{lib}", str(lib_path)) for a in argv])
    assert r.code == 1 and message in r.err
    assert scheme(lib_path).labels == before.labels


@pytest.mark.parametrize("fmt, name", [("json", "scheme.json"), ("paths", "scheme.txt")])
def test_export_then_import_into_a_new_library(tmp_path, lib_path, cli, fmt, name):
    cli("labels", "add", lib_path, "Fish", "--zh", "鱼", "--parent", "Animal")
    out = tmp_path / name
    r = cli("labels", "export", lib_path, out)
    assert r.code == 0 and str(out) in r.out
    source = scheme(lib_path)
    other = tmp_path / "other"
    cli("init", other)
    cli("labels", "delete", other, "Hat")
    r = cli("labels", "import", other, out)
    assert r.code == 0
    imported = scheme(other)
    if fmt == "json":
        assert json.loads(out.read_text("utf-8"))["fingerprint"] == source.fingerprint()
        assert "2 new label(s): " in r.out and {"fish", "hat"} <= set(imported.labels)
        assert imported.labels == source.labels
    else:
        assert out.read_text("utf-8").splitlines() == [source.keyword_path(l.id) for l in source.ordered()]
        assert "2 new label(s)" in r.out
        assert sorted(imported.keyword_path(i) for i in imported.labels) == \
            sorted(source.keyword_path(i) for i in source.labels)
    again = cli("labels", "import", other, out)
    assert again.code == 0 and "0 new label(s)." in again.out


def test_export_to_stdout_and_chinese_paths(lib_path, cli):
    r = cli("labels", "export", lib_path, "-", "--format", "paths", "--lang", "zh")
    assert r.code == 0
    lines = r.out.splitlines()
    assert "纹样>动物纹>龙" in lines and len(lines) == len(scheme(lib_path).labels)
    data = json.loads(cli("labels", "export", lib_path, "-", "--format", "json").out)
    assert data["format"] == "wenyang-label-scheme"
    assert LabelScheme.from_dict(data).labels == scheme(lib_path).labels


def test_import_chinese_keyword_paths_in_gb18030(tmp_path, lib_path, cli):
    paths = tmp_path / "kw.txt"
    paths.write_bytes("纹样>动物纹>鱼\n纹样>动物纹>龙\n用途>婚礼\n".encode("gb18030"))
    r = cli("labels", "import", lib_path, paths, "--lang", "zh")
    assert r.code == 0 and "2 new label(s)" in r.out
    s = scheme(lib_path)
    assert s.resolve("动物纹>鱼").parent == "animal"
    assert s.facets[s.resolve("婚礼").facet].name_zh == "用途"


@pytest.mark.parametrize("content, message", [
    ('{"facets": [', "not valid JSON"),
    ('{"labels": []}', "not a label scheme"),
    ('{"facets": ["motif"], "labels": []}', "malformed"),
    ('{"facets": [], "labels": [{"id": "x", "facet": "nowhere", "name_en": "X", "name_zh": "X"}]}',
     "unknown facet"),
])
def test_import_malformed_json(tmp_path, lib_path, cli, content, message):
    bad = tmp_path / "bad.json"
    bad.write_text(content, encoding="utf-8")
    before = scheme(lib_path)
    r = cli("labels", "import", lib_path, bad)
    assert r.code == 1 and message in r.err
    assert scheme(lib_path).labels == before.labels


def test_import_and_export_file_problems(tmp_path, lib_path, cli):
    r = cli("labels", "import", lib_path, tmp_path / "missing.json")
    assert r.code == 1 and "missing.json" in r.err
    (tmp_path / "bad.txt").write_text("Motif>>Dragon\n", encoding="utf-8")
    r = cli("labels", "import", lib_path, tmp_path / "bad.txt")
    assert r.code == 1 and "empty part" in r.err
    r = cli("labels", "export", lib_path, tmp_path / "no" / "such" / "dir" / "s.json")
    assert r.code == 0 and (tmp_path / "no" / "such" / "dir" / "s.json").is_file()  # as every export: folders made
    r = cli("labels", "export", lib_path, tmp_path)  # a folder
    assert r.code == 1


def test_export_onto_a_pipe_is_refused(tmp_path, lib_path, cli):
    import os

    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    r = cli("labels", "export", lib_path, fifo)  # writing into it would block for ever
    assert r.code == 1 and "not a regular file" in r.err and fifo.is_fifo()
