"""MIRFLICKR-25K, text and label branches only (the photos are not available here).

Split (DCMH/SSAH standard): 2,000 random queries, the other 18,015 items are the
database, 10,000 training items drawn from the database; drawn afresh for every seed.
Relevance = at least one shared label (24 labels).  Training sees the 10,000 items'
tags (1,386-d 0/1 bag of words) and labels; a validation split of them stops training.

Measured on the 2,000 queries:
  crossmodal t2t — database = the 18,015 items encoded by TxtNet (tags only);
  unified    t2t — database = codes B of the database items, sign(H^l + H^t) (SSAH) or
                   sign(H^t) (DCMH): a library whose items are tagged;
  tag → label prediction from TxtNet's label head (SSAH only; DCMH trains none),
  threshold 0.5: micro-F1 and macro-F1 over the 24 labels, per-label accuracy (share of
  the 2,000 × 24 decisions that are right) and subset accuracy (all 24 right).
"""
from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from app.bench.common import RunRecord, find_file, pr_points
from app.evaluate.metrics import mean_average_precision
from app.ml.config import NetConfig, TrainConfig
from app.ml.data import TrainingData
from app.ml.encode import signs
from app.ml.train import train

N_QUERY, N_TRAIN = 2000, 10000
NETWORKS = dict(semantic_dim=128, label_hidden=(512,), text_hidden=(1024,), disc_hidden=(64,),
                feature_activation="tanh")
METHODS: dict[str, dict] = {
    "ssah": dict(mode="ssah", alpha=0.1, beta=1.0, gamma=0.0, lr_label=1e-2, lr_text=1e-3,
                 epochs=30, patience=6, val_fraction=0.1, val_protocol="crossmodal", batch_size=256),
    "dcmh": dict(mode="dcmh", gamma=0.1, eta=1.0, lr_text=1e-3, epochs=30, patience=6,
                 val_fraction=0.1, val_protocol="crossmodal", batch_size=256, pair_sample=2000),
}


@dataclass
class MirflickrData:
    train: TrainingData  # the 10,000 training items
    labels: np.ndarray  # (20015, 24)
    tags: np.ndarray  # (20015, 1386)
    query: np.ndarray  # indices
    database: np.ndarray
    train_idx: np.ndarray


def tag_vectors(tags: np.ndarray) -> np.ndarray:
    """0/1 tags, L2-normalised per item so long tag lists do not dominate."""
    tags = tags.astype(np.float32)
    return tags / np.maximum(np.linalg.norm(tags, axis=1, keepdims=True), 1e-12)


def load(data_dir, seed: int) -> MirflickrData:
    """The npz from ``data_dir`` (or ``data_dir/mirflickr25k-labels-tags``) and this seed's split."""
    raw = np.load(find_file(data_dir, "mirflickr25k-labels-tags", "mirflickr25k_labels_tags.npz"))
    labels, tags = raw["labels"].astype(np.float32), tag_vectors(raw["tags"])
    perm = np.random.default_rng(seed).permutation(len(labels))
    query, database = np.sort(perm[:N_QUERY]), np.sort(perm[N_QUERY:])
    train_idx = np.sort(perm[N_QUERY:N_QUERY + N_TRAIN])
    data = TrainingData(labels=labels[train_idx], texts=tags[train_idx])
    return MirflickrData(data, labels, tags, query, database, train_idx)


def config_for(method: str, bits: int, seed: int, overrides: dict | None = None) -> TrainConfig:
    options = {**METHODS[method], **(overrides or {})}
    net = {**NETWORKS, **options.pop("net", {})}
    return TrainConfig(net=NetConfig(bits=bits, **net), seed=seed, **options)


def label_prediction(probs: np.ndarray, truth: np.ndarray) -> dict[str, float]:
    """Tag → label scores at threshold 0.5 (definitions in the module docstring)."""
    pred, truth = probs >= 0.5, truth > 0
    tp = (pred & truth).sum(axis=0)
    fp, fn = (pred & ~truth).sum(axis=0), (~pred & truth).sum(axis=0)
    micro = 2 * tp.sum() / max(1, 2 * tp.sum() + fp.sum() + fn.sum())
    per_label = 2 * tp / np.maximum(1, 2 * tp + fp + fn)
    return {"micro_f1": float(micro), "macro_f1": float(per_label.mean()),
            "label_accuracy": float((pred == truth).mean()),
            "subset_accuracy": float((pred == truth).all(axis=1).mean())}


def run_one(data_dir, method: str, bits: int, seed: int, overrides: dict | None = None) -> RunRecord:
    """Train on this seed's split and measure T→T MAP@all and tag → label prediction."""
    started = time.perf_counter()
    d = load(data_dir, seed)
    result = train(d.train, config_for(method, bits, seed, overrides))
    enc = result.encoder(labels=d.labels, texts=d.tags)
    q_h, q_probs = enc.encode("text", d.query)
    db_text_h = enc.encode("text", d.database)[0]
    q_codes, db_text = signs(q_h), signs(db_text_h)
    everything = np.ones(len(d.labels), bool)
    db_unified_h = enc.item_scores(len(d.labels), {"label": everything, "text": everything},
                                   result.config.label_code_weight)[d.database]
    db_unified = signs(db_unified_h)
    y_q, y_db = d.labels[d.query], d.labels[d.database]
    cases = {("crossmodal", "t2t"): (db_text, db_text_h), ("unified", "t2t"): (db_unified, db_unified_h)}
    maps = {key: mean_average_precision(q_codes, db, y_q, y_db).map for key, (db, _) in cases.items()}
    tie_maps = {key: mean_average_precision(q_codes, db, y_q, y_db, query_scores=q_h, db_scores=db_h,
                                            tie_break="score").map for key, (db, db_h) in cases.items()}
    extra = {"val_detail": result.val_detail,
             "pr": {"crossmodal/t2t": pr_points(q_codes, db_text, y_q, y_db),
                    "unified/t2t": pr_points(q_codes, db_unified, y_q, y_db)}}
    if method == "ssah":
        extra["tag_to_label"] = label_prediction(q_probs, y_q)
    return RunRecord(method, bits, seed, maps, result.val_map, result.best_epoch, result.epochs_run,
                     time.perf_counter() - started, extra, tie_maps)
