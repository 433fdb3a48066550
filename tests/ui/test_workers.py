"""The threading rules: work runs off the GUI thread, results come back on it, in order;
thumbnails decode newest-first from a bounded stack into an LRU."""
from __future__ import annotations

import os
import sys
import threading

import pytest
from PySide6.QtCore import QThreadPool

from app.ui.thumbnails import LruCache, ThumbnailLoader
from app.ui.workers import BACKGROUND_THREAD_NICE, LibraryQueue, run_task
from tests.ui.helpers import make_photos


def test_results_are_posted_to_the_gui_thread(qtbot):
    gui = threading.get_ident()
    seen = {}
    pool = QThreadPool()
    run_task(pool, lambda: threading.get_ident(), lambda worker: seen.update(worker=worker,
                                                                            callback=threading.get_ident()))
    qtbot.waitUntil(lambda: "callback" in seen)
    assert seen["worker"] != gui and seen["callback"] == gui
    pool.waitForDone()


def _thread_nice() -> int:
    return os.getpriority(os.PRIO_PROCESS, threading.get_native_id())


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="nice is per thread on Linux only")
def test_workers_run_below_the_gui_threads_priority(tmp_path, qtbot):
    """Background tasks and thumbnail decodes yield the CPU to the GUI thread: on a 2-core
    machine they otherwise kept it waiting for a core in the middle of a scroll."""
    gui = _thread_nice()
    seen = {}
    pool = QThreadPool()
    run_task(pool, _thread_nice, lambda nice: seen.update(task=nice))
    qtbot.waitUntil(lambda: "task" in seen)
    pool.waitForDone()
    loader = ThumbnailLoader(side=64, threads=1)
    loader.request("one", [str(make_photos(tmp_path, 1)[0])])
    qtbot.waitUntil(lambda: loader.queued == 0)
    loader._pool.start(lambda: seen.update(thumbnails=_thread_nice()))  # the same, reused thread
    qtbot.waitUntil(lambda: "thumbnails" in seen)
    assert seen["task"] >= BACKGROUND_THREAD_NICE > gui
    assert seen["thumbnails"] >= BACKGROUND_THREAD_NICE
    assert _thread_nice() == gui                  # the GUI thread itself keeps its priority


def test_library_queue_runs_in_order_on_its_own_connection(library, qtbot):
    queue = LibraryQueue(library.location)
    results, errors = [], []
    for i in range(5):
        queue.submit(lambda lib, i=i: (i, lib is library, threading.get_ident()), results.append)
    queue.submit(lambda lib: lib.items.get(999), on_error=errors.append)
    with qtbot.waitSignal(queue.failed) as failed:
        queue.submit(lambda lib: lib.collections.get("nope"))
    qtbot.waitUntil(lambda: queue.pending == 0)
    assert [r[0] for r in results] == [0, 1, 2, 3, 4]
    assert not any(r[1] for r in results)                      # never the GUI's connection
    assert len({r[2] for r in results}) == 1 != threading.get_ident()
    assert "no item with id 999" in str(errors[0])
    assert "no collection" in failed.args[0]
    queue.close()
    queue.submit(lambda lib: results.append("after close"))     # ignored once closed
    assert queue.pending == 0


def test_lru_cache_evicts_the_least_recently_used():
    cache = LruCache(2)
    cache.put(1, "a")
    cache.put(2, "b")
    cache.get(1)
    cache.put(3, "c")
    assert 1 in cache and 3 in cache and 2 not in cache and len(cache) == 2


def test_thumbnail_loader_keeps_a_bounded_stack_newest_first(tmp_path, qtbot):
    photos = make_photos(tmp_path, 6, size=(400, 300))
    loader = ThumbnailLoader(side=64, threads=1, max_pending=3)
    loaded = []
    loader.loaded.connect(lambda key, pixmap: loaded.append((key, pixmap.width(), pixmap.height())))
    failed = []
    loader.failed.connect(failed.append)
    gate = threading.Event()
    loader._pool.start(gate.wait)          # hold the only thread while requests pile up
    for key, path in enumerate(photos):
        loader.request(key, [str(path)])
    loader.request("missing", [str(tmp_path / "nope.jpg")])
    assert loader.queued == 3                # the three oldest were dropped
    gate.set()
    qtbot.waitUntil(lambda: loader.queued == 0)
    assert [k for k, *_ in loaded] == [5, 4] and failed == ["missing"]
    assert all(w == 64 and h == 48 for _, w, h in loaded)   # scaled to fit, aspect kept


def test_a_result_arriving_after_shutdown_is_dropped_quietly(qtbot, monkeypatch):
    """A worker finishing while the application closes posts to a deleted poster: that must
    not raise in the worker (it printed "Signal source has been deleted" at exit)."""
    import shiboken6

    from app.ui import workers

    gone = workers._Poster()
    shiboken6.delete(gone)
    monkeypatch.setattr(workers, "_POSTER", gone)
    workers.to_main(lambda: None)  # dropped, no exception
    monkeypatch.setattr(workers, "_POSTER", None)
    got = []
    workers.to_main(got.append, 1)  # a fresh poster delivers again
    qtbot.waitUntil(lambda: got == [1], timeout=2000)


def test_thumbnails_leave_the_window_a_core(monkeypatch, qtbot):
    from app.ui import thumbnails

    for cores, threads in ((1, 1), (2, 1), (3, 2), (16, 2)):
        monkeypatch.setattr(thumbnails, "cores", lambda n=cores: n)
        assert thumbnails.decode_threads() == threads
        assert ThumbnailLoader()._pool.maxThreadCount() == threads


def test_decoded_thumbnails_reach_the_window_a_few_milliseconds_at_a_time(tmp_path, qtbot, monkeypatch):
    """A burst of decodes is handed to the GUI thread in shares of ``DELIVER_BUDGET_S``, the
    event loop running between them, not all in one go: flinging through a million items,
    86 arrived within 50 ms and held the window that long."""
    from PySide6.QtCore import QTimer

    from app.ui import thumbnails

    photos = [str(p) for p in make_photos(tmp_path, 5, size=(300, 200))]
    loader = ThumbnailLoader(side=48, threads=1)
    loaded = []
    loader.loaded.connect(lambda key, pixmap: loaded.append((key, pixmap.width())))
    gate = threading.Event()
    loader._pool.start(gate.wait)       # hold the only thread while the requests pile up
    for key, path in enumerate(photos):
        loader.request(key, [path])
    gate.set()
    loader.wait()                       # all five decoded, newest first; one drain posted, none run yet
    assert loaded == [] and len(loader._done) == 5 and loader._draining
    monkeypatch.setattr(thumbnails, "DELIVER_BUDGET_S", 0.0)
    turns = []                          # a zero timer: fires once per turn of the event loop
    ticker = QTimer()
    ticker.setInterval(0)
    ticker.timeout.connect(lambda: turns.append(len(loaded)))
    ticker.start()
    qtbot.waitUntil(lambda: not loader._draining)
    ticker.stop()
    assert [k for k, _ in loaded] == [4, 3, 2, 1, 0] and {w for _, w in loaded} == {48}
    assert loader.queued == 0
    between = sorted(set(turns))        # the event loop ran between single deliveries
    assert len(between) >= 4, turns
    monkeypatch.setattr(thumbnails, "DELIVER_BUDGET_S", 10.0)
    for key, path in enumerate(photos):
        loader.request(("again", key), [path])
    loader.wait()
    loader._drain()                     # a generous share: everything in one call
    assert len(loaded) == 10 and not loader._draining and not loader._done


def test_a_thumbnail_that_cannot_be_delivered_stops_none_of_the_rest(tmp_path, qtbot, monkeypatch):
    photos = [str(p) for p in make_photos(tmp_path, 3, size=(120, 90))]
    loader = ThumbnailLoader(side=32, threads=1)
    loaded = []
    loader.loaded.connect(lambda key, pixmap: loaded.append(key))
    real = loader._deliver

    def deliver(key, pixels):
        if key == 1:
            raise MemoryError("no room for this one")
        real(key, pixels)
    monkeypatch.setattr(loader, "_deliver", deliver)
    gate = threading.Event()
    loader._pool.start(gate.wait)
    for key, path in enumerate(photos):
        loader.request(key, [path])
    gate.set()
    loader.wait()                       # 2, 1 and 0 decoded; one drain posted
    with qtbot.capture_exceptions() as raised:
        qtbot.waitUntil(lambda: not loader._draining, timeout=3000)
    assert [type(e[1]) for e in raised] == [MemoryError]
    assert loaded == [2, 0] and loader.queued == 0
