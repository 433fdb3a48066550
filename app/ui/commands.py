"""The one undo command: an op (``app.services.ops``) on the window's undo stack.

Redo runs the op, undo runs the undo it returned, and the next redo runs the redo that undo
returned; all on the library thread through the session's serial queue, so each step sees the
one before it, and the inverse is exact (rows put back as they were, read on that thread).
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtGui import QUndoCommand

if TYPE_CHECKING:
    from app.services.library import Library


class OpCommand(QUndoCommand):
    def __init__(self, session, op, text: str, on_done=None):
        super().__init__(text)
        self.session = session
        self._forward = op   # what redo runs next
        self._back = None    # what undo runs next (None until the op has run)
        self._on_done = on_done  # called once, with the op's value, after it first ran

    def redo(self) -> None:
        self.session.run(self._step_forward, self._announce, self._failed)

    def undo(self) -> None:
        self.session.run(self._step_back, self._announce, self._failed)

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
    def _announce(self, result) -> None:
        if result is None:
            return
        self.session.changed.emit(result.changes)
        if self._on_done is not None:
            on_done, self._on_done = self._on_done, None
            on_done(result.value)

    def _failed(self, exc: Exception) -> None:
        self.session.message.emit(str(exc))
        self.setObsolete(True)  # the stack drops it: Ctrl+Z goes to the edit before
