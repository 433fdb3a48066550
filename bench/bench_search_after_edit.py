"""The first photo search after an edit, on a library ``bench_scale.py`` grew: what a curator
waits for when they tag an item and then drop a photo. The search service is opened and
warmed up as the window does; then, ``--rounds`` times, one item is tagged (and the tag taken
off again afterwards, so the library ends as it began) and one photo search is timed, beside
a photo search with nothing changed.

    python bench/bench_search_after_edit.py LIBRARY [--rounds 5]

Run it from a worktree of another commit (``PYTHONPATH=that/worktree``) to compare the two.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, os.environ.get("PYTHONPATH") or str(Path(__file__).resolve().parents[1]))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("library", type=Path)
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args()
    from app.services.search import SearchService
    from app.store import open_library

    info = json.loads((args.library / "bench-scale.json").read_text())
    lib = open_library(args.library)
    service = SearchService(lib)
    began = time.perf_counter()
    service.warm()
    service.by_image(info["photo"], k=50)
    print(f"{lib.items.count()} items; warmed up in {time.perf_counter() - began:.1f} s; "
          f"load average {os.getloadavg()[0]:.2f}, {os.cpu_count()} cores", flush=True)
    label = "phoenix"
    items = []
    for item_id in lib.items.ids():  # items without the label: taking it off again restores them
        if label not in lib.labels.labels_of(item_id):
            items.append(item_id)
        if len(items) == args.rounds:
            break
    quiet, edited = [], []
    try:
        for item_id in items:
            began = time.perf_counter()
            service.by_image(info["photo"], k=50)
            quiet.append((time.perf_counter() - began) * 1000)
            lib.labels.tag([item_id], [label])
            began = time.perf_counter()
            service.by_image(info["photo"], k=50)
            edited.append((time.perf_counter() - began) * 1000)
    finally:
        lib.labels.untag(items, [label])
        lib.close()
    for name, times in (("photo search, nothing changed", quiet), ("photo search after tagging one item", edited)):
        print(f"{name:36} median {statistics.median(times):8.1f} ms  (min {min(times):.1f}, max {max(times):.1f})",
              flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
