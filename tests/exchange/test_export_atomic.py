"""Exports are all or nothing: cancel or failure leaves no file; selections are checked."""
from __future__ import annotations

import threading
import zipfile

import pytest

from app.core.errors import NotFound
from app.core.jobs import Cancelled
from app.exchange.common import ExportError, select_all, select_collection, select_items, select_search
from app.exchange.export import ExportOptions, format_for, run_export
from app.exchange.package_import import import_packages
from app.services.importing import ImportOptions, import_paths
from tests import samples
from tests.exchange.conftest import EXHIBITION

OUTPUTS = {"csv": "x.csv", "json": "x.json", "zip": "x.zip", "iiif": "site", "research": "set"}


def cancel_after(n: int):
    """A progress callback that cancels on the n-th event, and the event it sets."""
    cancel, seen = threading.Event(), []

    def progress(event):
        seen.append(event)
        if len(seen) >= n:
            cancel.set()
    return progress, cancel, seen


@pytest.mark.parametrize("fmt", sorted(OUTPUTS))
def test_cancel_mid_export_leaves_nothing(source, tmp_path, fmt):
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    progress, cancel, seen = cancel_after(10)
    with pytest.raises(Cancelled, match="no file was written"):
        run_export(source, select_all(source), fmt, out_dir / OUTPUTS[fmt],
                   progress=progress, cancel=cancel)
    assert list(out_dir.iterdir()) == []
    assert 10 <= len(seen) < 42 and seen[0].total == 42


def test_cancelled_re_export_keeps_the_previous_file(source, tmp_path):
    out = tmp_path / "ex.zip"
    run_export(source, select_collection(source, EXHIBITION), "zip", out)
    before = out.read_bytes()
    progress, cancel, _ = cancel_after(3)
    with pytest.raises(Cancelled, match="no file was written"):
        run_export(source, select_all(source), "zip", out, progress=progress, cancel=cancel)
    assert out.read_bytes() == before and [p.name for p in tmp_path.iterdir()] == ["ex.zip"]


def test_outputs_that_cannot_be_written_are_refused_plainly(source, tmp_path):
    (tmp_path / "old-site").mkdir()
    (tmp_path / "old-site" / "keep.txt").write_text("mine")
    with pytest.raises(ExportError, match="not an empty folder"):
        run_export(source, select_all(source), "iiif", tmp_path / "old-site")
    assert [p.name for p in (tmp_path / "old-site").iterdir()] == ["keep.txt"]
    with pytest.raises(ExportError, match="is a folder"):
        run_export(source, select_all(source), "csv", tmp_path / "old-site")
    (tmp_path / "file").write_text("x")
    with pytest.raises(ExportError, match="Cannot create the folder"):
        run_export(source, select_all(source), "json", tmp_path / "file" / "x.json")


def test_options_that_do_not_fit_the_format_are_refused(source, tmp_path):
    with pytest.raises(ExportError, match="Resizing applies"):
        run_export(source, select_all(source), "csv", tmp_path / "a.csv", ExportOptions(max_side=100))
    with pytest.raises(ExportError, match="IIIF exports only"):
        run_export(source, select_all(source), "zip", tmp_path / "a.zip",
                   ExportOptions(base_uri="https://x.example/"))
    assert format_for("a.ZIP", None) == "zip"
    with pytest.raises(ExportError, match="give --format"):
        format_for("folder", None)
    assert list(tmp_path.iterdir()) == []


def test_a_vanished_photo_is_reported_and_the_package_still_imports(library, tmp_path):
    for i in range(3):
        samples.photo(tmp_path / "in" / f"p{i}.jpg", i, fmt="JPEG")
    import_paths(library, [tmp_path / "in"], ImportOptions())
    (tmp_path / "in" / "p1.jpg").unlink()
    result = run_export(library, select_all(library), "zip", tmp_path / "p.zip")
    assert result.partial and "p1" in result.missing_photos[0] and result.photos == 2
    with zipfile.ZipFile(tmp_path / "p.zip") as zf:
        assert "p1.jpg" in zf.read("README.txt").decode()
    from app.store import open_library
    with open_library(tmp_path / "other", create=True) as other:
        [report] = import_packages(other, [tmp_path / "p.zip"])
        assert report.added_items == 3 and other.items.get_by_accession("p1").photos == []
    site = run_export(library, select_all(library), "iiif", tmp_path / "site")
    assert any("p1" in note for note in site.notes)  # no manifest without a photo


def test_selections(source):
    ids = source.items.ids()
    members = select_collection(source, EXHIBITION)
    assert members.item_ids == ids[2:12][::-1] and members.name == EXHIBITION
    chosen = select_items(source, [ids[3], f"#{ids[1]}", source.items.get(ids[3]).accession])
    assert chosen.item_ids == [ids[3], ids[1]]
    with pytest.raises(NotFound):
        select_items(source, ["no-such-accession"])
    with pytest.raises(ExportError, match="one distance per item"):
        select_search(source, ids[:2], [1.0])
    with pytest.raises(ExportError, match="twice"):
        select_search(source, [ids[0], ids[0]])


def test_an_empty_collection_is_nothing_to_export(library):
    library.collections.create("Empty")
    with pytest.raises(ExportError, match="Nothing to export"):
        select_collection(library, "Empty")


@pytest.mark.parametrize("fmt", sorted(OUTPUTS))
def test_an_export_gets_the_permissions_of_any_new_file(source, tmp_path, fmt):
    """The temporary it is written to is private (0600/0700); the finished export follows the
    umask like any file the curator saves, so a colleague or a web server can read it."""
    import os
    import stat

    previous = os.umask(0o022)
    try:
        out = tmp_path / OUTPUTS[fmt]
        run_export(source, select_all(source), fmt, out)
    finally:
        os.umask(previous)
    expected = 0o755 if out.is_dir() else 0o644
    assert stat.S_IMODE(out.stat().st_mode) == expected
