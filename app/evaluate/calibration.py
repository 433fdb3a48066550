"""Confidence that means what it says: one temperature per label head, fitted on the
validation split after training.

A label head's sigmoid outputs are rarely calibrated: trained on a few hundred items the
image head said 49–63 % for nearly everything (demo library), and a curator offered "63 %"
needs that to be right about 63 % of the time. Temperature scaling (Guo et al., 2017)
divides the logits by one number T chosen to minimise the cross-entropy on held-out items;
it keeps the ranking of items for each label, so search is unchanged, and only the stated
confidence moves. The runtime applies T (``app.runtime.model``); the card stores it.

Platt scaling (``fit_platt``) adds a shift to the scale: sigmoid(a·logit + b). The demo's
image heads were over-confident in the middle and right at the top (three-seed demo backlog:
suggestions shown at 75–85 % were right 65 % of the time, those at 90 % and over 92 %), which
one temperature cannot mend. New models store (scale, shift); cards with a temperature still
read as before.
"""
from __future__ import annotations

import numpy as np

# Candidate temperatures: T < 1 sharpens an under-confident head, T > 1 softens an over-confident one.
TEMPERATURES = np.exp(np.linspace(np.log(0.1), np.log(5.0), 61))
MIN_VALIDATION_ITEMS = 8


def logits(probs: np.ndarray) -> np.ndarray:
    """The sigmoid's inverse, clipped so that 0 and 1 stay finite."""
    p = np.clip(np.asarray(probs, np.float64), 1e-6, 1 - 1e-6)
    return np.log(p) - np.log1p(-p)


def apply_temperature(probs: np.ndarray, temperature: float) -> np.ndarray:
    """Probabilities as a head with logits divided by ``temperature`` would give them."""
    if temperature == 1.0:
        return probs
    return (1.0 / (1.0 + np.exp(-logits(probs) / temperature))).astype(np.float32)


def fit_temperature(probs: np.ndarray, truth: np.ndarray) -> float:
    """The T of ``TEMPERATURES`` with the lowest mean binary cross-entropy on ``truth``;
    1.0 (no change) when there are too few validation items to tell."""
    probs, truth = np.asarray(probs), np.asarray(truth) > 0
    if len(probs) < MIN_VALIDATION_ITEMS or not truth.any():
        return 1.0
    z = logits(probs)
    losses = [_bce(z / t, truth) for t in TEMPERATURES]
    return float(TEMPERATURES[int(np.argmin(losses))])


def _bce(z: np.ndarray, truth: np.ndarray) -> float:
    # log(1 + e^{-z}) for positives and log(1 + e^{z}) for negatives, computed stably
    signed = np.where(truth, -z, z)
    return float(np.logaddexp(0.0, signed).mean())


def fit_platt(probs: np.ndarray, truth: np.ndarray, ridge: float = 1e-3, steps: int = 30) -> tuple[float, float]:
    """(scale, shift) of sigmoid(scale·logit + shift) with the lowest mean binary
    cross-entropy on ``truth`` (Newton's method on the two numbers, held a little toward no
    change); (1.0, 0.0) when there are too few validation items to tell."""
    probs, truth = np.asarray(probs), np.asarray(truth) > 0
    if len(probs) < MIN_VALIDATION_ITEMS or not truth.any() or truth.all():
        return 1.0, 0.0
    z, y = logits(probs).ravel(), truth.ravel()
    start = np.array([1.0, 0.0])

    def loss(w):
        return _bce(w[0] * z + w[1], y) + ridge / 2 * float(((w - start) ** 2).sum())

    w = start.copy()
    for _ in range(steps):
        p = 1.0 / (1.0 + np.exp(-np.clip(w[0] * z + w[1], -30, 30)))
        r, q = p - y, p * (1.0 - p)
        grad = np.array([(r * z).mean(), r.mean()]) + ridge * (w - start)
        hess = np.array([[(q * z * z).mean(), (q * z).mean()], [(q * z).mean(), q.mean()]]) + ridge * np.eye(2)
        step, t = np.linalg.solve(hess, grad), 1.0
        while t > 1e-4 and loss(w - t * step) > loss(w):  # halve the step until it helps
            t /= 2
        w = w - t * step
        if np.abs(t * step).max() < 1e-7:
            break
    if not np.all(np.isfinite(w)) or w[0] <= 0:  # a head that ranks backwards is not "calibrated" by flipping it
        return 1.0, 0.0
    return float(w[0]), float(w[1])


def apply_platt(probs: np.ndarray, scale: float, shift: float) -> np.ndarray:
    """Probabilities as sigmoid(scale·logit + shift)."""
    if scale == 1.0 and shift == 0.0:
        return probs
    return (1.0 / (1.0 + np.exp(-(scale * logits(probs) + shift)))).astype(np.float32)


def apply_calibration(probs: np.ndarray, stored) -> np.ndarray:
    """A model card's calibration of one head: a temperature (older cards) or
    ``{"scale": a, "shift": b}``; nothing stored leaves the probabilities as they are."""
    if stored is None:
        return probs
    if isinstance(stored, dict):
        return apply_platt(probs, float(stored.get("scale", 1.0)), float(stored.get("shift", 0.0)))
    return apply_temperature(probs, float(stored))
