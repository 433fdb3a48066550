"""PR curve by radius, per-class precision@K and the PNG plots."""

import math

import numpy as np
import pytest

from app.evaluate import plots
from app.evaluate.curves import pr_curve_by_radius, precision_at_k_by_class
from app.evaluate.metrics import precision_at_k

Q = np.array([[1, 1, 1, 1]])
# Items at Hamming distance 0..4 from Q, classes [0, 1, 0, 2, 0].
DB = np.array([[1, 1, 1, 1], [-1, 1, 1, 1], [-1, -1, 1, 1], [-1, -1, -1, 1], [-1, -1, -1, -1]])
DBL = np.array([0, 1, 0, 2, 0])


def test_pr_curve_hand_computed():
    # Within r: retrieved 1..5 items, hits 1,1,2,2,3 of R=3.
    c = pr_curve_by_radius(Q, DB, np.array([0]), DBL)
    assert c.radius.tolist() == [0, 1, 2, 3, 4]
    assert c.precision == pytest.approx([1, 1 / 2, 2 / 3, 2 / 4, 3 / 5])
    assert c.recall == pytest.approx([1 / 3, 1 / 3, 2 / 3, 2 / 3, 1])
    assert c.n_retrieving.tolist() == [1, 1, 1, 1, 1]


def test_pr_curve_empty_ball_is_left_out_of_precision():
    # Database without the d=0 item: q1 = ++++ retrieves nothing at r=0;
    # q2 = ---- is at distance 0 from the last item (class 0, relevant).
    db, dbl = DB[1:], DBL[1:]
    q = np.array([[1, 1, 1, 1], [-1, -1, -1, -1]])
    c = pr_curve_by_radius(q, db, np.array([0, 0]), dbl)
    # r=0: only q2 retrieves (1 hit of 1) -> precision 1; recall (0 + 1/2) / 2.
    assert c.n_retrieving[0] == 1
    assert c.precision[0] == pytest.approx(1.0)
    assert c.recall[0] == pytest.approx(0.25)
    # r=4: both retrieve everything: 2 hits of 4 -> precision 1/2, recall 1.
    assert c.precision[4] == pytest.approx(0.5) and c.recall[4] == pytest.approx(1.0)
    only_q1 = pr_curve_by_radius(q[:1], db, np.array([0]), dbl)
    assert math.isnan(only_q1.precision[0])
    # q1 at r=1 retrieves one class-1 item: precision 0, recall 0.
    assert only_q1.precision[1] == 0 and only_q1.recall[1] == 0


def test_pr_curve_matches_brute_force_on_random_data():
    rng = np.random.default_rng(5)
    qc, dc = rng.choice([-1, 1], (17, 12)), rng.choice([-1, 1], (60, 12))
    ql, dl = (rng.random((17, 4)) < 0.3), (rng.random((60, 4)) < 0.3)
    c = pr_curve_by_radius(qc, dc, ql.astype(int), dl.astype(int))
    d = (qc[:, None, :] != dc[None, :, :]).sum(-1)
    rel = (ql.astype(int) @ dl.T.astype(int)) > 0
    for r in range(13):
        inside = d <= r
        n_in, hits = inside.sum(1), (inside & rel).sum(1)
        p = [h / n for h, n in zip(hits, n_in) if n > 0]
        rec = [h / t for h, t in zip(hits, rel.sum(1)) if t > 0]
        assert c.precision[r] == pytest.approx(np.mean(p)) if p else math.isnan(c.precision[r])
        assert c.recall[r] == pytest.approx(np.mean(rec))


def test_precision_by_class_hand_computed():
    # q1 = ++++ (class 0): top 3 = classes [0, 1, 0] -> 2/3.
    # q2 = -+++ (class 1): distances [1, 0, 1, 2, 3] -> order [1, 0, 2]: classes
    # [1, 0, 0] -> 1/3.
    q = np.array([[1, 1, 1, 1], [-1, 1, 1, 1]])
    res = precision_at_k_by_class(q, DB, np.array([0, 1]), DBL, k=3)
    assert set(res) == {0, 1}
    assert res[0].value == pytest.approx(2 / 3) and res[0].n_queries == 1
    assert res[1].value == pytest.approx(1 / 3) and res[1].precision == res[1].value


def test_precision_by_class_multi_hot_names_and_consistency():
    rng = np.random.default_rng(2)
    qc, dc = rng.choice([-1, 1], (30, 16)), rng.choice([-1, 1], (80, 16))
    ql, dl = rng.integers(0, 3, 30), rng.integers(0, 3, 80)
    by_id = precision_at_k_by_class(qc, dc, ql, dl, k=10)
    # Single-label: per-class precision weighted by query counts is the overall P@10.
    pooled = sum(v.value * v.n_queries for v in by_id.values()) / 30
    assert pooled == pytest.approx(precision_at_k(qc, dc, ql, dl, k=10).value)
    eye = np.eye(3, dtype=int)
    named = precision_at_k_by_class(qc, dc, eye[ql], eye[dl], k=10,
                                    class_names=["dragon", "phoenix", "cloud"])
    assert named["phoenix"].value == pytest.approx(by_id[1].value)


def test_plots_write_png_without_pyplot(tmp_path):
    c = pr_curve_by_radius(Q, DB, np.array([0]), DBL)
    out = plots.plot_pr_curves({"I→T": c, "T→I": (c.precision, c.recall)},
                               tmp_path / "sub" / "pr.png")
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    table = {"I→T": {16: 0.6, 32: 0.65, 64: 0.7}, "T→I": {16: 0.62, 64: 0.71}}
    out2 = plots.plot_map_by_bits(table, tmp_path / "map.png")
    assert out2.stat().st_size > 1000
    assert "pyplot" not in vars(plots)
