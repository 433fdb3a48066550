"""Search latency on a library that ``bench/bench_scale.py`` grew (it reads the queries that
script wrote into ``bench-scale.json``), in this process, with this checkout's code.

    python bench/bench_library_search.py LIBRARY [--repeats 7]

LIBRARY may be a library on a PostgreSQL server (``postgresql://…``, e.g. made from a grown
one with ``wenyang copy``, its ``bench-scale.json`` copied into the server library's files
folder): search runs in memory on either, so the two should answer alike.

Prints one JSON line: seconds to open and warm the search service (indexes, label evidence,
photo signatures: from the library's cache folder when there is one), then the median (min-max)
milliseconds of: photo -> top 50, typed 龙袍 -> top 50, photo -> top 50 with bench_scale's facet
filter, and keyword search (limit 200) for its accession number, title word, Chinese word and
metadata value; and resident memory. To compare two commits side by side, run it from a
worktree of each, alternating (a library opened by newer code may be refused by older code:
give each its own copy).
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("WENYANG_NO_DEMO", "1")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("library", help="a library folder, or postgresql://…")
    ap.add_argument("--repeats", type=int, default=7)
    args = ap.parse_args()

    from app.services.search import SearchFilters, SearchService
    from app.store import open_library

    started = time.perf_counter()
    lib = open_library(args.library if args.library.startswith(("postgresql://", "postgres://")) else Path(args.library))
    info = json.loads((lib.root / "bench-scale.json").read_text())
    service = SearchService(lib, background_scores=False)
    service.warm()
    out: dict = {"commit": _commit(), "load": os.getloadavg()[0], "warm_s": round(time.perf_counter() - started, 1)}

    def ms(run) -> str:
        run()  # once untimed
        times = []
        for _ in range(args.repeats):
            t = time.perf_counter()
            run()
            times.append((time.perf_counter() - t) * 1000)
        return f"{statistics.median(times):.0f} ({min(times):.0f}-{max(times):.0f})"

    filters = SearchFilters(labels=[info["filter_label"]])
    out["photo_ms"] = ms(lambda: service.by_image(info["photo"], k=50))
    out["typed_ms"] = ms(lambda: service.by_text("龙袍", k=50))
    out["filtered_ms"] = ms(lambda: service.by_image(info["photo"], k=50, filters=filters))
    for name in ("accession", "title_word", "chinese_word", "metadata_value"):
        out[f"keyword_{name}_ms"] = ms(lambda text=info[name]: lib.keywords.search(text, limit=200))
    with open(f"/proc/{os.getpid()}/status") as status:
        out["rss_mb"] = int(status.read().split("VmRSS:")[1].split()[0]) // 1024
    lib.close()
    print(json.dumps(out, ensure_ascii=False))


def _commit() -> str:
    import subprocess

    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                              cwd=Path(__file__).resolve().parents[1], timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""


if __name__ == "__main__":
    main()
