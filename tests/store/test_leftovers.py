"""What a killed process left half-written is removed on the next run, and nothing a live
process is still writing is ever touched (issue 16, item 11)."""
from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

from app.core.tempfiles import FOREIGN_AGE_S, clean_stale, owner_tag, temp_file
from app.exchange.common import select_all
from app.exchange.export_csv import export_csv
from app.store import open_library
from tests import samples

pytestmark = pytest.mark.backends("sqlite", "postgresql")


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def _tag_of(pid: int) -> str:
    return owner_tag().replace(f"-{os.getpid()}~", f"-{pid}~")


@pytest.fixture
def live_pid():
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    yield proc.pid
    proc.kill()
    proc.wait()


def _age(path, seconds):
    then = time.time() - seconds
    os.utime(path, (then, then))


def test_opening_a_library_removes_a_dead_exports_model_folder_only(tmp_path, live_pid):
    root = tmp_path / "lib"
    open_library(root, create=True).close()
    models = root / "models"
    dead = models / f"m1{_tag_of(_dead_pid())}.partial"
    live = models / f"m2{_tag_of(live_pid)}.partial"
    mine = models / f"m3{owner_tag()}.partial"
    old_untagged = models / ".m4.part"
    new_untagged = models / ".m5.part"
    for folder in (dead, live, mine, old_untagged, new_untagged):
        folder.mkdir()
        (folder / "image.onnx").write_bytes(b"x" * 1000)
    _age(old_untagged, FOREIGN_AGE_S + 60)
    open_library(root).close()
    assert not dead.exists() and not old_untagged.exists()
    assert live.exists() and mine.exists() and new_untagged.exists()


def test_an_import_removes_half_written_thumbnails_of_a_killed_import(tmp_path, live_pid):
    root = tmp_path / "lib"
    lib = open_library(root, create=True)
    folder = root / "thumbnails" / "ab"
    folder.mkdir(parents=True)
    dead = folder / f"{_tag_of(_dead_pid())}x1.part"
    live = folder / f"{_tag_of(live_pid)}x2.part"
    for path in (dead, live):
        path.write_bytes(b"half a jpeg")
    from app.services.importing import import_paths

    import_paths(lib, [samples.photo(tmp_path / "p.jpg", seed=1)])
    lib.close()
    assert not dead.exists() and live.exists()


def test_a_new_export_removes_the_leftover_of_a_killed_one(library, tmp_path, live_pid):
    import_paths_one(library, tmp_path)
    out = tmp_path / "out" / "sheet.csv"
    out.parent.mkdir()
    dead = out.parent / f".sheet.csv.{_tag_of(_dead_pid())}abc.part"
    live = out.parent / f".sheet.csv.{_tag_of(live_pid)}def.part"
    other = out.parent / f".other.csv.{_tag_of(_dead_pid())}ghi.part"
    for path in (dead, live, other):
        path.write_bytes(b"x" * 5000)
    export_csv(library, select_all(library), out)
    assert out.is_file() and not dead.exists() and live.exists() and other.exists()


def import_paths_one(library, tmp_path):
    from app.services.importing import import_paths

    import_paths(library, [samples.photo(tmp_path / "p.jpg", seed=1)])


def test_a_temp_file_carries_its_owner_and_is_not_stale_while_it_lives(tmp_path):
    fd, path = temp_file(tmp_path)
    os.close(fd)
    assert owner_tag() in path.name
    assert clean_stale(tmp_path, ("*.part",)) == [] and path.exists()


def test_a_read_only_or_missing_folder_is_left_alone(tmp_path):
    assert clean_stale(tmp_path / "nowhere", ("*.part",)) == []
