"""Shared plumbing of the public benchmarks: result tables, mean ± spread, JSON output.

Results are nested ``{method: {protocol: {direction: {bits: {"map": mean, "std": spread}}}}}``
with bits as strings ("16", "32", "64"); ``std`` is the population standard deviation
over seeds.  ``map`` ranks by Hamming distance with ties by database order (the published
convention); ``map_tie``/``std_tie`` are the tie-aware variant METHOD.md also asks for
(tied items ranked by the continuous score <query pre-sign, database pre-sign>).  Runs are collected as flat records first and aggregated at the end.
"""
from __future__ import annotations

import json
import platform
import time
import warnings
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

Progress = Callable[[str], None]


@dataclass
class RunRecord:
    """One trained model's numbers: MAPs by (protocol, direction) and run facts."""

    method: str
    bits: int
    seed: int
    maps: dict[tuple[str, str], float]
    val_map: float | None
    best_epoch: int
    epochs_run: int
    wall_s: float
    extra: dict = field(default_factory=dict)
    tie_maps: dict[tuple[str, str], float] = field(default_factory=dict)  # ties by continuous score


def aggregate(records: list[RunRecord]) -> dict:
    """Mean and spread over seeds, nested method → protocol → direction → bits."""
    grouped: dict = defaultdict(list)
    tied: dict = defaultdict(list)
    for r in records:
        for (protocol, direction), value in r.maps.items():
            grouped[(r.method, protocol, direction, str(r.bits))].append(value)
        for (protocol, direction), value in r.tie_maps.items():
            tied[(r.method, protocol, direction, str(r.bits))].append(value)
    out: dict = {}
    for key, values in sorted(grouped.items()):
        method, protocol, direction, bits = key
        cell = {"map": round(float(np.mean(values)), 4), "std": round(float(np.std(values)), 4),
                "n_seeds": len(values)}
        if len(tied.get(key, [])) == len(values):
            cell |= {"map_tie": round(float(np.mean(tied[key])), 4), "std_tie": round(float(np.std(tied[key])), 4)}
        out.setdefault(method, {}).setdefault(protocol, {}).setdefault(direction, {})[bits] = cell
    return out


def run_facts(records: list[RunRecord]) -> list[dict]:
    """Per-run facts for the JSON (validation MAP, chosen epoch, wall time)."""
    return [{"method": r.method, "bits": r.bits, "seed": r.seed, "val_map": r.val_map,
             "best_epoch": r.best_epoch, "epochs_run": r.epochs_run, "wall_s": round(r.wall_s, 1),
             **r.extra} for r in records]


def _rows(results: dict, bits: list[str], key: str) -> list[str]:
    """One line per method/protocol/direction that has ``key`` ("map" or "map_tie")."""
    std = key.replace("map", "std")
    rows = []
    for method, protocols in results.items():
        for protocol, directions in protocols.items():
            for direction, cells in directions.items():
                if any(key in cell for cell in cells.values()):
                    row = " ".join(f"{cells[b][key]:.3f} ± {cells[b][std]:.3f}".rjust(15)
                                   if key in cells.get(b, {}) else " " * 15 for b in bits)
                    rows.append(f"{method:<6} {protocol:<11} {direction:<4} {row}")
    return rows


def format_table(results: dict, title: str) -> str:
    """Plain-text table: one row per method/protocol/direction, one column per code length;
    the tie-aware variant follows in a second block where the runs measured it."""
    bits = sorted({b for m in results.values() for p in m.values() for d in p.values() for b in d}, key=int)
    header = f"{'method':<6} {'protocol':<11} {'dir':<4} " + " ".join(f"{b + ' bits':>15}" for b in bits)
    lines = [title, header, *_rows(results, bits, "map")]
    tie_rows = _rows(results, bits, "map_tie")
    if tie_rows:
        lines += ["tie-aware variant (tied items ranked by the continuous score):", header, *tie_rows]
    return "\n".join(lines)


def write_json(path: str | Path | None, payload: dict) -> None:
    if path is None:
        return
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(payload, indent=1, ensure_ascii=False), encoding="utf-8")


def environment() -> dict:
    """Where the numbers were measured (they depend on it, wall times especially)."""
    import os

    return {"python": platform.python_version(), "machine": platform.machine(),
            "cpus": os.cpu_count(), "date": time.strftime("%Y-%m-%d %H:%M:%S %Z")}


def find_file(data_dir: str | Path, subfolder: str, name: str) -> Path:
    """``data_dir/name`` or ``data_dir/subfolder/name``; a clear error when neither exists."""
    data_dir = Path(data_dir)
    for candidate in (data_dir / name, data_dir / subfolder / name):
        if candidate.is_file():
            return candidate
    raise FileNotFoundError(f"Cannot find {name} in {data_dir} or {data_dir / subfolder}.")


def pr_points(query_codes, db_codes, query_labels, db_labels) -> dict[str, list]:
    """Precision and recall by Hamming radius (``pr_curve_by_radius``) as JSON lists."""
    from app.evaluate.curves import pr_curve_by_radius

    curve = pr_curve_by_radius(query_codes, db_codes, query_labels, db_labels)
    clean = lambda a: [None if not np.isfinite(v) else round(float(v), 5) for v in a]  # noqa: E731
    return {"precision": clean(curve.precision), "recall": clean(curve.recall)}


def mean_curve(curves: list[dict]) -> tuple[np.ndarray, np.ndarray]:
    """Precision and recall averaged over seeds at each radius (undefined points skipped)."""
    as_array = lambda key: np.array([[np.nan if v is None else v for v in c[key]] for c in curves], float)  # noqa: E731
    with np.errstate(invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a radius no seed retrieves at
        return np.nanmean(as_array("precision"), axis=0), np.nanmean(as_array("recall"), axis=0)


def write_plots(name: str, records: list[RunRecord], results: dict, folder: str | Path) -> list[str]:
    """PR curves per protocol and direction (one line per method and code length, means
    over seeds) and MAP by code length per protocol; returns the PNG paths."""
    from app.evaluate.plots import plot_map_by_bits, plot_pr_curves

    folder = Path(folder)
    grouped: dict = {}
    for r in records:
        for key, curve in r.extra.get("pr", {}).items():
            grouped.setdefault(key, {}).setdefault(f"{r.method.upper()} {r.bits} bits", []).append(curve)
    paths = []
    for key, lines in sorted(grouped.items()):
        protocol, direction = key.split("/")
        curves = {label: mean_curve(c) for label, c in sorted(lines.items(), key=lambda kv: _line_order(kv[0]))}
        paths.append(str(plot_pr_curves(curves, folder / f"{name}_pr_{protocol}_{direction}.png",
                                        title=f"{name}: {direction.upper()} ({protocol}), PR by Hamming radius")))
    for protocol in sorted({p for m in results.values() for p in m}):
        table = {f"{method.upper()} {direction.upper()}": {int(b): cell["map"] for b, cell in by_bits.items()}
                 for method, protocols in results.items()
                 for direction, by_bits in protocols.get(protocol, {}).items()}
        paths.append(str(plot_map_by_bits(table, folder / f"{name}_map_by_bits_{protocol}.png",
                                          title=f"{name}: MAP@all by code length ({protocol})")))
    return paths


def _line_order(label: str) -> tuple[str, int]:
    method, bits, _ = label.split(" ")
    return method, int(bits)
