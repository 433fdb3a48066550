"""Typed label queries of a ``wenyang bench backlog --json`` file, split by whether a perfect
ranking could fill the top 10 with right answers.

    .venv/bin/python bench/backlog_fillable.py out.json [--at-least 10]

clothing-cc0's backlog of 500 photos holds 2 blouses, 1 top, 6 bodies, 7 blazers and 7
hoodies (seed 0): for those class names P@10 cannot reach 1, so the 17-name mean cannot pass
.841 whatever the model. The issue quotes its reference classifier "over 13 classes"; this
prints, per model and seed, the mean P@10 of the one-label queries with at least ``--at-least``
relevant backlog photos (a perfect ranking scores 1 on each) beside the mean over all of them,
and the medians over seeds. Relevant photos are counted from the chance rate the benchmark
stores (the share of backlog photos that are relevant; exact for one-label queries).
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np


def split(per_seed: dict, model: str, at_least: int) -> tuple[float, float, int, int]:
    """(mean P@10 of the fillable one-label queries, of all one-label queries, how many of each)."""
    kinds = {q["text"]: q["kind"] for q in per_seed["queries"]}
    n_backlog = per_seed["n_backlog"]
    rows = [q for q in per_seed["models"][model]["per_query"] if kinds.get(q["text"]) == "label"]
    full = [q["p10"] for q in rows if round(q["chance"] * n_backlog) >= at_least]
    every = [q["p10"] for q in rows]
    return float(np.mean(full)), float(np.mean(every)), len(full), len(every)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("json")
    ap.add_argument("--at-least", type=int, default=10)
    args = ap.parse_args()
    data = json.loads(Path(args.json).read_text())
    for model in data["models"]:
        got = []
        for per_seed in data["per_seed"]:
            if model not in per_seed["models"]:
                continue
            full, every, n_full, n_every = split(per_seed, model, args.at_least)
            got.append((full, every))
            print(f"{model:10} seed {per_seed['seed']}: {n_full} of {n_every} one-label queries have "
                  f"≥ {args.at_least} relevant photos: P@10 {full:.3f} (all {n_every}: {every:.3f})")
        if got:
            print(f"{model:10} median over {len(got)} seeds: fillable {np.median([g[0] for g in got]):.3f}, "
                  f"all {np.median([g[1] for g in got]):.3f}")


if __name__ == "__main__":
    main()
