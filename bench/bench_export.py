"""Export throughput: items/s for ZIP (and CSV, JSON, IIIF) exports of a whole library,
median of N runs, plus the rate of importing the ZIP package into a fresh library.

    python bench/bench_export.py [--n 5000] [--runs 3] [--library LIB] [--resize 512]

Without --library, the first N clothing-cc0 photos are imported (with images.csv, labels
created) into a temporary library first; that import is timed but not part of the table.
"""
from __future__ import annotations

import argparse
import csv
import json
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from app.exchange.common import select_all
from app.exchange.export import ExportOptions, run_export
from app.exchange.package_import import import_packages
from app.services.importing import ImportOptions, import_paths
from app.store import open_library

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "clothing-cc0"
TARGETS = {"zip": "export.zip", "csv": "export.csv", "json": "export.json", "iiif": "site"}


def build_library(root: Path, n: int, workers: int) -> Path:
    """Import the first ``n`` clothing photos (by images.csv order) into a new library."""
    with open(DATA / "images.csv", encoding="utf-8") as handle:
        names = [row["image"] for row in csv.DictReader(handle)][:n]
    files = [DATA / "images" / f"{name}.jpg" for name in names]
    started = time.perf_counter()
    with open_library(root, create=True) as lib:
        report = import_paths(lib, files, ImportOptions(metadata=DATA / "images.csv",
                                                        create_labels=True, workers=workers))
    print(f"imported {report.added_items} items in {time.perf_counter() - started:.1f} s "
          f"({report.added_items / (time.perf_counter() - started):.0f} items/s)")
    return root


def time_runs(lib, fmt: str, work: Path, runs: int, options: ExportOptions) -> dict:
    """Export ``runs`` times into fresh paths; returns the median rate and the last result."""
    selection = select_all(lib)
    seconds, result = [], None
    for run in range(runs):
        out = work / f"{run}-{TARGETS[fmt]}"
        started = time.perf_counter()
        result = run_export(lib, selection, fmt, out, options)
        seconds.append(time.perf_counter() - started)
        if run < runs - 1:
            shutil.rmtree(out) if out.is_dir() else out.unlink()
    median = statistics.median(seconds)
    return {"format": fmt, "items": result.items, "photos": result.photos,
            "mb": result.bytes / 1e6, "median_s": median, "items_per_s": result.items / median,
            "runs": [round(s, 3) for s in seconds], "path": str(work / f"{runs - 1}-{TARGETS[fmt]}")}


def time_import(package: Path, work: Path, runs: int) -> dict:
    """Import the package into fresh libraries (check, copy, one transaction, thumbnails)."""
    seconds, items = [], 0
    for run in range(runs):
        with open_library(work / f"import-{run}", create=True) as lib:
            started = time.perf_counter()
            [report] = import_packages(lib, [package])
            seconds.append(time.perf_counter() - started)
            items = report.added_items
        shutil.rmtree(work / f"import-{run}")
    median = statistics.median(seconds)
    return {"format": "zip import", "items": items, "photos": None, "mb": None,
            "median_s": median, "items_per_s": items / median, "runs": [round(s, 3) for s in seconds]}


def print_table(rows: list[dict]) -> None:
    print(f"{'format':<16}{'items':>7}{'photos':>8}{'MB':>9}{'median s':>10}{'items/s':>10}  runs (s)")
    for r in rows:
        photos = "-" if r["photos"] is None else r["photos"]
        mb = "-" if r["mb"] is None else f"{r['mb']:.1f}"
        print(f"{r['format']:<16}{r['items']:>7}{photos:>8}{mb:>9}{r['median_s']:>10.2f}"
              f"{r['items_per_s']:>10.0f}  {r['runs']}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=5000, help="photos to import (default 5000)")
    parser.add_argument("--library", type=Path, help="use this library instead of importing")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--resize", type=int, help="also time a ZIP export resized to this side")
    parser.add_argument("--json", type=Path, help="write the results here as JSON")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        root = args.library or build_library(work / "lib", args.n, args.workers)
        options = ExportOptions(workers=args.workers)
        rows = []
        with open_library(root) as lib:
            for fmt in ("zip", "csv", "json", "iiif"):
                rows.append(time_runs(lib, fmt, work, args.runs, options))
            if args.resize:
                (work / "resized").mkdir()
                resized = ExportOptions(max_side=args.resize, workers=args.workers)
                row = time_runs(lib, "zip", work / "resized", args.runs, resized)
                row["format"] = f"zip --resize {args.resize}"
                rows.append(row)
        rows.append(time_import(Path(rows[0]["path"]), work, args.runs))
        print_table(rows)
        if args.json:
            args.json.write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
