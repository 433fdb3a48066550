"""Thumbnails for the grid: decoded off the GUI thread, newest request first, kept in an LRU.

Fast scrolling through a large library asks for far more thumbnails than it ever shows, so
requests form a bounded stack: the most recent (what is on screen now) is decoded first and
the oldest are dropped when the stack overflows. QImage is safe to build on a worker thread;
the GUI thread turns it into a QPixmap (which is not) once, when it arrives.
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable, Sequence
from pathlib import Path

from PySide6.QtCore import QObject, QSize, Qt, QThreadPool, Signal
from PySide6.QtGui import QImage, QImageReader, QPixmap

from app.ui.workers import poster, to_main, yield_to_window


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


def read_scaled(paths: Sequence[str], side: int) -> QImage:
    """The first readable image among ``paths``, scaled to fit ``side``×``side``.

    QImageReader scales while decoding (JPEG decodes at 1/2, 1/4, 1/8 directly), which keeps
    the fallback to a full-size photo affordable when a thumbnail file is missing.
    """
    for path in paths:
        if not path or not Path(path).is_file():
            continue
        reader = QImageReader(path)
        reader.setAutoTransform(True)
        size = reader.size()
        if size.isValid() and (size.width() > side or size.height() > side):
            reader.setScaledSize(size.scaled(QSize(side, side), Qt.AspectRatioMode.KeepAspectRatio))
        image = reader.read()
        if not image.isNull():
            if image.width() > side or image.height() > side:
                image = image.scaled(side, side, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation)
            return image
    return QImage()


class ThumbnailLoader(QObject):
    """Loads thumbnails on a small thread pool; emits ``loaded(key, QPixmap)`` on the GUI thread.

    ``failed(key)`` is emitted for items whose files cannot be read, so callers can show a
    placeholder once instead of asking again on every repaint.
    """

    loaded = Signal(object, QPixmap)
    failed = Signal(object)

    def __init__(self, side: int = 160, threads: int = 2, max_pending: int = 300,
                 parent: QObject | None = None):
        super().__init__(parent)
        self.side = side
        self.max_pending = max_pending
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(threads)
        self._lock = threading.Lock()
        self._stack: list[tuple[Hashable, tuple[str, ...]]] = []
        self._queued: set = set()
        self._generation = 0
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
        image = read_scaled(paths, self.side)
        to_main(self._deliver, key, image, generation)

    def _deliver(self, key, image: QImage, generation: int) -> None:
        with self._lock:
            if generation != self._generation:
                return
            self._queued.discard(key)
        if image.isNull():
            self.failed.emit(key)
        else:
            self.loaded.emit(key, QPixmap.fromImage(image))
