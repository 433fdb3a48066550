"""Background steps wait while the window scrolls, and only then."""
from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from app.core import pacing
from app.core.models import Item
from app.store.codes import CodeRow


@pytest.fixture(autouse=True)
def still(monkeypatch):
    monkeypatch.setattr(pacing, "_last_busy", float("-inf"))


def on_worker(fn):
    """``fn()``'s result and the seconds it took, run on a worker thread."""
    out = {}

    def run():
        started = time.monotonic()
        out["value"] = fn()
        out["seconds"] = time.monotonic() - started
    worker = threading.Thread(target=run)
    worker.start()
    worker.join(30)
    return out["value"], out["seconds"]


def test_a_still_window_costs_a_worker_nothing():
    waited, _ = on_worker(pacing.give_way)
    assert waited < 0.05


def test_a_worker_waits_until_the_window_is_still_for_a_while():
    pacing.busy()
    waited, _ = on_worker(pacing.give_way)
    assert pacing.QUIET * 0.9 <= waited < pacing.QUIET + 0.5


def test_busy_again_keeps_the_worker_waiting_but_never_past_its_limit():
    def keep_busy(until):
        while time.monotonic() < until:
            pacing.busy()
            time.sleep(0.02)
    stop = time.monotonic() + 1.2
    ticker = threading.Thread(target=keep_busy, args=(stop,))
    ticker.start()
    waited, _ = on_worker(lambda: pacing.give_way(longest=0.5))
    ticker.join()
    assert 0.45 <= waited < 0.9  # the limit, not the 1.2 s of scrolling
    waited, _ = on_worker(pacing.give_way)
    assert waited < pacing.QUIET + 0.3  # the scrolling stopped: only the quiet time is left


def test_the_main_thread_never_waits():
    pacing.busy()
    started = time.monotonic()
    assert pacing.give_way() == 0.0 and time.monotonic() - started < 0.05


def test_loading_codes_on_a_worker_waits_for_the_scrolling_and_reads_them_all(library):
    ids = [library.items.add(Item(f"P-{n}")) for n in range(5)]
    library.models.register("m", 16, "ssah", {})
    packed = np.arange(10, dtype=np.uint8).reshape(5, 2)
    library.codes.put("m", "image", [CodeRow(i, packed[k].tobytes(), None, "h") for k, i in enumerate(ids)])
    (loaded, _, _), seconds = on_worker(lambda: library.codes.load("m", "image", scores=False))
    assert seconds < pacing.QUIET  # no snapshot: rows, read at once
    # (and left as the snapshot: codes written again make it stale, so rows are read again)
    library.codes.put("m", "image", [CodeRow(i, packed[k].tobytes(), None, "h") for k, i in enumerate(ids)])
    pacing.busy()
    (again, codes, _), seconds = on_worker(lambda: library.codes.load("m", "image", scores=False))
    assert seconds >= pacing.QUIET * 0.9 and again.tolist() == loaded.tolist() == ids
    np.testing.assert_array_equal(codes, packed)
