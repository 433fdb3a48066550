"""Exploration: attribute-edit scores (+ one motif, − another) on a library built by
explore_backlog_library.py and trained by explore_backlog_options.py, beside the best any
ranking could do with the true labels (the oracle rows).

    .venv/bin/python bench/explore_edits.py /tmp/exp/NAME

One seed, one library: for choosing a ranking, not for quoting; ``wenyang bench backlog``
reports the edit rows over three seeds."""
import sys

import numpy as np
from explore_common import explore_library

from app.services import backlog_measure as measure
from app.services.backlog_scoring import truth_matrix
from app.services.search import SearchService

with explore_library(sys.argv[1]) as (lib, bset):
    scheme = lib.scheme
    label_ids = [l.id for l in scheme.ordered()]
    cat, back = bset.catalogue_ids, bset.backlog_ids
    all_ids = cat + back
    row_all = {i: r for r, i in enumerate(all_ids)}
    labels = [lib.labels.labels_of(i) for i in cat] + bset.backlog_labels
    truth_all = truth_matrix(scheme, label_ids, labels)
    service = SearchService(lib)
    edits = measure.draw_edits(scheme, label_ids, bset, 0, 100)
    back_rows = np.array([row_all[i] for i in back])
    print("library", measure.edit_scores(service, edits, truth_all, row_all, np.arange(len(all_ids)), None))
    print("backlog", measure.edit_scores(service, edits, truth_all, row_all, back_rows, measure.IN_BACKLOG))
    for scope_name, scope in (("library", np.arange(len(all_ids))), ("backlog", back_rows)):
        A = K = 0.0
        nb = []
        for item_id, _add_id, add_col, _drop_id, cat_cols in edits:
            cand = scope[scope != row_all[item_id]]
            has_a = truth_all[cand, add_col]
            has_c = truth_all[cand][:, cat_cols].all(axis=1)
            both = int((has_a & has_c).sum())
            ao, co = int((has_a & ~has_c).sum()), int((~has_a & has_c).sum())
            b = min(both, 10)
            rest = 10 - b
            x = min(ao, rest // 2 + rest % 2)
            y = min(co, rest - x)
            x = min(ao, rest - y)
            A += (b + x) / 10
            K += (b + y) / 10
            nb.append(both)
        print("oracle", scope_name, "added", A / len(edits), "kept", K / len(edits), "median both", np.median(nb))
