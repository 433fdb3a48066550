"""Which shared labels a photo hit names as its reasons: the telling ones, not Silk and Han."""
from __future__ import annotations

import numpy as np

from app.services.search_alike import telling
from app.services.similar import label_weights


def test_garment_and_specific_motif_come_before_material_and_the_parent_motif(library):
    scheme = library.scheme
    label_ids = ["silk", "han", "animal", "phoenix", "jacket", "green"]
    query = np.array([0.97, 0.96, 0.95, 0.80, 0.90, 0.85])
    profile = np.ones(len(label_ids))
    shared = list(range(len(label_ids)))
    named = [label_ids[j] for j in telling(shared, query, profile, label_weights(scheme, label_ids),
                                           label_ids, scheme)]
    assert named[:2] == ["jacket", "phoenix"]
    assert "animal" not in named  # Phoenix already says it
