"""The loss terms of METHOD.md, each as a plain sum so small cases can be checked by hand.

The training steps add them up with their weights and divide the total by
(batch × reference items), as DCMH's and SSAH's published code do, which keeps learning
rates independent of the collection size without changing the relative weights.
"""
from __future__ import annotations

import torch
from torch.nn import functional as F


def similarity(labels_a: torch.Tensor, labels_b: torch.Tensor, kind: str = "any",
               weights: torch.Tensor | None = None) -> torch.Tensor:
    """S_ij between label vectors (float, (na, nb)).

    ``"any"`` (METHOD.md's published protocol): 1 when items i and j share a label, else 0.
    ``"cosine"``: the cosine of the two label vectors, in [0, 1]. Identical to "any" for
    single-label data; on a faceted scheme, where almost every pair shares *some* label
    (a material, an era), "any" makes S nearly all ones and the codes collapse to one.
    ``"idf"``: the cosine of the label vectors with each label scaled by ``weights`` (its
    inverse document frequency, ``label_idf``): sharing a rare motif counts, sharing the
    era that most items have counts for next to nothing.
    """
    a, b = (labels_a > 0).float(), (labels_b > 0).float()
    if kind == "idf" and weights is not None:
        a, b = a * weights, b * weights
    if kind in ("cosine", "idf"):
        norm_a = a.norm(dim=1, keepdim=True).clamp_min(1e-12)
        norm_b = b.norm(dim=1, keepdim=True).clamp_min(1e-12)
        return (a / norm_a) @ (b / norm_b).T
    return (a @ b.T > 0).float()


def label_idf(labels: torch.Tensor) -> torch.Tensor:
    """log(n / df) of every label over the training items, floored at a small positive
    value so that a label every item has still separates an item without it."""
    n = max(1, labels.shape[0])
    df = (labels > 0).float().sum(dim=0).clamp_min(1.0)
    return torch.log(n / df).clamp_min(0.05)


def pairwise_nll(a: torch.Tensor, b: torch.Tensor, sim: torch.Tensor,
                 weights: torch.Tensor | None = None) -> torch.Tensor:
    """J(a, b) = −Σ_ij (S_ij Δ_ij − log(1 + e^{Δ_ij})) with Δ_ij = ½ a_i·b_j.

    softplus(Δ) = log(1 + e^Δ) computed stably (no overflow for large Δ).  ``weights``
    (broadcast against (len(a), len(b))) counts a row or column several times: a
    distinct label vector standing for every item that carries it.
    """
    delta = 0.5 * a @ b.T
    terms = F.softplus(delta) - sim * delta
    return (terms if weights is None else terms * weights).sum()


def squared_error(x: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """‖x − target‖² summed over all entries (quantisation and label terms)."""
    return ((x - target) ** 2).sum()


def generator_loss(disc_logits: torch.Tensor) -> torch.Tensor:
    """Adversarial term for a modality network: make D call its features label features.

    Binary cross-entropy against target 1, summed over the batch.
    """
    return F.binary_cross_entropy_with_logits(disc_logits, torch.ones_like(disc_logits), reduction="sum")


def discriminator_loss(label_logits: torch.Tensor, modality_logits: torch.Tensor) -> torch.Tensor:
    """Binary cross-entropy: label features → 1, image/text features → 0 (mean over both)."""
    real = F.binary_cross_entropy_with_logits(label_logits, torch.ones_like(label_logits))
    fake = F.binary_cross_entropy_with_logits(modality_logits, torch.zeros_like(modality_logits))
    return real + fake


def bit_balance(column_sums: torch.Tensor) -> torch.Tensor:
    """DCMH's η-term ‖H·1‖²: the squared per-bit sums over all training items."""
    return (column_sums ** 2).sum()


def sign_codes(h: torch.Tensor) -> torch.Tensor:
    """±1 codes from pre-sign values (0 maps to −1, matching the runtime)."""
    return torch.where(h > 0, 1.0, -1.0).to(h.dtype)
