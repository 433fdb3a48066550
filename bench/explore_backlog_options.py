"""Exploration, step 2: train on a copy of the library built by explore_backlog_library.py
with some TrainOptions, and print typed-label P@10 per facet over its backlog photos.

    .venv/bin/python bench/explore_backlog_options.py NAME '{"image_size": 128}'

The copy goes to /tmp/exp/NAME. Run one at a time: two trainings side by side on 2 cores
take about five times as long each."""
import json
import shutil
import sys
import time
from pathlib import Path

import numpy as np

from app.media.images import load_rgb
from app.media.preprocess import to_array
from app.services.models_runtime import active_runtime
from app.services.training import TrainOptions, train_library
from app.store import open_library

name, opts = sys.argv[1], json.loads(sys.argv[2] if len(sys.argv) > 2 else "{}")
root = Path("/tmp/exp") / name
shutil.rmtree(root, ignore_errors=True)
shutil.copytree("/tmp/exp/base", root)
truth = json.loads((root / "truth.json").read_text())
t = time.time()
with open_library(root) as lib:
    out = train_library(lib, TrainOptions(**opts), progress=lambda e: None)
    wall = time.time() - t
    rt = active_runtime(lib, lib.models.active())
    scheme = lib.scheme
    back = [(i, lib.items.get(i)) for i in lib.items.ids()]
    back = [(i, it) for i, it in back if it.accession in truth]
    from app.services.dataset import photo_path
    px = np.stack([to_array(load_rgb(photo_path(lib, it.photos[0].path)), rt.preprocessing) for _, it in back])
    probs = rt.predict_labels_images(px)
    probs_tta = (probs + rt.predict_labels_images(px[..., ::-1].copy())) / 2
    lids = rt.label_ids
    Y = np.array([[l in truth[it.accession] for l in lids] for _, it in back], float)
def report(probs, tag):
  facets = {}
  for j, l in enumerate(lids):
    lab = scheme.labels[l]
    if Y[:, j].sum() == 0:
      continue
    top = np.argsort(-probs[:, j], kind="stable")[:10]
    facets.setdefault(lab.facet, []).append((Y[top, j].mean(), Y[:, j].mean()))
  res = {f: (round(float(np.mean([a for a, _ in v])), 3), round(float(np.mean([c for _, c in v])), 3)) for f, v in facets.items()}
  print(tag, name, opts, "wall", round(wall), "best", out.best_epoch, "of", out.epochs_run, "val", out.val_map)
  for f, (p, c) in res.items():
    print(f"  {f:12} P@10 {p:.3f}  chance {c:.3f}")
  m = [a for f in ("category", "motif", "colour") for a, _ in facets.get(f, [])]
  print("  cat+motif+colour", round(float(np.mean(m)), 3) if m else None)
report(probs, "plain")
report(probs_tta, "flip-tta")
# calibration glance
conf, ok = probs.ravel(), Y.ravel()
for lo in (0.5, 0.6, 0.7, 0.8, 0.9):
    sel = (conf >= lo) & (conf < lo + 0.1)
    print(f"  conf {lo:.1f}-{lo+0.1:.1f}: n={sel.sum():4d} right={ok[sel].mean() if sel.any() else float('nan'):.2f}")
