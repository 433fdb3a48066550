"""An event-loop latency probe: how long the GUI thread was kept from running its events.

A precise 5 ms timer on the GUI thread records when it fires; the gap between two ticks is the
interval plus however long something (a slow slot, a flood of queued signals, another thread
holding the GIL) kept the event loop busy. Ticks are grouped into named phases.
``bench/bench_gui_latency.py`` and a UI test use it.
"""
from __future__ import annotations

import statistics
import time

from PySide6.QtCore import QObject, Qt, QTimer

SLOW_MS = 50.0  # the budget for one call on the GUI thread


class LatencyProbe(QObject):
    """``enter(phase)`` starts (or switches) the phase ticks count for; ``summary(phase)``."""

    def __init__(self, interval_ms: int = 5, parent: QObject | None = None):
        super().__init__(parent)
        self.timer = QTimer(self)
        self.timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.timer.setInterval(interval_ms)
        self.timer.timeout.connect(self._tick)
        self.last = time.perf_counter()
        self.phase = ""
        self.ticks: dict[str, list[float]] = {}
        self.spans: dict[str, list[float]] = {}

    def _tick(self) -> None:
        self.last = now = time.perf_counter()
        self.ticks[self.phase].append(now)

    def enter(self, phase: str) -> None:
        """End the current phase here and start counting ``phase``."""
        now = time.perf_counter()
        if self.phase in self.spans:
            self.spans[self.phase][1] = now
        self.phase = phase
        self.spans[phase], self.ticks[phase] = [now, now], [now]
        self.last = now
        if not self.timer.isActive():
            self.timer.start()

    def stop(self) -> None:
        self.enter("")
        self.timer.stop()

    def gaps_ms(self, phase: str) -> list[float]:
        ticks = self.ticks.get(phase, [])
        return [(b - a) * 1000 for a, b in zip(ticks, ticks[1:])]

    def slow_gaps(self, phase: str, over_ms: float = SLOW_MS) -> list[tuple[float, float]]:
        """(start, end) perf_counter times of every gap over ``over_ms`` in ``phase``."""
        ticks = self.ticks.get(phase, [])
        return [(a, b) for a, b in zip(ticks, ticks[1:]) if (b - a) * 1000 > over_ms]

    def summary(self, phase: str) -> dict:
        """Duration, ticks, median, p99 and worst gap (ms), and the gaps over 50 ms."""
        gaps = sorted(self.gaps_ms(phase))
        start, end = self.spans.get(phase, [0.0, 0.0])
        out = {"phase": phase, "seconds": round(end - start, 2), "ticks": len(gaps)}
        if gaps:
            out.update(median_ms=round(statistics.median(gaps), 2),
                       p99_ms=round(gaps[min(len(gaps) - 1, int(len(gaps) * 0.99))], 2),
                       worst_ms=round(gaps[-1], 1), over_50ms=sum(g > SLOW_MS for g in gaps))
        return out
