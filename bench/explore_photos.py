"""Exploration: photo → photo P@10 (same garment category, shared motif) over the backlog of
a library built by explore_backlog_library.py and trained by explore_backlog_options.py.

    .venv/bin/python bench/explore_photos.py /tmp/exp/NAME

Weights of ``app.services.similar`` can be tried through the environment, e.g.
WY_FACET_WEIGHTS='{"category": 5, "motif": 2, "colour": 0.7}' WY_W_CODES=0.25.
One seed, one library: for choosing weights, not for quoting."""
import json
import os
import sys

import numpy as np
from explore_common import explore_library

from app.services import backlog_measure as measure
from app.services import similar
from app.services.backlog_scoring import truth_matrix
from app.services.search import SearchService

if "WY_FACET_WEIGHTS" in os.environ:
    similar.FACET_WEIGHTS = json.loads(os.environ["WY_FACET_WEIGHTS"])
if "WY_W_CODES" in os.environ:
    similar.W_CODES = float(os.environ["WY_W_CODES"])
with explore_library(sys.argv[1]) as (lib, bset):
    scheme = lib.scheme
    label_ids = [l.id for l in scheme.ordered()]
    t = truth_matrix(scheme, label_ids, bset.backlog_labels)
    cat_cols = np.array([scheme.labels[l].facet == "category" for l in label_ids])
    leaf_cols = np.array([scheme.labels[l].facet == "motif" and not scheme.descendants(l) for l in label_ids])
    same_cat, same_motif = measure.same_category_and_motif(t, cat_cols, leaf_cols)
    rankings = measure.photo_rankings(SearchService(lib), bset)
    print("same category", measure.photo_scores(rankings, same_cat))
    print("same motif", measure.photo_scores(rankings, same_motif))
