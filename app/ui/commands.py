"""The one undo command: an op (``app.services.ops``) on the window's undo stack.

Redo runs the op, undo runs the undo it returned, and the next redo runs the redo that undo
returned; all on the library thread through the session's serial queue, so each step sees the
one before it, and the inverse is exact (rows put back as they were, read on that thread).

A long job (an import, a training, an export) runs on a worker first; its command comes onto
the stack already done (``done``), so its first redo only announces what changed.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QCoreApplication
from PySide6.QtGui import QUndoCommand

from app.services.library import explained

if TYPE_CHECKING:
    from app.services.library import Library
    from app.services.ops import Op, OpResult


class OpCommand(QUndoCommand):
    def __init__(self, session, op, text: str, on_done=None, done: OpResult | None = None, on_error=None):
        super().__init__(text)
        self.session = session
        self._on_error = on_error  # called with the exception if the op's first run fails
        self._forward: Op | None = op  # what redo runs next
        self._back: Op | None = None   # what undo runs next (None until the op has run)
        self._on_done = on_done  # called once, with the op's value, after it first ran
        self._done = done    # the result of a run that already happened (a long job's)
        self._ran = False    # whether the op has run once (later redos say so in the status bar)

    def redo(self) -> None:
        if self._done is not None:  # pushed after its job ran: take its undo, tell the views
            result, self._done, self._ran = self._done, None, True
            self._forward, self._back = None, result.undo
            self._announce(result)
            return
        notice = QCoreApplication.translate("MainWindow", "Redone: {what}") if self._ran else None
        self._ran = True
        self.session.run(self._step_forward, lambda result: self._announce(result, notice), self._failed)

    def undo(self) -> None:
        notice = QCoreApplication.translate("MainWindow", "Undone: {what}")
        self.session.run(self._step_back, lambda result: self._announce(result, notice), self._failed)

    def discard(self) -> None:
        """The step leaves the stack: whichever op it would run next never will."""
        for op in (self._forward, self._back):
            if op is not None:
                op.discard()

    # library thread
    def _step_forward(self, lib: Library):
        if self._forward is None:
            return None
        result = self._forward.run(lib)
        self._forward, self._back = None, result.undo
        return result

    def _step_back(self, lib: Library):
        if self._back is None:  # the op failed (its error was shown): nothing to undo
            return None
        result = self._back.run(lib)
        self._back, self._forward = None, result.undo
        return result

    # GUI thread
    def _announce(self, result, notice: str | None = None) -> None:
        if result is None:
            return
        self.session.changed.emit(result.changes)
        if notice is not None:  # an undo or a redo: say what it did (an export's shows nowhere else)
            self.session.message.emit(notice.format(what=self.text()))
        if self._on_done is not None:
            on_done, self._on_done = self._on_done, None
            on_done(result.value)

    def _failed(self, exc: Exception) -> None:
        self.session.message.emit(explained(exc))
        if self._on_error is not None:
            on_error, self._on_error = self._on_error, None
            on_error(exc)
        self.setObsolete(True)  # the stack drops it: Ctrl+Z goes to the edit before
