"""The ranking behind photo queries, "more like this" and attribute edits (see ``similar``):
candidates from the Hamming index, from the query's strongest labels and, for a photo, from
its signature; scored on label profiles and codes; each hit with its reasons."""
from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

import numpy as np

from app.media.images import load_rgb, thumbnail_path
from app.media.signature import CROPS, DIM, aligned_query, alignments, query_signature, similarities
from app.services import ranking, similar
from app.services.models_runtime import pack

if TYPE_CHECKING:
    from app.store import Library

STRONG = 0.5       # a query label from this probability brings its items in as candidates
MAX_REASONS = 3
ALIGNMENT_CACHE = 32  # candidates' re-framings kept per service (~1.6 MB each)


def alike(service, profile: np.ndarray, codes, scores, k: int, filters, photo=None,
          exclude: set[int] | frozenset[int] = frozenset(), query_labels=None, require: list[str] | None = None,
          prefer: list[str] | None = None):
    """Both tabs for one query profile (over the model's labels) and query code.

    An edit's added labels (``require``) and the item's garment (``prefer``) order its top
    ``k`` by ``similar.balanced``: candidates with both first, then those with either, taken
    in turns, each kind in order of likeness. "Like this, but with phoenix" then shows
    phoenixes, on the same kind of garment where there are any, and garments like the item."""
    from app.services.search import TAB_MODALITY, SearchResults

    lib, rt, scheme = service.lib, service.runtime(), service.scheme()
    model = service.model()
    label_ids = list(rt.label_ids)
    weights = similar.label_weights(scheme, label_ids)
    required = [label_ids.index(l) for l in (require or []) if l in label_ids]
    preferred = [label_ids.index(l) for l in (prefer or []) if l in label_ids]
    allowed = service._allowed_set(filters)
    strong = [l for l, p in zip(label_ids, profile) if p >= STRONG and scheme.labels.get(l)
              and scheme.labels[l].facet in ("category", "motif")]
    dup = _same_photo(service, photo, service._with_modality("image", allowed) - set(exclude)) \
        if photo is not None else None
    tabs = {}
    for tab, modality in TAB_MODALITY.items():
        members = service._with_modality(modality, allowed) - set(exclude)
        distances = nearest(service, modality, codes, scores, members, k)
        extra = ranking.label_evidence(lib, model.id, ranking.expand(scheme, strong), members,
                                       with_predictions=modality == "image")
        ids = sorted(set(distances) | set(extra) | ({dup} if dup is not None and dup in members else set()))
        profiles = similar.item_profiles(lib, model.id, ids, label_ids)
        sims = similar.profile_similarity(profile, profiles, weights)
        best = similar.combine(ids, sims, distances, model.bits, dup)
        if required:  # evidence for each (tagged 1, else predicted), the mean over the labels
            row = {i: r for r, i in enumerate(ids)}
            rows = [row[s.item_id] for s in best]
            added = profiles[rows][:, required].mean(axis=1)
            garment = profiles[rows][:, preferred].mean(axis=1) if preferred else np.ones(len(rows), np.float32)
            # the scores say the balanced order: 1 for the first hit, falling by 1/k
            best = [replace(best[j], score=1.0 - n / k) for n, j in enumerate(similar.balanced(added, garment, k)[:k])]
        best = best[:k]
        row = {i: r for r, i in enumerate(ids)}
        tabs[tab] = [_hit(s, modality, profile, profiles[row[s.item_id]], label_ids, weights, scheme)
                     for s in best]
    wanted = query_labels if query_labels is not None else [l for l, p in zip(label_ids, profile) if p >= STRONG]
    return SearchResults(tabs["photos"], tabs["descriptions"], list(wanted), rt.provider, 0.0)


def nearest(service, modality: str, codes, scores, members: set[int], k: int) -> dict[int, int]:
    """Hamming distances of the query code's nearest items among ``members`` (enough of them
    to re-rank the top ``k``); none without a query code."""
    if codes is None or not members:
        return {}
    index = service.index(modality)
    if len(index) == 0:
        return {}
    packed = codes if codes.dtype == np.uint8 else pack(codes)
    n = max(4 * k, similar.HAMMING_CANDIDATES)
    dist, ids = index.search(packed, n, allowed=index.row_filter(sorted(members)), query_scores=scores)
    return {int(i): int(d) for i, d in zip(ids[0], dist[0]) if i >= 0}


def _hit(s, modality: str, query: np.ndarray, profile: np.ndarray, label_ids: list[str],
         weights: np.ndarray, scheme):
    from app.services.search import Hit, Reason

    reasons = [Reason("duplicate")] if s.same_photo else []
    shared = [j for j in np.argsort(-query, kind="stable") if query[j] >= STRONG and profile[j] >= STRONG]
    for j in telling(shared, query, profile, weights, label_ids, scheme)[:MAX_REASONS]:
        kind = "tagged" if profile[j] >= 1.0 else "predicted"
        reasons.append(Reason(kind, label=label_ids[j], value=round(float(profile[j]), 3)))
    if s.distance is not None:
        reasons.append(Reason("distance", value=s.distance))
    matched = sorted(label_ids[j] for j in shared if profile[j] >= 1.0)
    return Hit(s.item_id, -1 if s.distance is None else s.distance, modality, matched,
               score=round(s.score, 4), reasons=reasons)


def telling(shared: list[int], query: np.ndarray, profile: np.ndarray, weights: np.ndarray,
            label_ids: list[str], scheme) -> list[int]:
    """The shared labels worth naming as reasons, most telling first: by their part in the
    weighted similarity (garment and motif before colour, Silk or Han), and never a label
    whose more specific child is also shared ("Phoenix" says what "Animal" would)."""
    named = {label_ids[j] for j in shared}
    implied = {a for l in named if l in scheme.labels for a in scheme.ancestors(l)}
    keep = [j for j in shared if label_ids[j] not in implied]
    return sorted(keep, key=lambda j: -float(query[j] * profile[j] * weights[j]))


def _same_photo(service, photo, members: set[int]) -> int | None:
    """The library item whose photo this is (re-photographed, cropped, rotated), if any."""
    ids, sigs, hashes = _signatures(service)
    if len(ids) == 0:
        return None
    sims = similarities(query_signature(photo), sigs)
    sims[~np.isin(ids, list(members))] = -np.inf
    top = [int(ids[j]) for j in np.argsort(-sims)[:similar.SIGNATURE_CANDIDATES] if np.isfinite(sims[j])]
    q = aligned_query(photo)
    aligned = {}
    for item_id in top:
        rows = _alignments(service, item_id, hashes.get(item_id))
        if rows is not None:
            aligned[item_id] = float((rows @ q).max())
    return similar.same_photo(aligned)


def _alignments(service, item_id: int, sha256: str | None):
    """A candidate's re-framings, kept for the next queries (the costly part: ~10 ms each)."""
    cache = service.__dict__.setdefault("_alignment_cache", {})
    key = (item_id, sha256)
    if key not in cache:
        image = _thumbnail(service.lib, item_id, sha256)
        if image is None:
            return None
        if len(cache) >= ALIGNMENT_CACHE:
            cache.pop(next(iter(cache)))
        cache[key] = alignments(image)
    return cache[key]


def _signatures(service):
    """(ids, signatures, item → sha256), cached on the service until signatures change."""
    lib = service.lib
    stamp = lib.signatures.version()
    cached = getattr(service, "_signature_cache", None)
    if cached is None or cached[0] != stamp:
        ids, sigs = lib.signatures.load((len(CROPS), DIM))
        cached = (stamp, ids, sigs, lib.signatures.hashes())
        service._signature_cache = cached
    return cached[1], cached[2], cached[3]


def _thumbnail(lib: Library, item_id: int, sha256: str | None):
    if sha256:
        path = thumbnail_path(lib.thumbnails_dir, sha256)
        if path.is_file():
            return load_rgb(path)
    return None
