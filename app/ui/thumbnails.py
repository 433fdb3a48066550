"""Thumbnails for the grid: decoded off the GUI thread, newest request first, kept in an LRU.

Fast scrolling through a large library asks for far more thumbnails than it ever shows, so
requests form a bounded stack: the most recent (what is on screen now) is decoded first and
the oldest are dropped when the stack overflows. Pillow decodes on the loader's threads, which
call no PySide object (see ``read_scaled``); the GUI thread makes the QImage and the QPixmap
once, when the pixels arrive, a few milliseconds' worth at a time (``DELIVER_BUDGET_S``).
"""
from __future__ import annotations

import threading
import time
from collections import OrderedDict, deque
from collections.abc import Hashable, Sequence

from PySide6.QtCore import QObject, QThreadPool, QTimer, Signal
from PySide6.QtGui import QImage, QPixmap

from app.core.machine import cores
from app.services.photos import ImageProblem, scaled_rgb
from app.ui.workers import poster, to_main, yield_to_window

# How long the GUI thread turns decoded thumbnails into pixmaps (and tells the grid) before it
# goes back to its event loop, which paints, answers input and runs timers before the next
# share. Each decode used to post its own call, and a burst of them ran back to back: flinging
# through 1,000,500 items, 86 arrived within 50 ms and the window's thread spent 97 of a
# 127 ms gap on them (``bench/bench_grid_scroll.py --library … --stacks``, 2026-12-03). The
# same fling, 12 runs each alternating with the code before (00:18-00:27, 2-core Xeon, steal
# 0.01-2.4 s per run): 8 runs of 12 without a GUI-thread gap over 50 ms (18 such gaps in all)
# against 1 of 12 (30); a rerun at a quieter hour (01:38-01:42, steal 0-0.4 s): 5 of 6 either
# way, so the gain shows only when the machine is busy. A share can still overrun when the
# thread loses its core mid-delivery.
DELIVER_BUDGET_S = 0.004


class LruCache:
    """A small least-recently-used mapping (used for pixmaps keyed by item id)."""

    def __init__(self, capacity: int):
        self.capacity = capacity
        self._data: OrderedDict = OrderedDict()

    def get(self, key):
        value = self._data.get(key)
        if value is not None:
            self._data.move_to_end(key)
        return value

    def put(self, key, value) -> None:
        self._data[key] = value
        self._data.move_to_end(key)
        while len(self._data) > self.capacity:
            self._data.popitem(last=False)

    def discard(self, key) -> None:
        self._data.pop(key, None)

    def clear(self) -> None:
        self._data.clear()

    def __len__(self) -> int:
        return len(self._data)

    def __contains__(self, key) -> bool:
        return key in self._data


def read_scaled(paths: Sequence[str], side: int) -> tuple[bytes, int, int] | None:
    """The first readable image among ``paths``, scaled to fit ``side``×``side``, as RGB bytes
    with its width and height; None when none can be read.

    Decoded with Pillow (``app.media.images.scaled_rgb``), not QImageReader: this runs on the
    loader's threads, and calling PySide objects' methods there while the GUI thread painted
    crashed the process (a segfault inside ``QImageReader.setAutoTransform`` in 3 of 4 fast
    scrolls over a million items at a 0.2 ms interpreter switch interval, 2026-12-02). The
    GUI thread makes the QImage (``ThumbnailLoader._deliver``).
    """
    for path in paths:
        if not path:
            continue
        try:
            rgb = scaled_rgb(path, side)
        except ImageProblem:
            continue
        return rgb.tobytes(), rgb.width, rgb.height
    return None


def decode_threads() -> int:
    """Threads decoding thumbnails: two, but always one core fewer than the process has, so the
    window's own thread keeps a core while the curator flings through the grid. On 2 cores,
    flinging through 1,000,500 items (``bench/bench_grid_scroll.py --library``, five runs each,
    alternating, 2026-12-02): one thread gave 0, 0, 0, 0 and 1 GUI-thread gaps over 50 ms
    (worst 40-56 ms), two gave 1, 5, 2, 0 and 1 (worst 45-90 ms)."""
    return max(1, min(2, cores() - 1))


class ThumbnailLoader(QObject):
    """Loads thumbnails on a small thread pool; emits ``loaded(key, QPixmap)`` on the GUI thread.

    ``failed(key)`` is emitted for items whose files cannot be read, so callers can show a
    placeholder once instead of asking again on every repaint.
    """

    loaded = Signal(object, QPixmap)
    failed = Signal(object)

    def __init__(self, side: int = 160, threads: int | None = None, max_pending: int = 300,
                 parent: QObject | None = None):
        super().__init__(parent)
        self.side = side
        self.max_pending = max_pending
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(threads or decode_threads())
        self._lock = threading.Lock()
        self._stack: list[tuple[Hashable, tuple[str, ...]]] = []
        self._queued: set = set()
        self._generation = 0
        self._done: deque = deque()  # (key, pixels, generation) decoded, waiting for the GUI thread
        self._draining = False       # a call to ``_drain`` is posted or running
        poster()

    def request(self, key: Hashable, paths: Sequence[str]) -> None:
        """Ask for one thumbnail; a repeated request for a queued key is ignored."""
        with self._lock:
            if key in self._queued:
                return
            self._queued.add(key)
            self._stack.append((key, tuple(paths)))
            while len(self._stack) > self.max_pending:  # scrolled past: forget the oldest
                old_key, _ = self._stack.pop(0)
                self._queued.discard(old_key)
            generation = self._generation
        self._pool.start(lambda: self._work(generation))

    def clear(self) -> None:
        """Forget queued requests (the grid was reset); results in flight are dropped."""
        with self._lock:
            self._stack.clear()
            self._queued.clear()
            self._done.clear()
            self._generation += 1

    def wait(self, timeout_ms: int = 5000) -> bool:
        """Wait for queued decodes (tests and shutdown)."""
        return self._pool.waitForDone(timeout_ms)

    @property
    def queued(self) -> int:
        with self._lock:
            return len(self._queued)

    def _work(self, generation: int) -> None:
        yield_to_window()
        with self._lock:
            if not self._stack or generation != self._generation:
                return
            key, paths = self._stack.pop()  # newest first: what is on screen now
        pixels = read_scaled(paths, self.side)
        with self._lock:
            self._done.append((key, pixels, generation))
            if self._draining:  # the GUI thread will find it on its next share
                return
            self._draining = True
        to_main(self._drain)

    def _drain(self) -> None:
        """Deliver decoded thumbnails, oldest first, for up to ``DELIVER_BUDGET_S``; the rest
        after the event loop's next turn."""
        started = time.perf_counter()
        while True:
            with self._lock:
                if not self._done:
                    self._draining = False
                    return
                key, pixels, generation = self._done.popleft()
                if generation != self._generation:
                    continue
                self._queued.discard(key)
            try:
                self._deliver(key, pixels)
            except Exception:
                QTimer.singleShot(0, self, self._drain)  # one that fails stops none of the rest
                raise
            if time.perf_counter() - started >= DELIVER_BUDGET_S:
                QTimer.singleShot(0, self, self._drain)  # events queued meanwhile go first
                return

    def _deliver(self, key, pixels: tuple[bytes, int, int] | None) -> None:
        if pixels is None:
            self.failed.emit(key)
            return
        data, width, height = pixels
        image = QImage(data, width, height, 3 * width, QImage.Format.Format_RGB888)
        self.loaded.emit(key, QPixmap.fromImage(image))  # a copy: ``data`` may go after this
