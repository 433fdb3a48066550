"""Keeping the library searchable: new and changed items are encoded in the background.

After a change that can leave items without up-to-date codes (an import, edited texts, new
tags, another model in use), ``KeepEncoded`` waits a moment for more, counts what the active
model would encode (``app.services.encoding.pending``, on the library thread) and runs the
``Encode`` op on a connection of its own, with its progress in the status bar. Encoding derives
codes from what the curator made; it is not an edit, so it is no step of the undo stack (an
undone import takes its items' codes with it). Model ▸ Encode runs the same at once.
"""
from __future__ import annotations

from PySide6.QtCore import QObject, QTimer, Signal

from app.ui.jobs import Job

SETTLE_MS = 1500  # a burst of edits (typing titles, batch tagging) is encoded once, after it
# From this many items the count of what needs encoding runs in a child process. It reads every
# item's text, labels and photo hash: at 100,500 items (``bench/bench_scale.py``) that took the
# library thread ~7 s of Python, and scrolling the grid meanwhile stalled 5-15 times over 50 ms
# (worst 108-314 ms); once it had finished, the worst gap was 33 ms. Starting a child costs
# about 2 s, which a small library need not pay.
ISOLATE_FROM = 20_000


class EncodeJob(Job):
    """The ``Encode`` op for the active model, on its own connection."""

    def __init__(self, root, parent=None):
        super().__init__(parent)
        self.root = root

    def work(self):
        from app.services.encoding import Encode
        from app.services.ops import run_on

        return run_on(self.root, Encode(progress=self.report, cancel=self.cancel_token))


def _pending(lib) -> dict[str, int]:
    try:
        from app.services.encoding import pending, pending_at
    except ImportError:  # a bundle without ONNX Runtime: nothing is ever encoded here
        return {}
    if lib.items.count() >= ISOLATE_FROM:
        from app.services.isolation import run_isolated

        return run_isolated(pending_at, str(lib.location), nice=5)
    return pending(lib)


class KeepEncoded(QObject):
    """Watches the session's changes and encodes what needs it; says what is left."""

    stateChanged = Signal()  # waiting (a count), running (progress) or idle

    def __init__(self, session, read_only: bool = False, parent=None):
        super().__init__(parent)
        self.session = session
        self.read_only = read_only
        self.waiting: dict[str, int] = {}  # per modality, what the last count found
        self.job: EncodeJob | None = None
        self.done = self.total = 0
        self.problem = ""
        self._again = False
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(SETTLE_MS)
        self._timer.timeout.connect(self.check)
        session.changed.connect(self._changed)
        session.on_close(self.stop)

    @property
    def running(self) -> bool:
        return self.job is not None and self.job.running

    @property
    def left(self) -> int:
        """Items not searchable yet (by photo, text or labels) with the active model; an item
        waiting for two of them counts once, so the figure is at least this many."""
        return max(self.waiting.values(), default=0)

    def _changed(self, changes) -> None:
        if changes.items or changes.item_set or changes.tags or changes.models or changes.scheme:
            self.soon()

    def soon(self) -> None:
        """Check again once the changes have settled."""
        if not self.read_only and not self.session.closed:
            self._timer.start()

    def check(self) -> None:
        """Count what is waiting (on the library thread), then encode it."""
        if self.read_only or self.session.closed:
            return
        if self.running:
            self._again = True  # the run in progress may have missed the latest change
            return
        self.session.run(_pending, self._counted, lambda exc: self._failed(str(exc)))

    def _counted(self, waiting: dict[str, int]) -> None:
        self.waiting = dict(waiting)
        self.stateChanged.emit()
        if self.left and not self.running and not self.session.closed:
            self._start()

    def _start(self) -> None:
        self.problem = ""
        self.done, self.total = 0, self.left
        self.job = EncodeJob(self.session.root, self)
        self.job.progress.connect(self._progress)
        self.job.finished.connect(self._finished)
        self.job.failed.connect(lambda message, _cancelled: self._failed(message))
        self.job.start(self.session.jobs)
        self.stateChanged.emit()

    def _progress(self, event) -> None:
        if event.stage == "encode" and event.total:
            self.done, self.total = event.done, event.total
            self.stateChanged.emit()

    def _finished(self, result) -> None:
        from app.services.ops import Changes

        report = result.value
        self.problem = "; ".join(sorted(set(getattr(report, "problems", {}).values())))[:200]
        self.session.announce(result.changes | Changes(suggestions=True))  # search and suggestions reload
        self._after_run()

    def _failed(self, message: str) -> None:
        self.problem = message
        self.waiting = {}
        self.job = None
        self.stateChanged.emit()

    def _after_run(self) -> None:
        self.job = None
        again, self._again = self._again, False
        self.waiting = {}
        self.stateChanged.emit()
        if again:
            self.check()

    def stop(self) -> None:
        self._timer.stop()
        if self.job is not None and self.job.running:
            self.job.cancel()
