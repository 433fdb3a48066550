"""GUI event-loop latency while the window imports, trains on and encodes N photos.

The real main window is opened (offscreen) on a fresh library in a temporary folder, and the
bench drives it through the window's own code: the import dialog (as a drop of photos with
their sheet), then the training dialog (its Start button), whose job ends by encoding the
library. A 5 ms QTimer on the GUI thread records every tick; the gap between two ticks is how
long the event loop was kept from running. Per phase it prints the duration, the ticks, the
median, p99 and worst gap, and how many gaps exceeded 50 ms.

With ``--stacks`` a watchdog thread samples the GUI thread's Python stack whenever no tick has
come for 40 ms, and the most frequent stacks per phase are printed: where the stalls come from.

    QT_QPA_PLATFORM=offscreen python bench/bench_gui_latency.py [--count 1000] [--epochs 3]
        [--bits 16] [--photos DIR] [--stacks] [--json out.json]

``--photos DIR`` keeps the generated demo photos there (and reuses them on the next run).
Phases: ``open`` (the window's first background loads, until idle, plus 1 s), ``idle`` (2 s:
the machine's noise floor), ``import`` (until the grid shows every item), ``train`` (feature
extraction, epochs, ONNX export) and ``encode`` (the encoding that follows, until search is
available).
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import threading
import time
import traceback
from collections import Counter
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ["WENYANG_NO_DEMO"] = "1"
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

STALL_SAMPLE_MS = 40.0


class MachineWatch:
    """What the machine did to everyone while a bench ran, to tell the window's own stalls from
    the machine's. A second process (no Qt, no library: a loop that sleeps 5 ms) records its own
    gaps over ``over_ms``; on a shared virtual machine it stalls too when the hypervisor or
    another tenant takes the cores. It also reads each core's steal time (``/proc/stat``: time
    the hypervisor ran someone else on that virtual core, in 10 ms ticks) at every turn, so a
    window gap can be set against the time taken from the cores during it. Both clocks are
    CLOCK_MONOTONIC (``time.perf_counter``), shared by the two processes."""

    LOOP = ("import sys, time\n"
            "def steal():\n"
            "    try:\n"
            "        with open('/proc/stat') as f:\n"
            "            return [l.split()[8] for l in f.read().split('\\n') if l[:3] == 'cpu' and l[3:4] != ' ']\n"
            "    except (OSError, IndexError):\n"
            "        return []\n"
            "last, seen = time.perf_counter(), steal()\n"
            "print('S', last, *seen, flush=True)\n"
            "while True:\n"
            "    time.sleep(0.005)\n"
            "    now, ticks = time.perf_counter(), steal()\n"
            "    if now - last > {over}:\n"
            "        print('G', last, now, flush=True)\n"
            "    if ticks != seen:\n"
            "        print('S', now, *ticks, flush=True)\n"
            "    last, seen = now, ticks\n")

    def __init__(self, over_ms: float = 30.0):
        import subprocess

        self.started = time.perf_counter()
        self.steal0 = _steal_ms()
        self.proc = subprocess.Popen([sys.executable, "-c", self.LOOP.format(over=over_ms / 1000)],
                                     stdout=subprocess.PIPE, text=True)
        self.gaps: list[tuple[float, float]] = []
        self.ticks: list[tuple[float, list[int]]] = []  # (time, each core's steal in clock ticks)
        self.steal = 0.0

    def stop(self) -> None:
        self.proc.terminate()
        out, _ = self.proc.communicate(timeout=10)
        for line in out.splitlines():
            kind, *values = line.split()
            if kind == "G":
                self.gaps.append((float(values[0]), float(values[1])))
            elif kind == "S":
                self.ticks.append((float(values[0]), [int(v) for v in values[1:]]))
        self.steal = _steal_ms() - self.steal0

    def seen(self, start: float, end: float) -> bool:
        """Whether the control process stalled too during the window's gap (start, end)."""
        return any(a < end and b > start for a, b in self.gaps)

    def stolen_ms(self, start: float, end: float) -> float:
        """The most steal time any one core had between the last reading before ``start`` and
        the first after ``end`` (so a 10 ms tick that ends inside the gap counts)."""
        before = [c for t, c in self.ticks if t <= start]
        after = [c for t, c in self.ticks if t >= end]
        first = before[-1] if before else (self.ticks[0][1] if self.ticks else [])
        last = after[0] if after else (self.ticks[-1][1] if self.ticks else [])
        tick_ms = 1000 / os.sysconf("SC_CLK_TCK")
        return max((b - a for a, b in zip(first, last)), default=0) * tick_ms

    def machines(self, start: float, end: float, over_ms: float = 50.0) -> bool:
        """Whether a window gap was the machine's: the control process stalled during it, or
        it would have stayed under ``over_ms`` without the time the hypervisor took from a core."""
        return self.seen(start, end) or (end - start) * 1000 - self.stolen_ms(start, end) <= over_ms

    def summary(self, window_gaps: list[tuple[float, float]]) -> str:
        both = sum(self.seen(a, b) for a, b in window_gaps)
        machine = sum(self.machines(a, b) for a, b in window_gaps)
        worst = max((b - a for a, b in self.gaps), default=0.0) * 1000
        return (f"machine: steal {self.steal:.0f} ms over {time.perf_counter() - self.started:.1f} s; a sleeping "
                f"control process stalled {len(self.gaps)} times over 30 ms (worst {worst:.0f} ms); of the "
                f"window's {len(window_gaps)} gaps over 50 ms, {both} fell in one of those, and {machine} were "
                f"the machine's (in one of those, or under 50 ms less the steal time of a core during them)"
                + "".join(f"\n  gap {(b - a) * 1000:.0f} ms: a core's steal {self.stolen_ms(a, b):.0f} ms"
                          f"{', control stalled' if self.seen(a, b) else ''}" for a, b in window_gaps))


def _steal_ms() -> float:
    """CPU time the hypervisor gave to others, all cores, in ms (0 where not Linux)."""
    try:
        fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()
        return int(fields[8]) * 1000 / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return 0.0


class StallSampler(threading.Thread):
    """Samples every thread's Python stack while the GUI thread has not ticked for a while:
    the GUI thread's stack says which slot ran long (or none: Qt's own work, or a wait for the
    GIL), the others' say what held the interpreter meanwhile. On Linux it also reads the GUI
    thread's scheduler statistics every 10 ms, which tell how much of a gap the thread spent
    running and how much waiting for a CPU core (other processes), and of its running how much
    in the kernel and how many page faults it took (``/proc/self/task/TID/stat``; user and
    system time in the kernel's ticks, 10 ms)."""

    def __init__(self, probe, depth: int = 8):
        super().__init__(daemon=True)
        self.probe, self.depth = probe, depth
        self.main_id = threading.main_thread().ident
        self.schedstat = Path(f"/proc/self/task/{threading.main_thread().native_id}/schedstat")
        self.stat = self.schedstat.with_name("stat")
        self.samples: list[tuple[float, str, list[str]]] = []  # time, GUI stack, others
        self.sched: list[tuple[float, int, int]] = []           # time, ns on a core, ns waiting
        self.faults: list[tuple[float, int, int, int]] = []     # time, minor faults, user, system ticks
        self.running = True

    def run(self) -> None:
        while self.running:
            time.sleep(0.01)
            self._read_schedstat()
            if (time.perf_counter() - self.probe.last) * 1000 < STALL_SAMPLE_MS:
                continue
            now, frames = time.perf_counter(), sys._current_frames()
            main = frames.pop(self.main_id, None)
            frames.pop(threading.get_ident(), None)
            others = [self._stack(f, 4) for f in frames.values()]
            self.samples.append((now, self._stack(main, self.depth) if main else "",
                                 [o for o in others if not _waiting(o)]))

    def _read_schedstat(self) -> None:
        try:
            run_ns, wait_ns, _ = (int(v) for v in self.schedstat.read_text().split())
            fields = self.stat.read_text().rsplit(")", 1)[1].split()  # after the name, which may hold spaces
        except (OSError, ValueError, IndexError):
            return
        now = time.perf_counter()
        self.sched.append((now, run_ns, wait_ns))
        self.faults.append((now, int(fields[7]), int(fields[11]), int(fields[12])))  # minflt, utime, stime

    def kernel_in(self, start: float, end: float) -> tuple[int, float, float] | None:
        """(minor page faults, ms in user mode, ms in the kernel) of the GUI thread around
        ``start``..``end`` (the times to the kernel's 10 ms tick)."""
        before = [s for s in self.faults if s[0] <= start]
        after = [s for s in self.faults if s[0] >= end]
        if not before or not after:
            return None
        tick = 1000.0 / os.sysconf("SC_CLK_TCK")
        (_, f0, u0, s0), (_, f1, u1, s1) = before[-1], after[0]
        return f1 - f0, (u1 - u0) * tick, (s1 - s0) * tick

    def cpu_in(self, start: float, end: float) -> tuple[float, float] | None:
        """(ms running, ms waiting for a core) of the GUI thread around ``start``..``end``."""
        before = [s for s in self.sched if s[0] <= start]
        after = [s for s in self.sched if s[0] >= end]
        if not before or not after:
            return None
        (_, r0, w0), (_, r1, w1) = before[-1], after[0]
        return (r1 - r0) / 1e6, (w1 - w0) / 1e6

    @staticmethod
    def _stack(frame, depth: int) -> str:
        lines = [f"{Path(f.filename).name}:{f.lineno} {f.name}"
                 for f in traceback.extract_stack(frame)[-depth:]]
        return " <- ".join(reversed(lines))

    def during(self, start: float, end: float) -> tuple[Counter, Counter]:
        """The GUI and other threads' stacks sampled between ``start`` and ``end``."""
        main, others = Counter(), Counter()
        for t, stack, rest in self.samples:
            if start <= t <= end + 0.005:
                main[stack] += 1
                others.update(rest)
        return main, others


def _waiting(stack: str) -> bool:
    """Threads parked in a pool or queue (not doing anything)."""
    return stack.split(" <- ")[0].split(" ")[-1] in ("wait", "_wait_for_tstate_lock", "get",
                                                      "select", "poll", "sleep", "run")


def run_until(done, timeout_s: float) -> bool:
    """Run the event loop until ``done()`` is true (checked every 20 ms) or the timeout."""
    from PySide6.QtCore import QEventLoop, QTimer

    loop, check = QEventLoop(), QTimer()
    deadline = time.monotonic() + timeout_s
    check.setInterval(20)
    check.timeout.connect(lambda: (done() or time.monotonic() > deadline) and loop.quit())
    check.start()
    if not done():
        loop.exec()
    check.stop()
    return bool(done())


def window_idle(window) -> bool:
    return (window.session.idle() and window.backend.queue.pending == 0
            and window.loader.queued == 0)


def demo_photos(folder: Path, count: int) -> tuple[list[Path], Path]:
    """The demo's photos and sheet in ``folder`` (generated unless already there)."""
    from app.services.demo import SHEET_NAME, accession_number, generate_demo

    files = [folder / f"{accession_number(0, i)}.jpg" for i in range(count)]
    sheet = folder / SHEET_NAME
    if not (sheet.is_file() and all(f.is_file() for f in files) and _rows(sheet) == count):
        started = time.perf_counter()
        generate_demo(folder, seed=0, count=count)
        print(f"generated {count} demo photos in {time.perf_counter() - started:.0f} s", flush=True)
    return files, sheet


def _rows(sheet: Path) -> int:
    import csv

    with open(sheet, encoding="utf-8", newline="") as handle:
        return sum(1 for _ in csv.DictReader(handle))


def import_phase(window, probe, files, sheet, timeout_s: float) -> dict:
    probe.enter("import")
    dialog = window.import_paths(files, sheet, auto_start=True)  # what a drop does
    ended = []
    dialog.imported.connect(ended.append)
    ok = run_until(lambda: ended and window_idle(window)
                   and window.grid_model.total == len(files), timeout_s)
    report = ended[0] if ended else None
    dialog.close()
    return {"ok": ok, "added_items": getattr(report, "added_items", None)}


def train_phases(window, probe, bits: int, epochs: int, timeout_s: float) -> dict:
    from app.ui.training_dialog import BITS

    probe.enter("train")
    dialog = window.show_training()
    dialog.bits.setCurrentIndex(BITS.index(bits))
    dialog.epochs.setValue(epochs)
    dialog.start_button.click()
    outcome = []
    dialog.trained.connect(outcome.append)

    def on_event(event) -> None:
        if event.stage == "encode" and probe.phase == "train":
            probe.enter("encode")
    dialog.job.progress.connect(on_event)
    ok = run_until(lambda: outcome and window_idle(window) and window.backend.available, timeout_s)
    if probe.phase == "train":  # no encode event came through the throttle: say so
        probe.enter("encode")
    text = dialog.stage.text()
    dialog.close()
    return {"ok": ok, "model": getattr(outcome[0], "model_id", None) if outcome else None,
            "stage_text": text}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--bits", type=int, default=16)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--photos", type=Path, help="keep (and reuse) the demo photos here")
    parser.add_argument("--stacks", action="store_true", help="sample the GUI thread in stalls")
    parser.add_argument("--timeout", type=float, default=600, help="seconds per phase")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="wenyang-latency-") as tmp:
        tmp = Path(tmp)
        os.environ["WENYANG_HOME"] = str(tmp / "library")
        files, sheet = demo_photos(args.photos or tmp / "photos", args.count)
        result = measure(args, files, sheet, tmp)
    print_table(result)
    if args.json:
        args.json.write_text(json.dumps(result, indent=2, ensure_ascii=False), encoding="utf-8")
    return 0 if all(p.get("ok", True) for p in result["steps"].values()) else 1


def measure(args, files, sheet, tmp: Path) -> dict:
    from PySide6.QtWidgets import QApplication

    from app.ui import settings
    from app.ui.latency import LatencyProbe
    from app.ui.main import settle_interpreter, start

    app = QApplication.instance() or QApplication([])
    settings.use_settings_dir(tmp / "qsettings", organisation="WenyangBench")
    window = start(app, demo=False)
    settle_interpreter(window)  # as main() does once the window is up
    probe = LatencyProbe()
    sampler = StallSampler(probe) if args.stacks else None
    if sampler:
        sampler.start()
    probe.enter("open")  # the window's first loads (search module, counts, thumbnails)
    run_until(lambda: window_idle(window), 60.0)
    run_until(lambda: False, 1.0)
    probe.enter("idle")
    run_until(lambda: False, 2.0)
    steps = {"import": import_phase(window, probe, files, sheet, args.timeout),
             "train": train_phases(window, probe, args.bits, args.epochs, args.timeout)}
    probe.stop()
    if sampler:
        sampler.running = False
    window.close()
    names = ("open", "idle", "import", "train", "encode")
    return {"count": args.count, "bits": args.bits, "epochs": args.epochs,
            "phases": [probe.summary(p) for p in names], "steps": steps,
            "stalls": stalls(probe, sampler, names) if sampler else {}, "cpus": os.cpu_count()}


def stalls(probe, sampler: StallSampler, phases) -> dict:
    """The worst gaps of each phase, with the stacks sampled while they lasted."""
    out = {}
    for phase in phases:
        gaps = sorted(probe.slow_gaps(phase), key=lambda g: g[0] - g[1])[:8]
        out[phase] = []
        for start, end in gaps:
            main, others = sampler.during(start, end)
            cpu = sampler.cpu_in(start, end)
            kernel = sampler.kernel_in(start, end)
            out[phase].append({"at_s": round(start - probe.spans[phase][0], 2),
                               "ms": round((end - start) * 1000, 1),
                               "gui_running_ms": round(cpu[0], 1) if cpu else None,
                               "gui_waiting_for_core_ms": round(cpu[1], 1) if cpu else None,
                               "gui_faults_user_system": kernel,
                               "gui": main.most_common(2), "others": others.most_common(3)})
    return out


def print_table(result: dict) -> None:
    print(f"\nGUI event-loop latency, {result['count']} photos, {result['bits']} bits, "
          f"{result['epochs']} epochs (5 ms probe timer)")
    print(f"{'phase':8} {'seconds':>8} {'ticks':>7} {'median':>8} {'p99':>8} {'worst':>8} {'>50ms':>6}")
    for p in result["phases"]:
        if not p.get("ticks"):
            print(f"{p['phase']:8} {p['seconds']:8.1f}   (no ticks)")
            continue
        print(f"{p['phase']:8} {p['seconds']:8.1f} {p['ticks']:7d} {p['median_ms']:7.1f}ms "
              f"{p['p99_ms']:7.1f}ms {p['worst_ms']:7.1f}ms {p['over_50ms']:6d}")
    for name, step in result["steps"].items():
        print(f"{name}: {step}")
    print_stalls(result["stalls"])


def print_stalls(found: dict) -> None:
    """``stalls()``'s worst gaps per phase, each with the stacks sampled while it lasted."""
    for phase, gaps in found.items():
        if gaps:
            print(f"\nworst gaps in {phase} (stacks sampled every 10 ms after {STALL_SAMPLE_MS:.0f} ms):")
        for gap in gaps:
            cpu = "" if gap["gui_running_ms"] is None else (
                f" (GUI thread around it: {gap['gui_running_ms']:.0f} ms on a core, "
                f"{gap['gui_waiting_for_core_ms']:.0f} ms waiting for one)")
            if gap.get("gui_faults_user_system"):
                faults, user, system = gap["gui_faults_user_system"]
                cpu += f"; {faults} page faults, user {user:.0f} ms, system {system:.0f} ms"
            print(f"  {gap['ms']:6.1f} ms at {gap['at_s']:.2f} s{cpu}")
            for stack, n in gap["gui"]:
                print(f"      gui {n:3d}  {stack}")
            for stack, n in gap["others"]:
                print(f"      oth {n:3d}  {stack}")


if __name__ == "__main__":
    sys.exit(main())
