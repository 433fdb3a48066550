"""Running benchmark trainings, one after another or in parallel worker processes."""
from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed
from functools import lru_cache

from app.bench import mirflickr, wikipedia
from app.bench.common import RunRecord

BENCHMARKS = ("wikipedia", "mirflickr")


@lru_cache(maxsize=2)
def _wikipedia(data_dir: str):
    return wikipedia.load(data_dir)  # small: load once per process


def run_single(name: str, data_dir, method: str, bits: int, seed: int) -> RunRecord:
    """Train and measure one (method, bits, seed) of benchmark ``name``."""
    if name == "wikipedia":
        return wikipedia.run_one(_wikipedia(str(data_dir)), method, bits, seed)
    if name == "mirflickr":
        return mirflickr.run_one(data_dir, method, bits, seed)
    if name == "clothing":
        raise NotImplementedError("The clothing benchmark needs the library importer; run it through "
                                  "the services layer (see the app.bench.public docstring).")
    raise ValueError(f"Unknown benchmark {name!r}; choose one of {BENCHMARKS}.")


def _one_thread() -> None:
    """Worker start-up: one torch thread per process, so two workers share two cores
    instead of four OpenMP threads fighting over them."""
    from app.ml.prepare import limit_threads

    limit_threads(1)


def run_jobs(name: str, data_dir, jobs: list[tuple[str, int, int]], workers: int,
             on_record: Callable[[RunRecord], None]) -> list[RunRecord]:
    """Every (method, bits, seed) job; records come back in job order.  Each run is
    seeded, so the numbers do not depend on ``workers`` (only the wall times do)."""
    if workers <= 1:
        _one_thread()
        records = []
        for job in jobs:
            records.append(run_single(name, data_dir, *job))
            on_record(records[-1])
        return records
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    context = multiprocessing.get_context("spawn")  # torch and fork do not mix
    with ProcessPoolExecutor(workers, mp_context=context, initializer=_one_thread) as pool:
        futures = [pool.submit(run_single, name, str(data_dir), *job) for job in jobs]
        records = []
        for future in as_completed(futures):
            records.append(future.result())
            on_record(records[-1])
    order = {job: i for i, job in enumerate(jobs)}
    return sorted(records, key=lambda r: order[(r.method, r.bits, r.seed)])
