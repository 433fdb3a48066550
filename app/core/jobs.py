"""The one vocabulary of long jobs — import, export, training, encoding, the demo: a typed
progress event, a cancel token, and one ``Cancelled``.

A job takes ``progress`` (a callable given ``Progress`` events; None for none) and ``cancel``
(a ``CancelToken``, or any ``threading.Event``), checks the token between steps, and raises
``Cancelled`` when it stops early (or returns what it has, when stopping is a normal end).
"""
from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from app.core.errors import WenyangError


@dataclass(frozen=True)
class Progress:
    """How far a job is. ``stage`` names the part of it running ('generate', 'import',
    'items', 'photos', 'writing', 'text', 'features', 'warmup', 'train', 'export', 'encode');
    ``done`` of ``total`` steps of that stage; ``detail`` the file, modality or sentence being
    worked on; ``data`` what one kind of job adds (training: epoch, losses, validation)."""

    stage: str
    done: int = 0
    total: int = 0
    detail: str = ""
    data: Mapping[str, Any] = field(default_factory=dict)

    @property
    def finished_stage(self) -> bool:
        """The last step of its stage (a throttled display must not skip it)."""
        return self.total > 0 and self.done >= self.total


ProgressFn = Callable[[Progress], None]


class Cancelled(WenyangError):
    """The job was asked to stop and did."""

    def __init__(self, message: str = "Cancelled."):
        super().__init__(message)


class CancelToken(threading.Event):
    """Set (``cancel()``) by whoever wants the job to stop; the job checks it between steps."""

    def cancel(self) -> None:
        self.set()

    def check(self, message: str = "Cancelled.") -> None:
        """Raise ``Cancelled`` when the token is set."""
        if self.is_set():
            raise Cancelled(message)


def ignore(_event: Progress) -> None:
    """A progress callable for a job nobody watches."""
