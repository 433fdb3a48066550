"""Exploration, step 1: build one backlog library for trying training options quickly.

    .venv/bin/python bench/explore_backlog_library.py [/tmp/exp/base]

A demo catalogue (seed 0, 300 items) plus 200 photos of another demo draw (seed 100)
imported with no labels or text, and truth.json with their true labels. One seed only: for
deciding what is worth a full ``wenyang bench backlog`` run, not for quoting as a result."""
import csv
import json
import shutil
import sys
import time
from pathlib import Path

from app.services.demo import create_demo_library, generate_demo
from app.services.importing import import_paths
from app.store import open_library

root = Path(sys.argv[1] if len(sys.argv) > 1 else "/tmp/exp/base")
shutil.rmtree(root, ignore_errors=True)
t = time.time()
create_demo_library(root, seed=0, count=300)
back = root / "backlog-source"
sheet = generate_demo(back, 100, 200)
with open_library(root) as lib:
    rep = import_paths(lib, sorted(back.glob("*.jpg")))
    scheme = lib.scheme
    truth = {}
    with open(sheet, encoding="utf-8") as f:
        for row in csv.DictReader(f):
            refs = [r.strip() for r in row["labels"].replace("|", ";").split(";") if r.strip()]
            ids = scheme.closure(scheme.resolve(r).id for r in refs)
            truth[Path(row["file"]).stem] = sorted(ids)

    print(rep if not hasattr(rep, "imported") else rep.imported)
(root / "truth.json").write_text(json.dumps(truth, ensure_ascii=False))
print("built in", time.time() - t)
