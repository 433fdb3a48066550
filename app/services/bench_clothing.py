"""The clothing-cc0 benchmark: real photos, networks trained from scratch on this machine.

A seeded subset (4,000 by default) of the labelled photos is imported into a fresh library,
an SSAH model is trained (cached-feature mode on a CPU) with 10 % of the subset held out as
queries, and the held-out photos are ranked against the rest by image codes (I→I):
MAP@all, precision@20 by class, top-1 label prediction accuracy, and the training wall
time. Random codes on the same split give the baseline the model must beat (3× in MAP).
"""
from __future__ import annotations

import csv
import json
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from app.core.jobs import Progress
from app.evaluate import mean_average_precision, precision_at_k, precision_at_k_by_class
from app.runtime import unpack_codes
from app.services.dataset import PhotoLoader, library_arrays
from app.services.importing import ImportOptions, import_paths
from app.services.models_runtime import active_runtime
from app.services.training import TrainOptions, train_library
from app.store import open_library

if TYPE_CHECKING:
    from app.store import Library

UNCLEAR = {"Not sure", "Skip", "Other"}


def choose_photos(data_dir: Path, n: int, seed: int) -> list[Path]:
    """A seeded sample of photos whose sheet row gives a clear class."""
    rows = list(csv.DictReader((data_dir / "images.csv").open(encoding="utf-8")))
    files = [data_dir / "images" / f"{r['image']}.jpg" for r in rows if r["label"] not in UNCLEAR]
    files = [f for f in files if f.is_file()]
    rng = np.random.default_rng(seed)
    picked = rng.choice(len(files), size=min(n, len(files)), replace=False)
    return sorted(files[int(i)] for i in picked)


def run_clothing_benchmark(data_dir, json_out=None, n: int = 4000, bits: int = 64, seed: int = 0,
                           epochs: int = 60, progress=print, library: Path | None = None) -> dict:
    data_dir = Path(data_dir)
    say = progress or (lambda m: None)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(library) if library else Path(tmp) / "clothing"
        with open_library(root, create=True) as lib:
            started = time.perf_counter()
            files = choose_photos(data_dir, n, seed)
            report = import_paths(lib, files, ImportOptions(metadata=data_dir / "images.csv", create_labels=True))
            say(f"imported {report.added_items} photos in {time.perf_counter() - started:.0f} s")
            t0 = time.perf_counter()
            outcome = train_library(lib, TrainOptions(bits=bits, epochs=epochs, seed=seed, holdout_fraction=0.1),
                                    progress=_epoch_printer(say))
            train_s = time.perf_counter() - t0
            result = _measure(lib, outcome, seed) | {"train_wall_s": round(train_s, 1), "n_photos": report.added_items,
                                                     "bits": bits, "epochs_run": outcome.epochs_run,
                                                     "device": outcome.device}
    say(_table(result))
    if json_out:
        Path(json_out).write_text(json.dumps(result, indent=1, ensure_ascii=False), encoding="utf-8")
    return result


def _epoch_printer(say):
    def show(event: Progress) -> None:
        if event.data.get("kind") == "epoch":
            say(f"  epoch {event.data['epoch']}: val MAP {event.data.get('val_map')}")
        elif event.stage == "warmup" and event.finished_stage:
            say(f"  {event.detail}")
    return show


def _measure(lib: Library, outcome, seed: int) -> dict:
    model = lib.models.get(outcome.model_id)
    arrays = library_arrays(lib)
    holdout = set(model.card["holdout_items"])
    is_q = np.array([int(i) in holdout for i in arrays.ids])
    ids, packed, _ = lib.codes.load(model.id, "image", scores=False)
    assert np.array_equal(ids, arrays.ids)
    codes = unpack_codes(packed, model.bits)
    classes = arrays.labels.argmax(axis=1)  # single-label data: the class column
    qc, dc, ql, dl = codes[is_q], codes[~is_q], classes[is_q], classes[~is_q]
    rng = np.random.default_rng(seed + 7)
    random_codes = np.where(rng.random(codes.shape) < 0.5, 1, -1).astype(np.int8)
    learned = mean_average_precision(qc, dc, ql, dl)
    random = mean_average_precision(random_codes[is_q], random_codes[~is_q], ql, dl)
    names = [lib.scheme.labels[arrays.label_ids[c]].name_en for c in range(len(arrays.label_ids))]
    by_class = precision_at_k_by_class(qc, dc, ql, dl, k=20)
    return {"i2i_map_all": learned.map, "random_map_all": random.map, "ratio": learned.map / max(random.map, 1e-9),
            "p_at_20": precision_at_k(qc, dc, ql, dl, k=20).value,
            "p_at_20_by_class": {names[c]: round(v.precision, 4) for c, v in by_class.items()},  # type: ignore[call-overload]  # class ids
            "label_accuracy": _label_accuracy(lib, model, arrays, is_q, classes),
            "n_queries": int(is_q.sum()), "n_database": int((~is_q).sum()), "definition": learned.definition}


def _label_accuracy(lib: Library, model, arrays, is_q, classes) -> float:
    """Top-1 accuracy of the image network's label head on the held-out photos."""
    runtime = active_runtime(lib, model)
    rows = np.flatnonzero(is_q)
    loader = PhotoLoader(arrays.image_sources(lib, runtime.preprocessing), runtime.preprocessing)
    correct = 0
    for start in range(0, len(rows), 64):
        batch = rows[start:start + 64]
        probs = runtime.predict_labels_images(loader(batch))
        columns = [runtime.label_ids.index(l) for l in arrays.label_ids]
        correct += int((probs[:, columns].argmax(axis=1) == classes[batch]).sum())
    return correct / max(1, len(rows))


def _table(r: dict) -> str:
    lines = [f"clothing-cc0, {r['n_photos']} photos, {r['bits']} bits, {r['n_queries']} held-out queries "
             f"vs {r['n_database']} database photos",
             f"  I→I MAP@all     {r['i2i_map_all']:.4f}   (random codes {r['random_map_all']:.4f}, ratio {r['ratio']:.2f}×)",
             f"  precision@20    {r['p_at_20']:.4f}",
             f"  label accuracy  {r['label_accuracy']:.4f} (top-1 of the image label head)",
             f"  training        {r['train_wall_s']:.0f} s on {r['device']}, {r['epochs_run']} epochs",
             "  precision@20 by class: " + ", ".join(f"{k} {v:.2f}" for k, v in sorted(r['p_at_20_by_class'].items())),
             f"  ({r['definition']})"]
    return "\n".join(lines)
