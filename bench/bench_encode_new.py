"""Encoding new photos into a large library: every item checked, against only the changed ones.

    .venv/bin/python bench/bench_encode_new.py LIBRARY [--photos 100] [--rounds 2]

LIBRARY must have an active model and be encoded (``bench_scale.py --root DIR`` leaves one
in DIR/lib). Each round imports ``--photos`` new demo photos with their sheet (another seed
each time) and encodes them twice over, alternating:
- "every item": the model's encoded mark is removed first, so ``encode_library`` reads every
  item's text, tags and photo hash to find what is stale (what it always did before migration 11);
- "changed only": it reads only the items the change log names since the mark.
Both encode the same number of new photos. Prints each run's seconds and photos per second,
the items checked, the machine's load, and the medians. It writes to LIBRARY.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ["WENYANG_NO_DEMO"] = "1"

from bench_scale import import_demo  # noqa: E402

from app.services import encoding  # noqa: E402
from app.store import open_library  # noqa: E402


def one(root: Path, folder: Path, seed: int, photos: int, every_item: bool) -> float:
    with open_library(root) as lib:
        import_demo(lib, folder / f"new{seed}", seed, photos)
        if every_item:
            lib.db.execute("DELETE FROM encode_marks")
        model = lib.models.active().id
        changed = encoding._changed_since_encoded(lib, model, lib.evidence.mark())
        started = time.perf_counter()
        report = encoding.encode_library(lib)
        seconds = time.perf_counter() - started
        checked = f"{lib.items.count():,} (every item)" if changed is None else f"{len(changed):,}"
        print(f"{'every item' if every_item else 'changed only':13} {seconds:6.1f} s, "
              f"{report.encoded['image'] / seconds:6.1f} photos/s; items checked {checked}; "
              f"encoded {report.encoded}; load {os.getloadavg()[0]:.2f}", flush=True)
        return seconds


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("library", type=Path)
    ap.add_argument("--photos", type=int, default=100)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--seed", type=int, default=40, help="demo seed of the first batch")
    args = ap.parse_args()
    print(f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f}", flush=True)
    times: dict[bool, list[float]] = {True: [], False: []}
    with tempfile.TemporaryDirectory(prefix="wenyang-encode-new-") as tmp:
        seed = args.seed
        for _ in range(args.rounds):
            for every_item in (True, False):
                times[every_item].append(one(args.library, Path(tmp), seed, args.photos, every_item))
                seed += 1
    full, part = statistics.median(times[True]), statistics.median(times[False])
    print(f"median: every item {full:.1f} s, changed only {part:.1f} s ({full / part:.1f}x faster)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
