"""Where a photo search's time goes on a large library: timings, then cProfile over a few queries.

    .venv/bin/python bench/profile_photo_search.py LIBRARY [--queries 7] [--profiled 5]

LIBRARY is one ``bench_scale.py`` grew (it reads the query photo from its ``bench-scale.json``).
After two warm-up queries it prints the median and each of ``--queries`` photo → top 50
searches, then the functions taking the most time (own time) over ``--profiled`` more. cProfile
sees the calling thread only: a compiled pass split over the cores shows the calling thread's
part of it. ``--kernel`` also times the signature first pass alone on synthetic int8
signatures of the library's size, on one thread and on every core.
"""
from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ["WENYANG_NO_DEMO"] = "1"


def kernel(n: int) -> None:
    from app.media.signature import CROPS, DIM
    from app.search import _compiled, parallel

    rng = np.random.default_rng(0)
    stored = rng.integers(-127, 128, (n, len(CROPS), DIM), dtype=np.int8)
    scales = rng.random((n, len(CROPS)), dtype=np.float32)
    query = rng.integers(-127, 128, DIM, dtype=np.int8)
    out = np.empty(n, np.float32)
    for threads in (1, parallel.THREADS):
        times = []
        for _ in range(7):
            started = time.perf_counter()
            parallel.run_blocks(lambda a, b: _compiled.best_crop_dots(stored[a:b], scales[a:b], query, out[a:b]),
                                n, threads)
            times.append(time.perf_counter() - started)
        best = statistics.median(times)
        print(f"signature pass over {n:,} synthetic photos, {threads} thread(s): {best * 1000:.1f} ms "
              f"({stored.nbytes / best / 1e9:.1f} GB/s)", flush=True)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("library", type=Path)
    ap.add_argument("--queries", type=int, default=7)
    ap.add_argument("--profiled", type=int, default=5)
    ap.add_argument("--kernel", action="store_true")
    args = ap.parse_args()
    from app.services.search import SearchService
    from app.store import open_library

    photo = json.loads((args.library / "bench-scale.json").read_text())["photo"]
    with open_library(args.library) as lib:
        service = SearchService(lib)
        service.index("image")
        for _ in range(2):
            service.by_image(photo, k=50)
        service.settle()  # the first photo search starts loading tie-break scores on a thread
        times = []
        for _ in range(args.queries):
            started = time.perf_counter()
            service.by_image(photo, k=50)
            times.append((time.perf_counter() - started) * 1000)
        print(f"{lib.items.count():,} items, {os.cpu_count()} cores, load {os.getloadavg()[0]:.2f}: photo -> top 50 "
              f"median {statistics.median(times):.1f} ms ({', '.join(f'{t:.0f}' for t in times)})", flush=True)
        profile = cProfile.Profile()
        profile.enable()
        for _ in range(args.profiled):
            service.by_image(photo, k=50)
        profile.disable()
        pstats.Stats(profile).sort_stats("tottime").print_stats(12)
        pstats.Stats(profile).sort_stats("cumulative").print_stats(r"app/", 25)
        n = lib.items.count()
    if args.kernel:
        kernel(n)
    return 0


if __name__ == "__main__":
    sys.exit(main())
