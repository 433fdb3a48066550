"""End to end on a small demo library: train (tiny networks), export, encode, every query type."""
from __future__ import annotations

import threading

import numpy as np
import pytest

from app.core.errors import ModelMismatchError, WenyangError
from app.media.signature import CROPS, DIM
from app.services.dataset import photo_path
from app.services.demo import create_demo_library
from app.services.encoding import encode_library
from app.services.search import NoModelError, SearchFilters, SearchService
from app.services.training import TrainOptions, train_library
from app.store import open_library

pytestmark = pytest.mark.slow  # trains real networks (the fast tier leaves it out)

TINY = dict(bits=16, epochs=3, image_size=32, vocab_size=200, seed=0,
            net_overrides={"semantic_dim": 64, "label_hidden": (128,), "image_hidden": (128,),
                           "text_hidden": (128,), "disc_hidden": (32,)},
            overrides={"batch_size": 32, "patience": 5}, min_holdout_items=20, holdout_fraction=0.2)


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    root = tmp_path_factory.mktemp("demo") / "lib"
    create_demo_library(root, seed=1, count=48)
    lib = open_library(root)
    events = []
    outcome = train_library(lib, TrainOptions(**TINY), progress=events.append)
    yield lib, outcome, events
    lib.close()


def test_training_registers_an_active_model_and_encodes_everything(trained):
    lib, outcome, events = trained
    assert outcome.model_id and not outcome.cancelled
    assert lib.models.active().id == outcome.model_id
    assert any(e.data.get("kind") == "epoch" and e.data.get("val_map") is not None for e in events)
    assert {e.stage for e in events} >= {"text", "features", "warmup", "train", "export", "encode"}
    n = lib.items.count()
    for modality in ("image", "text", "label"):
        ids, codes, scores = lib.codes.load(outcome.model_id, modality)
        assert len(ids) == n and codes.shape == (n, 2) and scores.shape == (n, 16)
    card = lib.models.active().card
    assert card["scheme_fingerprint"] == lib.scheme.fingerprint()
    assert card["vocabulary"]["terms"] and card["preprocessing"]["size"] == 32


def test_held_out_items_are_not_trained_on_but_encoded(trained):
    lib, outcome, _ = trained
    holdout = outcome.card["holdout_items"]
    assert len(holdout) == round(0.2 * lib.items.count())
    assert outcome.n_train + outcome.card.get("validation_items", 0) <= lib.items.count() - len(holdout)
    ids, _, _ = lib.codes.load(outcome.model_id, "image")
    assert set(holdout) <= set(ids.tolist())


def test_evaluation_report_has_every_direction_and_plots(trained, tmp_path):
    from app.services.evaluation import evaluate_library

    lib, outcome, _ = trained
    report = evaluate_library(lib, out_dir=tmp_path / "report", k=10)
    assert sorted(r.direction for r in report.rows) == ["i2i", "i2t", "t2i", "t2t"]
    for row in report.rows:
        assert 0.0 <= row.map_all <= 1.0 and 0.0 <= row.ndcg_at_k <= 1.0
        assert row.n_queries + row.n_skipped == len(outcome.card["holdout_items"])
    assert any("MAP@all" in d for d in report.definitions)
    for name in ("metrics.txt", "metrics.json", "pr_curves.png", "map_by_bits.png"):
        assert (tmp_path / "report" / name).stat().st_size > 0


def test_typed_label_names_are_scored_beside_chance_and_the_best_possible(trained):
    from app.services.evaluation_typed import typed_label_precision

    lib, _, _ = trained
    typed = typed_label_precision(lib, lib.models.active(), k=10)
    if not typed:
        pytest.skip("fewer than 10 held-out photos in this tiny library")
    for group in typed["groups"].values():
        assert 0.0 <= group["chance"] <= group["best"] <= 1.0 and 0.0 <= group["p10"] <= group["best"] + 1e-9


def test_encoding_again_touches_only_what_changed(trained):
    lib, outcome, _ = trained
    again = encode_library(lib)
    assert again.encoded == {"label": 0, "text": 0, "image": 0}
    item_id = lib.items.ids()[0]
    lib.items.update(item_id, description="红缎绣龙纹袍 red satin robe with dragons")
    after = encode_library(lib)
    assert after.encoded == {"label": 0, "text": 1, "image": 0}


def test_suggestions_are_stored_with_confidence(trained):
    lib, _, _ = trained
    rows = lib.db.execute("SELECT confidence FROM suggestions").fetchall()
    assert rows and all(0.3 <= r[0] <= 1.0 for r in rows)


def _check(results, k):
    for hits in (results.photos, results.descriptions):
        assert 0 < len(hits) <= k
        scores = [h.score for h in hits]
        assert scores == sorted(scores, reverse=True) and all(-1 <= h.distance <= 16 for h in hits)
    assert results.provider.endswith("ExecutionProvider")


def _check_fused(results, k, label):
    """Typed and label queries: items tagged with the asked label come before the rest,
    and every hit says why it is there."""
    for hits in (results.photos, results.descriptions):
        assert 0 < len(hits) <= k and all(h.reasons for h in hits)
        tagged = [label in h.matched_labels for h in hits]
        assert tagged == sorted(tagged, reverse=True)
    assert label in results.understood


def test_every_query_type_returns_ranked_results(trained):
    lib, _, _ = trained
    service = SearchService(lib)
    first = lib.items.get(lib.items.ids()[0])
    photo = first.photos[0].path
    same = service.by_image(photo, k=5)
    _check(same, 5)
    assert same.photos[0].item_id == first.id and same.photos[0].reasons[0].kind == "duplicate"
    _check(service.by_image(photo, region=(10, 10, 120, 120), k=5), 5)
    _check_fused(service.by_text("red robe 龙纹 dragon", k=5), 5, "dragon")
    _check_fused(service.by_labels(["Dragon"], k=5), 5, "dragon")
    like = service.like_item(first.id, k=5)
    _check(like, 5)
    assert first.id not in [h.item_id for h in like.photos]
    edit = service.edit(first.id, add=["phoenix"], remove=["dragon"], k=5)
    _check(edit, 5)
    assert "phoenix" in edit.query_labels and "dragon" not in edit.query_labels


def test_a_query_reads_the_model_and_scheme_once_and_its_hits_carry_what_a_list_shows(trained):
    lib, _, _ = trained
    service = SearchService(lib)
    first = lib.items.get(lib.items.ids()[0])
    service.by_image(first.photos[0].path, k=10)  # warm: indexes loaded
    service.by_text("dragon robe", k=10)  # and the keyword index brought up to date (a write)
    service.by_image(first.photos[0].path, k=10)  # reads what that write may have changed
    seen: list[str] = []
    lib.db.conn.set_trace_callback(seen.append)
    try:
        results = service.by_image(first.photos[0].path, k=10)
        for query in (lambda: service.by_text("dragon robe", k=10), lambda: service.like_item(first.id, k=10)):
            query()
    finally:
        lib.db.conn.set_trace_callback(None)
    # nothing written since the warm-up: the active model and the scheme are not read again
    assert sum("FROM models WHERE active" in s for s in seen) == 0
    assert sum("key = 'scheme_version'" in s for s in seen) == 0
    assert sum("FROM items WHERE id = " in s for s in seen) == 0  # no item read one by one
    lib.set_meta("touched", "1")  # any write: the next query reads them again, once
    seen.clear()
    lib.db.conn.set_trace_callback(seen.append)
    try:
        service.by_text("dragon robe", k=10)
    finally:
        lib.db.conn.set_trace_callback(None)
    assert sum("FROM models WHERE active" in s for s in seen) == 1
    assert sum("key = 'scheme_version'" in s for s in seen) == 1
    top = results.photos[0]
    assert (top.item_id, top.accession, top.title) == (first.id, first.accession, first.title)
    assert top.paths[0].endswith(".jpg") and top.paths[1].endswith(first.photos[0].path.split("/")[-1])


def test_a_repeated_photo_search_reads_no_photo_hashes_and_a_changed_signature_is_framed_again(trained):
    lib, _, _ = trained
    service = SearchService(lib)
    first = lib.items.get(lib.items.ids()[0])
    other = lib.items.get(lib.items.ids()[1])
    photo = first.photos[0].path
    assert service.by_image(photo, k=5).photos[0].reasons[0].kind == "duplicate"

    def hash_reads() -> list[str]:
        seen: list[str] = []
        lib.db.conn.set_trace_callback(seen.append)
        try:
            top = service.by_image(photo, k=5).photos[0]
        finally:
            lib.db.conn.set_trace_callback(None)
        assert top.item_id == first.id and top.reasons[0].kind == "duplicate"
        return [s for s in seen if "sha256 FROM photo_signatures" in s]

    assert hash_reads() == []  # every candidate's re-framings kept, known by its signature
    # the other item's stored signature changes (its photo replaced): it is framed again, and only it is looked up
    (_, sigs), shas = lib.signatures.of([first.id], (len(CROPS), DIM)), lib.signatures.hashes_of([other.id])
    lib.signatures.put([(other.id, shas[other.id], sigs[0])])
    reads = hash_reads()
    assert len(reads) == 1 and f"{other.id}" in reads[0]
    assert hash_reads() == []


def test_warming_loads_both_indexes_before_the_first_search(trained):
    lib, _, _ = trained
    service = SearchService(lib)
    assert service._indices == {}
    service.warm(compile_apart=True)  # the window's way: the loops compiled in a child first
    assert set(service._indices) == {"image", "text"}
    warmed = service._indices["image"][1]
    service.by_labels(["Robe"], k=5)
    assert service._indices["image"][1] is warmed  # the search used the warmed index


def test_background_scores_come_in_and_settle_waits_for_them(trained):
    lib, _, _ = trained
    at_once = SearchService(lib).index("image")
    service = SearchService(lib, background_scores=True)
    first = service.index("image")
    assert first._scores is None  # searchable from the codes alone at once
    assert service.settle(timeout=60)
    scored = service.index("image")
    assert scored._scores is not None and np.array_equal(scored._scores, at_once._scores)
    assert service.settle(timeout=0)  # nothing left loading


def test_label_query_reports_matched_labels(trained):
    lib, _, _ = trained
    results = SearchService(lib).by_labels(["Robe"], k=10)
    for hit in results.photos:
        carries = set(lib.labels.labels_of(hit.item_id))
        assert set(hit.matched_labels) == carries & set(results.query_labels)


def test_filters_restrict_every_tab(trained):
    lib, _, _ = trained
    coll = lib.collections.list()[0]
    members = set(lib.collections.members(coll.id))
    results = SearchService(lib).by_text("robe", k=50, filters=SearchFilters(collection=coll.id))
    assert {h.item_id for h in results.photos} <= members
    assert {h.item_id for h in results.descriptions} <= members
    blue = SearchService(lib).by_text("robe", k=50, filters=SearchFilters(labels=["blue", "dark-blue"]))
    for hit in blue.photos:
        assert {"blue", "dark-blue"} & set(lib.labels.labels_of(hit.item_id))


def test_a_kept_filter_follows_writes_to_the_collection(trained):
    """One service, the same filter twice: its items are kept between queries, but an item
    taken out of the collection meanwhile is gone from both tabs of the next search."""
    lib, _, _ = trained
    coll = lib.collections.list()[0]
    service = SearchService(lib)
    filters = SearchFilters(collection=coll.id)
    photo = str(photo_path(lib, lib.items.get(lib.items.ids()[0]).photos[0].path))
    before = service.by_image(photo, k=50, filters=filters)
    shown = {h.item_id for h in before.photos} | {h.item_id for h in before.descriptions}
    assert shown and shown <= set(lib.collections.members(coll.id))
    gone = sorted(shown)[0]
    lib.collections.remove(coll.id, [gone])
    try:
        for results in (service.by_image(photo, k=50, filters=filters),
                        service.by_text("robe", k=50, filters=filters)):
            ids = {h.item_id for h in results.photos} | {h.item_id for h in results.descriptions}
            assert gone not in ids and ids <= set(lib.collections.members(coll.id))
    finally:
        lib.collections.add(coll.id, [gone])
    again = service.by_image(photo, k=50, filters=filters)
    assert gone in {h.item_id for h in again.photos} | {h.item_id for h in again.descriptions}


def test_unknown_words_give_a_clear_message(trained):
    lib, _, _ = trained
    with pytest.raises(WenyangError, match="Nothing in this text names a label"):
        SearchService(lib).by_text("zzzqqq xxyyzz")


def test_typed_search_works_before_any_model_and_photo_search_says_why_not(tmp_path):
    root = tmp_path / "lib"
    create_demo_library(root, seed=3, count=24)
    with open_library(root) as lib:
        service = SearchService(lib)
        first = lib.items.get(lib.items.ids()[0])
        by_accession = service.by_text(first.accession, k=5)
        assert by_accession.photos[0].item_id == first.id
        assert by_accession.photos[0].reasons[0].kind == "accession"
        robes = service.by_text("robe", k=5)
        assert robes.understood == ["robe"] and robes.provider == "no model"
        assert robes.photos and all("robe" in h.matched_labels for h in robes.photos)
        with pytest.raises(NoModelError, match="Train one first"):
            service.by_image(first.photos[0].path)
        service.warm()  # no model: nothing to load, and no error
        assert service._indices == {}


def test_model_from_another_scheme_is_refused(tmp_path):
    root = tmp_path / "lib"
    create_demo_library(root, seed=2, count=24)
    with open_library(root) as lib:
        train_library(lib, TrainOptions(**(TINY | {"epochs": 1})))
        lib.labels.add("Qilin", "麒麟", parent="animal")
        with pytest.raises(ModelMismatchError, match="trained on label scheme"):
            SearchService(lib).by_text("robe")


def test_cancelled_training_registers_nothing(tmp_path):
    root = tmp_path / "lib"
    create_demo_library(root, seed=3, count=24)
    cancel = threading.Event()
    cancel.set()
    with open_library(root) as lib:
        outcome = train_library(lib, TrainOptions(**TINY), cancel=cancel)
        assert outcome.cancelled and outcome.model_id is None
        assert lib.models.all() == []


def test_a_cpu_run_trains_two_cnns_by_default_and_a_weights_file_with_two_is_refused(trained, tmp_path):
    lib, outcome, _ = trained
    net = outcome.card["config"]["net"]
    if outcome.device == "cpu":
        assert (net["second_backbone"], net["backbone_scale"]) == ("resnet10", 0.75)
        assert outcome.card["preprocessing"]["size"] == 32  # asked for: the first CNN sees 24 px of it
    weights = tmp_path / "resnet18.pth"
    weights.write_bytes(b"not read: refused before")
    with pytest.raises(WenyangError, match="pretrained weights file starts one CNN"):
        train_library(lib, TrainOptions(**{**TINY, "backbone_weights": str(weights), "twin": True}))


def test_a_collection_over_the_cut_trains_one_cnn(tmp_path, monkeypatch):
    monkeypatch.setattr("app.ml.prepare.TWIN_MAX_PHOTOS", 10)  # the demo's 24 items are over a cut of 10
    root = tmp_path / "lib"
    create_demo_library(root, seed=3, count=24)
    with open_library(root) as lib:
        outcome = train_library(lib, TrainOptions(**{**TINY, "epochs": 1, "device": "cpu"}), encode=False)
    net = outcome.card["config"]["net"]
    assert (net["second_backbone"], net["backbone_scale"]) == (None, 1.0)


def test_too_few_labelled_items_is_refused(tmp_path):
    with open_library(tmp_path / "lib", create=True) as lib:
        with pytest.raises(WenyangError, match="at least 10 labelled items"):
            train_library(lib, TrainOptions(**TINY))


def test_cli_search_encode_models_and_evaluate(trained, tmp_path, capsys):
    import csv

    from app.cli import main

    lib, outcome, _ = trained
    root = str(lib.root)
    assert main(["search", root, "--text", "robe 龙纹", "-k", "3", "--export", str(tmp_path / "r.csv")]) == 0
    out = capsys.readouterr().out
    assert "Matching photos" in out and "Matching descriptions" in out and "CPUExecutionProvider" in out
    rows = list(csv.DictReader((tmp_path / "r.csv").open(encoding="utf-8-sig")))
    assert [r["rank"] for r in rows] == ["1", "2", "3"]
    assert main(["search", root, "--like", lib.items.get(lib.items.ids()[1]).accession, "--json"]) == 0
    assert '"photos"' in capsys.readouterr().out
    assert main(["encode", root]) == 0
    assert "image 0" in capsys.readouterr().out
    assert main(["models", "list", root]) == 0
    assert f"* {outcome.model_id}" in capsys.readouterr().out
    assert main(["evaluate", root, "-k", "5", "--out", str(tmp_path / "rep")]) == 0
    assert "MAP@all" in capsys.readouterr().out and (tmp_path / "rep" / "pr_curves.png").exists()
    assert main(["search", root, "--region", "1", "1", "5", "5", "--text", "x"]) == 1


def test_two_queries_that_differ_only_in_motif_do_not_collapse_to_one_ranking(trained):
    lib, _, _ = trained
    service = SearchService(lib)
    dragons = service.by_text("dragon robe", k=10)
    phoenixes = service.by_text("phoenix robe", k=10)
    assert dragons.understood != phoenixes.understood
    assert [h.item_id for h in dragons.photos] != [h.item_id for h in phoenixes.photos]
    first = dragons.photos[0].item_id
    assert "dragon" in lib.labels.labels_of(first)

