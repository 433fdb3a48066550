"""The one runner of long jobs in the window (import, export, training, the first run).

A job's ``work()`` runs on a worker thread and reports ``app.core.jobs.Progress`` through
``report``; the runner posts those to the GUI thread at most every ``PROGRESS_EVERY_S`` (a
flood of queued signals would stall the window), never dropping the last step of a stage or
an event the job calls important, and ends with ``finished(result)`` or ``failed(message,
cancelled)``. ``cancel()`` sets the job's token; the work checks it between steps.
"""
from __future__ import annotations

import time

from PySide6.QtCore import QObject, Signal

from app.core.jobs import Cancelled, CancelToken, Progress
from app.services.library import explained
from app.ui.workers import run_task, to_main

PROGRESS_EVERY_S = 0.05  # at most ~20 progress posts a second: the GUI thread stays free


class Job(QObject):
    progress = Signal(object)   # Progress, throttled
    finished = Signal(object)   # what work() returned
    failed = Signal(str, bool)  # the message, and whether it was a cancel

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self.cancel_token = CancelToken()
        self.running = False
        self._last_post = 0.0

    def start(self, pool) -> None:
        self.running = True
        run_task(pool, self.work, self._finished, self._failed)

    def cancel(self) -> None:
        self.cancel_token.cancel()

    def work(self):
        """The job itself, on the worker thread (services only, never a widget)."""
        raise NotImplementedError

    def important(self, event: Progress) -> bool:
        """Events posted however soon after the last (a stage's last step, by default)."""
        return event.finished_stage

    def report(self, event: Progress) -> None:  # worker thread
        now = time.monotonic()
        if self.important(event) or now - self._last_post >= PROGRESS_EVERY_S:
            self._last_post = now
            to_main(self._post, event)

    def _post(self, event: Progress) -> None:
        if self.running:
            self.progress.emit(event)

    def _finished(self, result) -> None:
        self.running = False
        self.finished.emit(result)

    def _failed(self, exc: Exception) -> None:
        self.running = False
        self.failed.emit(explained(exc), isinstance(exc, Cancelled) or self.cancel_token.is_set())
