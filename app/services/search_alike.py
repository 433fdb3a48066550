"""The ranking behind photo queries, "more like this" and attribute edits (see ``similar``):
candidates from the Hamming index, from the query's strongest labels and, for a photo, from
its signature; scored on label profiles and codes; each hit with its reasons."""
from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

import numpy as np

from app.media.images import load_rgb, thumbnail_path
from app.media.signature import (
    CROPS,
    DIM,
    POSES,
    aligned_query,
    alignments,
    query_signature,
    similarities,
    verified_similarity,
)
from app.search.signatures import BOUND_SHAPES, BOUNDS_FORMAT, SignatureIndex
from app.services import ranking, similar
from app.services.models_runtime import pack
from app.store import cache

if TYPE_CHECKING:
    from app.store import Library

STRONG = 0.5       # a query label from this probability brings its items in as candidates
MAX_REASONS = 3
SAVE_FROM = 20_000  # photos from which the signatures in memory are saved in the library's cache
SAVE_AFTER_MARKS = 100_000  # change-log entries read since the saved cache before it is saved again
FIRST_PASS = 200  # photos measured exactly after the first pass over all of them
ALIGNMENT_CACHE = 32  # candidates' re-framings and thumbnails kept per service (~1.8 MB each)


def alike(service, profile: np.ndarray, codes, scores, k: int, filters, photo=None,
          exclude: set[int] | frozenset[int] = frozenset(), query_labels=None, require: list[str] | None = None,
          prefer: list[str] | None = None):
    """Both tabs for one query profile (over the model's labels) and query code.

    An edit's added labels (``require``) and the item's garment (``prefer``) order its top
    ``k`` by ``similar.balanced``: candidates with both first, then those with either, taken
    in turns, each kind in order of likeness. "Like this, but with phoenix" then shows
    phoenixes, on the same kind of garment where there are any, and garments like the item."""
    from app.services.search import TAB_MODALITY, SearchResults

    rt, scheme = service.runtime(), service.scheme()
    model = service.model()
    matrix = service.evidence()
    label_ids = list(rt.label_ids)
    weights = similar.label_weights(scheme, label_ids)
    required = [label_ids.index(l) for l in (require or []) if l in label_ids]
    preferred = [label_ids.index(l) for l in (prefer or []) if l in label_ids]
    allowed = service._allowed_set(filters)
    strong = [l for l, p in zip(label_ids, profile) if p >= STRONG and scheme.labels.get(l)
              and scheme.labels[l].facet in ("category", "motif")]
    dropped = np.array(sorted(exclude), np.int64)
    dup, claimed = _same_photo(service, photo, allowed, dropped) if photo is not None else (None, False)
    strong_set = set().union(*ranking.expand(scheme, strong).values())
    tabs = {}
    members = {modality: _without(service._member_ids(modality, allowed), dropped)
               for modality in TAB_MODALITY.values()}
    # every member carrying a strong label, both tabs scored in one pass over the evidence matrix
    passes = [(service._member_rows(matrix, modality, allowed, members[modality], dropped), modality != "image")
              for modality in TAB_MODALITY.values()]
    tab_sims = dict(zip(TAB_MODALITY.values(),
                        matrix.profile_scores(passes, label_ids, weights, profile, strong_set)))
    for tab, modality in TAB_MODALITY.items():
        member_ids = members[modality]
        distances = nearest(service, modality, codes, scores, member_ids, k)
        all_sims = tab_sims[modality]
        rows = np.flatnonzero(all_sims >= 0)
        ids, sims = matrix.ids[rows], all_sims[rows]
        # and those only the Hamming index (or the photo's copy) brought
        found = set(distances) | ({dup} if dup is not None and _holds(member_ids, dup) else set())
        more = np.array(sorted(i for i in found if not _holds(ids, i)), np.int64)
        if len(more):
            at = np.searchsorted(ids, more)
            ids = np.insert(ids, at, more)
            sims = np.insert(sims, at, similar.profile_similarity(profile, matrix.profiles(more, label_ids), weights))
        score = similar.combine(ids, sims, distances, model.bits, dup)
        if required:  # evidence for each (tagged 1, else predicted), the mean over the labels
            added = matrix.profiles(ids, [label_ids[j] for j in required]).mean(axis=1)
            garment = matrix.profiles(ids, [label_ids[j] for j in preferred]).mean(axis=1) if preferred \
                else np.ones(len(ids), np.float32)
            # only the best k by either of balanced()'s weightings can be picked (ties kept)
            either = np.union1d(similar.at_least_kth(added * 1.0 + garment * 0.5, k),
                                similar.at_least_kth(added * 0.5 + garment * 1.0, k))
            local = either[np.lexsort((ids[either], -score[either]))]
            picks = [int(local[j]) for j in similar.balanced(added[local], garment[local], k)[:k]]
            # the scores say the balanced order: 1 for the first hit, falling by 1/k
            best = [replace(s, score=1.0 - n / k) for n, s in
                    enumerate(similar.scored(ids, sims, score, picks, distances, dup, claimed))]
        else:
            best = similar.scored(ids, sims, score, similar.best_first(score, ids, k).tolist(), distances, dup, claimed)
        hits = matrix.profiles([s.item_id for s in best], label_ids)
        tabs[tab] = [_hit(s, modality, profile, hits[r], label_ids, weights, scheme) for r, s in enumerate(best)]
    wanted = query_labels if query_labels is not None else [l for l, p in zip(label_ids, profile) if p >= STRONG]
    return SearchResults(tabs["photos"], tabs["descriptions"], list(wanted), rt.provider, 0.0)


def _holds(ids: np.ndarray, item_id: int) -> bool:
    at = int(np.searchsorted(ids, item_id))
    return at < len(ids) and int(ids[at]) == item_id


def _without(ids: np.ndarray, dropped: np.ndarray) -> np.ndarray:
    return ids[~np.isin(ids, dropped)] if len(dropped) else ids


def nearest(service, modality: str, codes, scores, members: np.ndarray, k: int) -> dict[int, int]:
    """Hamming distances of the query code's nearest items among ``members`` (sorted ids;
    enough of them to re-rank the top ``k``); none without a query code."""
    if codes is None or len(members) == 0:
        return {}
    index = service.index(modality)
    if len(index) == 0:
        return {}
    packed = codes if codes.dtype == np.uint8 else pack(codes)
    n = max(4 * k, similar.HAMMING_CANDIDATES)
    # the same members as the last query (a tab with no filter, or the same filter): the same
    # rows of the index (making them took ~75 ms per tab at a million items)
    key = (modality, members is not service._members(modality)[1])
    kept = service._row_filters.get(key)
    if kept is None or kept[0] is not index or kept[1] is not members or kept[2].version != index.version:
        kept = (index, members, index.row_filter(members))
        service._row_filters[key] = kept
    dist, ids = index.search(packed, n, allowed=kept[2], query_scores=scores)
    return {int(i): int(d) for i, d in zip(ids[0], dist[0]) if i >= 0}


def _hit(s, modality: str, query: np.ndarray, profile: np.ndarray, label_ids: list[str],
         weights: np.ndarray, scheme):
    from app.services.search import Hit, Reason

    reasons = [Reason("duplicate")] if s.same_photo else [Reason("look-alike")] if s.look_alike else []
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


def _same_photo(service, photo, allowed: set[int] | None, dropped: np.ndarray) -> tuple[int | None, bool]:
    """The library item whose photo this looks to be (re-photographed, cropped, rotated), if any,
    among the items with a photo that ``allowed`` allows (None: all), less ``dropped``; and
    whether its fine detail confirms it is the same photo. The item goes first either way (at
    24 px it is the closest framing of all), but only a confirmed one is called the same photo."""
    index = signatures(service)
    if len(index) == 0:
        return None, False
    members = _without(service._member_ids("image", allowed), dropped)
    query = query_signature(photo)
    # a first pass over every photo, then the exact best-crop cosine of the likeliest
    near = index.best(query, FIRST_PASS, service._member_rows(index, "image", allowed, members, dropped))
    ids, sigs = index.signatures_of(near)
    sims = similarities(query, sigs)
    order = np.argsort(-sims, kind="stable")[:similar.SIGNATURE_CANDIDATES]
    cache = service.__dict__.setdefault("_alignment_cache", {})
    # a candidate's photo is known by its signature: only those not kept are looked up
    unknown = [int(ids[j]) for j in order if not _kept(cache, int(ids[j]), sigs[j])]
    hashes = service.lib.signatures.hashes_of(unknown) if unknown else {}
    q = aligned_query(photo)
    aligned, framing = {}, {}
    for j in order:
        framed = _alignments(service, cache, int(ids[j]), sigs[j], hashes)
        if framed is not None:
            fit = framed[0] @ q
            best_row = int(np.argmax(fit))
            aligned[int(ids[j])], framing[int(ids[j])] = float(fit[best_row]), (POSES[best_row], framed[1])
    best = similar.same_photo(aligned)
    if best is None:
        return None, False
    # a look-alike on the same backdrop aligns as well as a copy at 24 px: its detail does not
    pose, thumbnail = framing[best]
    return best, verified_similarity(photo, thumbnail, pose) >= similar.SAME_PHOTO_VERIFIED


def _kept(cache: dict, item_id: int, signature: np.ndarray) -> bool:
    found = cache.get(item_id)
    return found is not None and np.array_equal(found[0], signature)


def _alignments(service, cache: dict, item_id: int, signature: np.ndarray, hashes: dict[int, str]):
    """A candidate's re-framings (the costly part: ~10 ms each) and its thumbnail, kept for the
    next queries with the signature of the photo they were made from: a photo replaced since has
    another signature and is framed again (its sha256 is read only then: on a server a round
    trip). A photo without a thumbnail is kept as None, until it leaves the cache."""
    if not _kept(cache, item_id, signature):
        image = _thumbnail(service.lib, item_id, hashes.get(item_id))
        if len(cache) >= ALIGNMENT_CACHE:
            cache.pop(next(iter(cache)))
        cache[item_id] = (signature.copy(), None if image is None else (alignments(image), image))
    return cache[item_id][1]


def signatures(service) -> SignatureIndex:
    """Every photo signature in memory, kept on the service and brought up to date from the
    library's change log (only the photos changed since are read again); from 20,000 photos
    saved in the library's cache folder for the next process (``app.store.cache``)."""
    lib = service.lib
    shape = (len(CROPS), DIM)
    with service._signature_lock:
        # first: a change made while reading is read again next time
        newest = lib.unchanged("evidence_mark", lib.evidence.mark)
        cached = service.__dict__.get("_signature_cache")
        from_disk = cached is None
        if from_disk:
            cached = _saved_signatures(lib)
        if cached is not None and cached[0] == newest:
            index = cached[1]
        elif cached is not None and (lib.evidence.oldest() or newest + 1) <= cached[0] + 1 \
                and not lib.evidence.too_far(cached[0], newest, len(cached[1])):
            changed = lib.evidence.changed_since(cached[0], newest)
            ids, sigs = lib.signatures.of(changed, shape)
            index = cached[1].merged(np.asarray(changed, np.int64), SignatureIndex.from_slices([(ids, sigs)], *shape))
            # a saved cache that photos changed since: saved again as it is now, or every
            # process started after would copy it (1.2 GB, seconds at a million photos) again
            if newest - cached[2] > SAVE_AFTER_MARKS or (from_disk and index is not cached[1]):
                cached = (newest, index, _save_signatures(lib, index, newest, cached[2]))
        else:
            index = SignatureIndex.from_slices(lib.signatures.slices(shape), *shape)
            cached = (newest, index, _save_signatures(lib, index, newest, -1))
        service._signature_cache = (newest, index, cached[2])
    return index


def _save_signatures(lib: Library, index: SignatureIndex, mark: int, saved: int) -> int:
    """Save ``index`` when it is large enough to be worth it, with its score bounds where it
    has them (``SignatureIndex.bounds``: a window made them again at every start, 2.2-2.8 s
    for a million photos on the 2-core EPYC, ``bench/bench_signature_merge.py``'s first
    line); the mark of the saved cache."""
    arrays = {"ids": index.ids, "stored": index.stored, "scales": index.scales}
    if index.bounds is not None:
        arrays.update({f"bound{n}": part for n, part in enumerate(index.bounds)})
    if len(index) >= SAVE_FROM and cache.save(
            lib, "signatures", arrays,
            {"mark": mark, "crops": len(CROPS), "dim": DIM, "bounds": BOUNDS_FORMAT if index.bounds else None}):
        return mark
    return saved


def _saved_signatures(lib: Library):
    """(mark, index, mark) of the saved cache, if it is whole and of this descriptor's shape."""
    found = cache.load(lib, "signatures")
    if found is None:
        return None
    arrays, meta = found
    ids, stored, scales = arrays.get("ids"), arrays.get("stored"), arrays.get("scales")
    if not isinstance(meta.get("mark"), int) or meta.get("crops") != len(CROPS) or meta.get("dim") != DIM \
            or ids is None or stored is None or scales is None or ids.dtype != np.int64 or ids.ndim != 1 \
            or stored.dtype != np.int8 or stored.shape != (len(ids), len(CROPS), DIM) \
            or scales.dtype != np.float32 or scales.shape != (len(ids), len(CROPS)):
        return None
    bounds = _saved_bounds(arrays, meta, stored.shape)
    index = SignatureIndex(ids, stored, scales, bounds)
    if bounds is None and index.bounds is not None:  # saved by a version without them: once more with them
        _save_signatures(lib, index, meta["mark"], meta["mark"])
    return meta["mark"], index, meta["mark"]


def _saved_bounds(arrays: dict, meta: dict, shape: tuple[int, ...]) -> tuple[np.ndarray, ...] | None:
    """The score bounds saved with the signatures, if they were made the way this version
    makes them and have the shapes of ``coarse_bounds``' arrays for rows of ``shape``; None
    (they are made again) otherwise."""
    if meta.get("bounds") != BOUNDS_FORMAT or any(f"bound{n}" not in arrays for n in range(len(BOUND_SHAPES))):
        return None
    parts = tuple(arrays[f"bound{n}"] for n in range(len(BOUND_SHAPES)))
    n, crops, _ = shape
    for part, (dtype, tail) in zip(parts, BOUND_SHAPES):
        if part.dtype != dtype or part.shape != (n, *(crops if d == "crops" else d for d in tail)):
            return None
    return parts


def _thumbnail(lib: Library, item_id: int, sha256: str | None):
    if sha256:
        path = thumbnail_path(lib.thumbnails_dir, sha256)
        if path.is_file():
            return load_rgb(path)
    return None
