from __future__ import annotations

import hashlib
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from app.cli import main as cli
from app.services.importing import Importer, ImportOptions, import_paths
from app.store import open_library
from tests import samples


@pytest.fixture
def lib(tmp_path):
    library = open_library(tmp_path / "lib", create=True)
    yield library
    library.close()


def reasons(report) -> dict[str, str]:
    return {Path(s.path).name: s.reason for s in report.skipped}


def test_bad_files_are_reported_and_good_ones_kept(lib, tmp_path):
    expected = samples.bad_folder(tmp_path / "in")
    report = import_paths(lib, [tmp_path / "in"])
    assert reasons(report) == expected
    assert report.added_items == 2 and report.partial
    assert sorted(lib.items.get(i).accession for i in lib.items.ids()) == ["good1", "good2"]
    thumbs = list(lib.thumbnails_dir.rglob("*.jpg"))
    assert len(thumbs) == 2


def test_reimport_adds_nothing_and_says_so(lib, tmp_path):
    for i in range(3):
        samples.photo(tmp_path / "in" / f"p{i}.jpg", i, fmt="JPEG")
    first = import_paths(lib, [tmp_path / "in"])
    second = import_paths(lib, [tmp_path / "in"])
    assert (first.added_items, len(first.duplicates)) == (3, 0)
    assert (second.added_items, len(second.duplicates)) == (0, 3)
    assert {acc for _, acc in second.duplicates} == {"p0", "p1", "p2"}
    assert lib.items.count() == 3


def test_photos_already_in_the_library_are_not_decoded_again(lib, tmp_path, monkeypatch):
    from app.services import importing

    for i in range(3):
        samples.photo(tmp_path / "in" / f"p{i}.jpg", i, fmt="JPEG")
    import_paths(lib, [tmp_path / "in" / "p0.jpg", tmp_path / "in" / "p1.jpg"])
    decoded = []
    real = importing.decode
    monkeypatch.setattr(importing, "decode", lambda path, data: (decoded.append(Path(path).name), real(path, data))[1])
    report = import_paths(lib, [tmp_path / "in"])
    assert (report.added_items, len(report.duplicates)) == (1, 2)
    assert decoded == ["p2.jpg"]  # the two known ones were found by their hash, not decoded


def test_identical_files_in_one_batch_become_one_item(lib, tmp_path):
    src = samples.photo(tmp_path / "a.png", 7)
    (tmp_path / "copy.png").write_bytes(src.read_bytes())
    report = import_paths(lib, [src, tmp_path / "copy.png"])
    assert report.added_items == 1 and len(report.duplicates) == 1


def test_gb18030_sheet_matches_by_name_and_accession(lib, tmp_path):
    samples.photo(tmp_path / "in" / "IMG_001.jpg", 1, fmt="JPEG")
    samples.photo(tmp_path / "in" / "M-2.jpg", 2, fmt="JPEG")
    samples.photo(tmp_path / "in" / "IMG_003.jpg", 3, fmt="JPEG")
    sheet = tmp_path / "sheet.csv"
    sheet.write_bytes(("文件名,编号,标题,描述,标签,尺寸\n"
                       "IMG_001.jpg,M-1,龙袍,明黄缎绣龙纹袍,纹样>动物纹>龙|Red,140cm\n"
                       ",M-2,马面裙,红色马面裙,马面裙;Unicorn,\n"
                       "IMG_003,M-1,,,Satin,\n").encode("gb18030"))
    report = import_paths(lib, [tmp_path / "in"], ImportOptions(metadata=sheet))
    assert any("GB18030" in n for n in report.notes)
    robe = lib.items.get_by_accession("M-1")
    assert robe.title == "龙袍" and robe.metadata == {"尺寸": "140cm"}
    assert len(robe.photos) == 2  # IMG_003 names the same accession: a second photo
    assert {"dragon", "animal", "red", "satin", "silk"} <= set(robe.labels)
    skirt = lib.items.get_by_accession("M-2")
    assert skirt.labels == ["horse-face-skirt", "skirt"]
    assert report.unknown_labels == {"Unicorn": 1}
    assert report.partial


def test_the_sheet_inside_the_photo_folder_is_not_reported_as_skipped(lib, tmp_path):
    samples.photo(tmp_path / "in" / "a.jpg", 1, fmt="JPEG")
    (tmp_path / "in" / "sheet.csv").write_text("file,title\na.jpg,Robe\n", encoding="utf-8")
    (tmp_path / "in" / "notes.txt").write_text("x", encoding="utf-8")
    report = import_paths(lib, [tmp_path / "in"], ImportOptions(metadata=tmp_path / "in" / "sheet.csv"))
    assert [Path(s.path).name for s in report.skipped] == ["notes.txt"]
    assert lib.items.get_by_accession("a").title == "Robe"


def test_unknown_labels_are_created_only_when_asked(lib, tmp_path):
    samples.photo(tmp_path / "in" / "a.jpg", 1, fmt="JPEG")
    samples.photo(tmp_path / "in" / "b.jpg", 2, fmt="JPEG")
    sheet = tmp_path / "s.json"
    sheet.write_text('[{"file": "a.jpg", "labels": ["Kimono"]},'
                     ' {"file": "b.jpg", "labels": ["Motif>Animal>Qilin"]}]', encoding="utf-8")
    report = import_paths(lib, [tmp_path / "in"], ImportOptions(metadata=sheet, create_labels=True))
    assert not report.unknown_labels and len(report.created_labels) == 2
    scheme = lib.scheme
    assert scheme.keyword_path(scheme.resolve("Kimono").id) == "Garment category>Kimono"
    qilin = lib.items.get_by_accession("b").labels
    assert scheme.resolve("Qilin").id in qilin and "animal" in qilin


def test_cancel_stops_cleanly_and_a_rerun_completes(lib, tmp_path):
    for i in range(30):
        samples.photo(tmp_path / "in" / f"p{i:02}.png", i)
    cancel = threading.Event()
    importer = Importer(lib, [tmp_path / "in"], ImportOptions(workers=1), cancel)
    for event in importer.run():
        if event.done >= 5:
            cancel.set()
    assert importer.report.cancelled
    partial = lib.items.count()
    assert 5 <= partial < 30
    rest = import_paths(lib, [tmp_path / "in"])
    assert rest.added_items == 30 - partial and lib.items.count() == 30


def test_full_database_stops_the_import_without_half_items(lib, tmp_path):
    for i in range(150):
        samples.photo(tmp_path / "in" / f"p{i:03}.png", i, size=(8, 8))
    pages = lib.db.execute("PRAGMA page_count").fetchone()[0]
    lib.db.execute(f"PRAGMA max_page_count = {pages + 3}")  # room for a handful of items only
    report = import_paths(lib, [tmp_path / "in"])
    assert "disk is full" in report.error and report.partial
    count = lib.items.count()
    assert 0 < count < 150
    orphans = lib.db.execute("SELECT COUNT(*) FROM items WHERE id NOT IN (SELECT item_id FROM photos)")
    assert orphans.fetchone()[0] == 0


def test_cli_exit_code_tells_partial_success(tmp_path, capsys):
    expected = samples.bad_folder(tmp_path / "in")
    assert cli(["init", str(tmp_path / "L")]) == 0
    assert cli(["import", str(tmp_path / "L"), str(tmp_path / "in")]) == 3
    out = capsys.readouterr().out
    for name, reason in expected.items():
        assert name in out and reason in out
    samples.photo(tmp_path / "ok" / "fine.jpg", 5, fmt="JPEG")
    assert cli(["import", str(tmp_path / "L"), str(tmp_path / "ok")]) == 0


def test_malformed_sheet_fails_before_anything_is_written(tmp_path, capsys):
    samples.photo(tmp_path / "in" / "a.jpg", 1, fmt="JPEG")
    (tmp_path / "bad.json").write_text('[{"file": "a.jpg",}', encoding="utf-8")
    cli(["init", str(tmp_path / "L")])
    code = cli(["import", str(tmp_path / "L"), str(tmp_path / "in"), "--metadata", str(tmp_path / "bad.json")])
    assert code == 1 and "not valid JSON" in capsys.readouterr().err
    with open_library(tmp_path / "L") as library:
        assert library.items.count() == 0


def _clothing_files(n: int) -> list[Path]:
    folder = samples.clothing_dir() / "images"
    if not folder.is_dir():
        pytest.skip("shared clothing-cc0 data not present")
    return sorted(folder.glob("*.jpg"))[:n]


def test_real_photos_with_their_sheet(lib):
    files = _clothing_files(60)
    report = import_paths(lib, files, ImportOptions(metadata=samples.clothing_dir() / "images.csv",
                                                    create_labels=True))
    assert report.added_items + len(report.duplicates) == 60 and not report.skipped
    counts = {k: v for k, v in lib.labels.counts().items() if v}
    assert counts and sum(counts.values()) >= 50
    item = lib.items.get(lib.items.ids()[0])
    assert item.photos[0].width > 100 and "sender_id" in item.metadata


def test_sigkill_mid_import_leaves_whole_items_and_rerun_adds_the_rest(tmp_path):
    files = _clothing_files(500)
    library = tmp_path / "L"
    assert cli(["init", str(library)]) == 0
    cmd = [sys.executable, "-m", "app.cli", "import", str(library), *map(str, files), "-q"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            cwd=Path(__file__).resolve().parents[2])
    db = library / "library.sqlite"
    deadline = time.monotonic() + 60
    count = 0
    while time.monotonic() < deadline and proc.poll() is None:
        with sqlite3.connect(db) as conn:
            count = conn.execute("SELECT COUNT(*) FROM items").fetchone()[0]
        if count >= 100:
            break
        time.sleep(0.02)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert 0 < count < 500, proc.stderr.read().decode()[-2000:]
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        before = conn.execute("SELECT COUNT(*) FROM items").fetchone()[0]
        orphans = conn.execute("SELECT COUNT(*) FROM items WHERE id NOT IN (SELECT item_id FROM photos)")
        assert orphans.fetchone()[0] == 0
    distinct = {hashlib.sha256(f.read_bytes()).hexdigest() for f in files}
    with open_library(library) as lib:
        report = import_paths(lib, files)
        after = lib.items.count()
        assert report.added_items == after - before  # exactly the rest, nothing twice
        assert after == len(distinct) and not report.skipped
        photos = {r[0] for r in lib.db.execute("SELECT sha256 FROM photos").fetchall()}
        assert photos == distinct


def test_progress_counts_every_file_once_in_order(lib, tmp_path):
    for i in range(13):
        samples.photo(tmp_path / "in" / f"p{i:02}.png", i, size=(8, 8))
    events = list(Importer(lib, [tmp_path / "in"]).run())
    assert [e.done for e in events] == list(range(1, 14))
    assert all(e.total == 13 for e in events)
    assert [Path(e.detail).name for e in events] == [f"p{i:02}.png" for i in range(13)]
    assert {e.stage for e in events} == {"import"} and {e.data["outcome"] for e in events} == {"added"}
