"""Bringing a million photo signatures in memory up to date after a change, as a search does
after any edit (``app.search.signatures.SignatureIndex.merged``): the time, for a change that
leaves the photos as they were (a tag, a title) and for one that replaces, adds and deletes a
few. Random int8 descriptors with their score bounds, made once; medians of ``--repeats``.

    python bench/bench_signature_merge.py [--rows 1000000] [--repeats 5] [--changed 3]

Run it from a worktree of another commit (``PYTHONPATH=that/worktree``) to compare the two.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, os.environ.get("PYTHONPATH") or str(Path(__file__).resolve().parents[1]))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--changed", type=int, default=3, help="photos replaced, added and deleted")
    args = ap.parse_args()
    from app.media.signature import CROPS, DIM
    from app.search import signatures as sg

    rng = np.random.default_rng(0)
    crops = len(CROPS)
    ids = np.arange(1, 2 * args.rows, 2, dtype=np.int64)
    stored = rng.integers(-127, 128, (args.rows, crops, DIM), dtype=np.int8)
    scales = rng.random((args.rows, crops), dtype=np.float32) / 127
    began = time.perf_counter()
    index = sg.SignatureIndex(ids, stored, scales)
    size = (index.stored.nbytes + index.scales.nbytes + sum(b.nbytes for b in index.bounds or ())) / 1e9
    print(f"{args.rows} rows, {size:.2f} GB with bounds (made in {time.perf_counter() - began:.1f} s); "
          f"load average {os.getloadavg()[0]:.2f}, {os.cpu_count()} cores", flush=True)
    c = args.changed
    picked = rng.choice(args.rows, 3 * c, replace=False)
    same = ids[np.sort(picked[:c])]
    rows = np.searchsorted(ids, same)
    unchanged = sg.SignatureIndex(same, index.stored[rows].copy(), index.scales[rows].copy())
    replaced, deleted = ids[np.sort(picked[c:2 * c])], ids[np.sort(picked[2 * c:])]
    added = np.arange(2 * args.rows + 1, 2 * args.rows + 1 + 2 * c, 2, dtype=np.int64)
    new_ids = np.concatenate([replaced, added])
    fresh = sg.SignatureIndex(new_ids, rng.integers(-127, 128, (len(new_ids), crops, DIM), dtype=np.int8),
                              rng.random((len(new_ids), crops), dtype=np.float32) / 127)
    every = np.sort(np.concatenate([replaced, added, deleted]))
    for name, changed, new in (("photos unchanged", same, unchanged), ("replaced+added+deleted", every, fresh)):
        times = []
        for _ in range(args.repeats):
            began = time.perf_counter()
            out = index.merged(changed, new)
            times.append((time.perf_counter() - began) * 1000)
            del out
        print(f"{name:24} median {statistics.median(times):8.1f} ms  (min {min(times):.1f}, max {max(times):.1f}; "
              f"{len(changed)} ids)", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
