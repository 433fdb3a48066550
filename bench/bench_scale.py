"""A library of 10,000 to 1,000,000 items end to end, and how each cost grows with its size.

    .venv/bin/python bench/bench_scale.py [--sizes 10000 100000 1000000] [--pool 2000]
        [--fresh 500] [--root DIR] [--model-library LIB] [--json OUT] [--no-scroll]

How the library is made. A pool of ``--pool`` demo records (seed 7: titles and descriptions in
both languages, metadata, 6-10 labels over seven facets, a generated 256-px photo each) is
imported and encoded by the product itself, with the active model of ``--model-library`` (a
library with a trained model; without it a 120-item demo is trained for 2 epochs, 64 bits).
The library is then grown to each size by copying pool rows in SQL: every copy is an item of
its own (accession ``<pool accession>~<copy>``), its photo row points at the pool item's file
under a hash of its own, it carries the pool item's labels, tag suggestions and photo
signature, and its codes are the pool item's codes with 0-4 random bits flipped: the trained
model's code distribution, without exact duplicates. The keyword index then indexes every new
item (timed). Encoding a million photos would take this CPU hours, so import and encoding are
measured at each size by importing ``--fresh`` new demo photos (another seed, with their sheet)
into the grown library and encoding them: what grows with the library is what the slope shows.

At each size, in fresh child processes (median of 3 for opening; of ``--repeats`` for searches):
- open until the first search can run (open, search service, image index loaded), as the window;
- keyword search: an exact accession number, a title word, a Chinese word inside descriptions,
  a metadata value;
- the first photo search after opening: it reads the label evidence and photo signatures that
  searches keep in memory, from every row the first time (no cache), and from the library's
  cache folder that the first time saved (cache), in the next process; then how much longer
  the tie-break scores take to load on their threads (the searches below are measured after);
- typed text (龙袍: labels, keywords and codes fused), photo -> top 50, photo -> top 50 with a facet filter;
- resident memory of that process after the searches (VmRSS) and its peak (VmHWM);
- import and encoding throughput (photos/s) of the fresh photos into the library of that size;
- scrolling the main window's grid over the library (``bench_grid_scroll.py --library``): the
  worst GUI-thread gap and how many exceeded 50 ms.
It prints a table, one column per size, and the growth factor from each size to the next
(a linear cost grows 10x per 10x items). Machine, load average and threads are printed first.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ["WENYANG_NO_DEMO"] = "1"

from bench_query import median_ms  # noqa: E402 - after the path: the first call is a warm-up

POOL_SEED, FRESH_SEED = 7, 8
TYPED = "龙袍"
COPY_HASH = "copy{:060d}"  # a copy's photo hash (SQL writes the same with printf('copy%060d', id))
FLIPS = 4  # each copy's codes differ from its pool item's in 0..FLIPS random bits


# -- making the library -------------------------------------------------------------------------
def model_library(root: Path, source: Path | None) -> None:
    """``root`` holds a library whose active model the bench uses."""
    from app.services.demo import create_demo_library
    from app.services.training import TrainOptions, train_library
    from app.store import open_library

    if source is not None:
        shutil.copytree(source, root)
        return
    create_demo_library(root, seed=0, count=120)
    with open_library(root) as lib:
        train_library(lib, TrainOptions(bits=64, epochs=2, seed=0))


def import_demo(lib, folder: Path, seed: int, count: int) -> float:
    """Generate ``count`` demo photos with their sheet and import them; seconds the import took."""
    from app.services.demo import generate_demo
    from app.services.importing import ImportOptions, import_paths

    sheet = generate_demo(folder, seed=seed, count=count)
    files = sorted(folder.glob("*.jpg"))
    started = time.perf_counter()
    report = import_paths(lib, files, ImportOptions(metadata=sheet))
    seconds = time.perf_counter() - started
    if report.added_items != count:
        raise SystemExit(f"importing the demo photos added {report.added_items} of {count} items")
    return seconds


def clear_items(lib) -> None:
    """Leave the model and the label scheme, drop the model library's own items."""
    with lib.atomic():
        lib.db.execute("DELETE FROM items")


def grow(lib, pool_ids: list[int], target: int, rng: np.random.Generator) -> int:
    """Copy pool items until the library has ``target`` items; returns how many were added."""
    model = lib.models.active()
    have = lib.items.count()
    extra = target - have
    if extra <= 0:
        return 0
    conn = lib.db.conn
    first = conn.execute("SELECT COALESCE(MAX(id), 0) + 1 FROM items").fetchone()[0]
    new_ids = np.arange(first, first + extra, dtype=np.int64)
    pool = np.asarray(pool_ids, dtype=np.int64)[np.arange(extra) % len(pool_ids)]
    with lib.atomic():
        conn.execute("CREATE TEMP TABLE IF NOT EXISTS copy_map (new_id INTEGER PRIMARY KEY, pool_id INTEGER)")
        conn.execute("DELETE FROM copy_map")
        conn.executemany("INSERT INTO copy_map VALUES (?, ?)", zip(new_ids.tolist(), pool.tolist()))
        conn.execute("INSERT INTO items (id, accession, title, description, metadata, created, modified) "
                     "SELECT m.new_id, i.accession || '~' || m.new_id, i.title, i.description, i.metadata, "
                     "i.created, i.modified FROM copy_map m JOIN items i ON i.id = m.pool_id")
        conn.execute("INSERT INTO photos (item_id, path, sha256, size, width, height, format, position, created) "
                     "SELECT m.new_id, p.path, printf('copy%060d', m.new_id), p.size, p.width, p.height, p.format, "
                     "0, p.created FROM copy_map m JOIN photos p ON p.item_id = m.pool_id")
        conn.execute("INSERT INTO item_labels (item_id, label_id, source) "
                     "SELECT m.new_id, l.label_id, l.source FROM copy_map m JOIN item_labels l ON l.item_id = m.pool_id")
        conn.execute("INSERT INTO suggestions (item_id, model_id, label_id, confidence, status) "
                     "SELECT m.new_id, s.model_id, s.label_id, s.confidence, s.status "
                     "FROM copy_map m JOIN suggestions s ON s.item_id = m.pool_id")
        conn.execute("INSERT INTO photo_signatures (item_id, sha256, signature) "
                     "SELECT m.new_id, printf('copy%060d', m.new_id), g.signature "
                     "FROM copy_map m JOIN photo_signatures g ON g.item_id = m.pool_id")
        for modality in ("image", "text", "label"):
            _copy_codes(lib, model, modality, new_ids, pool, rng)
    for modality in ("image", "text", "label"):
        lib.codes.write_snapshot(model.id, modality)  # as encoding does, so opening loads them at once
    # The copies are encoded (codes, suggestions, signatures): say so, as an encode would have.
    # Otherwise the next encode finds the change log past its mark and checks every item,
    # which a library grown by importing and encoding never does.
    lib.codes.set_encoded_mark(model.id, lib.evidence.mark())
    return extra


def _copy_codes(lib, model, modality: str, new_ids: np.ndarray, pool: np.ndarray, rng) -> None:
    conn = lib.db.conn
    rows = conn.execute("SELECT item_id, code, score, source_hash FROM codes WHERE model_id = ? AND modality = ? "
                        "AND item_id IN (SELECT DISTINCT pool_id FROM copy_map)", [model.id, modality]).fetchall()
    code_of = {r[0]: np.frombuffer(r[1], np.uint8) for r in rows}
    score_of = {r[0]: np.frombuffer(r[2], np.float32) if r[2] is not None else None for r in rows}
    source_of = {r[0]: r[3] for r in rows}
    keep = np.array([p in code_of for p in pool.tolist()])
    ids, src = new_ids[keep], pool[keep]
    if not len(ids):
        return
    codes = np.stack([code_of[p] for p in src.tolist()])
    bits = model.bits
    flips = rng.integers(0, FLIPS + 1, len(ids)) if modality != "label" else np.zeros(len(ids), int)
    signs = np.ones((len(ids), bits), np.float32)
    for n in range(1, FLIPS + 1):
        rows_n = np.flatnonzero(flips == n)
        for _ in range(n):  # a position drawn twice flips back: at most n bits differ
            where = rng.integers(0, bits, len(rows_n))
            codes[rows_n, where // 8] ^= (np.uint8(128) >> (where % 8).astype(np.uint8))
            signs[rows_n, where] *= -1
    scored = [score_of[p] for p in src.tolist()]
    # what encoding compares to decide a code is stale: the text or labels (the pool item's),
    # or the photo's hash (each copy's own), so none of the copies is encoded again
    sources = [COPY_HASH.format(int(i)) if modality == "image" else source_of[p]
               for i, p in zip(ids.tolist(), src.tolist())]
    chunk = 100_000
    for start in range(0, len(ids), chunk):
        part = range(start, min(start + chunk, len(ids)))
        conn.executemany(
            "INSERT INTO codes (item_id, model_id, modality, code, score, source_hash) VALUES (?, ?, ?, ?, ?, ?)",
            ((int(ids[j]), model.id, modality, codes[j].tobytes(),
              (scored[j] * signs[j]).astype(np.float32).tobytes() if scored[j] is not None else None,
              sources[j]) for j in part))
    lib.codes.bump()


# -- measuring in a fresh process -----------------------------------------------------------------
def memory_kb() -> dict[str, int]:
    out = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            out[key] = int(value.split()[0])
    return out


def measure(root: Path, repeats: int, searches: bool) -> dict:
    """Open ``root`` as the window does, until the first search can run; then the searches."""
    from app.services.search import SearchFilters, SearchService
    from app.store import open_library

    started = time.perf_counter()
    lib = open_library(root)
    service = SearchService(lib, background_scores=True)
    service.index("image")
    out: dict = {"open_s": time.perf_counter() - started}
    if not searches:
        lib.close()
        return out
    info = json.loads((root / "bench-scale.json").read_text())
    photo = info["photo"]
    # the first search reads what searches keep in memory (the label evidence and the photo
    # signatures: from the library's cache folder, or from every row when there is none)
    started = time.perf_counter()
    service.by_image(photo, k=50)
    out["first_photo_s"] = time.perf_counter() - started
    # The tie-break scores load on threads meanwhile (as in the window); searches measured
    # while they load were up to 2-3x slower (keyword search at 1M: 87-102 ms, against 42 ms
    # once they were in). Wait for them, and say how long they took after the first search.
    started = time.perf_counter()
    service.settle()
    out["scores_loaded_s"] = time.perf_counter() - started
    out["keyword_ms"] = {
        name: median_ms(lambda text=text: lib.keywords.search(text, limit=200), repeats)
        for name, text in (("accession", info["accession"]), ("title word", info["title_word"]),
                           ("Chinese word", info["chinese_word"]), ("metadata value", info["metadata_value"]))}
    out["typed_ms"] = median_ms(lambda: service.by_text(TYPED, k=50), repeats)
    out["photo_ms"] = median_ms(lambda: service.by_image(photo, k=50), repeats)
    filters = SearchFilters(labels=[info["filter_label"]])
    out["photo_filtered_ms"] = median_ms(lambda: service.by_image(photo, k=50, filters=filters), repeats)
    out["memory_kb"] = memory_kb()
    lib.close()
    return out


def child(root: Path, repeats: int, searches: bool) -> dict:
    done = subprocess.run([sys.executable, __file__, "--measure", str(root), "--repeats", str(repeats)]
                          + ([] if searches else ["--open-only"]),
                          capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"measuring {root} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def scroll(root: Path, frames: int) -> dict:
    script = Path(__file__).with_name("bench_grid_scroll.py")
    done = subprocess.run([sys.executable, str(script), "--library", str(root), "--frames", str(frames)],
                          capture_output=True, text=True, check=False,
                          env={**os.environ, "QT_QPA_PLATFORM": "offscreen"})
    line = next((x for x in done.stdout.splitlines() if x.startswith("fling")), "")
    if done.returncode != 0 or not line:
        return {"error": (done.stderr or done.stdout)[-500:]}
    found = re.search(r"worst\s+([\d.]+) ms, over 50 ms: (\d+)", line)
    if found is None:
        return {"error": line}
    return {"worst_gap_ms": float(found[1]), "gaps_over_50": int(found[2]), "line": line}


# -- the run --------------------------------------------------------------------------------------
def probe_words(lib, pool_ids: list[int]) -> dict:
    """The queries, taken from the pool so that every size answers the same ones."""
    middle = lib.items.get(pool_ids[len(pool_ids) // 2])
    return {"photo": middle.photos[0].path, "title_word": "shirt", "chinese_word": "平针绣",
            "metadata_value": "Hong Kong", "filter_label": "robe"}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    ap.add_argument("--pool", type=int, default=2000)
    ap.add_argument("--fresh", type=int, default=500, help="photos imported and encoded at each size")
    ap.add_argument("--repeats", type=int, default=10)
    ap.add_argument("--frames", type=int, default=300, help="scroll steps at each size")
    ap.add_argument("--root", type=Path, help="work folder (default: a temporary one, removed)")
    ap.add_argument("--model-library", type=Path, help="a library with a trained, active model")
    ap.add_argument("--no-scroll", action="store_true")
    ap.add_argument("--json", type=Path)
    ap.add_argument("--measure", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--open-only", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.measure:
        print(json.dumps(measure(args.measure, args.repeats, not args.open_only)))
        return 0

    from app.services.encoding import encode_library
    from app.store import open_library

    work = args.root or Path(tempfile.mkdtemp(prefix="wenyang-scale-"))
    work.mkdir(parents=True, exist_ok=True)
    root = work / "lib"
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"load average {os.getloadavg()[0]:.2f}; threads: ONNX Runtime and the index use every core", flush=True)
    shutil.rmtree(root, ignore_errors=True)
    model_library(root, args.model_library)
    rng = np.random.default_rng(0)
    results: list[dict] = []
    with open_library(root) as lib:
        clear_items(lib)
        import_s = import_demo(lib, work / "pool", POOL_SEED, args.pool)
        t = time.perf_counter()
        encode_library(lib)
        print(f"pool: {args.pool} demo records imported in {import_s:.1f} s, encoded in "
              f"{time.perf_counter() - t:.1f} s; model {lib.models.active().id} "
              f"({lib.models.active().bits} bits)", flush=True)
        pool_ids = lib.items.ids()
        info = probe_words(lib, pool_ids)
        info["accession"] = lib.items.get(pool_ids[-1]).accession
    for n, size in enumerate(sorted(args.sizes)):
        row: dict = {"size": size, "load": os.getloadavg()[0]}
        with open_library(root) as lib:
            t = time.perf_counter()
            grow(lib, pool_ids, size, rng)
            row["grow_s"] = time.perf_counter() - t
            t = time.perf_counter()
            lib.keywords.refresh()
            row["keyword_index_s"] = time.perf_counter() - t
            copy = lib.db.execute("SELECT accession FROM items WHERE accession LIKE '%~%' "
                                  "ORDER BY id DESC LIMIT 1").fetchone()
            info["accession"] = copy[0] if copy else info["accession"]
        (root / "bench-scale.json").write_text(json.dumps(info))
        row["open_s"] = statistics.median(child(root, 1, False)["open_s"] for _ in range(3))
        row.update({k: v for k, v in child(root, args.repeats, True).items() if k != "open_s"})
        row["first_photo_cached_s"] = child(root, 1, True)["first_photo_s"]  # now from the cache folder
        with open_library(root) as lib:
            row["import_per_s"] = args.fresh / import_demo(lib, work / f"fresh{n}", FRESH_SEED + n, args.fresh)
            t = time.perf_counter()
            encode_library(lib)
            row["encode_per_s"] = args.fresh / (time.perf_counter() - t)
            row["items"] = lib.items.count()
        if not args.no_scroll:
            row["scroll"] = scroll(root, args.frames)
        results.append(row)
        print(json.dumps(row, ensure_ascii=False), flush=True)
    print_table(results)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2, ensure_ascii=False))
    if args.root is None:
        shutil.rmtree(work, ignore_errors=True)
    return 0


def print_table(results: list[dict]) -> None:
    def line(name, get, fmt="{:.1f}"):
        values = [get(r) for r in results]
        cells = "".join(f"{fmt.format(v):>12}" if v is not None else f"{'-':>12}" for v in values)
        growth = "".join(f"{b / a:>8.1f}x" if a and b and a > 0 else f"{'-':>9}"
                         for a, b in zip(values, values[1:]))
        print(f"{name:34}{cells}   {growth}")

    print(f"\n{'items':34}" + "".join(f"{r['items']:>12,}" for r in results) + "   growth to the next size")
    line("load average at start", lambda r: r["load"], "{:.2f}")
    line("writing the copies (s)", lambda r: r["grow_s"])
    line("keyword index of them (s)", lambda r: r["keyword_index_s"])
    line("open until first search (s)", lambda r: r["open_s"], "{:.2f}")
    for name in ("accession", "title word", "Chinese word", "metadata value"):
        line(f"keyword: {name} (ms)", lambda r, n=name: r["keyword_ms"][n])
    line(f"typed {TYPED} -> top 50 (ms)", lambda r: r["typed_ms"])
    line("first photo search, no cache (s)", lambda r: r["first_photo_s"], "{:.2f}")
    line("first photo search, cache (s)", lambda r: r["first_photo_cached_s"], "{:.2f}")
    line("tie-break scores in, after it (s)", lambda r: r.get("scores_loaded_s"), "{:.2f}")
    line("photo -> top 50 (ms)", lambda r: r["photo_ms"])
    line("photo -> top 50, filtered (ms)", lambda r: r["photo_filtered_ms"])
    line("resident memory (MB)", lambda r: r["memory_kb"]["VmRSS"] / 1024, "{:.0f}")
    line("peak resident memory (MB)", lambda r: r["memory_kb"]["VmHWM"] / 1024, "{:.0f}")
    line("import (photos/s)", lambda r: r["import_per_s"])
    line("encoding (photos/s)", lambda r: r["encode_per_s"])
    line("scroll: worst GUI gap (ms)", lambda r: r.get("scroll", {}).get("worst_gap_ms"))
    line("scroll: gaps over 50 ms", lambda r: r.get("scroll", {}).get("gaps_over_50"), "{:.0f}")


if __name__ == "__main__":
    sys.exit(main())
