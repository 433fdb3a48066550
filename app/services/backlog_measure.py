"""Measuring the active model of a backlog library through the product's own search paths:
typed queries, photo → photo, re-photographed copies, attribute edits, a dragged region.

Every search goes through ``SearchService`` exactly as the window calls it; hits are mapped
to truth rows (-1 for a hit outside the asked set, which then counts as irrelevant).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from app.media.images import load_rgb
from app.services.backlog_queries import rephotograph
from app.services.backlog_scoring import K, ndcg_at_k, pairwise_same, precision_at_k, rankings_array
from app.services.backlog_setup import BACKLOG
from app.services.search import SearchFilters

IN_BACKLOG = SearchFilters(collection=BACKLOG)


def typed_rankings(service, texts, row_of: dict[int, int], k: int = K):
    """Backlog rows of the photo tab's top ``k`` for each typed text; failures as (text, why)."""
    ranked, failures = [], []
    for text in texts:
        try:
            hits = service.by_text(text, k=k, filters=IN_BACKLOG).photos
            ranked.append([row_of.get(h.item_id, -1) for h in hits])
        except Exception as exc:  # the ranking is being rebuilt by others: record, never crash
            ranked.append([])
            failures.append({"query": text, "error": f"{type(exc).__name__}: {exc}"})
    return rankings_array(ranked, k), failures


def photo_rankings(service, bset, k: int = K, region: bool = False) -> np.ndarray:
    """Each backlog photo (or its central half) as the query, itself left out."""
    row_of = {item_id: r for r, item_id in enumerate(bset.backlog_ids)}
    ranked = []
    for item_id in bset.backlog_ids:
        path = bset.photos[item_id]
        box = _central_half(path) if region else None
        hits = service.by_image(path, region=box, k=k + 1, filters=IN_BACKLOG).photos
        ranked.append([row_of.get(h.item_id, -1) for h in hits if h.item_id != item_id][:k])
    return rankings_array(ranked, k)


def _central_half(path) -> tuple[int, int, int, int]:
    from PIL import Image

    with Image.open(path) as img:
        w, h = img.size
    return (w // 4, h // 4, w // 2, h // 2)


def photo_scores(rankings: np.ndarray, same: np.ndarray) -> dict:
    """P@k of photo queries where ``same[i, j]`` says whether row j is relevant to query i,
    beside the chance rate (the share of relevant photos among the others)."""
    off_diagonal = same & ~np.eye(len(same), dtype=bool)
    p = precision_at_k(off_diagonal.T.astype(np.float32), rankings)
    chance = off_diagonal.sum(axis=1) / max(1, len(same) - 1)
    return {"p10": float(p.mean()), "chance": float(chance.mean()), "n": int(len(p))}


def same_category_and_motif(truth: np.ndarray, cat_cols: np.ndarray, motif_leaf_cols: np.ndarray):
    """bool (n, n) matrices: same garment category (j has all of i's own category labels)
    and shared motif (at least one motif leaf in common)."""
    cat = pairwise_same(truth & cat_cols, truth, require_all=True)
    leaf = truth & motif_leaf_cols
    motif = pairwise_same(leaf, leaf, require_all=False)
    return cat, motif


def rephotographed_ranks(service, photos: dict[int, Path], n: int, seed: int) -> dict:
    """Rank of its own item when a re-photographed copy of a library photo is the query."""
    rng = np.random.default_rng(seed)
    ids = sorted(photos)
    chosen = rng.choice(ids, size=min(n, len(ids)), replace=False)
    found_at: list[int] = []
    for j, item_id in enumerate(chosen):
        copy = rephotograph(load_rgb(photos[int(item_id)]), seed * 100_003 + j)
        hits = service.by_image(copy, k=len(ids)).photos
        found = [r for r, h in enumerate(hits, 1) if h.item_id == int(item_id)]
        found_at.append(found[0] if found else len(ids) + 1)
    ranks = np.array(found_at)
    return {"rank1": float((ranks == 1).mean()), "top10": float((ranks <= K).mean()),
            "median_rank": float(np.median(ranks)), "n": int(len(ranks))}


def first_hit(service, photo) -> tuple[int | None, bool]:
    """A photo query's first hit, and whether it is called "same photo"."""
    hits = service.by_image(photo, k=1).photos
    if not hits:
        return None, False
    return hits[0].item_id, any(r.kind == "duplicate" for r in hits[0].reasons)


def stranger_claims(service, strangers: list[Path]) -> dict:
    """Photos of garments not in the library as queries: the share whose first hit is called
    "same photo" (every such claim is false), beside how many were asked."""
    claimed = sum(first_hit(service, path)[1] for path in strangers)
    return {"claimed_same_photo": claimed / len(strangers) if strangers else None, "n": len(strangers)}


def edit_scores(service, edits, truth_all: np.ndarray, row_all: dict[int, int], scope_rows: np.ndarray,
                filters: SearchFilters | None, k: int = K) -> dict:
    """Attribute edits (item, add column, remove label, category columns) scored on the top k:
    share with the added label, share keeping the category, top-k accuracy, NDCG@k."""
    added, kept, hit, ndcg = [], [], [], []
    for item_id, add_id, add_col, drop_id, cat_cols in edits:
        hits = service.edit(item_id, add=[add_id], remove=[drop_id], k=k, filters=filters).photos
        rows = np.array([row_all.get(h.item_id, -1) for h in hits[:k]], np.int64)
        has_add = np.array([truth_all[r, add_col] if r >= 0 else False for r in rows], bool)
        has_cat = np.array([truth_all[r, cat_cols].all() if r >= 0 else False for r in rows], bool)
        added.append(has_add.sum() / k)
        kept.append(has_cat.sum() / k)
        hit.append(bool((has_add & has_cat).any()))
        candidates = scope_rows[scope_rows != row_all[item_id]]
        gains_all = truth_all[candidates, add_col].astype(float) + truth_all[candidates][:, cat_cols].all(axis=1)
        ndcg.append(ndcg_at_k(has_add.astype(float) + has_cat, gains_all, k))
    mean = lambda v: float(np.mean(v)) if v else None  # noqa: E731
    return {"added_label": mean(added), "kept_category": mean(kept), "top10_accuracy": mean(hit),
            "ndcg10": mean(ndcg), "n": len(added)}


def draw_edits(scheme, label_ids: list[str], bset, seed: int, n: int) -> list[tuple]:
    """Seeded edits of backlog items: remove a motif leaf the item has, add another one."""
    column = {l: j for j, l in enumerate(label_ids)}
    leaves = [l for l in label_ids if scheme.labels[l].facet == "motif" and not scheme.descendants(l)]
    rng = np.random.default_rng(seed)
    out: list = []
    for row in rng.permutation(len(bset.backlog_ids)):
        own = set(bset.backlog_labels[row])
        mine = sorted(own & set(leaves))
        others = [l for l in leaves if l not in own]
        if not mine or not others or len(out) >= n:
            continue
        cats = np.array([column[l] for l in own if scheme.labels[l].facet == "category"], np.int64)
        add = others[int(rng.integers(len(others)))]
        out.append((bset.backlog_ids[row], add, column[add], mine[int(rng.integers(len(mine)))], cats))
    return out
