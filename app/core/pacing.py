"""Background work gives way while the curator moves the window.

Long loops on worker threads (reading a million codes, tie-break scores or photo signatures
when a library opens) call :func:`give_way` between their steps; the window calls
:func:`busy` while the curator scrolls. A step then waits until the window has been still for
:data:`QUIET` seconds, so the worker neither takes a core nor holds the interpreter lock
while frames are due. Outside the window nobody calls :func:`busy` and :func:`give_way`
returns at once; on the main thread it never waits.
"""
from __future__ import annotations

import threading
import time

QUIET = 0.3   # seconds of stillness before background steps go on
LONGEST = 5.0  # the most one step waits: the work goes on, a step at a time, however long the scrolling
_STEP = 0.05
_last_busy = float("-inf")


def busy() -> None:
    """The window is being moved now (it scrolled): background steps wait a while."""
    global _last_busy
    _last_busy = time.monotonic()


def give_way(longest: float = LONGEST) -> float:
    """Wait, on a worker thread, until the window has been still for :data:`QUIET` seconds
    (at most ``longest``); the seconds waited."""
    if threading.current_thread() is threading.main_thread():
        return 0.0
    started = time.monotonic()
    while (now := time.monotonic()) - _last_busy < QUIET and now - started < longest:
        time.sleep(min(_STEP, QUIET - (now - _last_busy)))
    return time.monotonic() - started
