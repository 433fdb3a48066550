"""Two imports into one library at the same time (issue 16, item 10): every photo comes in
exactly once, neither process fails, and each says what it did."""
from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

from app.store import open_library
from tests import samples

ROOT = Path(__file__).resolve().parents[2]


def test_two_processes_importing_the_same_photos_add_each_once(tmp_path):
    photos = tmp_path / "photos"
    photos.mkdir()
    for i in range(300):
        samples.photo(photos / f"P-{i:03d}.jpg", seed=i, size=(96, 72))
    library = tmp_path / "lib"
    open_library(library, create=True).close()
    env = dict(os.environ, OMP_NUM_THREADS="1")
    cmd = [sys.executable, "-m", "app.cli", "import", str(library), str(photos)]
    procs = [subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(2)]
    outs = [p.communicate(timeout=300) for p in procs]
    for proc, (_out, err) in zip(procs, outs):
        assert proc.returncode == 0, err
        assert "Traceback" not in err
    conn = sqlite3.connect(library / "library.sqlite")
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("SELECT COUNT(*), COUNT(DISTINCT sha256) FROM photos").fetchone() == (300, 300)
        assert conn.execute("SELECT COUNT(*) FROM items").fetchone()[0] == 300
    finally:
        conn.close()
    added = [int(out.split("Imported ")[1].split(" ")[0]) for out, _ in outs]
    assert sum(added) == 300  # each says how many it added; together, every photo once
