"""A check that the Qt binding keeps Python's reference counts straight.

PySide6 6.12.0's stable-ABI wheels, run on Python 3.10/3.11, give back references to
``None``, ``True`` and ``False`` they never took (from 3.12 those objects are immortal and
the slip is harmless): every signal emit and every Qt call returning None takes one away,
and after a few hundred the interpreter aborts ("Fatal Python error: bool_dealloc").
Measured here: 100 emits of a connected signal lower ``sys.getrefcount(True)`` by 100.
"""
from __future__ import annotations

import sys


def binding_problem() -> str | None:
    """A sentence describing the fault when this PySide6 leaks references, else None."""
    if sys.version_info >= (3, 12):
        return None  # None/True/False are immortal: nothing to lose
    from PySide6 import __version__ as version
    from PySide6.QtCore import QObject, Signal

    class _Probe(QObject):
        ping = Signal(int)

    probe = _Probe()
    probe.ping.connect(lambda _value: None)
    before = sys.getrefcount(True), sys.getrefcount(None)
    for i in range(20):
        probe.ping.emit(i)
        probe.blockSignals(False)
    after = sys.getrefcount(True), sys.getrefcount(None)
    if after[0] < before[0] - 10 or after[1] < before[1] - 10:
        return (f"PySide6 {version} loses references to True/None on Python "
                f"{sys.version_info.major}.{sys.version_info.minor} and would crash the "
                "window; install pyside6-essentials 6.11.3 (or use Python 3.12 or newer).")
    return None
