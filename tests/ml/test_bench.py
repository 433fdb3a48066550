"""Benchmark plumbing: aggregation, label-prediction scores, and one tiny Wikipedia run."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from app.bench.common import RunRecord, aggregate, format_table, pr_points, write_plots
from app.bench.mirflickr import label_prediction

DATA = Path(__file__).resolve().parents[3] / "shared" / "data"


def test_aggregate_nests_method_protocol_direction_bits():
    records = [RunRecord("ssah", 16, seed, {("unified", "i2t"): value}, 0.5, 3, 4, 1.0)
               for seed, value in enumerate([0.3, 0.5])]
    out = aggregate(records)
    assert out == {"ssah": {"unified": {"i2t": {"16": {"map": 0.4, "std": 0.1, "n_seeds": 2}}}}}
    assert "0.400 ± 0.100" in format_table(out, "t")
    assert "tie-aware" not in format_table(out, "t")


def test_aggregate_carries_the_tie_aware_variant_beside_the_published_one():
    records = [RunRecord("ssah", 32, seed, {("unified", "t2i"): value}, 0.5, 3, 4, 1.0, {},
                         {("unified", "t2i"): tied})
               for seed, (value, tied) in enumerate([(0.70, 0.74), (0.72, 0.78)])]
    cell = aggregate(records)["ssah"]["unified"]["t2i"]["32"]
    assert cell == {"map": 0.71, "std": 0.01, "n_seeds": 2, "map_tie": 0.76, "std_tie": 0.02}
    table = format_table(aggregate(records), "t").splitlines()
    tie_at = next(i for i, line in enumerate(table) if line.startswith("tie-aware"))
    assert "0.710 ± 0.010" in "\n".join(table[:tie_at]) and "0.760 ± 0.020" in "\n".join(table[tie_at:])


def test_label_prediction_scores_by_hand():
    truth = np.array([[1, 0], [1, 1]])
    probs = np.array([[0.9, 0.6], [0.2, 0.7]])  # predicted [[1,1],[0,1]]
    scores = label_prediction(probs, truth)
    # tp=2 (item0/label0, item1/label1), fp=1, fn=1 → micro-F1 = 4/6
    assert scores["micro_f1"] == pytest.approx(4 / 6)
    assert scores["label_accuracy"] == pytest.approx(2 / 4) and scores["subset_accuracy"] == 0.0
    assert scores["macro_f1"] == pytest.approx((2 / 3 + 2 / 3) / 2)


@pytest.mark.skipif(not (DATA / "wikipedia-xmodal" / "wikipedia.npz").is_file(), reason="public data absent")
def test_one_short_wikipedia_run_measures_both_protocols():
    from app.bench import wikipedia as bench_wikipedia

    data = bench_wikipedia.load(DATA)
    assert data.train.labels.shape == (2173, 10) and data.image_test.shape == (693, 128)
    record = bench_wikipedia.run_one(data, "ssah", 16, 0, {"epochs": 1})
    assert set(record.maps) == {("unified", "i2t"), ("unified", "t2i"), ("crossmodal", "i2t"),
                                ("crossmodal", "t2i")}
    assert all(0.0 < v <= 1.0 for v in record.maps.values()) and record.epochs_run == 1
    assert set(record.tie_maps) == set(record.maps) and all(0.0 < v <= 1.0 for v in record.tie_maps.values())
    for curve in record.extra["pr"].values():  # radius 0..16: recall grows to 1 at the full radius
        recall = np.array(curve["recall"], float)
        assert len(recall) == 17 and np.all(np.diff(recall) >= -1e-9) and recall[-1] == pytest.approx(1.0)


def test_benchmark_plots_are_written_per_protocol_direction_and_by_bits(tmp_path):
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 3, 40)
    records = []
    for method in ("ssah", "dcmh"):
        for bits in (16, 32):
            for seed in (0, 1):
                codes = np.where(rng.random((40, bits)) < 0.5, 1, -1).astype(np.int8)
                pr = {"unified/i2t": pr_points(codes[:10], codes[10:], labels[:10], labels[10:])}
                records.append(RunRecord(method, bits, seed, {("unified", "i2t"): 0.3 + 0.01 * seed}, 0.3, 1, 1,
                                         1.0, {"pr": pr}))
    paths = write_plots("toy", records, aggregate(records), tmp_path)
    assert [Path(p).name for p in paths] == ["toy_pr_unified_i2t.png", "toy_map_by_bits_unified.png"]
    for p in paths:
        assert Path(p).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and Path(p).stat().st_size > 5000
