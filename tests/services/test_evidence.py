"""The label evidence a search keeps in memory stays what SQLite holds, whatever changes it:
tags, suggestions and the curator's rejections, deleted items, label merges, undo, another
process, and a change log pruned past what a reader saw."""
from __future__ import annotations

import numpy as np
import pytest

from app.core.models import Item
from app.services import evidence
from app.store import open_library
from tests.services.test_ops import CASES

MODEL = "m-1"

pytestmark = pytest.mark.backends("sqlite", "postgresql")


def reference(lib, model_id, label_ids, item_ids):
    """What SQLite holds, row by row: 1 where tagged, else the unrejected confidence."""
    col = {l: j for j, l in enumerate(label_ids)}
    row = {i: r for r, i in enumerate(item_ids)}
    out = np.zeros((len(item_ids), len(label_ids)), np.float32)
    for item_id, label_id, p in lib.suggestions.confidences(model_id, item_ids=item_ids) if model_id else ():
        out[row[item_id], col[label_id]] = p
    for item_id, label_id in lib.labels.pairs(item_ids=item_ids):
        out[row[item_id], col[label_id]] = 1.0
    return out


def same_as_sqlite(lib, matrix, item_ids, model_id=MODEL):
    labels = sorted(lib.scheme.labels)
    assert np.array_equal(matrix.profiles(item_ids, labels), reference(lib, model_id, labels, item_ids))
    tagged = {(i, l) for i, l in lib.labels.pairs(item_ids=item_ids)}
    rows = matrix.rows_of(item_ids)
    for r, item_id in zip(rows, item_ids):
        for label in labels:
            held = r >= 0 and bool(matrix.tagged[r, matrix.col[label]])
            assert held == ((item_id, label) in tagged), (item_id, label)


@pytest.fixture
def lib(library):
    library.models.register(MODEL, 32, "ssah", {})
    ids = [library.items.add(Item(f"E-{n:03d}", title=f"Item {n}")) for n in range(8)]
    library.labels.tag(ids[:3], ["dragon"])
    library.labels.tag(ids[2:5], ["robe"])
    library.suggestions.put(MODEL, [(ids[5], "phoenix", 0.8), (ids[6], "dragon", 0.45), (ids[0], "robe", 0.6)])
    library.ids = ids
    return library


def refreshed(lib, matrix):
    return evidence.refresh(lib, matrix, MODEL, lib.scheme.version)


def test_the_first_read_is_what_sqlite_holds_and_an_unchanged_library_is_not_read_again(lib):
    matrix = refreshed(lib, None)
    same_as_sqlite(lib, matrix, lib.ids)
    assert refreshed(lib, matrix) is matrix
    assert matrix.profiles([10_000], ["dragon"]).tolist() == [[0.0]]  # no such item: no evidence
    assert matrix.profiles(lib.ids[:1], ["no-such-label"]).tolist() == [[0.0]]


def test_tags_suggestions_rejections_and_deletions_are_seen_item_by_item(lib):
    matrix = refreshed(lib, None)
    ids = lib.ids
    lib.labels.tag([ids[7]], ["peony"])
    lib.labels.untag([ids[0]], ["dragon"])
    lib.suggestions.put(MODEL, [(ids[6], "dragon", 0.9), (ids[1], "phoenix", 0.35)])
    lib.suggestions.set_status(ids[5], "phoenix", "rejected", MODEL)
    lib.items.delete(ids[3])
    newer = refreshed(lib, matrix)
    assert newer is not matrix and newer.mark > matrix.mark
    same_as_sqlite(lib, newer, ids)
    same_as_sqlite(lib, matrix, [])  # the older one was not changed under its readers
    assert matrix.profiles([ids[7]], ["peony"]).tolist() == [[0.0]]


LABEL_OPS = ("tag", "tag an implied label explicitly", "untag", "accept suggestions", "reject suggestions",
             "add label", "move label", "merge labels", "delete a used label", "delete items",
             "activate model", "delete the active model")


@pytest.fixture
def ops_lib(library):
    """What ``test_ops`` starts from: six tagged items, two models with suggestions."""
    ids = [library.items.add(Item(f"M-{n:03d}", title=f"Robe {n}")) for n in range(6)]
    library.labels.tag(ids[:3], ["dragon", "robe"])
    library.labels.tag(ids[3:], ["phoenix", "skirt"], source="import")
    library.labels.tag(ids[2:4], ["cloud"])
    library.models.register("m1", 16, "ssah", {}, activate=False)
    library.models.register("m2", 16, "ssah", {})
    library.suggestions.put("m2", [(i, "peony", 0.8) for i in ids] + [(i, "bat", 0.6) for i in ids])
    library.suggestions.put("m1", [(ids[0], "lotus", 0.7)])
    library.ids = ids
    return library


@pytest.mark.parametrize("name", LABEL_OPS)
def test_every_op_on_labels_and_suggestions_and_its_undo_are_seen(ops_lib, name):
    lib, model = ops_lib, lambda: (lib.models.active().id if lib.models.active() else None)
    matrix = evidence.refresh(lib, None, model(), lib.scheme.version)
    result = CASES[name](lib.ids).run(lib)
    matrix = evidence.refresh(lib, matrix, model(), lib.scheme.version)
    same_as_sqlite(lib, matrix, lib.ids, model())
    result.undo.run(lib)
    same_as_sqlite(lib, evidence.refresh(lib, matrix, model(), lib.scheme.version), lib.ids, model())


def test_another_process_writing_is_seen(lib, tmp_path):
    matrix = refreshed(lib, None)
    with open_library(lib.location) as other:
        other.labels.tag([lib.ids[6]], ["phoenix"])
        other.suggestions.put(MODEL, [(lib.ids[7], "dragon", 0.7)])
    same_as_sqlite(lib, refreshed(lib, matrix), lib.ids)


def test_a_reader_behind_a_pruned_log_reads_everything_again(lib):
    matrix = refreshed(lib, None)
    for n in range(6):
        lib.labels.tag([lib.ids[7]], ["peony" if n % 2 else "dragon"])
        lib.labels.untag([lib.ids[7]], ["peony" if n % 2 else "dragon"])
    lib.labels.tag([lib.ids[1]], ["phoenix"])
    assert lib.evidence.prune(keep=2) > 0
    assert lib.evidence.oldest() > matrix.mark + 1
    same_as_sqlite(lib, refreshed(lib, matrix), lib.ids)
    assert lib.evidence.prune(keep=2) == 0  # nothing more to drop


def test_without_a_model_only_tags_count(lib):
    matrix = evidence.refresh(lib, None, None, lib.scheme.version)
    assert matrix.profiles([lib.ids[5]], ["phoenix"]).tolist() == [[0.0]]
    assert matrix.profiles([lib.ids[0]], ["dragon"]).tolist() == [[1.0]]


def test_the_write_stamp_moves_with_every_write_here_or_elsewhere(lib):
    before = lib.write_stamp()
    assert lib.write_stamp() == before
    lib.labels.tag([lib.ids[7]], ["dragon"])
    after = lib.write_stamp()
    assert after != before
    with open_library(lib.location) as other:
        other.items.add(Item("E-OTHER"))
    assert lib.write_stamp() != after


def test_a_few_ids_are_merged_into_a_sorted_list_in_their_places():
    from app.services.ranking import with_ids

    ids = np.array([2, 5, 9], np.int64)
    assert with_ids(ids, [5, 1, 12, 7, 7]).tolist() == [1, 2, 5, 7, 9, 12]
    assert with_ids(ids, []) is ids
    assert with_ids(np.zeros(0, np.int64), {4, 3}).tolist() == [3, 4]


def test_a_saved_matrix_is_mapped_by_the_next_reader_and_brought_up_to_date(lib, monkeypatch):
    monkeypatch.setattr(evidence, "CACHE_FROM", 1)
    first = refreshed(lib, None)
    assert (lib.cache_dir / f"{evidence._cache_name(MODEL)}.json").is_file()
    lib.labels.tag([lib.ids[7]], ["phoenix"])
    lib.suggestions.set_status(lib.ids[5], "phoenix", "rejected", MODEL)
    reads = []
    monkeypatch.setattr(lib.evidence, "tags", lambda item_ids=None, real=lib.evidence.tags: reads.append(item_ids)
                        or real(item_ids))
    second = refreshed(lib, None)  # a new reader: the cache, then only what changed since
    assert reads and all(r is not None and set(r) <= {lib.ids[5], lib.ids[7]} for r in reads)
    same_as_sqlite(lib, second, lib.ids)
    assert first.mark < second.mark
    reads.clear()  # the second saved what it merged: a third reader has nothing to read
    third = refreshed(lib, None)
    assert reads == [] and third.mark == second.mark
    same_as_sqlite(lib, third, lib.ids)


@pytest.mark.parametrize("damage", ["garbage json", "missing array", "other model", "truncated array"])
def test_a_damaged_or_foreign_cache_is_read_around(lib, monkeypatch, damage):
    monkeypatch.setattr(evidence, "CACHE_FROM", 1)
    refreshed(lib, None)
    note = lib.cache_dir / f"{evidence._cache_name(MODEL)}.json"
    arrays = sorted(lib.cache_dir.glob("*.npy"))
    if damage == "garbage json":
        note.write_text("{not json", encoding="utf-8")
    elif damage == "missing array":
        arrays[0].unlink()
    elif damage == "other model":
        note.write_text(note.read_text(encoding="utf-8").replace(f'"model": "{MODEL}"', '"model": "m-9"'),
                        encoding="utf-8")
    else:
        for path in arrays:
            path.write_bytes(path.read_bytes()[:90])
    lib.labels.tag([lib.ids[7]], ["peony"])
    same_as_sqlite(lib, refreshed(lib, None), lib.ids)


def test_a_read_only_library_reads_without_saving(lib, monkeypatch):
    monkeypatch.setattr(evidence, "CACHE_FROM", 1)
    monkeypatch.setattr(lib, "read_only", True)
    same_as_sqlite(lib, refreshed(lib, None), lib.ids)
    assert not lib.cache_dir.exists()


def test_the_photo_signatures_in_memory_follow_the_library_and_its_saved_cache(lib, monkeypatch):
    from app.media.signature import CROPS, DIM
    from app.search.signatures import SignatureIndex
    from app.services import search_alike
    from app.services.search import SearchService

    monkeypatch.setattr(search_alike, "SAVE_FROM", 1)
    rng = np.random.default_rng(0)

    def sig():
        return rng.standard_normal((len(CROPS), DIM)).astype(np.float16)

    lib.signatures.put([(i, f"h{i}", sig()) for i in lib.ids[:5]])
    first = search_alike.signatures(SearchService(lib))
    assert first.ids.tolist() == sorted(lib.ids[:5])
    assert (lib.cache_dir / "signatures.json").is_file()
    with open_library(lib.location) as other:  # another process adds one, replaces one, deletes an item
        other.signatures.put([(lib.ids[6], "h6", sig()), (lib.ids[0], "h0b", sig())])
        other.items.delete(lib.ids[1])
    merges = []
    real_merged = SignatureIndex.merged
    monkeypatch.setattr(SignatureIndex, "merged", lambda self, *a: merges.append(1) or real_merged(self, *a))
    for service in (SearchService(lib), SearchService(lib)):  # a new reader starts from the cache
        index = search_alike.signatures(service)
        ids, sigs = lib.signatures.of(lib.ids, (len(CROPS), DIM))
        assert index.ids.tolist() == ids.tolist()
        full = SignatureIndex.from_slices([(ids, sigs)], len(CROPS), DIM)  # what a full read gives
        assert np.array_equal(index.stored, full.stored) and np.array_equal(index.scales, full.scales)
    # the first merged the other process's photos into the saved cache and saved it again: the
    # second started from that, with nothing to merge
    assert len(merges) == 1


@pytest.mark.parametrize("saved", ["with bounds", "without bounds", "bounds of another format", "bounds cut short"])
def test_the_saved_photo_signatures_carry_their_score_bounds(lib, monkeypatch, saved):
    """A reader of the saved signatures takes their score bounds from the cache instead of
    making them again (seconds at a million photos); bounds it cannot trust (saved by a
    version without them, made another way, of the wrong shape) are made again, equal to
    fresh ones, and saved for the next reader."""
    from app.media.signature import CROPS, DIM
    from app.search import _compiled
    from app.search import signatures as sg
    from app.services import search_alike
    from app.services.search import SearchService
    from app.store import cache

    if not _compiled.AVAILABLE:
        pytest.skip("the bounds are made by the compiled loops (Numba is missing)")
    monkeypatch.setattr(search_alike, "SAVE_FROM", 1)
    monkeypatch.setattr(sg, "BOUND_FROM", 1)
    rng = np.random.default_rng(3)
    lib.signatures.put([(i, f"h{i}", rng.standard_normal((len(CROPS), DIM)).astype(np.float16)) for i in lib.ids])
    first = search_alike.signatures(SearchService(lib))
    fresh = sg.coarse_bounds(np.asarray(first.stored), np.asarray(first.scales))
    arrays, meta = cache.load(lib, "signatures")
    assert meta["bounds"] == sg.BOUNDS_FORMAT and all(f"bound{n}" in arrays for n in range(6))
    if saved != "with bounds":  # what an earlier or other version left
        kept = {k: v for k, v in arrays.items() if not k.startswith("bound")}
        if saved == "bounds of another format":
            kept.update({k: v for k, v in arrays.items() if k.startswith("bound")})
            meta["bounds"] = sg.BOUNDS_FORMAT + 1
        elif saved == "bounds cut short":
            kept.update({k: v[:-1] for k, v in arrays.items() if k.startswith("bound")})
        else:
            meta["bounds"] = None
        assert cache.save(lib, "signatures", kept, {k: v for k, v in meta.items()
                                                   if k not in ("format", "token", "arrays")})
    made = []
    real = sg.coarse_bounds
    monkeypatch.setattr(sg, "coarse_bounds", lambda *a: made.append(1) or real(*a))
    index = search_alike.signatures(SearchService(lib))
    assert len(made) == (0 if saved == "with bounds" else 1)
    for mine, theirs in zip(index.bounds, fresh):
        assert np.array_equal(mine, theirs)
    made.clear()
    again = search_alike.signatures(SearchService(lib))  # the next reader finds them saved
    assert not made and all(np.array_equal(m, t) for m, t in zip(again.bounds, fresh))
    query = rng.standard_normal(DIM).astype(np.float32)
    assert again.best(query, 3).tolist() == first.best(query, 3).tolist()


def _random_matrix(n=3000, labels=12, seed=5):
    rng = np.random.default_rng(seed)
    tagged = rng.random((n, labels)) < 0.15
    values = np.where(rng.random((n, labels)) < 0.3, rng.choice([0.3, 0.45, 0.8], (n, labels)), 0.0)
    values = np.where(tagged, 1.0, values).astype(np.float32)
    ids = np.sort(rng.choice(10 * n, n, replace=False)).astype(np.int64)
    return evidence.EvidenceMatrix("m", [f"l{j}" for j in range(labels)], ids, tagged, values, 0, 1)


@pytest.mark.parametrize("blocks", [1, 3])
def test_the_one_pass_scores_are_the_profile_similarity_of_exactly_the_candidates(monkeypatch, blocks):
    """Both tabs' passes (tags needed or not, different members) in one compiled pass, its
    rows split over threads or not, equal the NumPy passes and the plain profile similarity."""
    from app.search import _compiled, parallel
    from app.services.similar import profile_similarity

    monkeypatch.setattr(parallel, "MIN_ROWS", 1000 if blocks > 1 else 1 << 16)
    monkeypatch.setattr(parallel, "THREADS", blocks)
    matrix = _random_matrix()
    rng = np.random.default_rng(1)
    model_labels = [f"l{j}" for j in range(0, 12, 2)] + ["gone"]  # a label the matrix lacks counts 0
    weights = rng.choice([0.7, 1.0, 2.0, 5.0], len(model_labels)).astype(np.float32)
    query = rng.random(len(model_labels)).astype(np.float32)
    passes = [(rng.random(len(matrix)) < 0.7, False), (rng.random(len(matrix)) < 0.5, True)]
    strong = {"l1", "l4", "nowhere"}
    runs = [matrix.profile_scores(passes, model_labels, weights, query, strong)]
    monkeypatch.setattr(_compiled, "AVAILABLE", False)
    runs.append(matrix.profile_scores(passes, model_labels, weights, query, strong))
    cols = [matrix.col["l1"], matrix.col["l4"]]
    for at, (members, need_tag) in enumerate(passes):
        held = matrix.tagged[:, cols] if need_tag else matrix.values[:, cols] > 0
        expected_rows = np.flatnonzero(held.any(axis=1) & members)
        assert 100 < len(expected_rows) < len(matrix) - 100
        expected = profile_similarity(query, matrix.profiles(matrix.ids[expected_rows], model_labels), weights)
        for run in runs:
            scores = run[at]
            assert np.flatnonzero(scores >= 0).tolist() == expected_rows.tolist()
            assert np.allclose(scores[expected_rows], expected, atol=1e-6)
            assert (scores[~np.isin(np.arange(len(matrix)), expected_rows)] == -1).all()
    assert all((scores == -1).all() for scores in
               matrix.profile_scores(passes, model_labels, weights, query, {"nowhere"}))


def test_the_best_k_without_a_full_sort_are_the_full_sorts_first_k():
    from app.services.similar import best_first

    rng = np.random.default_rng(2)
    for trial in range(30):
        n, k = int(rng.integers(1, 300)), int(rng.integers(1, 60))
        score = rng.choice([0.1, 0.5, 0.5, 0.9, 1.2], n) + rng.choice([0.0, 0.25], n)
        ids = np.sort(rng.choice(5 * n, n, replace=False))
        assert best_first(score, ids, k).tolist() == np.lexsort((ids, -score))[:k].tolist(), trial


@pytest.mark.parametrize("use_members, with_predictions", [(True, True), (False, True), (True, False)])
def test_the_compiled_label_evidence_equals_the_numpy_passes(monkeypatch, use_members, with_predictions):
    """Typed search's label evidence (``ranking.label_evidence``) in one compiled pass, its rows
    split over threads, equals the NumPy passes: rows kept, evidence, tagged and present."""
    from app.search import _compiled, parallel
    from app.services import ranking

    monkeypatch.setattr(parallel, "MIN_ROWS", 1000)
    monkeypatch.setattr(parallel, "THREADS", 3)
    matrix = _random_matrix()
    rng = np.random.default_rng(3)
    members = rng.random(len(matrix)) < 0.6 if use_members else None
    asked = {"a": {"l1", "l5"}, "b": {"l7"}, "gone": {"nowhere"}, "c": {"l2", "nowhere", "l9", "l11"}}
    compiled = ranking.label_evidence(matrix, asked, members, with_predictions)
    monkeypatch.setattr(_compiled, "AVAILABLE", False)
    plain = ranking.label_evidence(matrix, asked, members, with_predictions)
    assert compiled.asked == plain.asked == list(asked)
    assert 100 < len(plain.ids) < len(matrix)
    assert np.array_equal(compiled.ids, plain.ids)
    assert np.array_equal(compiled.p, plain.p) and compiled.p.dtype == plain.p.dtype
    assert np.array_equal(compiled.tagged, plain.tagged) and np.array_equal(compiled.present, plain.present)
