"""The open library as the window sees it: worker queues, the undo stack, change signals.

Panels never talk to each other. They ask the session to run work on the library thread,
and they subscribe to its signals to reload what changed (the napari pattern: the view
listens, the model announces).
"""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, QThreadPool, Signal
from PySide6.QtGui import QUndoStack

from app.services.library import as_location, explained
from app.ui.workers import LibraryQueue


class Session(QObject):
    """One library open in one window."""

    changed = Signal(object)        # app.services.ops.Changes: every view reloads what it shows of it
    message = Signal(str)           # notices and errors for the status bar
    busyChanged = Signal(bool)      # background library work pending or not

    def __init__(self, root: Path | str, parent: QObject | None = None):
        super().__init__(parent)
        self.root = as_location(root)  # a folder, or a server's connection string
        self.queue = LibraryQueue(self.root, self)
        self.queue.failed.connect(self.message)
        self.queue.idleChanged.connect(lambda idle: self.busyChanged.emit(not idle))
        self.undo = QUndoStack(self)
        self.jobs = QThreadPool(self)     # long jobs (training) with their own connections
        self.jobs.setMaxThreadCount(2)
        self.imports = QThreadPool(self)  # one import at a time: two writers would race on
        self.imports.setMaxThreadCount(1)  # the same new photos (content-hash de-duplication)
        self._closers: list[Callable[[], None]] = []
        self.closed = False

    def run(self, fn: Callable, on_done: Callable | None = None,
            on_error: Callable | None = None) -> None:
        """Run ``fn(lib)`` on the library thread; errors go to the status bar by default."""
        self.queue.submit(fn, on_done, on_error or (lambda exc: self.message.emit(explained(exc))))

    def apply(self, op, text: str, on_done: Callable | None = None, on_error: Callable | None = None) -> None:
        """Run an op (``app.services.ops``) on the library thread, as one step of the undo stack
        named ``text`` (in the interface language); ``on_done(value)`` after it first ran,
        ``on_error(exception)`` if that run failed (its message goes to the status bar anyway)."""
        from app.ui.commands import OpCommand

        self._push(OpCommand(self, op, text, on_done, on_error=on_error))

    def record(self, result, text: str) -> None:
        """A long job's op ran on a worker and returned ``result``: make it a step of the undo
        stack, and tell every view what changed. A run that changed nothing is no step."""
        from app.ui.commands import OpCommand

        if not result.changes:
            return
        self._push(OpCommand(self, None, text, done=result))

    def announce(self, changes) -> None:
        """Tell every view about a change made outside an op (the demo library being made)."""
        self.changed.emit(changes)

    def _push(self, command) -> None:
        """The steps undone so far leave the stack when a new one comes: let them go first."""
        self._discard(range(self.undo.index(), self.undo.count()))
        self.undo.push(command)

    def _discard(self, indexes: range) -> None:
        from app.ui.commands import OpCommand

        for index in indexes:
            command = self.undo.command(index)
            if isinstance(command, OpCommand):
                command.discard()

    def idle(self) -> bool:
        """True when no library work is waiting (tests wait for this)."""
        return (self.queue.pending == 0 and self.jobs.activeThreadCount() == 0
                and self.imports.activeThreadCount() == 0)

    def on_close(self, closer: Callable[[], None]) -> None:
        """Register something to stop before the connections close (cancel a running job)."""
        self._closers.append(closer)

    def close(self) -> None:
        """Stop long jobs, finish queued work, close the worker connections (once)."""
        if self.closed:
            return
        self.closed = True
        for closer in self._closers:
            try:
                closer()
            except RuntimeError:  # its widget is already gone: nothing left to stop
                pass
        self.imports.waitForDone(30_000)
        self.jobs.waitForDone(30_000)
        self.queue.close()
        self._discard(range(self.undo.count()))  # no step can be undone or redone any more
