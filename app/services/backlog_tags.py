"""Tag suggestions on backlog photos, read the way the window reads them, and the plain
ResNet-18 baseline's label probabilities for the same photos.
"""
from __future__ import annotations

import time
from typing import TYPE_CHECKING

import numpy as np

from app.media.images import load_rgb
from app.media.preprocess import Preprocessing, to_array
from app.services.backlog_scoring import average_precision, micro_f1, reliability
from app.services.dataset import PhotoLoader
from app.services.encoding import SUGGEST_MIN_CONFIDENCE

if TYPE_CHECKING:
    from app.store import Library

ABOUT_80 = (0.75, 0.85)


def model_probabilities(runtime, photos: list, label_ids: list[str], batch: int = 64) -> np.ndarray:
    """The image network's label probabilities (n, c in ``label_ids`` order; 0 for labels the
    model does not know), computed as encoding computes them."""
    loader = PhotoLoader([[p] for p in photos], runtime.preprocessing)
    probs = np.concatenate([runtime.predict_labels_images(loader(np.arange(s, min(s + batch, len(photos)))))
                            for s in range(0, len(photos), batch)]) if photos else np.zeros((0, 0))
    out = np.zeros((len(photos), len(label_ids)), np.float32)
    for j, label_id in enumerate(label_ids):
        if label_id in runtime.label_ids:
            out[:, j] = probs[:, runtime.label_ids.index(label_id)]
    return out


def stored_suggestions(lib: Library, item_ids: list[int], label_ids: list[str]) -> np.ndarray:
    """Confidence of each open suggestion as the window lists it (0 where none is shown)."""
    column = {l: j for j, l in enumerate(label_ids)}
    out = np.zeros((len(item_ids), len(label_ids)), np.float32)
    for r, item_id in enumerate(item_ids):
        for label_id, confidence, _status in lib.suggestions.of_item(item_id):
            if label_id in column:
                out[r, column[label_id]] = confidence
    return out


def suggestion_scores(probs: np.ndarray, shown: np.ndarray, truth: np.ndarray, names: list[str]) -> dict:
    """Per-label AP (from the full probabilities), micro-F1 of what the window shows, and a
    reliability table of the shown confidences."""
    ap = average_precision(probs, truth)
    per_label = {names[j]: round(float(v), 4) for j, v in enumerate(ap) if not np.isnan(v)}
    visible = shown >= SUGGEST_MIN_CONFIDENCE
    conf, right = shown[visible], truth[visible]
    near = (conf >= ABOUT_80[0]) & (conf < ABOUT_80[1])
    return {"threshold": SUGGEST_MIN_CONFIDENCE, "mean_ap": float(np.nanmean(ap)) if per_label else None,
            "per_label_ap": per_label, "micro": micro_f1(visible, truth),
            "shown_per_photo": float(visible.sum() / max(1, len(shown))),
            "reliability": {str(i): row for i, row in enumerate(reliability(conf, right))},
            "about_80": {"count": int(near.sum()), "correct": float(right[near].mean()) if near.any() else None}}


def pixels(photos: list, size: int) -> np.ndarray:
    """Normalised pixels (n, 3, size, size) of photo files, as the product preprocesses them."""
    prep = Preprocessing(size=size)
    return np.stack([to_array(load_rgb(p), prep) for p in photos])


def baseline_probabilities(cat_photos, cat_truth: np.ndarray, back_photos, epochs: int, seed: int,
                           size: int = 96, say=print) -> tuple[np.ndarray, dict]:
    """Train the plain ResNet-18 on the catalogue; its probabilities on the backlog photos."""
    from app.ml.baseline import BaselineConfig, train_baseline

    started = time.perf_counter()
    x_cat, x_back = pixels(cat_photos, size), pixels(back_photos, size)
    step = lambda e, loss: say(f"  baseline epoch {e}: loss {loss:.4f}") if e % 5 == 0 else None  # noqa: E731
    model = train_baseline(x_cat, cat_truth.astype(np.float32), BaselineConfig(epochs=epochs, seed=seed), step)
    probs = model.predict(x_back)
    return probs, {"wall_s": round(time.perf_counter() - started, 1), "train_s": round(model.wall_s, 1),
                   "epochs": epochs, "size": size, "n_train": len(cat_photos)}


def rank_by_probabilities(probs: np.ndarray, queries, k: int = 10) -> np.ndarray:
    """Top-k rows per query by the mean probability of its asked label columns."""
    scores = np.stack([probs[:, list(cols)].mean(axis=1) for cols in queries], axis=0)
    return np.argsort(-scores, axis=1, kind="stable")[:, :k]
