"""End-to-end query latency and library opening time.

1. A dropped photo → decoded, encoded by ONNX Runtime → ranked over N items (default
   100,000) → top 50; a typed description the same. Medians of --repeats runs.
2. Opening a library of --open-items (default 1,000,000) coded items until the first
   search can run (open + load the index), median of 3.

A small demo library is trained first (or --library names one with an active model);
synthetic items with random codes fill it up to the sizes asked for.

    python bench/bench_query.py [--items 100000] [--open-items 1000000] [--json OUT]
"""
from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

from app.services.demo import create_demo_library
from app.services.search import SearchService
from app.services.training import TrainOptions, train_library
from app.store import open_library


def ensure_model(root: Path) -> None:
    create_demo_library(root, seed=0, count=120)
    with open_library(root) as lib:
        train_library(lib, TrainOptions(bits=64, epochs=2, seed=0))


def pad_library(lib, total: int, seed: int = 0) -> None:
    """Add synthetic items with random image and text codes until the library has ``total``."""
    model = lib.models.active()
    have = lib.items.count()
    extra = max(0, total - have)
    rng = np.random.default_rng(seed)
    start = lib.db.execute("SELECT COALESCE(MAX(id), 0) FROM items").fetchone()[0] + 1
    ids = range(start, start + extra)
    with lib.atomic():
        lib.db.conn.executemany("INSERT INTO items (id, accession, created, modified) VALUES (?, ?, '', '')",
                                ((i, f"SYN-{i}") for i in ids))
        for modality in ("image", "text"):
            codes = rng.integers(0, 256, (extra, model.bits // 8), dtype=np.uint8)
            scores = rng.standard_normal((extra, model.bits)).astype(np.float32)
            lib.db.conn.executemany(
                "INSERT INTO codes (item_id, model_id, modality, code, score, source_hash) VALUES (?, ?, ?, ?, ?, 'syn')",
                ((i, model.id, modality, codes[j].tobytes(), scores[j].tobytes()) for j, i in enumerate(ids)))
            lib.codes.bump()
    for modality in ("image", "text"):
        lib.codes.write_snapshot(model.id, modality)  # as encode_library does after encoding


def median_ms(fn, repeats: int) -> float:
    fn()  # warm-up: sessions, jieba, index
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times)


def query_latency(root: Path, n_items: int, repeats: int) -> dict:
    with open_library(root) as lib:
        pad_library(lib, n_items)
        service = SearchService(lib)
        photo = lib.items.get(lib.items.ids(limit=1)[0]).photos[0].path
        out = {"items": lib.items.count(), "provider": service.provider()}
        out["photo_ms"] = median_ms(lambda: service.by_image(photo, k=50), repeats)
        out["text_ms"] = median_ms(lambda: service.by_text("red satin robe with dragons 龙纹", k=50), repeats)
        out["region_ms"] = median_ms(lambda: service.by_image(photo, region=(20, 20, 150, 150), k=50), repeats)
    return out


def open_time(root: Path, n_items: int) -> dict:
    with open_library(root) as lib:
        pad_library(lib, n_items, seed=1)
    times = []
    for _ in range(3):
        t = time.perf_counter()
        with open_library(root) as lib:
            service = SearchService(lib, background_scores=True)  # as the window does
            service.index("image")
            times.append(time.perf_counter() - t)
    return {"items": n_items, "open_to_search_s": statistics.median(times)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--library", type=Path, help="a library with an active model (copied? no: padded in place)")
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--open-items", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = args.library or Path(tmp) / "lib"
        if args.library is None:
            ensure_model(root)
        result = {"query": query_latency(root, args.items, args.repeats)}
        q = result["query"]
        print(f"{q['items']:,} items on {q['provider']}: photo → top 50 {q['photo_ms']:.1f} ms, "
              f"text → top 50 {q['text_ms']:.1f} ms, region → top 50 {q['region_ms']:.1f} ms (medians of {args.repeats})")
        if args.open_items:
            result["open"] = open_time(root, args.open_items)
            print(f"open a {args.open_items:,}-item library until the first search can run: "
                  f"{result['open']['open_to_search_s']:.2f} s (median of 3)")
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
