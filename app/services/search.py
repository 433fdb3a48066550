"""Every query type over the active model's codes: photo (or a region of it), text, labels,
"more like this", and attribute edits ("like this, but with phoenix instead of dragon").

Queries are encoded with ONNX Runtime; the library's codes sit in one Hamming index per
modality (loaded once, refreshed when the codes change). Photos are ranked on image codes,
descriptions on text codes; both tabs come from one query.
"""
from __future__ import annotations

import functools
import subprocess
import sys
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import TYPE_CHECKING

import numpy as np

from app.core.errors import NotFound, WenyangError
from app.media.images import load_rgb, thumbnail_path
from app.media.preprocess import crop_region, to_array
from app.search import HammingIndex, _compiled
from app.search.reasons import bilingual, describe_all
from app.search.understanding import understand
from app.services import ranking
from app.services.evidence import EvidenceMatrix
from app.services.evidence import refresh as refresh_evidence
from app.services.isolation import priority_below_main
from app.services.models_runtime import active_runtime
from app.services.search_alike import alike, nearest, signatures

if TYPE_CHECKING:
    from app.store import Library

# What the window and the CLI show beside a search: the labels understood in typed text and
# each hit's reasons in words (the search layer's, named here so they need no other door).
__all__ = ["Hit", "NoModelError", "Reason", "SearchFilters", "SearchResults", "SearchService", "bilingual",
           "describe_all", "understand"]

TAB_MODALITY = {"photos": "image", "descriptions": "text"}
# The threads that send a server's keyword queries while a typed search ranks in memory
# (``SearchService._keywords_meanwhile``), made at the first such query, shared by every service.
_KEYWORD_POOL: ThreadPoolExecutor | None = None
_KEYWORD_POOL_LOCK = threading.Lock()
# Items whose codes changed up to which an index is brought up to date from them rather than
# read whole (a copy of the index each time, besides the items' rows).
REFRESH_MOST = 20_000


class NoModelError(WenyangError):
    """Search needs a trained model."""


@dataclass
class SearchFilters:
    labels: list[str] = field(default_factory=list)  # AND across facets, OR within a facet
    collection: int | str | None = None


@dataclass
class Reason:
    """Why a hit is in the results, as data (the window and the CLI put it into words).

    ``kind``: "accession" (exact accession number), "keyword" (``field`` and ``term`` matched
    in the full-text index), "tagged" (the item carries ``label``), "predicted" (the photo
    looks like ``label`` with probability ``value``), "distance" (Hamming distance ``value``),
    "duplicate" (the same photo, re-photographed or re-encoded), "look-alike" (put first for
    the closest framing of all, but its fine detail is not the query photo's).
    """

    kind: str
    label: str = ""
    field: str = ""
    term: str = ""
    value: float = 0.0


@dataclass
class Hit:
    item_id: int
    distance: int
    modality: str
    matched_labels: list[str]
    score: float = 0.0
    reasons: list[Reason] = field(default_factory=list)
    # what a list of hits shows, read for all hits in one statement at the end of the query
    accession: str = ""
    title: str = ""
    paths: tuple[str, ...] = ()  # the first photo's thumbnail, then the photo itself


@dataclass
class SearchResults:
    photos: list[Hit]
    descriptions: list[Hit]
    query_labels: list[str]
    provider: str
    seconds: float
    # Label ids read from typed text (龙袍 → robe + dragon), in the order they were found;
    # the curator may remove or add some and search again with ``by_text(..., labels=...)``.
    understood: list[str] = field(default_factory=list)


def _one_read(query):
    """Run a query method with the active model, the scheme and the loaded networks read once
    (a warm photo search read the scheme's version 105 times and the models table 10 times),
    and give its hits what a list of them shows, read in one statement."""
    @functools.wraps(query)
    def run(self, *args, **kwargs):
        if getattr(self._query, "state", None) is not None:  # a query inside a query
            return query(self, *args, **kwargs)
        lib = self.lib
        self._query.state = SimpleNamespace(model=lib.unchanged("active_model", lib.models.active),
                                            scheme=lib.unchanged("scheme", lambda: lib.scheme),
                                            members={}, evidence=None)
        try:
            return _dressed(self.lib, query(self, *args, **kwargs))
        finally:
            self._query.state = None
    return run


def _dressed(lib: Library, results: SearchResults) -> SearchResults:
    """Each hit with its accession number, title and first photo's thumbnail and file."""
    from app.services.dataset import photo_path

    hits = results.photos + results.descriptions
    cards = lib.items.cards(sorted({h.item_id for h in hits}))
    for hit in hits:
        card = cards.get(hit.item_id)
        if card is not None:
            accession, title, stored, sha = card
            hit.accession, hit.title = accession, title
            hit.paths = (str(thumbnail_path(lib.thumbnails_dir, sha)), str(photo_path(lib, stored))) if stored else ()
    return results


def ready_search_loops() -> bool:
    """Set up the compiler behind the search loops on the calling thread (``_compiled.ready_dispatch``):
    a window calls this before its event loop starts, so the search warm-up's first loop call
    does not stop the grid on a worker."""
    return _compiled.ready_dispatch()


def compile_search_loops_apart(timeout: float = 300) -> bool:
    """Compile the search's Numba loops (or check their cache) in a child Python, which writes
    the machine code to Numba's cache; True when the child succeeded. Nothing happens where
    Numba is not installed."""
    if not _compiled.AVAILABLE:
        return False
    try:
        # at low priority: it starts while the window draws its first pages (importing Numba
        # alone is a second of CPU on a 2-core machine)
        done = subprocess.run([sys.executable, "-c", "from app.services.isolation import lower_priority; "
                               f"lower_priority({priority_below_main(10)!r}); "
                               "from app.search._compiled import warm_up; warm_up()"],
                              capture_output=True, timeout=timeout)
    except (OSError, subprocess.SubprocessError):
        return False
    return done.returncode == 0


class SearchService:
    """Search one library with its active model."""

    def __init__(self, lib: Library, background_scores: bool = False):
        """``background_scores``: make the index searchable from the codes alone and load the
        (32× larger) tie-break scores on a thread — what a window wants; a one-shot command
        wants them at once so rankings are final."""
        self.lib = lib
        self.background_scores = background_scores
        self._indices: dict[str, tuple[str, HammingIndex, int | None]] = {}  # stamp, index, announcements heard
        self._lock = threading.Lock()
        self._evidence: EvidenceMatrix | None = None
        self._evidence_lock = threading.Lock()
        self._member_rows_cache: dict[tuple[str, str, bool], tuple] = {}
        self._members_seen: dict[str, tuple[int, tuple[set[int], np.ndarray]]] = {}  # tab -> (log mark, members)
        self._allowed_cache: dict[tuple, tuple] = {}  # the last filter: (stamp, its items, tab -> ids)
        self._row_filters: dict[tuple[str, bool], tuple] = {}  # (tab, filtered) -> (index, members, RowFilter)
        self._signature_lock = threading.Lock()
        self._query = threading.local()  # .state: what the running query read once
        self._loading: list[threading.Thread] = []  # tie-break scores being loaded (background_scores)

    # -- what one query reads once -----------------------------------------------------------
    def model(self):
        """The active model (its record), or None: read once per query."""
        state = getattr(self._query, "state", None)
        return state.model if state is not None else self.lib.models.active()

    def scheme(self):
        """The label scheme: read once per query."""
        state = getattr(self._query, "state", None)
        return state.scheme if state is not None else self.lib.scheme

    # -- state -----------------------------------------------------------------------------
    def available(self) -> bool:
        return self.model() is not None

    def runtime(self):
        model = self.model()
        if model is None:
            raise NoModelError("There is no trained model in this library yet. Train one first "
                               "(wenyang train LIBRARY, or Model ▸ Train in the window).")
        return active_runtime(self.lib, model, self.scheme())

    def provider(self) -> str:
        return self.runtime().provider

    def warm(self, compile_apart: bool = False) -> None:
        """Load both indexes and build their multi-index tables, and read every item's label
        evidence, photo signature and which tab it can appear in, now (on a worker, after the
        library opens), so that the first search does not wait for them. ``compile_apart``
        (the window): compile the search loops in a child process first, so that this
        process only loads them from Numba's cache (compiling here stalled the window's event
        loop for 124 ms on a cold cache; loading, 23 ms at worst)."""
        if self.model() is None:
            return
        if compile_apart:
            compile_search_loops_apart()
        for modality in ("image", "text"):
            self.index(modality).prepare()
        self.evidence()
        signatures(self)
        for modality in ("image", "text"):
            self._members(modality)

    def index(self, modality: str) -> HammingIndex:
        """The Hamming index of one modality: read whole once, then, when its codes were
        written since, brought up to date with the changed items' codes only where the library
        says which they were (``_refreshed``: a server's announcements, an SQLite library's
        log of code changes), otherwise read whole again. Each index is kept with where it is
        as of: the announcements heard, or the log's mark."""
        model = self.model()
        heard = self.lib.heard_so_far()  # before the codes are read: a change after it is heard after it
        stamp = self._codes_stamp(model.id, modality)
        if heard is None and self.lib.codes.changes_logged:  # after the versions: a change logged later is read again
            heard = self.lib.unchanged("code_changes_mark", self.lib.codes.change_mark)
        cached = self._indices.get(modality)
        if cached and _same_codes(cached[0], stamp):
            if cached[0] != stamp:  # other modalities' codes changed: this index holds, as of now
                # (a log mark, read after the versions, may already count a write of this modality's)
                as_of = cached[2] if self.lib.codes.changes_logged else heard
                with self._lock:
                    self._indices[modality] = (stamp, cached[1], as_of)
            return cached[1]
        refreshed = self._refreshed(cached, model, modality, stamp) if cached else None
        if refreshed is not None:
            with self._lock:
                self._indices[modality] = refreshed
            return refreshed[1]
        ids, codes, scores = self.lib.codes.load(model.id, modality, scores=not self.background_scores)
        index = HammingIndex.from_codes(codes, ids=ids, scores=scores)
        with self._lock:
            self._indices[modality] = (stamp, index, heard)
        if self.background_scores and len(index):
            loader = threading.Thread(target=self._attach_scores, args=(model.id, modality, stamp),
                                      name=f"scores-{modality}", daemon=True)
            self._loading.append(loader)
            loader.start()
        return index

    def _refreshed(self, cached: tuple, model, modality: str, stamp: str) -> tuple | None:
        """``cached`` (stamp, index, announcements heard when it was read) with the codes of the
        items that the announcements since name read again, up to the announcement of the
        codes' version now current (``app.store.schema_pg`` migration 14): a curator encoding
        50 new photos on another workstation makes every other workstation read 50 codes, not
        all of them. None (read them all) where that cannot be known: an SQLite library, a
        burst too large to name its items, the version's announcement not heard yet, another
        model, or tie-break scores still loading."""
        old_stamp, index, heard = cached
        if heard is None or old_stamp.split(":")[0] != model.id or (self.background_scores and not index.has_scores):
            return None
        if self.lib.codes.changes_logged:
            return self._refreshed_from_log(index, model, modality, stamp, heard)
        since = self.lib.announced_since(heard)
        if since is None:
            return None
        version_said = f"codes_version {stamp.rsplit(':', 1)[1]}"
        changed: set[int] = set()
        for number, payload in since:
            if payload.startswith("codes "):
                named = payload.partition(":")[2]
                if not named:
                    return None
                changed.update(int(i) for i in named.split(","))
            elif payload == version_said:
                rows = self.lib.codes.rows_of(model.id, modality, changed, scores=index.has_scores)
                if rows is None:
                    return None
                ids, codes, scores = rows
                return stamp, index.replaced(ids, codes, scores, gone=changed - set(ids.tolist())), number
        return None

    def _refreshed_from_log(self, index: HammingIndex, model, modality: str, stamp: str, seen: int) -> tuple | None:
        """``_refreshed`` on an SQLite library: the items its log of code changes names after
        ``seen`` (the log's mark when ``index`` was read) read again, up to the log's mark now
        (read after the versions in ``stamp``, so it covers every write they count). None
        where the log was pruned past ``seen`` or names more than :data:`REFRESH_MOST` items.
        Encoding one new photo into the 1,000,500-item library then reads one item's codes,
        not a million (``bench/bench_search_after_edit.py --import``)."""
        now = self.lib.unchanged("code_changes_mark", self.lib.codes.change_mark)
        changed = self.lib.codes.changed_since(seen, now, REFRESH_MOST)
        if changed is None:
            return None
        rows = self.lib.codes.rows_of(model.id, modality, changed, scores=index.has_scores)
        if rows is None:
            return None
        ids, codes, scores = rows
        return stamp, index.replaced(ids, codes, scores, gone=set(changed) - set(ids.tolist())), now

    def settle(self, timeout: float | None = None) -> bool:
        """Wait until the tie-break scores loading in the background are in (at most
        ``timeout`` seconds); True when nothing is left loading."""
        deadline = None if timeout is None else time.monotonic() + timeout
        for loader in list(self._loading):
            loader.join(None if deadline is None else max(0.0, deadline - time.monotonic()))
        self._loading = [t for t in self._loading if t.is_alive()]
        return not self._loading

    def _attach_scores(self, model_id: str, modality: str, stamp: str) -> None:
        """Rebuild the index with tie-break scores on a private connection, then swap it in."""
        from app.store import open_library

        with open_library(self.lib.location) as lib:
            ids, codes, scores = lib.codes.load(model_id, modality, scores=True)
        scored = HammingIndex.from_codes(codes, ids=ids, scores=scores)
        scored.prepare()  # the multi-index's tables, here rather than in the first search
        with self._lock:
            current = self._indices.get(modality)
            if current and _same_codes(current[0], stamp):
                self._indices[modality] = (stamp, scored, current[2])

    def evidence(self) -> EvidenceMatrix:
        """Every item's label evidence for the active model (``app.services.evidence``),
        brought up to date once per query."""
        state = getattr(self._query, "state", None)
        if state is not None and state.evidence is not None:
            return state.evidence
        model = self.model()
        with self._evidence_lock:
            self._evidence = refresh_evidence(self.lib, self._evidence, model.id if model else None,
                                              self.scheme().version)
            current = self._evidence
        if state is not None:
            state.evidence = current
        return current

    def _codes_stamp(self, model_id: str, modality: str) -> str:
        """"model:modality's version:library's codes version" (``app.store.codes``), read again
        after any write; an index holds while the first two parts do (``_same_codes``); on a
        server the last is the version whose announcement ``_refreshed`` waits for."""
        versions = self.lib.unchanged(f"codes_version:{modality}",
                                      lambda: (self.lib.codes.version(modality), self.lib.codes.version()))
        return f"{model_id}:{versions[0]}:{versions[1]}"

    # -- query types -----------------------------------------------------------------------
    @_one_read
    def by_image(self, image, region=None, k: int = 50, filters: SearchFilters | None = None) -> SearchResults:
        """``image``: a path or a PIL image; ``region``: (x, y, w, h) to search by a detail."""
        started = time.perf_counter()
        rt = self.runtime()
        img = load_rgb(image) if isinstance(image, (str, Path)) else image
        query = crop_region(img, region)
        codes, scores, probs = rt.image_outputs(to_array(query, rt.preprocessing)[None])
        # a detail is not a copy of a whole photo: only whole photos are looked up as copies
        results = alike(self, probs[0], codes, scores, k, filters, photo=query.convert("RGB") if region is None else None)
        return _timed(results, started)

    @_one_read
    def by_text(self, text: str, k: int = 50, filters: SearchFilters | None = None,
                labels: list[str] | None = None) -> SearchResults:
        """Typed text: read against the label scheme (``labels`` overrides that reading with
        label ids or names the curator chose), matched in the full-text index, and encoded
        by the text network when there is a model. Works before any model is trained."""
        started = time.perf_counter()
        scheme = self.scheme()
        if labels is None:

            asked = understand(text, scheme).labels
        else:
            asked = [scheme.resolve(ref).id for ref in labels]
        codes = scores = None
        if self.available() and text.strip():
            rt = self.runtime()
            vector = rt.text_vectors([text])
            if vector.any():
                codes, scores = rt.text_outputs(vector)[:2]
        allowed = self._allowed_set(filters)
        keyword_hits: list | Future = []
        if text.strip():
            keyword_hits = self._keywords_meanwhile(text, max(200, 4 * k), allowed)
        if not asked and codes is None and not _resolved(keyword_hits):
            raise WenyangError("Nothing in this text names a label, matches a word in the library, "
                               "or is known to the model. Try other words, a label's name, or an accession number.")
        return self._fused(text, asked, codes, scores, keyword_hits, k, allowed, started)

    def _keywords_meanwhile(self, text: str, limit: int, allowed: set[int] | None) -> list | Future:
        """The keyword matches of ``text``: on a server, a Future, the query sent from a thread
        of its own while this one ranks the labels and codes in memory (the server does that
        part of the work on its own cores, and the typed search takes the longer of the two
        rather than their sum); on SQLite, where the same cores would do both, the list."""
        if not self.lib.on_server:
            return self.lib.keywords.search(text, limit=limit, allowed=allowed)
        global _KEYWORD_POOL
        with _KEYWORD_POOL_LOCK:
            if _KEYWORD_POOL is None:
                _KEYWORD_POOL = ThreadPoolExecutor(2, thread_name_prefix="keywords")
        return _KEYWORD_POOL.submit(self.lib.keywords.search, text, limit=limit, allowed=allowed)

    @_one_read
    def by_labels(self, label_refs, k: int = 50, filters: SearchFilters | None = None) -> SearchResults:
        """Items with these labels: tagged ones first, then photos the model sees them in."""
        started = time.perf_counter()
        scheme = self.scheme()
        wanted = [scheme.resolve(r).id for r in label_refs]
        codes = scores = None
        if self.available():
            rt = self.runtime()
            codes, scores = rt.encode_labels(rt.label_vector(scheme.closure(wanted))[None])
        return self._fused("", wanted, codes, scores, [], k, self._allowed_set(filters), started)

    def _accession(self, item_id: int) -> str:
        """An item as the curator knows it (its id only if it is gone)."""
        try:
            return self.lib.items.get(item_id).accession
        except NotFound:
            return f"Item {item_id}"

    @_one_read
    def like_item(self, item_id: int, k: int = 50, filters: SearchFilters | None = None) -> SearchResults:
        """Items like this one: its labels (tagged, else what its photo shows) and its stored
        image code (text code when it has no photo)."""
        started = time.perf_counter()
        for modality in ("image", "text"):
            code, score = self._stored(item_id, modality)
            if code is not None:
                profile = self._profile(item_id)
                return _timed(alike(self, profile, code, score, k, filters, exclude={item_id}), started)
        raise NotFound(f"{self._accession(item_id)} is not encoded yet: it can be compared once encoding "
                       "has finished (Model ▸ Encode).")

    @_one_read
    def edit(self, item_id: int, add=(), remove=(), weight: float = 0.5, k: int = 50,
             filters: SearchFilters | None = None) -> SearchResults:
        """"Like this item, but with labels ``add`` instead of ``remove``": the item's labels
        (tagged, else predicted from its photo) are edited; candidates are ranked on that
        edited profile and on a code blending the label network's code of it with the photo's
        (``weight`` is the share of the edited label code, 0..1)."""
        started = time.perf_counter()
        rt = self.runtime()
        scheme = self.scheme()
        add_ids = scheme.closure(scheme.resolve(r).id for r in add)
        drop_ids = {d for r in remove for d in [scheme.resolve(r).id, *scheme.descendants(scheme.resolve(r).id)]}
        edited = rt.edit_label_vector(self._profile(item_id), add_ids, drop_ids)
        _, label_scores = rt.encode_labels(edited[None])
        _, photo_score = self._stored(item_id, "image")
        if photo_score is None:
            photo_score = label_scores
        blend = weight * _unit(label_scores) + (1.0 - weight) * _unit(photo_score)
        codes = np.where(blend >= 0, 1, -1).astype(np.int8)
        wanted = [lid for lid, p in zip(rt.label_ids, edited) if p >= 0.5]
        # the asked-for labels must show in the results, on the same kind of garment, not drown
        # among the item's other labels
        results = alike(self, edited, codes, blend.astype(np.float32), k, filters, exclude={item_id},
                        query_labels=wanted, require=[scheme.resolve(r).id for r in add],
                        prefer=self._garment(rt.label_ids, edited))
        return _timed(results, started)

    def _garment(self, label_ids, profile: np.ndarray) -> list[str]:
        """The most specific garment category the profile is sure of, if any."""
        scheme = self.scheme()
        sure = [l for l, p in zip(label_ids, profile) if p >= 0.5 and l in scheme.labels
                and scheme.labels[l].facet == "category"]
        leaves = [l for l in sure if not set(scheme.descendants(l)) & set(sure)]
        return leaves[:1]

    def _profile(self, item_id: int) -> np.ndarray:
        """The item's labels over the model's: tagged 1, else its photo's predicted probability."""
        rt = self.runtime()
        profile = self.evidence().profiles([item_id], list(rt.label_ids))[0]
        if not profile.any():
            return self._item_label_probs(item_id, rt)
        return profile

    # -- internals -------------------------------------------------------------------------
    def _fused(self, text, asked, codes, scores, keyword_hits, k, allowed, started) -> SearchResults:
        """One ranking per tab from labels, keywords and codes (``app.services.ranking``);
        ``keyword_hits`` may still be coming (a Future): the labels and codes are ranked first."""
        model = self.model()
        expanded = ranking.expand(self.scheme(), asked)
        matrix = self.evidence()
        parts = {}
        for tab, modality in TAB_MODALITY.items():
            members = self._with_modality(modality, allowed)
            member_ids = self._member_ids(modality, allowed)
            evidence = ranking.label_evidence(matrix, expanded, self._member_rows(matrix, modality, allowed, member_ids),
                                              with_predictions=modality == "image")
            parts[tab] = (modality, members, evidence, nearest(self, modality, codes, scores, member_ids, k))
        keyword_hits = _resolved(keyword_hits)
        tabs = {}
        for tab, (modality, members, evidence, near) in parts.items():
            best = ranking.fused(evidence, [h for h in keyword_hits if h.item_id in members], text,
                                 near, model.bits if model else 0, k)
            tabs[tab] = [self._fused_hit(c, modality) for c in best]
        provider = self.runtime().provider if model is not None else "no model"
        return SearchResults(tabs["photos"], tabs["descriptions"], list(asked), provider,
                             time.perf_counter() - started, understood=list(asked))

    def _fused_hit(self, cand, modality: str) -> Hit:
        reasons = []
        if cand.accession:
            reasons.append(Reason("accession", term=cand.keyword[1] if cand.keyword else ""))
        elif cand.keyword is not None:
            reasons.append(Reason("keyword", field=cand.keyword[0], term=cand.keyword[1]))
        for label, (kind, p) in cand.labels.items():
            if kind == "tagged" or p >= ranking.PREDICTED_FLOOR:
                reasons.append(Reason(kind, label=label, value=round(p, 3)))
        if cand.distance is not None:
            reasons.append(Reason("distance", value=cand.distance))
        matched = sorted(l for l, (kind, _) in cand.labels.items() if kind == "tagged")
        return Hit(cand.item_id, -1 if cand.distance is None else cand.distance, modality, matched,
                   score=0.0, reasons=reasons)

    def _allowed_set(self, filters: SearchFilters | None) -> set[int] | None:
        """The items the filters let through (None: no filter). The last filter's set is kept
        until the library is written: at a million items reading it took ~0.5 s a query."""
        if filters is None or (not filters.labels and filters.collection is None):
            return None
        from app.services.filtering import allowed_item_ids

        key = (tuple(sorted(filters.labels)), filters.collection)
        stamp = self.lib.write_stamp()
        cached = self._allowed_cache.get(key)
        if cached is None or cached[0] != stamp:
            cached = (stamp, set(allowed_item_ids(self.lib, filters.labels, filters.collection)), {})
            self._allowed_cache = {key: cached}
        return cached[1]

    def _with_modality(self, modality: str, allowed: set[int] | None) -> set[int]:
        """Items that can appear in a tab: with a photo (photos) or a text (descriptions)."""
        ids = self._members(modality)[0]
        return ids if allowed is None else ids & allowed

    def _member_ids(self, modality: str, allowed: set[int] | None) -> np.ndarray:
        """``_with_modality`` as a sorted array."""
        if allowed is None:
            return self._members(modality)[1]
        memo = next((c[2] for c in self._allowed_cache.values() if c[1] is allowed), None)
        if memo is not None and modality in memo:
            return memo[modality]
        members = self._with_modality(modality, allowed)
        ids = np.sort(np.fromiter(members, np.int64, len(members)))
        if memo is not None:  # the same filter's next query gets this very array
            memo[modality] = ids
        return ids

    def _members(self, modality: str) -> tuple[set[int], np.ndarray]:
        """(set, sorted array) of the items a tab can show, looked at again when the library
        was written since (by this connection or any other), and then only for the items
        the change log names (``_members_now``)."""
        state = getattr(self._query, "state", None)
        if state is not None and modality in state.members:
            return state.members[modality]
        members = self.lib.unchanged(f"members:{modality}", lambda: self._members_now(modality))
        if state is not None:
            state.members[modality] = members
        return members

    def _members_now(self, modality: str) -> tuple[set[int], np.ndarray]:
        """``_members`` as the library has them now: the items that the change log names
        since the last look (it logs every item's photos, title and description) read again,
        and the same set and array kept when none of them came or went — a tag, most edits.
        Every item is read where the log no longer reaches back that far, or is too long.
        At a million items reading them all took 0.8 s, at the first search after any edit."""
        lib = self.lib
        newest = lib.unchanged("evidence_mark", lib.evidence.mark)  # first: a later change is seen later
        read = lib.items.with_photo if modality == "image" else lib.items.with_text
        cached = self._members_seen.get(modality)
        if cached is not None and cached[0] == newest:
            return cached[1]
        if cached is not None and (lib.evidence.oldest() or newest + 1) <= cached[0] + 1 \
                and not lib.evidence.too_far(cached[0], newest, len(cached[1][0])):
            changed = lib.evidence.changed_since(cached[0], newest)
            found, ids = read(changed), cached[1][0]
            if found == {i for i in changed if i in ids}:
                members = cached[1]
            else:
                ids = (ids - set(changed)) | found
                members = ids, np.sort(np.fromiter(ids, np.int64, len(ids)))
        else:
            ids = read()
            members = ids, np.sort(np.fromiter(ids, np.int64, len(ids)))
        self._members_seen[modality] = (newest, members)
        return members

    def _member_rows(self, rows_of, modality: str, allowed: set[int] | None, member_ids: np.ndarray,
                     dropped: np.ndarray | None = None) -> np.ndarray:
        """``rows_of.member_rows(member_ids)`` (the evidence matrix's or the signatures' rows
        of a tab's items), kept while that object and the members are the same and nothing
        leaves items out: at a million items the mask takes ~40 ms to make."""
        if dropped is not None and len(dropped):
            return rows_of.member_rows(member_ids)
        key = (type(rows_of).__name__, modality, allowed is None)
        cached = self._member_rows_cache.get(key)
        if cached is None or cached[0] is not rows_of or cached[1] is not member_ids:
            cached = (rows_of, member_ids, rows_of.member_rows(member_ids))
            self._member_rows_cache[key] = cached
        return cached[2]

    def _stored(self, item_id: int, modality: str):
        model = self.model()
        row = self.lib.codes.code_of(item_id, model.id, modality)
        if row is None:
            return None, None
        code = np.frombuffer(row[0], np.uint8)[None]
        score = None if row[1] is None else np.frombuffer(row[1], np.float32)[None]
        return code, score

    def _item_label_probs(self, item_id: int, rt) -> np.ndarray:
        item = self.lib.items.get(item_id)
        if item.photos:
            from app.services.dataset import photo_path

            pixels = to_array(load_rgb(photo_path(self.lib, item.photos[0].path)), rt.preprocessing)[None]
            return rt.predict_labels_images(pixels)[0]
        return rt.label_vector(set(item.labels))


def _unit(x: np.ndarray) -> np.ndarray:
    norm = np.linalg.norm(x, axis=1, keepdims=True)
    return x / np.maximum(norm, 1e-12)


def _resolved(hits: list | Future) -> list:
    """Keyword matches, waited for when they are still coming (their failure raised here)."""
    return hits.result() if isinstance(hits, Future) else hits


def _same_codes(stamp: str, other: str) -> bool:
    """Whether two ``_codes_stamp`` values name the same codes of their modality."""
    return stamp.rsplit(":", 1)[0] == other.rsplit(":", 1)[0]


def _timed(results: SearchResults, started: float) -> SearchResults:
    results.seconds = time.perf_counter() - started
    return results
