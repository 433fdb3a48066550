"""Benchmark: HammingIndex vs FAISS IndexBinaryFlat, top-k over random binary codes.

    .venv/bin/python bench/bench_search.py                # 1,000,000 codes
    .venv/bin/python bench/bench_search.py --big          # and 10,000,000 codes
    .venv/bin/python bench/bench_search.py --json out.json

Candidates alternate call by call (the machine is shared, so timings drift; side by
side in one run is the only fair comparison), and the table shows medians over all
samples in ms per query.  "single": one query per call (--singles different queries
per repeat, each a sample); "batch": one call with --batch queries per repeat.
"naive numpy" (``bitwise_count`` + ``argpartition``) is the baseline to beat.
Filtered rows (10% of rows pass) compare with the unfiltered search of the same queries:
a boolean mask that changes every query ("fresh"), the same mask again ("repeated", the
search panel's case), a prebuilt RowFilter, and a mask with a batch.  Seeds are fixed.
faiss-cpu is needed (a test dependency).  Ratios are taken against the faster of FAISS
with its default OpenMP threads and FAISS with one thread (the conservative reference).
Figures measured here are in the docstring of ``app/search/index.py``.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.search import HammingIndex  # noqa: E402


def naive_topk(words: np.ndarray, query: np.ndarray, k: int):
    """Plain NumPy: popcount of xor, argpartition, sort the k."""
    d = np.bitwise_count(words ^ query)
    part = np.argpartition(d, k)[:k]
    return part[np.argsort(d[part], kind="stable")]


def make_candidates(codes, queries, k, mask):
    """(scenario, method) -> callable(i); "single" ones search query i alone, the
    "batch" ones search all queries (and ignore i)."""
    import faiss
    fx = faiss.IndexBinaryFlat(codes.shape[1] * 8)
    fx.add(codes)
    ours = HammingIndex.from_codes(codes)
    flt = ours.row_filter(mask)
    # A second index whose every single-query search gets a mask unlike the one before
    # (no reuse of a cached filter): the one-off-filter cost.
    fresh = HammingIndex.from_codes(codes)
    masks = [np.roll(mask, j + 1) for j in range(7)]
    omp_default = faiss.omp_get_max_threads()

    def one_thread(fn):
        # FAISS's OpenMP spin-waits collapse when other jobs share the cores; its
        # one-thread time is the fairer reference then.  Both are reported.
        def wrapped(i):
            faiss.omp_set_num_threads(1)
            try:
                return fn(i)
            finally:
                faiss.omp_set_num_threads(omp_default)
        return wrapped

    def q(i):
        return queries[i:i + 1]

    cands = {
        ("single", "faiss"): lambda i: fx.search(q(i), k),
        ("single", "faiss 1 thread"): one_thread(lambda i: fx.search(q(i), k)),
        ("single", "ours"): lambda i: ours.search(q(i), k),
        ("single filtered", "ours mask, repeated"):
            lambda i: ours.search(q(i), k, allowed=mask),
        ("single filtered", "ours mask, fresh"):
            lambda i: fresh.search(q(i), k, allowed=masks[i % len(masks)]),
        ("single filtered", "ours RowFilter"):
            lambda i: ours.search(q(i), k, allowed=flt),
        ("batch", "faiss"): lambda i: fx.search(queries, k),
        ("batch", "faiss 1 thread"): one_thread(lambda i: fx.search(queries, k)),
        ("batch", "ours"): lambda i: ours.search(queries, k),
        ("batch filtered", "ours mask"): lambda i: fresh.search(queries, k, allowed=mask),
    }
    if codes.shape[1] == 8 and len(codes) <= 2_000_000:
        words, qw = codes.view(np.uint64).ravel(), queries.view(np.uint64).ravel()
        cands[("single", "naive numpy")] = lambda i: naive_topk(words, qw[i], k)
    check = (fx.search(queries, k)[0] == ours.search(queries, k)[0]).all()
    return cands, bool(check)


def _timed(fn, i) -> float:
    t0 = time.perf_counter()
    fn(i)
    return (time.perf_counter() - t0) * 1e3


def time_interleaved(cands, repeats, single_n, batch):
    """ms/query samples per candidate, candidates alternating call by call.

    Single-query candidates take turns on each query (repeats x single_n samples each);
    batch candidates take turns once per repeat.  Alternating this finely keeps bursts
    of load from other jobs from landing on one candidate only.
    """
    for fn in cands.values():
        fn(0)  # warm-up: page faults, buffers, lazy imports
    times = {name: [] for name in cands}
    singles = {n: f for n, f in cands.items() if not n[0].startswith("batch")}
    batches = {n: f for n, f in cands.items() if n[0].startswith("batch")}
    order_rng = np.random.default_rng(1)
    for _ in range(repeats):
        for i in range(single_n):
            for name in _shuffled(singles, order_rng):
                times[name].append(_timed(singles[name], i))
        for name in _shuffled(batches, order_rng):
            times[name].append(_timed(batches[name], 0) / batch)
    return times


def _shuffled(cands, rng):
    """Candidates in a fresh random order: FAISS's OpenMP threads keep spinning for a
    while after a call and slow whichever candidate runs next, so no fixed order."""
    names = list(cands)
    return [names[j] for j in rng.permutation(len(names))]


def run(n, bits, k, repeats, batch, single_n, seed):
    rng = np.random.default_rng(seed)
    codes = rng.integers(0, 256, (n, bits // 8), dtype=np.uint8)
    queries = rng.integers(0, 256, (batch, bits // 8), dtype=np.uint8)
    mask = rng.random(n) < 0.10
    cands, exact = make_candidates(codes, queries, k, mask)
    times = time_interleaved(cands, repeats, single_n, batch)
    rows = [{"n": n, "bits": bits, "k": k, "scenario": s, "method": m,
             "ms_per_query": float(np.median(t)), "samples": len(t),
             "samples_ms": [round(x, 4) for x in t]}
            for (s, m), t in times.items()]
    return rows, exact


def reference(rows, n, scenario):
    """The row a ratio is taken against: FAISS, or the unfiltered search for filters."""
    if scenario.endswith("filtered"):
        base = scenario.replace(" filtered", "")
        return next(r for r in rows if r["n"] == n and r["scenario"] == base
                    and r["method"] == "ours"), "ours unfiltered"
    faiss_rows = [r for r in rows if r["n"] == n and r["scenario"] == scenario
                  and r["method"].startswith("faiss")]
    return min(faiss_rows, key=lambda r: r["ms_per_query"]), "faster FAISS"


def print_table(rows):
    print(f"{'n':>11} {'scenario':<16} {'method':<20} {'ms/query':>9} {'ratio':>7}  vs")
    for r in rows:
        ref, ref_name = reference(rows, r["n"], r["scenario"])
        ratio = r["ms_per_query"] / ref["ms_per_query"]
        r["ratio"], r["ratio_vs"] = ratio, ref_name
        print(f"{r['n']:>11,} {r['scenario']:<16} {r['method']:<20} "
              f"{r['ms_per_query']:>9.3f} {ratio:>7.2f}  {ref_name}")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--big", action="store_true", help="also 10,000,000 codes")
    ap.add_argument("--bits", type=int, default=64)
    ap.add_argument("--k", type=int, default=100)
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--batch", type=int, default=100)
    ap.add_argument("--singles", type=int, default=20)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--json", type=Path)
    args = ap.parse_args(argv)
    sizes = [args.n] + ([10_000_000] if args.big else [])
    rows, exact = [], {}
    for n in sizes:
        got, exact[n] = run(n, args.bits, args.k, args.repeats, args.batch,
                            args.singles, args.seed)
        rows += got
    print_table(rows)
    print("distances identical to FAISS:", exact)
    if args.json:
        meta = {"numpy": np.__version__, "python": platform.python_version(),
                "machine": platform.machine(), "args": {k: str(v) for k, v in
                                                         vars(args).items()}}
        args.json.write_text(json.dumps({"meta": meta, "rows": rows}, indent=1))


if __name__ == "__main__":
    main()
