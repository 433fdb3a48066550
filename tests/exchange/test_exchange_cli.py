"""``wenyang export`` and package import through the command line."""
from __future__ import annotations

import json

import numpy as np
import pytest

from app.cli import main as cli
from tests.exchange.conftest import EXHIBITION


def test_export_has_help(capsys):
    with pytest.raises(SystemExit) as stop:
        cli(["export", "--help"])
    assert stop.value.code == 0
    text = capsys.readouterr().out
    for word in ("--format", "--collection", "--items", "--all", "--resize", "--base-uri", "research"):
        assert word in text


@pytest.mark.parametrize("fmt, name", [("csv", "x.csv"), ("json", "x.json"), ("zip", "x.zip"),
                                       ("iiif", "site"), ("research", "set")])
def test_every_format_from_the_command_line(source_root, tmp_path, capsys, fmt, name):
    out = tmp_path / name
    args = ["export", str(source_root), "--format", fmt, "--collection", EXHIBITION, "-o", str(out)]
    if fmt == "research":
        args += ["--query", "2", "--train", "5", "--seed", "3"]
    assert cli(args) == 0
    assert "Exported 10 item(s)" in capsys.readouterr().out
    assert out.exists() and not [p for p in tmp_path.iterdir() if p.name.endswith(".part")]
    if fmt == "research":
        d = np.load(out / "dataset.npz")
        assert (len(d["query_idx"]), len(d["train_idx"]), int(d["split_seed"])) == (2, 5, 3)


def test_items_and_all_selections(source, source_root, tmp_path):
    accessions = [source.items.get(i).accession for i in source.items.ids()[:2]]
    assert cli(["export", str(source_root), "--items", *accessions, "-o", str(tmp_path / "two.json")]) == 0
    doc = json.loads((tmp_path / "two.json").read_text(encoding="utf-8"))
    assert [i["accession"] for i in doc["items"]] == accessions
    assert cli(["export", str(source_root), "--all", "-o", str(tmp_path / "site"), "-f", "iiif",
                "--base-uri", "https://museum.example/iiif/", "--resize", "200"]) == 0
    coll = json.loads((tmp_path / "site" / "collection.json").read_text(encoding="utf-8"))
    assert coll["id"] == "https://museum.example/iiif/collection.json" and len(coll["items"]) == 42


def test_mistakes_are_sentences_with_exit_1(source_root, tmp_path, capsys):
    cases = [
        (["--all", "-o", str(tmp_path / "out.txt")], "Cannot tell the format"),
        (["--all", "-o", str(tmp_path / "a.csv"), "--resize", "100"], "Resizing applies"),
        (["--collection", "Nope", "-o", str(tmp_path / "a.csv")], "no collection"),
        (["--all", "-f", "research", "--query", "100000", "-o", str(tmp_path / "r")], "1 ≤ query"),
    ]
    for extra, message in cases:
        assert cli(["export", str(source_root), *extra]) == 1
        assert message in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_packages_are_imported_on_their_own(source_root, tmp_path, capsys):
    assert cli(["export", str(source_root), "--collection", EXHIBITION, "-o", str(tmp_path / "e.zip")]) == 0
    assert cli(["init", str(tmp_path / "t")]) == 0
    capsys.readouterr()
    assert cli(["import", str(tmp_path / "t"), str(tmp_path / "e.zip"), str(tmp_path)]) == 1
    assert "on their own" in capsys.readouterr().err
    assert cli(["import", str(tmp_path / "t"), str(tmp_path / "e.zip"), "--metadata", "x.csv"]) == 1
    assert "carries its own metadata" in capsys.readouterr().err


def test_import_takes_label_names_when_asked(source_root, tmp_path, capsys):
    assert cli(["export", str(source_root), "--all", "-o", str(tmp_path / "all.zip")]) == 0
    assert cli(["init", str(tmp_path / "t")]) == 0
    assert cli(["labels", "rename", str(tmp_path / "t"), "dragon", "--en", "Drache"]) == 0
    assert cli(["import", str(tmp_path / "t"), str(tmp_path / "all.zip")]) == 0
    assert "--take-label-names" in capsys.readouterr().out
    assert cli(["import", str(tmp_path / "t"), str(tmp_path / "all.zip"), "--take-label-names"]) == 3
    from app.store import open_library
    with open_library(tmp_path / "t") as lib:
        assert lib.scheme.labels["dragon"].name_en == "Dragon"
