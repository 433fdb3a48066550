"""Confidence that means what it says: one temperature per label head, fitted on the
validation split after training.

A label head's sigmoid outputs are rarely calibrated: trained on a few hundred items the
image head said 49–63 % for nearly everything (demo library), and a curator offered "63 %"
needs that to be right about 63 % of the time. Temperature scaling (Guo et al., 2017)
divides the logits by one number T chosen to minimise the cross-entropy on held-out items;
it keeps the ranking of items for each label, so search is unchanged, and only the stated
confidence moves. The runtime applies T (``app.runtime.model``); the card stores it.
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
