"""How much of a photo library the signature bounds leave to score, and what the pass costs.

    .venv/bin/python bench/signature_bounds.py [--data ../shared/data] [--crops 20] [--queries 150]
        [--sizes 5756 30000 120876] [--synthetic 1000000]

``app.search.signatures`` scores in full only the photos whose bound could reach the best
``n``; the answer is the full pass's, and what varies is how many rows are left. That depends
on how alike the library's photos are, so it is measured on real ones: the clothing-cc0
photos' signatures, plus ``--crops`` random crops of each (60-95 % of the photo at a random
place, half of them mirrored, brightness and saturation changed by up to 20 / 30 %) as more
photos of the same kind. The queries are re-photographed copies (``rephotograph``: rotated,
cropped, rescaled, JPEG) of photos drawn with seed 0. For each library size (its first rows),
it prints the rows scored after the first ``FIRST_SCORED`` for the best 200 and the best 20
(median, 90th percentile, worst), how often the copy's own photo is among the best 200, and
checks that the answer equals the full pass's (the same scores). ``--synthetic`` then times
the full pass and the bounded pass over that many random signatures (worst case for the bound:
nothing alike) and real ones repeated, side by side, medians of 7, on every core.
Making the signatures takes a few minutes on two cores (cached in the temp folder).
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.media.signature import CROPS, DIM, query_signature, signature  # noqa: E402
from app.search import signatures as sg  # noqa: E402
from app.search.signatures import SignatureIndex  # noqa: E402
from app.services.backlog_queries import rephotograph  # noqa: E402


def _crops_of(path: Path, count: int) -> list[np.ndarray]:
    from PIL import Image, ImageEnhance, ImageOps

    base = Image.open(path).convert("RGB").resize((150, 200))
    rng = np.random.default_rng(abs(hash(path.name)) % 2**32)
    out = []
    for _ in range(count):
        share = rng.uniform(0.6, 0.95)
        w, h = int(base.width * share), int(base.height * share)
        x, y = int(rng.integers(0, base.width - w + 1)), int(rng.integers(0, base.height - h + 1))
        img = base.crop((x, y, x + w, y + h))
        if rng.random() < 0.5:
            img = ImageOps.mirror(img)
        img = ImageEnhance.Brightness(img).enhance(rng.uniform(0.8, 1.2))
        out.append(signature(ImageEnhance.Color(img).enhance(rng.uniform(0.7, 1.3))))
    return out


def _part(args) -> tuple[np.ndarray, np.ndarray]:
    paths, crops = args
    from PIL import Image

    own = np.stack([signature(Image.open(p)) for p in paths])
    more = [s for p in paths for s in _crops_of(p, crops)]
    return own, np.stack(more) if more else np.zeros((0, len(CROPS), DIM), np.float16)


def library(data: Path, crops: int, queries: int):
    """(signatures: the photos' own, then their crops; query descriptors; the queries' rows)."""
    cache = Path(tempfile.gettempdir()) / f"wenyang-signature-bounds-{crops}-{queries}.npz"
    if cache.is_file():
        found = np.load(cache)
        return found["sigs"], found["queries"], found["rows"]
    from concurrent.futures import ProcessPoolExecutor

    from PIL import Image

    photos = sorted((data / "clothing-cc0").rglob("*.jpg"))
    workers = os.cpu_count() or 1
    with ProcessPoolExecutor(workers) as pool:
        parts = list(pool.map(_part, [(photos[w::workers], crops) for w in range(workers)]))
    order = np.concatenate([np.arange(len(photos))[w::workers] for w in range(workers)])
    own = np.concatenate([p[0] for p in parts])[np.argsort(order, kind="stable")]
    sigs = np.concatenate([own] + [p[1] for p in parts])
    rows = np.random.default_rng(0).choice(len(photos), queries, replace=False)
    descriptors = np.stack([query_signature(rephotograph(Image.open(photos[r]), int(r))) for r in rows])
    np.savez(cache, sigs=sigs, queries=descriptors, rows=rows)
    return sigs, descriptors, rows


def left_to_score(sigs, queries, rows, sizes) -> None:
    sg.BOUND_FROM = 1000
    for size in sizes:
        ids = np.arange(min(size, len(sigs)), dtype=np.int64)
        index = SignatureIndex.from_slices([(ids, sigs[:len(ids)])], len(CROPS), DIM)
        for n in (200, 20):
            left, found = [], 0
            for q, row in zip(queries, rows):
                got = index.best(q, n)
                left.append(index.scored - min(len(ids), max(4 * n, sg.FIRST_SCORED)))
                found += int(row in got)
                bounds, index.bounds = index.bounds, None
                full = index.approximate(q)
                expected = index.best(q, n)
                index.bounds = bounds
                assert np.array_equal(full[got], full[expected]), "the bounded pass lost a photo"
            share = np.array(left) / len(ids)
            whole = int((np.array(left) >= len(ids) - sg.FIRST_SCORED).sum())
            print(f"{len(ids):>9,} photos, best {n:>3}: rows scored after the first {sg.FIRST_SCORED}: median "
                  f"{np.median(share):.1%}, p90 {np.percentile(share, 90):.1%}, worst {share.max():.1%} "
                  f"(a full pass for {whole}); the copy's photo among them {found}/{len(rows)}", flush=True)


def timings(sigs, queries, n_rows: int) -> None:
    from app.search import _compiled

    if not _compiled.AVAILABLE:
        print("timings need Numba")
        return
    rng = np.random.default_rng(1)
    cases = {"random signatures": rng.standard_normal((n_rows, len(CROPS), DIM)).astype(np.float16),
             "clothing-cc0 repeated": sigs[np.arange(n_rows) % len(sigs)]}
    for name, data in cases.items():
        ids = np.arange(n_rows, dtype=np.int64)
        started = time.perf_counter()
        index = SignatureIndex.from_slices([(ids[a:a + 65536], data[a:a + 65536]) for a in range(0, n_rows, 65536)],
                                           len(CROPS), DIM)
        built = time.perf_counter() - started
        started = time.perf_counter()
        sg.coarse_bounds(index.stored, index.scales)
        bounds_s = time.perf_counter() - started
        times: dict[str, list[float]] = {"full pass": [], "bounded": []}
        for i in range(7):
            q = queries[i % len(queries)]
            for kind in ("full pass", "bounded") if i % 2 == 0 else ("bounded", "full pass"):
                keep = index.bounds
                if kind == "full pass":
                    index.bounds = None
                started = time.perf_counter()
                index.best(q, 200)
                times[kind].append((time.perf_counter() - started) * 1000)
                index.bounds = keep
        full, bounded = statistics.median(times["full pass"]), statistics.median(times["bounded"])
        print(f"{n_rows:,} {name}: best 200 by the full pass {full:.1f} ms, bounded {bounded:.1f} ms "
              f"({full / bounded:.1f}x); index built in {built:.1f} s, of which the bounds {bounds_s:.1f} s; "
              f"bounds {sum(a.nbytes for a in index.bounds) / len(ids):.0f} bytes a photo", flush=True)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "data")
    ap.add_argument("--crops", type=int, default=20)
    ap.add_argument("--queries", type=int, default=150)
    ap.add_argument("--sizes", type=int, nargs="+", default=[5756, 30000, 120876])
    ap.add_argument("--synthetic", type=int, default=1_000_000)
    args = ap.parse_args()
    print(f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f}", flush=True)
    sigs, queries, rows = library(args.data, args.crops, args.queries)
    print(f"{len(sigs):,} signatures, {len(queries)} re-photographed queries", flush=True)
    left_to_score(sigs, queries, rows, args.sizes)
    if args.synthetic:
        timings(sigs, queries, args.synthetic)
    return 0


if __name__ == "__main__":
    sys.exit(main())
