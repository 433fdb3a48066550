"""Background work for the window, in the manner of MusicBrainz Picard's ``thread`` module.

Workers never touch a widget. A worker runs a plain callable; its result (or its exception)
is *posted* to the GUI thread, where the callback runs. Posting goes through one long-lived
QObject that lives in the GUI thread, so a queued signal carries the call across threads and
no per-task QObject has to outlive its runnable.

Database work goes through a :class:`LibraryQueue`: one worker thread with its own SQLite
connection (the library is in WAL mode, so it reads while an import writes elsewhere), tasks
run in submission order, so a tag followed by a refresh sees the tag.
"""
from __future__ import annotations

import logging
import sys
import threading
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QThreadPool, Signal, Slot

from app.services.isolation import lower_priority
from app.services.library import as_location, explained

log = logging.getLogger(__name__)

# How much lower than the GUI thread the window's workers run (library queues, jobs, thumbnail
# decodes). On a 2-core machine the GUI thread shared the cores with two thumbnail decoders, a
# page load and an import or search warm-up, and a gap in the event loop was often more time
# waiting for a core than running. Three runs each, alternating, 2026-12-01, load ~1:
# scrolling a fresh 100,000-item grid (``bench/bench_grid_scroll.py``), worst gap 28.7-61.8 ms
# at 0, 27.6-34.3 ms at 10 (36.5 and 42.2 ms in two later runs); importing 1,000 photos (``bench/bench_gui_latency.py``, six runs
# each), worst gap 20.9-60.8 ms (median 41) at 0, 19.7-49.9 ms (median 31) at 10.
BACKGROUND_THREAD_NICE = 10


def yield_to_window() -> None:
    """Lower the calling worker thread's scheduling priority to ``BACKGROUND_THREAD_NICE``
    (Linux, where nice is per thread; elsewhere nothing happens). A worker thread keeps it
    for its life, and the threads and processes it starts inherit it (a child that lowers its
    own priority, like training's, goes lower still). The priority only decides who runs first
    when more threads want a core than there are cores: the window's own work then goes to the
    GUI thread first, and other programs' work before the window's background work."""
    if BACKGROUND_THREAD_NICE > 0 and sys.platform.startswith("linux"):  # elsewhere: the whole process
        lower_priority(BACKGROUND_THREAD_NICE, threading.get_native_id())


class _Poster(QObject):
    """Carries ``(callback, args)`` from any thread to the GUI thread (queued signal)."""

    posted = Signal(object, object)

    def __init__(self):
        super().__init__()
        self.posted.connect(self._deliver)

    @Slot(object, object)
    def _deliver(self, callback, args) -> None:
        try:
            callback(*args)
        except RuntimeError as exc:  # the receiving widget was deleted meanwhile: drop it
            if "already deleted" not in str(exc):
                raise
            log.debug("result dropped: %s", exc)


_POSTER: _Poster | None = None


def to_main(callback: Callable, *args) -> None:
    """Run ``callback(*args)`` on the GUI thread (later, from the event loop)."""
    global _POSTER
    if _POSTER is None:  # created lazily, but always first from the GUI thread (see poster())
        _POSTER = _Poster()
    try:
        _POSTER.posted.emit(callback, args)
    except RuntimeError as exc:  # the application is shutting down: nobody is left to tell
        if "deleted" not in str(exc):
            raise
        log.debug("result dropped at shutdown: %s", exc)


def poster() -> _Poster:
    """Create the poster on the calling (GUI) thread; call once at start-up."""
    global _POSTER
    if _POSTER is None:
        _POSTER = _Poster()
    return _POSTER


def run_task(pool: QThreadPool, fn: Callable[[], Any], on_done: Callable | None = None,
             on_error: Callable | None = None) -> None:
    """Run ``fn()`` on ``pool``; post ``on_done(result)`` or ``on_error(exc)`` to the GUI thread."""
    poster()

    def work():
        yield_to_window()
        try:
            result = fn()
        except Exception as exc:  # noqa: BLE001 - every failure goes back to the GUI
            log.debug("task failed:\n%s", traceback.format_exc())
            if on_error is not None:
                to_main(on_error, exc)
            else:
                log.error("background task failed: %s", exc)
            return
        if on_done is not None:
            to_main(on_done, result)

    pool.start(work)


class LibraryQueue(QObject):
    """A serial queue of ``fn(lib)`` tasks on one worker thread with its own connection."""

    failed = Signal(str)        # a task without its own error handler failed: a message
    idleChanged = Signal(bool)  # True when the last pending task has been delivered

    def __init__(self, root: Path | str, parent: QObject | None = None):
        super().__init__(parent)
        self.root = as_location(root)
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(1)   # serial: one connection, tasks in order
        self._pool.setExpiryTimeout(-1)   # keep the thread (and its connection) alive
        self._lib = None
        self._pending = 0
        self._closed = False
        poster()

    @property
    def pending(self) -> int:
        """Tasks submitted whose results have not yet been delivered."""
        return self._pending

    def submit(self, fn: Callable, on_done: Callable | None = None,
               on_error: Callable | None = None) -> None:
        """Queue ``fn(lib)``; ``on_done(result)`` / ``on_error(exc)`` run on the GUI thread."""
        if self._closed:
            return
        self._pending += 1
        run_task(self._pool, lambda: fn(self._library()),
                 lambda result: self._finish(on_done, result),
                 lambda exc: self._finish(on_error, exc, failed=True))

    def _library(self):
        if self._lib is None:  # opened on the worker thread, used only there
            from app.services.library import open_library
            self._lib = open_library(self.root)
        return self._lib

    def _finish(self, callback: Callable | None, value, failed: bool = False) -> None:
        self._pending -= 1
        try:
            if callback is not None:
                callback(value)
            elif failed:
                self.failed.emit(explained(value))
        finally:
            if self._pending == 0:
                self.idleChanged.emit(True)

    def close(self, timeout_ms: int = 10_000) -> None:
        """Finish queued work and close the worker's connection."""
        if self._closed:
            return
        self._closed = True
        self._pool.waitForDone(timeout_ms)
        if self._lib is not None:
            self._lib.close()
            self._lib = None

