"""Import throughput: photos/s for a folder imported into fresh libraries (median of N runs).

    python bench/bench_import.py [FOLDER] [--metadata CSV] [--runs 3] [--workers 2]
"""
from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

from app.services.importing import ImportOptions, import_paths
from app.store import open_library

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "clothing-cc0"


def one_run(folder: Path, metadata: Path | None, workers: int) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        with open_library(Path(tmp) / "lib", create=True) as lib:
            started = time.perf_counter()
            report = import_paths(lib, [folder], ImportOptions(metadata=metadata, workers=workers))
            seconds = time.perf_counter() - started
            again = time.perf_counter()
            second = import_paths(lib, [folder], ImportOptions(metadata=metadata, workers=workers))
            reimport_s = time.perf_counter() - again
    return {"files": report.total_files, "items": report.added_items, "seconds": seconds,
            "photos_per_s": report.added_photos / seconds, "reimport_added": second.added_items,
            "reimport_s": reimport_s}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", nargs="?", type=Path, default=DATA / "images")
    parser.add_argument("--metadata", type=Path, default=DATA / "images.csv")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    runs = [one_run(args.folder, args.metadata, args.workers) for _ in range(args.runs)]
    for i, r in enumerate(runs):
        print(f"run {i + 1}: {r['items']} items from {r['files']} files in {r['seconds']:.1f} s "
              f"= {r['photos_per_s']:.0f} photos/s; re-import added {r['reimport_added']} "
              f"in {r['reimport_s']:.1f} s")
    median = statistics.median(r["photos_per_s"] for r in runs)
    print(f"median import throughput: {median:.0f} photos/s over {args.runs} runs "
          f"({args.workers} decode workers)")
    if args.json:
        args.json.write_text(json.dumps({"runs": runs, "median_photos_per_s": median}, indent=2))


if __name__ == "__main__":
    main()
