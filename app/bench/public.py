"""Public benchmarks of the hashing engine: ``wikipedia`` and ``mirflickr``.

    python -m app.bench.public wikipedia --data /path/to/data --json out.json
    python -m app.bench.public mirflickr --data /path/to/data --json out.json

``run_benchmark`` trains SSAH and DCMH for every code length and seed, prints a table
and returns (and writes) ``{"results": {method: {protocol: {direction: {bits: {"map",
"std", "n_seeds"}}}}}, "runs": [...], ...}``.  Protocols and definitions are in
``app.bench.wikipedia`` and ``app.bench.mirflickr``.  Hyper-parameters were chosen on validation
splits of the training data only (``app.bench.tune``), never on the queries.

``clothing`` (photos of the public clothing set through the library importer) is a hook
for the services layer: it needs a library, so it lives with the importer, not here.
"""
from __future__ import annotations

import argparse
import os
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from app.bench.common import aggregate, environment, format_table, run_facts, write_json, write_plots
from app.bench.jobs import BENCHMARKS, run_jobs, run_single

# Survey (003) Table 7, Wikipedia, unified protocol: the best row, the target to beat.
TSDH = {"i2t": {"16": 0.364, "32": 0.386, "64": 0.391}, "t2i": {"16": 0.757, "32": 0.770, "64": 0.773}}


def run_benchmark(name: str, data_dir, json_out=None, seeds=(0, 1, 2), bits=(16, 32, 64),
                  progress: Callable[[str], None] | None = print, methods=("ssah", "dcmh"),
                  workers: int | None = None, plots_dir=None) -> dict:
    """Run benchmark ``name`` on the data in ``data_dir``; print a table; write ``json_out``
    and PNG plots (PR curves per protocol and direction, MAP by code length) to
    ``plots_dir`` (default: ``<json_out without suffix>-plots``, or ``./<name>-plots``).

    ``workers`` training processes run side by side (default: one per core, at most 2;
    one torch thread each).  The numbers do not depend on it: every run is seeded.
    """
    if name not in BENCHMARKS:
        run_single(name, data_dir, "ssah", 16, 0)  # raises the helpful error
    say = progress or (lambda message: None)
    started = time.perf_counter()
    workers = workers if workers is not None else min(2, os.cpu_count() or 1)
    jobs = [(m, int(b), int(s)) for m in methods for b in bits for s in seeds]
    records = run_jobs(name, data_dir, jobs, workers, lambda r: say(_run_line(name, r)))
    payload = _payload(name, records, time.perf_counter() - started, seeds, bits) | {"workers": workers}
    say(format_table(payload["results"], f"{name}: MAP@all, mean ± std over seeds {list(seeds)}"))
    if name == "wikipedia":
        say(_target_line(payload["results"]))
    elif "tag_to_label" in payload:
        say(_tag_lines(payload["tag_to_label"]))
    say(f"total wall time {payload['wall_s']:.0f} s with {workers} worker process(es)")
    plots_dir = plots_dir or (Path(json_out).with_suffix("").as_posix() + "-plots" if json_out else f"{name}-plots")
    payload["plots"] = write_plots(name, records, payload["results"], plots_dir)
    say("plots: " + ", ".join(payload["plots"]))
    write_json(json_out, payload)
    return payload


def _run_line(name: str, r) -> str:
    cells = ", ".join(f"{p}/{d} {v:.3f}" for (p, d), v in sorted(r.maps.items()))
    return (f"[{name}] {r.method} {r.bits} bits seed {r.seed}: {cells} | val {r.val_map:.3f} "
            f"best epoch {r.best_epoch}/{r.epochs_run} | {r.wall_s:.0f} s")


def _payload(name: str, records, wall_s: float, seeds, bits) -> dict:
    payload = {"benchmark": name, "results": aggregate(records), "runs": run_facts(records),
               "seeds": list(seeds), "bits": [int(b) for b in bits], "wall_s": round(wall_s, 1),
               "environment": environment(),
               "definition": "map: MAP@all over Hamming ranking, ties by database order, R_q=0 queries skipped; "
                             "map_tie: the same with tied items ranked by the continuous score "
                             "<query pre-sign, database pre-sign>, higher first; "
                             "std, std_tie = population standard deviation over seeds"}
    tags = [r for r in records if "tag_to_label" in r.extra]
    if tags:
        payload["tag_to_label"] = _tag_summary(tags)
    if name == "wikipedia":
        payload["target_tsdh_unified"] = TSDH
    return payload


def _tag_summary(records) -> dict:
    out: dict = {}
    for r in records:
        for metric, value in r.extra["tag_to_label"].items():
            out.setdefault(r.method, {}).setdefault(metric, {}).setdefault(str(r.bits), []).append(value)
    return {m: {k: {b: {"mean": round(float(np.mean(v)), 4), "std": round(float(np.std(v)), 4)}
                    for b, v in per_bits.items()} for k, per_bits in metrics.items()}
            for m, metrics in out.items()}


def _target_line(results: dict) -> str:
    """Which unified-protocol cells reach TSDH, and where SSAH beats DCMH."""
    ssah, dcmh = results.get("ssah", {}).get("unified", {}), results.get("dcmh", {}).get("unified", {})
    reached, beaten, cells = [], 0, 0
    for direction, targets in TSDH.items():
        for bits, target in targets.items():
            value = ssah.get(direction, {}).get(bits, {}).get("map")
            if value is None:
                continue
            reached.append(f"{direction}@{bits} {'≥' if value >= target else '<'} {target}")
            other = dcmh.get(direction, {}).get(bits, {}).get("map")
            if other is not None:
                cells, beaten = cells + 1, beaten + int(value > other)
    return f"SSAH vs TSDH (unified): {'; '.join(reached)}. SSAH beats DCMH in {beaten}/{cells} cells."


def _tag_lines(summary: dict) -> str:
    lines = ["tag → label prediction (threshold 0.5), mean over seeds:"]
    for method, metrics in summary.items():
        for metric, per_bits in metrics.items():
            cells = "  ".join(f"{b} bits {v['mean']:.3f} ± {v['std']:.3f}" for b, v in per_bits.items())
            lines.append(f"  {method} {metric:<16} {cells}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Run a public hashing benchmark.")
    parser.add_argument("name", choices=BENCHMARKS)
    parser.add_argument("--data", required=True, help="folder with the data set (or its parent)")
    parser.add_argument("--json", default=None, help="write the results here")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--bits", type=int, nargs="+", default=[16, 32, 64])
    parser.add_argument("--methods", nargs="+", default=["ssah", "dcmh"])
    parser.add_argument("--workers", type=int, default=None, help="parallel training processes")
    parser.add_argument("--plots", default=None, help="folder for the PNG plots")
    args = parser.parse_args(argv)
    run_benchmark(args.name, args.data, args.json, tuple(args.seeds), tuple(args.bits),
                  methods=tuple(args.methods), workers=args.workers, plots_dir=args.plots)


if __name__ == "__main__":
    main()
