"""CSV and JSON exports: encoding, columns, both languages, and re-import as a sheet."""
from __future__ import annotations

import csv
import io
import json

from app.exchange.common import select_all, select_items, select_search
from app.exchange.export_csv import export_csv
from app.exchange.export_json import export_json
from app.exchange.sheets import read_sheet
from app.services.importing import ImportOptions, import_paths
from tests.exchange.conftest import EXHIBITION, LOANS, clothing_files


def read_csv(path) -> list[dict]:
    data = path.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")  # Excel needs the BOM to show Chinese
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def test_csv_has_bom_chinese_labels_and_metadata_columns(source, tmp_path):
    export_csv(source, select_all(source), tmp_path / "all.csv")
    rows = read_csv(tmp_path / "all.csv")
    assert len(rows) == 42
    first = rows[0]
    assert first["title"] == "明黄缎绣龙纹袍"
    assert first["description"] == "石青缎绣云蝠纹女褂, 'quoted', \"双引号\"\n第二行"
    assert "Motif>Animal>Dragon" in first["labels"].split("|")
    assert "纹样>动物纹>龙" in first["labels_zh"].split("|")
    assert "Motif>Animal" not in first["labels"].split("|")  # implied ancestors are not repeated
    assert len(first["photos"].split("|")) == 2
    assert first["collections"] == LOANS
    assert first["尺寸"] == "140cm" and first["count"] == "3"
    assert json.loads(first["nested"]) == {"a": [1, 2.5, None]}
    assert rows[1]["metadata.title"] == "clash"  # would be read as the title on re-import
    assert EXHIBITION in {c for r in rows for c in r["collections"].split("|")}


def test_search_result_csv_keeps_rank_and_distance(source, tmp_path):
    ids = source.items.ids()[:3][::-1]
    export_csv(source, select_search(source, ids, [0, 2.5, 7], "dragon robe"), tmp_path / "s.csv")
    rows = read_csv(tmp_path / "s.csv")
    assert [r["accession"] for r in rows] == [source.items.get(i).accession for i in ids]
    assert [(r["rank"], r["distance"]) for r in rows] == [("1", "0.0"), ("2", "2.5"), ("3", "7.0")]


def test_exported_csv_imports_back_through_the_sheet_importer(source, target, tmp_path):
    ids = source.items.ids()[1:6]
    export_csv(source, select_items(source, ids), tmp_path / "five.csv")
    sheet = read_sheet(tmp_path / "five.csv")
    assert sheet.encoding == "UTF-8 with BOM" and len(sheet.rows) == 5
    files = [f for f in clothing_files(0, 43)
             if f.stem in {source.items.get(i).accession for i in ids}]
    report = import_paths(target, files, ImportOptions(metadata=tmp_path / "five.csv",
                                                       create_labels=True))
    assert report.added_items == 5 and not report.unknown_labels
    for item_id in ids:
        original = source.items.get(item_id)
        copy = target.items.get_by_accession(original.accession)
        assert (copy.title, copy.description) == (original.title, original.description)
        assert copy.labels == original.labels


def test_json_has_both_languages_scheme_and_collections(source, tmp_path):
    result = export_json(source, select_all(source), tmp_path / "all.json")
    doc = json.loads((tmp_path / "all.json").read_text(encoding="utf-8"))
    assert (result.items, result.photos) == (42, 43)
    assert doc["format"] == "wenyang-export"
    assert doc["scheme"]["fingerprint"] == source.scheme.fingerprint()
    assert doc["scheme"]["version"] == source.scheme.version
    first = doc["items"][0]
    assert {"id": "dragon", "en": "Motif>Animal>Dragon", "zh": "纹样>动物纹>龙", "source": "user"} in first["labels"]
    assert {"id": "animal", "en": "Motif>Animal", "zh": "纹样>动物纹"} in first["implied_labels"]
    assert first["metadata"]["nested"] == {"a": [1, 2.5, None]}
    for photo in first["photos"]:
        assert photo["path"].startswith("/") and len(photo["sha256"]) == 64
    satin = [l for item in doc["items"] for l in item["labels"] if l["id"] == "satin"]
    assert satin and all(l["source"] == "suggestion" for l in satin)
    names = {c["name"]: c for c in doc["collections"]}
    assert len(names[EXHIBITION]["items"]) == 10 and names[EXHIBITION]["description"] == "展览 description"
