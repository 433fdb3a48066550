"""Encoding throughput: the image network over a library's photos, as ``encode_library`` runs it.

    .venv/bin/python bench/bench_encode.py LIBRARY [--photos 1000] [--repeats 3] [--threads 2]

LIBRARY must have an active model (e.g. a demo library after ``wenyang train``). Its first
photos (repeated when there are fewer) are loaded once at the model's input size; then, side by
side in one run, per batch of 64:
- "separate": codes and label probabilities asked for separately, as encoding did before
  (``encode_images`` then ``predict_labels_images``, each of which also ran the mirror image:
  four runs of the network);
- "one run": ``image_outputs``, codes and probabilities from one run of the network and one
  of its mirror image, as encoding does now.
Then the whole ``encode_library`` of the library's photos (loading and storing included).
Prints medians over the repeats, photos per second and the ratio.
"""
from __future__ import annotations

import argparse
import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("library")
    ap.add_argument("--photos", type=int, default=1000)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    os.environ.setdefault("OMP_NUM_THREADS", str(args.threads))
    from app.services.dataset import PhotoLoader, library_arrays
    from app.services.encoding import encode_library
    from app.services.models_runtime import active_runtime
    from app.store import open_library

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "lib"
        shutil.copytree(args.library, root)
        with open_library(root) as lib:
            model = lib.models.active()
            rt = active_runtime(lib, model)
            arrays = library_arrays(lib)
            have = [r for r, p in enumerate(arrays.photos) if p is not None]
            rows = np.resize(np.array(have), args.photos)
            pixels = PhotoLoader(arrays.image_sources(lib, rt.preprocessing), rt.preprocessing)(rows)
            batches = [pixels[i:i + 64] for i in range(0, len(pixels), 64)]
            timings = {"separate": [], "one run": []}
            for _ in range(args.repeats):
                for name in timings:
                    started = time.perf_counter()
                    for x in batches:
                        if name == "separate":  # what the two calls cost before
                            rt.networks.run("image", x), rt.networks.run("image", x)
                        else:
                            rt.image_outputs(x)
                    timings[name].append(time.perf_counter() - started)
            print(f"{len(pixels)} photos at {rt.preprocessing.size} px, provider {rt.provider}, "
                  f"OMP_NUM_THREADS={os.environ['OMP_NUM_THREADS']}, load average {os.getloadavg()[0]:.2f}")
            med = {name: statistics.median(v) for name, v in timings.items()}
            for name, v in timings.items():
                print(f"  network, {name:9}: median {med[name]:.2f} s ({len(pixels) / med[name]:.0f} photos/s), "
                      f"runs {', '.join(f'{t:.2f}' for t in v)}")
            print(f"  ratio separate / one run: {med['separate'] / med['one run']:.2f}x")
            whole = []
            for _ in range(args.repeats):
                lib.db.execute("DELETE FROM codes WHERE modality = 'image' AND model_id = ?", [model.id])
                started = time.perf_counter()
                report = encode_library(lib)
                whole.append(time.perf_counter() - started)
            n = report.encoded.get("image", 0)
            print(f"  encode_library: {n} photos, median {statistics.median(whole):.2f} s "
                  f"({n / statistics.median(whole):.0f} photos/s)")


if __name__ == "__main__":
    main()
