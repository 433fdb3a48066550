"""Facet masks and id/mask -> row position conversion."""

import numpy as np
import pytest

from app.search.filters import label_mask, positions_from_ids, positions_from_mask

LABELS = np.array([
    # dragon, phoenix, embroidery, kesi
    [1, 0, 1, 0],  # row 0
    [1, 1, 0, 1],  # row 1
    [0, 1, 1, 0],  # row 2
    [0, 0, 0, 1],  # row 3
])


def test_label_mask_facets():
    assert label_mask(LABELS).tolist() == [True] * 4
    assert label_mask(LABELS, all_of=[0]).tolist() == [True, True, False, False]
    # dragon or phoenix, but not kesi: rows 0 and 2.
    assert label_mask(LABELS, any_of=[0, 1], none_of=[3]).tolist() == [True, False, True, False]
    assert label_mask(LABELS, all_of=[0, 1], any_of=[3]).tolist() == [False, True, False, False]


def test_positions_from_ids_sorted_and_unsorted():
    sorted_ids = np.array([2, 5, 9, 14])
    assert positions_from_ids(sorted_ids, {9, 2, 100}, True).tolist() == [0, 2]
    assert positions_from_ids(sorted_ids, np.array([14, 1]), True).tolist() == [3]
    shuffled = np.array([14, 2, 9, 5])
    assert positions_from_ids(shuffled, [5, 14, 7], False).tolist() == [0, 3]
    assert positions_from_ids(shuffled, [], False).tolist() == []


def test_positions_from_mask_validates():
    assert positions_from_mask(np.array([True, False, True]), 3).tolist() == [0, 2]
    with pytest.raises(ValueError):
        positions_from_mask(np.array([1, 0, 1]), 3)
    with pytest.raises(ValueError):
        positions_from_mask(np.array([True]), 3)
