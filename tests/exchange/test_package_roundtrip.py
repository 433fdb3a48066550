"""ZIP packages: export, import into a fresh library, and find everything again."""
from __future__ import annotations

import json
import zipfile

from PIL import Image

from app.cli import main as cli
from app.exchange.common import select_all, select_collection, select_items
from app.exchange.package import export_package
from app.exchange.package_import import PackageImportOptions, import_packages
from app.store import open_library
from tests.exchange.conftest import EXHIBITION, LOANS, snapshot


def test_whole_library_round_trip_is_lossless(source, target, tmp_path):
    result = export_package(source, select_all(source), tmp_path / "all.zip")
    assert (result.items, result.photos, result.missing_photos) == (42, 43, [])
    [report] = import_packages(target, [tmp_path / "all.zip"])
    assert (report.added_items, report.added_photos, report.skipped) == (42, 43, [])
    assert sorted(report.created_collections) == sorted([EXHIBITION, LOANS])
    assert snapshot(target) == snapshot(source)
    assert target.scheme.to_dict()["labels"] == source.scheme.to_dict()["labels"]
    # photos are copied into the target, content-addressed, with thumbnails
    for item_id in target.items.ids():
        for photo in target.items.get(item_id).photos:
            assert photo.path == f"photos/{photo.sha256[:2]}/{photo.sha256}.jpg"
            assert (target.thumbnails_dir / photo.sha256[:2] / f"{photo.sha256}.jpg").is_file()


def test_collection_package_keeps_order_and_only_its_members(source, target, tmp_path):
    export_package(source, select_collection(source, EXHIBITION), tmp_path / "ex.zip")
    with zipfile.ZipFile(tmp_path / "ex.zip") as zf:
        names = set(zf.namelist())
        doc = json.loads(zf.read("metadata.json"))
    assert {"metadata.json", "scheme.json", "README.txt"} <= names
    assert len(doc["items"]) == 10
    import_packages(target, [tmp_path / "ex.zip"])
    assert target.items.count() == 10
    assert snapshot(target)["collections"][EXHIBITION] == snapshot(source)["collections"][EXHIBITION]
    # a Loans member that is also in the exhibition travels with a one-member Loans collection
    loans = [a for a in snapshot(source)["collections"][LOANS][1] if a in snapshot(target)["items"]]
    assert snapshot(target)["collections"].get(LOANS, ("", []))[1] == loans


def test_resized_package_has_small_jpegs_and_imports(source, target, tmp_path):
    ids = source.items.ids()[:3]
    result = export_package(source, select_items(source, ids), tmp_path / "small.zip", max_side=120)
    with zipfile.ZipFile(tmp_path / "small.zip") as zf:
        doc = json.loads(zf.read("metadata.json"))
        for item in doc["items"]:
            for photo in item["photos"]:
                with zf.open(photo["file"]) as handle, Image.open(handle) as img:
                    assert max(img.size) <= 120 and img.size == (photo["width"], photo["height"])
                assert photo["resized_from"]["width"] > 120
    assert result.photos == 4  # the first item has two photos
    [report] = import_packages(target, [tmp_path / "small.zip"])
    assert report.added_photos == 4
    imported = target.items.get(target.items.ids()[0])
    assert all(max(p.width, p.height) <= 120 for p in imported.photos)


def test_existing_accessions_are_skipped_and_reported(source, target, tmp_path):
    ids = source.items.ids()[:5]
    export_package(source, select_items(source, ids[:2]), tmp_path / "two.zip")
    export_package(source, select_items(source, ids), tmp_path / "five.zip")
    import_packages(target, [tmp_path / "two.zip"])
    before = snapshot(target)["items"]
    [report] = import_packages(target, [tmp_path / "five.zip"])
    assert report.added_items == 3 and report.partial
    assert [acc for acc, _ in report.skipped] == [source.items.get(i).accession for i in ids[:2]]
    assert all("already has" in why for _, why in report.skipped)
    after = snapshot(target)["items"]
    assert {k: after[k] for k in before} == before  # the existing items are left unchanged


def test_label_names_of_the_library_win_unless_asked(source, tmp_path):
    export_package(source, select_items(source, source.items.ids()[:1]), tmp_path / "one.zip")
    for take, expected in ((False, "Drache"), (True, "Dragon")):
        with open_library(tmp_path / f"lib-{take}", create=True) as lib:
            lib.labels.rename("dragon", name_en="Drache")
            [report] = import_packages(lib, [tmp_path / "one.zip"],
                                       PackageImportOptions(take_label_names=take))
            assert lib.scheme.labels["dragon"].name_en == expected
            assert any("differ" in n for n in report.notes) != take


def test_cli_export_then_import_then_again(source_root, tmp_path, capsys):
    out = tmp_path / "loans.zip"
    assert cli(["export", str(source_root), "--collection", LOANS, "-o", str(out)]) == 0
    assert "Exported 3 item(s)" in capsys.readouterr().out
    target = tmp_path / "t"
    assert cli(["init", str(target)]) == 0
    assert cli(["import", str(target), str(out)]) == 0
    assert "Imported 3 of 3 item(s)" in capsys.readouterr().out
    assert cli(["import", str(target), str(out)]) == 3  # partial: all three skipped
    assert "Skipped 3 item(s)" in capsys.readouterr().out


def test_resizing_keeps_the_jpeg_compression_of_the_original():
    from app.exchange.photos import resized_jpeg
    from tests.exchange.conftest import clothing_files

    for path in clothing_files(0, 5):  # 400×533 JPEGs, strongly compressed
        data, width, height = resized_jpeg(path, 512)
        assert max(width, height) == 512 and len(data) < path.stat().st_size * 1.05
