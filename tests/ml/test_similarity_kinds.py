"""S_ij: METHOD.md's "any shared label", and the cosine of label vectors for faceted schemes."""
from __future__ import annotations

import pytest
import torch

from app.ml.config import TrainConfig
from app.ml.losses import label_idf, similarity


def test_cosine_equals_any_on_single_label_data():
    one_hot = torch.eye(4)[[0, 1, 1, 3]]
    assert torch.equal(similarity(one_hot, one_hot, "cosine"), similarity(one_hot, one_hot, "any"))


def test_cosine_grades_partial_overlap():
    a = torch.tensor([[1.0, 1.0, 0.0, 0.0]])
    b = torch.tensor([[1.0, 0.0, 0.0, 0.0], [0.0, 0.0, 1.0, 1.0], [1.0, 1.0, 0.0, 0.0]])
    # shares 1 of 2 labels with a 1-label item: 1/(sqrt 2 · 1); disjoint: 0; identical: 1
    expected = torch.tensor([[2 ** -0.5, 0.0, 1.0]])
    assert torch.allclose(similarity(a, b, "cosine"), expected, atol=1e-6)
    assert similarity(a, b, "any").tolist() == [[1.0, 0.0, 1.0]]


def test_unknown_kinds_are_refused():
    with pytest.raises(ValueError, match="similarity"):
        TrainConfig(similarity="jaccard")
    with pytest.raises(ValueError, match="val_metric"):
        TrainConfig(val_metric="auc")


def test_idf_similarity_lets_rare_labels_count_more_than_universal_ones():
    # columns: era "Qing" (every item), motif "dragon" (rare), motif "peony" (rare)
    labels = torch.tensor([[1.0, 1.0, 0.0], [1.0, 1.0, 0.0], [1.0, 0.0, 1.0], [1.0, 0.0, 1.0]])
    weights = label_idf(labels)
    assert weights[0] < weights[1] and torch.isclose(weights[1], weights[2])
    sim = similarity(labels, labels, "idf", weights)
    # two dragons: identical; dragon vs peony: they share only the near-universal era
    assert sim[0, 1] == pytest.approx(1.0, abs=1e-6)
    assert sim[0, 2] < 0.05 < similarity(labels, labels, "cosine")[0, 2] - 0.4
