"""The long jobs as ops: an import (of photos or of packages), an export, a training and an
encoding, each applied and then undone, leave the library as it was row for row, and the
redo makes the change again; what an undone job left on disk goes when the trash is emptied."""
from __future__ import annotations

import json
import os
import threading
import time

import pytest

from app.core.models import Item
from app.exchange.common import select_all, select_items
from app.services.encoding import Encode
from app.services.exchange import Export, ExportError, ImportPackages
from app.services.importing import ImportFiles, ImportOptions
from app.services.trash import empty_trash
from app.store import open_library
from tests import samples
from tests.library_rows import content, without_times


@pytest.fixture
def lib(library):
    """Two items, one of them tagged and in a collection."""
    first = library.items.add(Item("M-001", title="Robe", description="云纹龙袍"))
    library.items.add(Item("M-002", title="Skirt"))
    library.labels.tag([first], ["dragon"])
    library.collections.create("Robes")
    library.collections.add("Robes", [first])
    library.db.execute("UPDATE items SET created = '2020-01-01', modified = '2020-01-01'")
    library.db.conn.commit()
    return library


def check_exact(lib, run):
    before = content(lib)
    result = run()
    after = content(lib)
    assert after != before, "the job changed nothing: the case proves nothing"
    assert result.changes
    redo = result.undo.run(lib).undo
    assert content(lib) == before
    redo.run(lib)
    assert without_times(content(lib)) == without_times(after)  # a redo may stamp the next second
    return result


def test_an_import_with_a_sheet_and_new_labels_is_undone_exactly(lib, tmp_path):
    folder = tmp_path / "in"
    for n, name in enumerate(["a", "b", "c", "M-001-back"]):
        samples.photo(folder / f"{name}.jpg", n, fmt="JPEG")
    sheet = tmp_path / "sheet.json"
    sheet.write_text(json.dumps([
        {"file": "a.jpg", "title": "Jacket", "labels": ["Kimono", "dragon"]},
        {"file": "b.jpg", "labels": ["Motif>Animal>Qilin"]},
        {"file": "M-001-back.jpg", "accession": "M-001", "labels": ["phoenix"]},  # a second photo
    ]), encoding="utf-8")
    seen = []
    op = ImportFiles([folder], ImportOptions(metadata=sheet, create_labels=True, copy=True), seen.append)
    result = check_exact(lib, lambda: op.run(lib))
    report = result.value
    assert (report.added_items, report.added_photos, len(report.created_labels)) == (3, 4, 2)
    assert len(seen) == 4 and result.changes.item_set and result.changes.scheme
    assert "phoenix" in lib.labels.labels_of(lib.items.id_for_accession("M-001"))  # redone


def test_photos_an_undone_import_copied_in_go_when_the_trash_is_emptied(lib, tmp_path):
    samples.photo(tmp_path / "in" / "a.jpg", 1, fmt="JPEG")
    result = ImportFiles([tmp_path / "in"], ImportOptions(copy=True)).run(lib)
    copied = [p for p in lib.photos_dir.glob("*/*") if p.is_file()]
    thumbs = [p for p in lib.thumbnails_dir.glob("*/*") if p.is_file()]
    assert len(copied) == 1 and len(thumbs) == 1
    result.undo.run(lib)
    assert empty_trash(lib) == (0, 0), "files younger than the grace period belong to a job that may be running"
    old = time.time() - 7200
    for path in copied + thumbs:
        os.utime(path, (old, old))
    assert empty_trash(lib) == (0, 2) and not copied[0].exists() and not thumbs[0].exists()


def test_a_cancelled_import_is_undone_as_far_as_it_went(lib, tmp_path):
    for n in range(6):
        samples.photo(tmp_path / "in" / f"p{n}.jpg", n, fmt="JPEG")
    before = content(lib)
    cancel = threading.Event()
    op = ImportFiles([tmp_path / "in"], ImportOptions(workers=1),
                     progress=lambda e: cancel.set() if e.done == 2 else None, cancel=cancel)
    result = op.run(lib)
    assert result.value.cancelled and lib.items.count() == 4
    result.undo.run(lib)
    assert content(lib) == before


def test_a_package_import_is_undone_exactly(lib, tmp_path):
    source = open_library(tmp_path / "source", create=True)
    ids = [source.items.add(Item(f"P-{n}", title=f"Packaged {n}")) for n in range(3)]
    samples.photo(tmp_path / "p.jpg", 5, fmt="JPEG")
    ImportFiles([tmp_path / "p.jpg"], ImportOptions(copy=True)).run(source)
    source.labels.add("Tiger", "虎", parent="animal")
    source.labels.tag(ids, ["Tiger"])
    source.collections.create("Robes")  # the same name as the target's: extended there
    source.collections.add("Robes", ids[:2])
    source.collections.create("New")
    source.collections.add("New", ids[1:])
    package = tmp_path / "out.zip"
    Export(select_all(source), "zip", package).run(source)
    source.close()
    result = check_exact(lib, lambda: ImportPackages([package]).run(lib))
    assert result.value[0].added_items == 4


def test_an_export_is_undone_by_taking_it_away_and_putting_back_what_it_replaced(lib, tmp_path):
    out = tmp_path / "items.csv"
    out.write_text("an older export", encoding="utf-8")
    before = content(lib)
    result = Export(select_items(lib, ["M-001"]), "csv", out).run(lib)
    written = out.read_bytes()
    assert result.changes.files and not result.changes.item_set and content(lib) == before
    assert b"M-001" in written and b"M-002" not in written
    redo = result.undo.run(lib).undo
    assert out.read_text(encoding="utf-8") == "an older export"
    assert sorted(p.name for p in tmp_path.iterdir() if p.name != "lib")[0].startswith(".items.csv.")
    undo = redo.run(lib).undo
    assert out.read_bytes() == written
    undo.discard()  # the step leaves the undo stack with the export in place: the old file goes
    assert sorted(p.name for p in tmp_path.iterdir() if p.name != "lib") == ["items.csv"]


def test_an_undone_export_that_leaves_the_stack_is_removed(lib, tmp_path):
    out = tmp_path / "site"
    result = Export(select_all(lib), "iiif", out).run(lib)
    assert out.is_dir()
    redo = result.undo.run(lib).undo
    assert not out.exists()
    redo.discard()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["lib"]


def test_an_export_moved_away_meanwhile_cannot_be_undone_and_says_so(lib, tmp_path):
    out = tmp_path / "a.json"
    result = Export(select_all(lib), "json", out).run(lib)
    out.rename(tmp_path / "kept.json")
    with pytest.raises(ExportError, match="moved or deleted"):
        result.undo.run(lib)
    assert (tmp_path / "kept.json").exists()


def test_a_failed_export_puts_back_the_file_it_was_to_replace(lib, tmp_path):
    out = tmp_path / "x.csv"
    out.write_text("keep me", encoding="utf-8")
    with pytest.raises(ExportError):
        Export(select_all(lib), "csv", out, progress=_boom).run(lib)
    assert out.read_text(encoding="utf-8") == "keep me"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def _boom(event):
    raise ExportError("the disk went away")


@pytest.mark.slow  # trains real (tiny) networks
def test_training_then_encoding_are_undone_exactly(tmp_path):
    from app.services.demo import create_demo_library
    from app.services.training import Train, TrainOptions
    from tests.services.test_train_and_search import TINY

    create_demo_library(tmp_path / "lib", seed=2, count=40)
    with open_library(tmp_path / "lib") as lib:
        trained = check_exact(lib, lambda: Train(TrainOptions(**(TINY | {"epochs": 2}))).run(lib))
        model = trained.value.model_id
        assert lib.models.active().id == model and trained.changes.models
        assert (lib.models_dir / model).is_dir(), "the redo found the model's files"
        first = lib.items.ids()[0]
        lib.items.update(first, description="黄缎龙纹袍 with new words")
        lib.labels.tag([lib.items.ids()[1]], ["phoenix"])
        samples.photo(tmp_path / "new.jpg", 3, fmt="JPEG")
        ImportFiles([tmp_path / "new.jpg"]).run(lib)
        encoded = check_exact(lib, lambda: Encode().run(lib))
        assert encoded.value.encoded == {"label": 1, "text": 1, "image": 1}  # the tag, the words, the photo
