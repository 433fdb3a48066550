"""Search latency on a library that ``bench/bench_scale.py`` grew (it reads the queries that
script wrote into ``bench-scale.json``), in this process, with this checkout's code.

    python bench/bench_library_search.py LIBRARY [--repeats 7]
    python bench/bench_library_search.py LIBRARY --against OTHER [--repeats 21]

LIBRARY may be a library on a PostgreSQL server (``postgresql://…``, e.g. made from a grown
one with ``wenyang copy``, its ``bench-scale.json`` copied into the server library's files
folder): search runs in memory on either, so the two should answer alike.

Prints one JSON line: seconds to open and warm the search service (indexes, label evidence,
photo signatures: from the library's cache folder when there is one), then the median (min-max)
milliseconds of: photo -> top 50, typed 龙袍 -> top 50, photo -> top 50 with bench_scale's facet
filter, and keyword search (limit 200) for its accession number, title word, Chinese word and
metadata value; and resident memory. With ``--against`` both libraries (e.g. an SQLite one and
its server copy) are opened in this process and every search alternates between them, so that
both see the same moment of a shared machine: it prints, per search, each one's median and
quartiles in ms and the ratio OTHER / LIBRARY. To compare two commits side by side, run it from a
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
    ap.add_argument("--against", help="a second library: each search alternates between the two")
    args = ap.parse_args()
    if args.against:
        side_by_side(args.library, args.against, args.repeats)
        return

    from app.services.search import SearchService
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

    for name, run in searches(info).items():
        out[f"{name}_ms"] = ms(lambda run=run: run(service, lib))
    with open(f"/proc/{os.getpid()}/status") as status:
        out["rss_mb"] = int(status.read().split("VmRSS:")[1].split()[0]) // 1024
    lib.close()
    print(json.dumps(out, ensure_ascii=False))


def searches(info: dict) -> dict:
    """The searches timed, each ``run(service, library)``."""
    from app.services.search import SearchFilters

    filters = SearchFilters(labels=[info["filter_label"]])
    out = {"photo": lambda service, lib: service.by_image(info["photo"], k=50),
           "typed": lambda service, lib: service.by_text("龙袍", k=50),
           "filtered": lambda service, lib: service.by_image(info["photo"], k=50, filters=filters),
           "typed_filtered": lambda service, lib: service.by_text("龙袍", k=50, filters=filters)}
    for name in ("accession", "title_word", "chinese_word", "metadata_value"):
        out[f"keyword_{name}"] = lambda service, lib, text=info[name]: lib.keywords.search(text, limit=200)
    return out


def side_by_side(first: str, second: str, repeats: int) -> None:
    """Each search on both libraries in turn (which goes first alternating), ``repeats`` times."""
    from app.services.search import SearchService
    from app.store import open_library

    def opened(where: str):
        lib = open_library(where if where.startswith(("postgresql://", "postgres://")) else Path(where))
        service = SearchService(lib, background_scores=False)
        service.warm()
        return lib, service

    both = [opened(first), opened(second)]
    info = json.loads((both[0][0].root / "bench-scale.json").read_text())
    print(f"commit {_commit()}, {time.strftime('%Y-%m-%d %H:%M:%S')}, load {os.getloadavg()[0]:.2f}, "
          f"{repeats} runs each, alternating; ms median (quartiles)")
    for name, run in searches(info).items():
        times: list[list[float]] = [[], []]
        for lib, service in both:
            run(service, lib)  # once untimed
        for i in range(repeats):
            for side in ((0, 1) if i % 2 == 0 else (1, 0)):
                lib, service = both[side]
                t = time.perf_counter()
                run(service, lib)
                times[side].append((time.perf_counter() - t) * 1000)
        medians = [statistics.median(t) for t in times]
        spread = [statistics.quantiles(t, n=4) if len(t) > 1 else [t[0], t[0], t[0]] for t in times]
        print(f"{name:24s} {medians[0]:6.1f} ({spread[0][0]:.0f}-{spread[0][2]:.0f})  "
              f"{medians[1]:6.1f} ({spread[1][0]:.0f}-{spread[1][2]:.0f})  ratio {medians[1] / medians[0]:.2f}")
    print(f"load {os.getloadavg()[0]:.2f} at the end")
    for lib, _ in both:
        lib.close()


def _commit() -> str:
    import subprocess

    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                              cwd=Path(__file__).resolve().parents[1], timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""


if __name__ == "__main__":
    main()
