"""Hyper-parameter search on the validation split only (never the test/query set).

    python -m app.bench.tune wikipedia --data DIR --method ssah --bits 32 \
        --seeds 0 1 --set '{"gamma": 0.1}' --set '{"gamma": 0.0}'

Each ``--set`` is a JSON dict of TrainConfig overrides (a nested "net" dict for network
options); the script trains with the benchmark's data and configuration and prints the
validation MAP (mean over seeds) and the chosen epoch, nothing measured on the test set.
"""
from __future__ import annotations

import argparse
import json
import time

import numpy as np

from app.ml.train import train


def _loader(name: str, features: str):
    if name == "wikipedia":
        from app.bench import wikipedia

        return lambda data_dir: wikipedia.load(data_dir, features).train, wikipedia.config_for
    if name == "mirflickr":
        from app.bench import mirflickr

        return lambda data_dir: mirflickr.load(data_dir, seed=0).train, mirflickr.config_for
    raise SystemExit(f"unknown benchmark {name!r}")


def validate(data, config_for, method: str, bits: int, seeds, overrides: dict) -> dict:
    """Validation MAP (mean, per seed) and chosen epochs for one setting."""
    maps: list[float] = []
    epochs, started = [], time.perf_counter()
    for seed in seeds:
        result = train(data, config_for(method, bits, seed, overrides))
        maps.append(result.val_map if result.val_map is not None else float("nan"))
        epochs.append(result.best_epoch)
    return {"val_map": float(np.mean(maps)), "per_seed": [round(m, 4) for m in maps],
            "best_epochs": epochs, "wall_s": round(time.perf_counter() - started, 1)}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("name")
    parser.add_argument("--data", required=True)
    parser.add_argument("--method", default="ssah")
    parser.add_argument("--bits", type=int, default=32)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--set", action="append", default=[], help="JSON overrides; repeatable")
    parser.add_argument("--features", default="hellinger", help="Wikipedia feature normalisation")
    args = parser.parse_args(argv)
    load, config_for = _loader(args.name, args.features)
    data = load(args.data)
    for text in args.set or ["{}"]:
        row = validate(data, config_for, args.method, args.bits, args.seeds, json.loads(text))
        print(json.dumps({"set": json.loads(text), **row}), flush=True)


if __name__ == "__main__":
    main()
