"""Splitting rows over threads: every row once, failures reported, small passes kept whole."""
from __future__ import annotations

import threading

import numpy as np
import pytest

from app.search import parallel


@pytest.mark.parametrize("n, threads", [(0, 4), (1, 4), (999, 1), (1000, 4), (10_001, 3), (7, 8)])
def test_blocks_cover_every_row_once_in_order(monkeypatch, n, threads):
    monkeypatch.setattr(parallel, "MIN_ROWS", 10)
    parts = parallel.blocks(n, threads)
    assert len(parts) <= max(1, threads)
    seen = np.concatenate([np.arange(a, b) for a, b in parts]) if parts else np.zeros(0)
    assert seen.tolist() == list(range(n))


def test_small_passes_stay_on_the_calling_thread(monkeypatch):
    monkeypatch.setattr(parallel, "MIN_ROWS", 1000)
    assert parallel.blocks(1999, 8) == [(0, 1999)]
    names = []
    parallel.run_blocks(lambda a, b: names.append(threading.current_thread().name), 1999, 8)
    assert names == [threading.current_thread().name]


def test_run_blocks_uses_other_threads_and_waits_for_all(monkeypatch):
    monkeypatch.setattr(parallel, "MIN_ROWS", 100)
    monkeypatch.setattr(parallel, "THREADS", 3)
    out = np.zeros(1000, np.int64)
    names = set()

    def fill(a, b):
        names.add(threading.current_thread().name)
        out[a:b] = np.arange(a, b) * 2

    parallel.run_blocks(fill, len(out), 3)
    assert out.tolist() == [2 * i for i in range(1000)]
    assert len(names) >= 2  # the caller and at least one pool thread


def test_a_failing_block_is_raised_after_the_others_finish(monkeypatch):
    monkeypatch.setattr(parallel, "MIN_ROWS", 100)
    monkeypatch.setattr(parallel, "THREADS", 3)
    done = []

    def fill(a, b):
        if a > 0:
            raise ValueError(f"block {a}")
        done.append(a)

    with pytest.raises(ValueError, match="block"):
        parallel.run_blocks(fill, 1000, 3)
    assert done == [0]
