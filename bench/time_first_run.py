"""Time a first run as the window does it (``app.ui.first_run.FirstRunJob``, without the window):
the 300-item demo collection, then ``train_library`` with the first-run options (train, export
to ONNX, encode). Run it alone on the machine; it prints seconds and the load average.

    python bench/time_first_run.py /tmp/first-run-library [--one-cnn]

``--one-cnn`` trains the single ResNet-18 of the code before two CNNs became the CPU default,
for a side-by-side measurement.
"""
from __future__ import annotations

import os
import shutil
import sys
import time
from pathlib import Path


def main() -> None:
    args = [a for a in sys.argv[1:] if a != "--one-cnn"]
    root = Path(args[0] if args else "/tmp/wenyang-first-run")
    extra = {"twin": False} if "--one-cnn" in sys.argv[1:] else {}
    shutil.rmtree(root, ignore_errors=True)
    from app.services.demo import DEMO_TRAINING, create_demo_library
    from app.services.training import TrainOptions, train_library

    started = time.monotonic()
    create_demo_library(root, seed=0, count=300)
    demo_done = time.monotonic()
    outcome = train_library(root, TrainOptions(**DEMO_TRAINING, **extra))
    done = time.monotonic()
    print(f"demo {demo_done - started:.0f} s, train+export+encode {done - demo_done:.0f} s, "
          f"total {done - started:.0f} s; model {outcome.model_id}, epochs {outcome.epochs_run}, "
          f"best {outcome.best_epoch}; load average {os.getloadavg()[0]:.2f}, {os.cpu_count()} CPUs", flush=True)


if __name__ == "__main__":
    main()
