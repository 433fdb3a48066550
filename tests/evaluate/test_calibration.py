"""Label-head confidence: temperature scaling keeps rankings and fixes stated confidence;
the label-ranking MAP that model selection reads."""
from __future__ import annotations

import numpy as np
import pytest

from app.evaluate.calibration import apply_calibration, apply_platt, apply_temperature, fit_platt, fit_temperature
from app.evaluate.metrics import label_ranking_map


def _overconfident(seed: int = 0, n: int = 4000):
    rng = np.random.default_rng(seed)
    true_logit = rng.normal(0.0, 1.5, n)
    truth = rng.random(n) < 1 / (1 + np.exp(-true_logit))
    stated = 1 / (1 + np.exp(-3.0 * true_logit))  # logits three times too large
    return stated, truth


def test_an_overconfident_head_is_softened_to_about_its_true_temperature():
    stated, truth = _overconfident()
    t = fit_temperature(stated, truth)
    assert 2.4 < t < 3.8
    fixed = apply_temperature(stated, t)
    shown = (fixed >= 0.75) & (fixed < 0.85)
    assert abs(truth[shown].mean() - 0.8) < 0.06  # "about 80 %" is right about 80 % of the time
    assert (truth[(stated >= 0.75) & (stated < 0.85)].mean()) < 0.7  # before: far less


def test_temperature_keeps_the_ranking_and_is_neutral_without_evidence():
    stated, truth = _overconfident(1)
    order = np.argsort(stated, kind="stable")
    assert np.all(np.diff(apply_temperature(stated, 2.0)[order]) >= 0)
    assert fit_temperature(stated[:3], truth[:3]) == 1.0


def test_label_ranking_map_by_hand():
    probs = np.array([[0.9, 0.1], [0.8, 0.7], [0.2, 0.6]])
    truth = np.array([[1, 0], [0, 0], [1, 1]])
    # label 0: ranking 0,1,2 → relevant at 1 and 3: (1/1 + 2/3)/2; label 1: ranking 1,2,0 → at 2: 1/2
    assert label_ranking_map(probs, truth) == pytest.approx(((1 + 2 / 3) / 2 + 0.5) / 2)
    assert np.isnan(label_ranking_map(probs, np.zeros_like(truth)))


def _shifted(seed: int = 0, n: int = 6000):
    """A head over-confident in the middle: its logits twice too large and 1.5 too high."""
    rng = np.random.default_rng(seed)
    true_logit = rng.normal(-1.0, 1.5, n)
    truth = rng.random(n) < 1 / (1 + np.exp(-true_logit))
    stated = 1 / (1 + np.exp(-(2.0 * true_logit + 1.5)))
    return stated, truth


def test_platt_scaling_recovers_scale_and_shift_where_one_temperature_cannot():
    stated, truth = _shifted()
    scale, shift = fit_platt(stated, truth)
    assert 0.4 < scale < 0.6 and -1.0 < shift < -0.5  # the inverse of (×2, +1.5): ×0.5, −0.75
    fixed = apply_calibration(stated, {"scale": scale, "shift": shift})
    shown = (fixed >= 0.75) & (fixed < 0.85)
    assert abs(truth[shown].mean() - 0.8) < 0.06
    tempered = apply_calibration(stated, fit_temperature(stated, truth))  # an older card's one number
    assert abs(truth[(tempered >= 0.75) & (tempered < 0.85)].mean() - 0.8) > abs(truth[shown].mean() - 0.8)


def test_platt_keeps_the_ranking_and_is_neutral_without_evidence():
    stated, truth = _shifted(1)
    order = np.argsort(stated, kind="stable")
    assert np.all(np.diff(apply_platt(stated, 0.5, -0.7)[order]) >= 0)
    assert fit_platt(stated[:3], truth[:3]) == (1.0, 0.0)
    assert fit_platt(stated, np.zeros_like(truth)) == (1.0, 0.0)
    assert fit_platt(1 - stated, truth) == (1.0, 0.0)  # a head that ranks backwards is left alone
    assert apply_calibration(stated, None) is stated
