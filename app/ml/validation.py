"""Validation MAP for early stopping: queries and database come from training data only.

Directions follow the modalities present: I→T and T→I when the items have photos and
texts; with one modality only, that modality against itself (e.g. T→T for tags).
Protocols (METHOD.md): ``unified`` — database = training items with their codes B;
``crossmodal`` — database = validation items encoded by the other modality's network
(by the same network, over the training items, when there is no other modality).
"""
from __future__ import annotations

import numpy as np

from app.evaluate.metrics import label_ranking_map, mean_average_precision, ndcg_at_k
from app.ml.config import need
from app.ml.data import Split, TrainingData
from app.ml.encode import Encoder, signs

SHORT = {"image": "i", "text": "t"}


def _present(data: TrainingData, encoder: Encoder, modality: str) -> np.ndarray | None:
    mask = data.image_mask if modality == "image" else data.text_mask
    return mask if mask is not None and encoder.has(modality) else None


def _map(q_codes, db_codes, q_labels, db_labels, metric: str = "map") -> float:
    """MAP@all, or NDCG@50 (graded by shared labels) where "shares a label" is too coarse."""
    if len(q_codes) == 0 or len(db_codes) == 0:
        return float("nan")
    if metric in ("ndcg", "curator"):
        return ndcg_at_k(q_codes, db_codes, q_labels, db_labels, k=50).value
    return mean_average_precision(q_codes, db_codes, q_labels, db_labels).map


def _direction_maps(encoder: Encoder, data: TrainingData, split: Split, train_codes: np.ndarray,
                    protocol: str, metric: str = "map") -> dict[str, float]:
    modalities = [m for m in ("image", "text") if _present(data, encoder, m) is not None]
    maps = {}
    for query in modalities:
        q_items = split.val[need(_present(data, encoder, query), query)[split.val]]
        q_codes = signs(encoder.encode(query, q_items)[0])
        others = [m for m in modalities if m != query] or [query]
        target = others[0]
        name = f"{SHORT[query]}2{SHORT[target]}"
        if protocol == "unified":
            maps[name] = _map(q_codes, train_codes, data.labels[q_items], data.labels[split.train], metric)
            continue
        pool = split.val if target != query else split.train
        db_items = pool[need(_present(data, encoder, target), target)[pool]]
        db_codes = signs(encoder.encode(target, db_items)[0])
        maps[name] = _map(q_codes, db_codes, data.labels[q_items], data.labels[db_items], metric)
    return maps


def validation_map(encoder: Encoder, data: TrainingData, split: Split, train_codes: np.ndarray,
                   protocol: str, metric: str = "map") -> tuple[float, dict[str, float]]:
    """(mean MAP over directions, {"unified/i2t": ..., ...}); NaN when there is no validation set."""
    if len(split.val) == 0:
        return float("nan"), {}
    protocols = ("unified", "crossmodal") if protocol == "both" else (protocol,)
    detail = {}
    for proto in protocols:
        for name, value in _direction_maps(encoder, data, split, train_codes, proto, metric).items():
            detail[f"{proto}/{name}"] = value
    if metric == "curator":
        detail.update(_label_rankings(encoder, data, split))
    values = [v for v in detail.values() if not np.isnan(v)]
    return (float(np.mean(values)) if values else float("nan")), detail


def _label_rankings(encoder: Encoder, data: TrainingData, split: Split) -> dict[str, float]:
    """Per modality, the label-ranking MAP of the validation items' predicted labels: how
    well a typed label name would rank photos (or texts) that nobody has tagged."""
    out = {}
    for modality in ("image", "text"):
        present = _present(data, encoder, modality)
        if present is None:
            continue
        items = split.val[present[split.val]]
        if len(items):
            out[f"labels/{modality}"] = label_ranking_map(encoder.encode(modality, items)[1], data.labels[items])
    return out
