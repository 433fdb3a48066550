"""Run a long job in a child process, with progress and cancel, as if it were a local call.

Why: training and encoding on a worker *thread* of the window share the interpreter with
the GUI thread. Importing PyTorch, its ONNX export and Python-heavy loops hold the GIL for
100–350 ms at a time, and the window freezes that long (``bench/bench_gui_latency.py``
measured it). A spawned process has its own interpreter: the window only reads progress
events from a queue.

``run_isolated(fn, *args, progress=..., cancel=..., **kwargs)`` calls
``fn(*args, progress=send, cancel=stop, **kwargs)`` in the child, where ``send`` queues each
event back (the parent calls ``progress`` with it) and ``stop`` is set when ``cancel`` is.
The result or the exception comes back pickled. Only module-level functions can be sent to a
spawned process; anything else (a bound method, a lambda) is called here, in this thread.
"""
from __future__ import annotations

import io
import logging
import multiprocessing
import os
import pickle
import queue
import threading
import traceback
from collections.abc import Callable
from typing import Any

from app.core.errors import WenyangError

log = logging.getLogger(__name__)
POLL_S = 0.1


def can_isolate(fn: Callable) -> bool:
    """True when ``fn`` is a module-level function a spawned process can import by name."""
    import importlib

    module, name = getattr(fn, "__module__", None), getattr(fn, "__qualname__", "")
    if not module or "." in name or "<" in name or module == "__main__":
        return False
    try:
        return getattr(importlib.import_module(module), name, None) is fn
    except ImportError:
        return False


# How much lower than the window a training child runs (POSIX nice). At 5 the window's GUI
# thread still waited for a core now and then while training kept both cores busy: one gap of
# 51.4 ms in 933 s of training on 1,000 photos (bench/bench_gui_latency.py, 2026-12-01). A
# lower priority costs training nothing when the window is idle.
BACKGROUND_NICE = 10


def run_isolated(fn: Callable, *args, progress: Callable[[Any], None] | None = None,
                 cancel: threading.Event | None = None, nice: int = 0, **kwargs) -> Any:
    """``fn(*args, progress=..., cancel=..., **kwargs)`` in a child process (see the module);
    ``nice`` lowers the child's scheduling priority (POSIX) that much below the process's main
    thread (``priority_below_main``), so background work yields the CPU to the window when both
    want it."""
    if not can_isolate(fn):
        return fn(*args, progress=progress or _ignore, cancel=cancel or threading.Event(), **kwargs)
    context = multiprocessing.get_context("spawn")  # torch and fork do not mix
    events, stop = context.Queue(), context.Event()
    child = context.Process(target=_child, args=(fn, args, kwargs, events, stop, priority_below_main(nice)),
                            name=f"wenyang {fn.__name__}", daemon=True)
    child.start()
    try:
        return _collect(child, events, stop, progress or _ignore, cancel)
    finally:
        _finish(child, stop)


def _ignore(_event) -> None:
    pass


def _collect(child, events, stop, progress, cancel):
    """Pass events on until the child reports its result or its error (or dies)."""
    while True:
        if cancel is not None and cancel.is_set():
            stop.set()
        try:
            kind, payload = events.get(timeout=POLL_S)
        except queue.Empty:
            if child.is_alive():
                continue
            try:  # it may have exited just after its last words: read what is left
                kind, payload = events.get(timeout=1.0)
            except queue.Empty:
                raise WenyangError(f"The background process ({child.name}) ended unexpectedly "
                                   f"(exit code {child.exitcode}).") from None
        if kind == "progress":
            progress(pickle.loads(payload))
        elif kind == "result":
            return pickle.loads(payload)
        else:
            raise pickle.loads(payload)


def _finish(child, stop) -> None:
    """Let the child exit; a child that ignores the stop request is ended."""
    if child.is_alive():
        stop.set()
        child.join(10)
    if child.is_alive():
        log.warning("%s did not stop; terminating it", child.name)
        child.terminate()
    child.join(5)


def priority_below_main(by: int) -> int | None:
    """The nice value ``by`` below this process's main thread (the window's GUI thread), for a
    child to take with ``lower_priority``; None for no change. A child inherits the nice of the
    thread that starts it, and the window's workers run lower than its GUI thread already
    (``app.ui.workers.yield_to_window``): adding to that would put training at the bottom
    (nice 19), where any other program on the machine starves it."""
    if not by or not hasattr(os, "getpriority"):
        return None
    try:
        return min(os.getpriority(os.PRIO_PROCESS, os.getpid()) + by, 19)  # Linux: the main thread
    except OSError:
        return None


def lower_priority(nice: int | None, who: int = 0) -> None:
    """Run at ``nice`` (e.g. from ``priority_below_main``) if that is lower than now: this
    process, or on Linux the thread whose native id is ``who`` (nice is per thread there).
    A priority is only ever lowered, which needs no privilege; where that is refused, nothing
    changes."""
    if nice is None or not hasattr(os, "setpriority"):
        return
    try:
        if os.getpriority(os.PRIO_PROCESS, who) < nice:
            os.setpriority(os.PRIO_PROCESS, who, nice)
    except OSError:
        pass


def _child(fn, args, kwargs, events, stop, nice: int | None = None) -> None:  # runs in the child process
    lower_priority(nice)

    def send(event) -> None:
        events.put(("progress", dumps(event)))

    try:
        result = fn(*args, progress=send, cancel=stop, **kwargs)
        events.put(("result", dumps(result)))
    except BaseException as exc:  # noqa: BLE001 - every failure goes back to the parent
        events.put(("error", _portable(exc)))
    events.close()
    events.join_thread()  # everything is in the pipe before the process exits


class _PlainPickler(pickle.Pickler):
    """Sends instances of str, int and float subclasses as the plain type: a model card holds
    ``torch.__version__`` (a ``TorchVersion``), and unpickling that would import PyTorch in the
    window's process (a one-second freeze, the very thing the child process is there to avoid)."""

    def reducer_override(self, obj):
        for plain in (str, int, float):
            if isinstance(obj, plain) and type(obj) is not plain and not isinstance(obj, bool):
                return plain, (plain(obj),)
        return NotImplemented


def dumps(obj) -> bytes:
    """``obj`` pickled with str/int/float subclasses made plain (see ``_PlainPickler``)."""
    buffer = io.BytesIO()
    _PlainPickler(buffer, protocol=pickle.HIGHEST_PROTOCOL).dump(obj)
    return buffer.getvalue()


def _portable(exc: BaseException) -> bytes:
    """The exception pickled, or a WenyangError with its message when it cannot travel."""
    log.debug("child failed:\n%s", traceback.format_exc())
    try:
        data = dumps(exc)
        pickle.loads(data)
        return data
    except Exception:  # noqa: BLE001 - unpicklable exception types are common
        return dumps(WenyangError(f"{type(exc).__name__}: {exc}"))
