"""A window on a library in a PostgreSQL server sees what other workstations write: another
process tags, renames, imports or activates a model, and the window shows it within two seconds, without a reload
by hand (the server announces writes; ``app.services.library.ChangeWatch`` listens)."""
from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from app.services.library import changes_announced
from app.ui.label_models import rows_by_label
from tests.ui.helpers import make_photos, wait_idle

pytestmark = pytest.mark.backends("postgresql")
ROOT = Path(__file__).resolve().parents[2]


def another_workstation(*argv) -> None:
    """A wenyang command in a process of its own (its own connections to the server)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", "import sys; from app.cli import main; sys.exit(main(sys.argv[1:]))",
                           *map(str, argv)], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr


def test_a_tag_from_another_workstation_shows_within_two_seconds(stocked, library, qtbot):
    window, ids = stocked
    window.grid.select_ids([ids[0]])
    qtbot.waitUntil(lambda: window.detail.tags.item_ids == [ids[0]])
    wait_idle(qtbot, window)
    assert window.detail.tags.check_state("phoenix") == Qt.Unchecked
    another_workstation("tag", library.dsn, library.items.get(ids[0]).accession, "-l", "Phoenix")
    committed = time.perf_counter()
    qtbot.waitUntil(lambda: window.detail.tags.check_state("phoenix") == Qt.Checked, timeout=2000)
    qtbot.waitUntil(lambda: "(1)" in rows_by_label(window.facets.model)["phoenix"].text(), timeout=2000)
    assert time.perf_counter() - committed < 2.0


def test_items_imported_and_a_label_renamed_elsewhere_appear(stocked, library, qtbot, tmp_path):
    window, ids = stocked
    photos = make_photos(tmp_path / "more", 2, start=100)
    another_workstation("import", library.dsn, *photos, "--quiet")
    qtbot.waitUntil(lambda: window.grid_model.rowCount() == len(ids) + 2, timeout=2000)
    another_workstation("labels", "rename", library.dsn, "Phoenix", "--en", "Fenghuang")
    qtbot.waitUntil(lambda: rows_by_label(window.facets.model)["phoenix"].text().startswith("Fenghuang"),
                    timeout=2000)


def test_the_windows_own_writes_are_not_announced_back_to_it(stocked, library, qtbot):
    """Its own connections' announcements are dropped: an edit here reloads once, not twice."""
    window, ids = stocked
    seen = []
    window.session.changed.connect(seen.append)
    library.labels.tag([ids[1]], ["dragon"])  # this process's own connection
    qtbot.wait(1200)
    assert seen == []


def test_announcements_name_what_changed():
    changes = changes_announced(["item_labels INSERT:3,4", "items UPDATE:7", "models UPDATE"])
    assert changes.items == {3, 4, 7} and changes.tags and changes.models and not changes.item_set
    assert changes_announced(["items INSERT:9"]).item_set
    assert changes_announced(["photos DELETE"]).item_set  # too many to name: reload them all
    assert changes_announced(["labels UPDATE"]).scheme


def test_a_model_made_active_elsewhere_is_named_in_the_window(stocked, library, qtbot):
    """Another workstation trains and activates a model: the window names it (and its search
    reloads) without a restart."""
    window, _ = stocked
    assert window.model_label.text() == "no model"
    code = ("import sys; from app.store import open_library\n"
            "with open_library(sys.argv[1]) as lib:\n"
            "    lib.models.register('ssah-elsewhere', 16, 'ssah', {'note': 'trained elsewhere'})")
    done = subprocess.run([sys.executable, "-c", code, library.dsn], env={**os.environ, "PYTHONPATH": str(ROOT)},
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    qtbot.waitUntil(lambda: window.model_label.text() == "Model: ssah-elsewhere", timeout=2000)


def test_after_the_server_drops_the_window_one_change_is_lost_said_and_the_next_works(stocked, library, qtbot):
    """A server restart (here: the administrator ending every connection of the database):
    the change under way fails with one sentence in the status bar, and the next is saved."""
    import psycopg

    from app.services.ops import Tag

    window, ids = stocked
    wait_idle(qtbot, window)
    with psycopg.connect(library.dsn, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = "
                      "current_database() AND pid NOT IN (pg_backend_pid(), %s)",  # the test's own stays
                      [library.db.conn.raw.info.backend_pid])
    window.session.apply(Tag([ids[2]], ["phoenix"]), "tag")
    qtbot.waitUntil(lambda: "connection to the library's server was lost" in window.statusBar().currentMessage())
    assert "do it again" in window.statusBar().currentMessage()
    wait_idle(qtbot, window)
    window.session.apply(Tag([ids[2]], ["phoenix"]), "tag")  # again: connected anew
    wait_idle(qtbot, window)
    qtbot.waitUntil(lambda: "phoenix" in library.labels.labels_of(ids[2]))
    # and the window hears the other workstations again (it listens anew once the server answers)
    qtbot.waitUntil(lambda: "(1)" in rows_by_label(window.facets.model)["phoenix"].text(), timeout=4000)
    another_workstation("tag", library.dsn, library.items.get(ids[3]).accession, "-l", "Phoenix")
    qtbot.waitUntil(lambda: "(2)" in rows_by_label(window.facets.model)["phoenix"].text(), timeout=4000)
