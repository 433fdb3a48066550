"""Benchmark: HammingIndex vs FAISS IndexBinaryFlat, top-k over random binary codes.

    .venv/bin/python bench/bench_search.py                # 1,000,000 codes
    .venv/bin/python bench/bench_search.py --big          # and 10,000,000 codes
    .venv/bin/python bench/bench_search.py --json out.json

Candidates run interleaved in every repeat (the machine is shared, so timings drift;
side by side in one run is the only fair comparison), and the table shows medians over
the repeats in ms per query.  "single": one query per call (mean over --singles
different queries); "batch": one call with --batch queries.  "naive" is plain NumPy
(``bitwise_count`` + ``argpartition``), the baseline the index has to beat.
Filtered rows compare a 10%-passing boolean mask, and a prebuilt RowFilter, with the
unfiltered search of the same queries.  Seeds are fixed.  faiss-cpu is needed
(a test dependency).  Ratios are taken against the faster of FAISS with its default
OpenMP threads and FAISS with one thread (the conservative reference).
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


def make_candidates(codes, queries, k, single_n, mask):
    """name -> (scenario, callable, queries per call)."""
    import faiss
    fx = faiss.IndexBinaryFlat(codes.shape[1] * 8)
    fx.add(codes)
    ours = HammingIndex.from_codes(codes)
    flt = ours.row_filter(mask)
    words = codes.view(np.uint64).ravel() if codes.shape[1] == 8 else None
    singles = [queries[i:i + 1] for i in range(single_n)]

    def per_single(fn):
        return lambda: [fn(q) for q in singles]

    def one_thread(fn):
        # FAISS's OpenMP spin-waits collapse when other jobs share the cores; its
        # one-thread time is the fairer reference then.  Both are reported.
        def wrapped():
            faiss.omp_set_num_threads(1)
            try:
                return fn()
            finally:
                faiss.omp_set_num_threads(omp_default)
        return wrapped

    omp_default = faiss.omp_get_max_threads()

    cands = {
        ("single", "faiss"): (per_single(lambda q: fx.search(q, k)), single_n),
        ("single", "ours"): (per_single(lambda q: ours.search(q, k)), single_n),
        ("single", "faiss 1 thread"):
            (one_thread(per_single(lambda q: fx.search(q, k))), single_n),
        ("batch", "faiss"): (lambda: fx.search(queries, k), len(queries)),
        ("batch", "faiss 1 thread"): (one_thread(lambda: fx.search(queries, k)), len(queries)),
        ("batch", "ours"): (lambda: ours.search(queries, k), len(queries)),
        ("single filtered", "ours mask 10%"):
            (per_single(lambda q: ours.search(q, k, allowed=mask)), single_n),
        ("single filtered", "ours RowFilter 10%"):
            (per_single(lambda q: ours.search(q, k, allowed=flt)), single_n),
        ("batch filtered", "ours mask 10%"):
            (lambda: ours.search(queries, k, allowed=mask), len(queries)),
    }
    if words is not None and len(codes) <= 2_000_000:
        qw = queries[:single_n].view(np.uint64).ravel()
        cands[("single", "naive numpy")] = (lambda: [naive_topk(words, q, k) for q in qw],
                                           single_n)
    check = (fx.search(queries, k)[0] == ours.search(queries, k)[0]).all()
    return cands, bool(check)


def time_interleaved(cands, repeats):
    """Run every candidate once per repeat, in turn; return name -> list of ms/query."""
    for fn, _ in cands.values():
        fn()  # warm-up: page faults, buffers, lazy imports
    times = {name: [] for name in cands}
    for _ in range(repeats):
        for name, (fn, n_queries) in cands.items():
            t0 = time.perf_counter()
            fn()
            times[name].append((time.perf_counter() - t0) * 1e3 / n_queries)
    return times


def run(n, bits, k, repeats, batch, single_n, seed):
    rng = np.random.default_rng(seed)
    codes = rng.integers(0, 256, (n, bits // 8), dtype=np.uint8)
    queries = rng.integers(0, 256, (batch, bits // 8), dtype=np.uint8)
    mask = rng.random(n) < 0.10
    cands, exact = make_candidates(codes, queries, k, single_n, mask)
    times = time_interleaved(cands, repeats)
    rows = [{"n": n, "bits": bits, "k": k, "scenario": s, "method": m,
             "ms_per_query": float(np.median(t)), "repeats_ms": [round(x, 4) for x in t]}
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
