"""The best an attribute edit can score on the demo backlog, from the photos' true labels.

    .venv/bin/python bench/edit_ceiling.py [--seeds 0 1 2]

``wenyang bench backlog`` draws 100 edits per seed ("like this backlog item, but with motif A
instead of B") and scores the top 10 among the other 199 backlog photos: the share that has the
added motif and the share that keeps the item's garment category (issue 13 asks ≥ .6 of each).
Here the top 10 is chosen knowing every photo's true labels: as many photos with both as there
are, then the rest split so that the smaller share is as large as it can be. What it prints is
ceilings no ranking can pass: the mean of that smaller share, how many edits can reach .6 on
both, the most the two shares' mean can be at all (a photo counts twice only when it has
both), and the median number of photos with both / the motif only / the garment only.
No model is trained; only the demo's plans are drawn (seconds).
"""
from __future__ import annotations

import argparse
import json
import sys
import types
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.core.scheme import LabelScheme  # noqa: E402
from app.paths import resource  # noqa: E402
from app.services.backlog_measure import draw_edits  # noqa: E402
from app.services.backlog_scoring import K, truth_matrix  # noqa: E402
from app.services.backlog_setup import BACKLOG_SEED_OFFSET  # noqa: E402
from app.services.demo import plan_demo  # noqa: E402


def best_smaller_share(both: int, added_only: int, garment_only: int, k: int = K) -> float:
    """The largest min(added share, garment share) of a top ``k`` drawn from these counts."""
    best = 0
    for nb in range(min(both, k) + 1):
        for na in range(min(added_only, k - nb) + 1):
            ng = min(garment_only, k - nb - na)
            best = max(best, min(nb + na, nb + ng))
    return best / k


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    ap.add_argument("--backlog", type=int, default=200)
    ap.add_argument("--edits", type=int, default=100)
    args = ap.parse_args()
    scheme = LabelScheme.from_dict(json.loads(resource("scheme", "default.json").read_text(encoding="utf-8")))
    label_ids = [label.id for label in scheme.ordered()]
    for seed in args.seeds:
        labels = [list(r.labels) for _, r, _ in plan_demo(seed + BACKLOG_SEED_OFFSET, args.backlog)]
        rows = list(range(len(labels)))  # the benchmark's item ids stand in as row numbers here
        edits = draw_edits(scheme, label_ids, types.SimpleNamespace(backlog_ids=rows, backlog_labels=labels),
                           seed, args.edits)
        truth = truth_matrix(scheme, label_ids, labels)
        found = []
        for item, _, add_col, _, cat_cols in edits:
            others = np.array([r for r in rows if r != item])
            added = truth[others, add_col]
            garment = truth[others][:, cat_cols].all(axis=1)
            counts = (int((added & garment).sum()), int((added & ~garment).sum()), int((~added & garment).sum()))
            both, added_only, garment_only = counts
            most_hits = min(K, both) * 2 + min(K - min(K, both), added_only + garment_only)
            found.append((best_smaller_share(*counts), *counts, most_hits / (2 * K)))
        table = np.array(found, float)
        print(f"seed {seed}: {len(found)} edits; best min(added, garment) share: mean {table[:, 0].mean():.3f}, "
              f"edits that can reach .6 on both {(table[:, 0] >= 0.6).mean():.2f}; mean of the two shares at most "
              f"{table[:, 4].mean():.3f}; median photos with both "
              f"{np.median(table[:, 1]):.1f}, motif only {np.median(table[:, 2]):.1f}, "
              f"garment only {np.median(table[:, 3]):.1f}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
