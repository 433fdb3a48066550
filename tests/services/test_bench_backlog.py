"""The backlog benchmark: its scoring on hand-made cases, its query and photo generators,
and one tiny real run through the product's own search paths."""
from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from app.core.scheme import Facet, Label, LabelScheme
from app.services.backlog_queries import draw_phrases, phrase_text, rephotograph
from app.services.backlog_scoring import (
    average_precision,
    best_possible,
    chance_rate,
    micro_f1,
    ndcg_at_k,
    precision_at_k,
    rankings_array,
    relevance_matrix,
    reliability,
    truth_matrix,
)


@pytest.fixture
def scheme():
    facets = [Facet("category", "Garment category", "类别", 0), Facet("motif", "Motif", "纹样", 1),
              Facet("colour", "Colour", "色彩", 2)]
    labels = [Label("robe", "category", "Robe", "袍"), Label("hat", "category", "Hat", "帽"),
              Label("animal", "motif", "Animal", "动物纹"), Label("dragon", "motif", "Dragon", "龙", "animal"),
              Label("bat", "motif", "Bat", "蝙蝠", "animal"), Label("red", "colour", "Red", "红"),
              Label("blue", "colour", "Blue", "蓝")]
    return LabelScheme(facets, labels)


def test_truth_counts_descendants(scheme):
    ids = [l.id for l in scheme.ordered()]
    truth = truth_matrix(scheme, ids, [["robe", "dragon"], ["hat"]])
    assert truth[0, ids.index("animal")] and truth[0, ids.index("dragon")]
    assert not truth[1, ids.index("animal")]


def test_graded_precision_and_chance_by_hand():
    truth = np.array([[1, 1, 0], [1, 0, 0], [0, 1, 1], [0, 0, 0]], bool)
    rel = relevance_matrix(truth, [[0], [0, 1]])
    np.testing.assert_allclose(rel[:, 1], [1.0, 0.5, 0.5, 0.0])
    np.testing.assert_allclose(chance_rate(rel), [0.5, 0.5])
    # top 3 of k=4 given, the missing slot counts 0; -1 (a hit outside the backlog) counts 0 too
    rankings = rankings_array([[0, 1, 3], [0, -1, 2]], k=4)
    np.testing.assert_allclose(precision_at_k(rel, rankings, k=4), [2 / 4, (1.0 + 0.5) / 4])


def test_the_best_a_perfect_ranking_scores_by_hand():
    """Under 1 where fewer than k items are fully relevant: a class with 2 of 4 photos at k=4
    scores at most 1/2; a two-label phrase that one photo has whole and two have half of,
    (1 + 0.5 + 0.5 + 0) / 4."""
    truth = np.array([[1, 1, 0], [1, 0, 0], [0, 1, 1], [0, 0, 0]], bool)
    rel = relevance_matrix(truth, [[0], [0, 1], [2]])
    np.testing.assert_allclose(best_possible(rel, k=4), [2 / 4, 2 / 4, 1 / 4])
    np.testing.assert_allclose(best_possible(rel, k=1), [1.0, 1.0, 1.0])
    assert best_possible(rel[:0], k=4).shape == (3,)


def test_ndcg_ap_f1_and_reliability_by_hand():
    assert ndcg_at_k(np.array([2.0, 0.0]), np.array([0.0, 2.0, 1.0]), k=2) == pytest.approx(2 / (2 + 1 / np.log2(3)))
    ap = average_precision(np.array([[0.9], [0.8], [0.1]]), np.array([[True], [False], [True]]))
    assert ap[0] == pytest.approx((1 + 2 / 3) / 2)
    f1 = micro_f1(np.array([[True, True]]), np.array([[True, False]]))
    assert (f1["tp"], f1["fp"], f1["fn"], f1["f1"]) == (1, 1, 0, pytest.approx(2 / 3))
    table = reliability(np.array([0.55, 0.58, 0.95]), np.array([True, False, True]))
    assert table[0] == {"bin": "0.50-0.60", "count": 2, "correct": 0.5} and table[-1]["count"] == 1


def test_phrases_only_combine_labels_found_together_on_a_backlog_item(scheme):
    items = [["robe", "dragon", "red"], ["hat", "bat", "blue"], ["robe", "bat"]]
    combos = draw_phrases(scheme, items, n=20, seed=3)
    assert combos and len(set(combos)) == len(combos)
    for combo in combos:
        assert 2 <= len(combo) <= 4
        assert any(set(combo) <= set(item) for item in items)
    assert draw_phrases(scheme, items, n=20, seed=3) == combos


def test_phrase_text_reads_like_a_curator_types(scheme):
    assert phrase_text(scheme, ["dragon", "robe", "blue"], "zh") == "蓝龙袍"
    assert phrase_text(scheme, ["dragon", "robe", "blue"], "en") == "blue robe with dragon"


def test_rephotographing_is_deterministic_and_really_changes_the_photo():
    rng = np.random.default_rng(0)
    photo = Image.fromarray(rng.integers(0, 255, (120, 90, 3), dtype=np.uint8))
    a, b = rephotograph(photo, 7), rephotograph(photo, 7)
    assert a.tobytes() == b.tobytes()
    assert a.size != photo.size
    assert rephotograph(photo, 8).tobytes() != a.tobytes()


@pytest.mark.slow
def test_a_tiny_real_run_reports_every_field(tmp_path):
    from app.services.bench_backlog import BacklogOptions, run_backlog_benchmark

    options = BacklogOptions(seeds=(0,), catalogue=40, backlog=20, models=("firstrun",), baseline=False,
                             phrases=4, rephotos=5, strangers=3, edits=3, train_overrides={"epochs": 1, "overrides": {"warmup_epochs": 2}})
    result = run_backlog_benchmark(options, tmp_path / "out.json", progress=None)
    model = result["per_seed"][0]["models"]["firstrun"]
    assert model["backlog_without_codes_after_training"] == 0
    for group in ("facet:category", "facet:motif", "facet:colour", "labels zh", "labels en",
                  "category+motif+colour", "motif alone", "phrases zh", "phrases en", "phrases"):
        assert set(model["typed"][group]) == {"p10", "chance", "n", "best"}
        assert model["typed"][group]["chance"] <= model["typed"][group]["best"] <= 1.0
        assert model["typed"][group]["p10"] <= model["typed"][group]["best"] + 1e-9
    assert {"same_category", "same_motif"} <= set(model["photo"])
    assert {"rank1", "median_rank", "top10"} <= set(model["rephoto"])
    assert 0.0 <= model["rephoto"]["stranger"] <= 1.0  # three photos of seed 200, none in the library
    assert {"added_label", "kept_category", "top10_accuracy", "ndcg10"} <= set(model["edits"]["backlog"])
    assert {"mean_ap", "micro", "reliability", "about_80"} <= set(model["tags"])
    assert "p10" in model["region"] and "typed_failures" in model
    assert (tmp_path / "out.json").is_file()
    from app.services.backlog_report import format_table

    table = format_table(result)
    assert "garment category" in table and "best" in table.splitlines()[3]
    assert "new photo called same photo" in table


def test_evaluate_names_the_typed_measure_first_and_the_published_map_as_such():
    from app.services.evaluation import EvalReport

    typed = {"n_photos": 30, "failed": 1, "k": 10, "by_lang": {"motif:zh": 0.5, "motif:en": 0.3},
             "groups": {"facet:motif": {"p10": 0.4, "chance": 0.2, "n": 4}, "all labels": {"p10": 0.4, "chance": 0.2, "n": 4}}}
    text = EvalReport([], 10, [], typed=typed).table()
    assert text.index("Typed label names") < text.index("Published protocol")
    assert "motif" in text and "0.500" in text and "0.200" in text
    assert "too few held-out photos" in EvalReport([], 10, []).table()
