"""Scrolling the main window's grid over a large library: frame times and GUI-thread gaps.

A library of N items (default 100,000) is written straight into SQLite (the importer would
take an hour for this many); every item has one photo row pointing at one of a few hundred
real demo JPEGs, under a hash of its own, so no thumbnail is cached and each one the grid shows
is decoded from the photo, as after a fresh import. The real main window (offscreen) opens on
it; once the grid's scroll bar spans every row, inside the running event loop, the grid is
scrolled down a viewport at a time, one step per 16 ms frame (a fast fling), and afterwards
jumped to the end and back, five times. A 5 ms probe timer on the GUI thread records every
gap (``app.ui.latency``). It prints, per phase: frames, median / p99 / worst frame time (the
time from one frame's timer to the next: 16 ms when nothing stalls), and the probe's gaps
(median, p99, worst, count over 50 ms); and how many fling frames found the scroll position
moved back since the frame before (the view, not the fling, moved it: 0 when all is well).
Beside it, what the machine did meanwhile (``bench_gui_latency.MachineWatch``): the hypervisor's
steal time, and the gaps of a second process that only sleeps 5 ms at a time; a window gap that
falls in one of the control's, or that would have stayed under 50 ms without the steal time a
core had during it, was the machine's, not the window's. Each gap over 50 ms is listed with it.

    QT_QPA_PLATFORM=offscreen python bench/bench_grid_scroll.py [--count 100000] [--frames 600]
        [--library LIB] [--stacks]

``--library`` scrolls an existing library instead (``bench_scale.py`` passes the libraries it
grows); nothing is written to it. ``--stacks`` samples every thread's stack in each stall
(``bench_gui_latency.StallSampler``) and prints the worst gaps with them.
"""
from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ["WENYANG_NO_DEMO"] = "1"
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def fill(root: Path, count: int, photos: list[Path]) -> float:
    """``count`` items with a photo row each (real files, hashes of their own); seconds taken."""
    from app.store import open_library

    started = time.perf_counter()
    with open_library(root, create=True) as lib:
        conn = lib.db.conn
        conn.execute("BEGIN")
        conn.executemany("INSERT INTO items (id, accession, title, description, metadata, created, modified) "
                         "VALUES (?, ?, ?, '', '{}', '2026-01-01T00:00:00', '2026-01-01T00:00:00')",
                         ((i + 1, f"M{i:07d}", f"Robe {i}") for i in range(count)))
        conn.executemany("INSERT INTO photos (item_id, path, sha256, size, width, height, format, position, created) "
                         "VALUES (?, ?, ?, 1, 256, 256, 'JPEG', 0, '2026-01-01T00:00:00')",
                         ((i + 1, str(photos[i % len(photos)]), f"{i:064x}") for i in range(count)))
        conn.execute("COMMIT")
    return time.perf_counter() - started


def demo_jpegs(folder: Path, n: int) -> list[Path]:
    from app.services.demo import generate_demo

    if not any(folder.glob("*.jpg")):
        generate_demo(folder, seed=0, count=n)
    return sorted(folder.glob("*.jpg"))


def whole_range(grid) -> int:
    """The scroll bar's maximum once every row is laid out (a grid of uniform cells)."""
    cell = grid.gridSize()
    columns = max(1, grid.viewport().width() // cell.width())
    rows = -(-grid.model().rowCount() // columns)
    return max(0, rows * cell.height() - grid.viewport().height())


def frames(step, n: int) -> list[float]:
    """Inside a running event loop, ``step()`` every 16 ms (a frame), ``n`` times or until it
    returns False; the ms from each frame's timer to the next (16 when nothing stalls)."""
    from PySide6.QtCore import QEventLoop, QTimer

    loop, timer, stamps = QEventLoop(), QTimer(), []

    def tick():
        stamps.append(time.perf_counter())
        if len(stamps) > n or step() is False:
            timer.stop()
            loop.quit()
    timer.setInterval(16)
    timer.timeout.connect(tick)
    timer.start()
    loop.exec()
    return [(b - a) * 1000 for a, b in zip(stamps, stamps[1:])]


def report(name: str, times: list[float], probe) -> None:
    gaps = sorted(probe.gaps_ms(name))
    ordered = sorted(times)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] if ordered else float("nan")
    gap99 = gaps[min(len(gaps) - 1, int(len(gaps) * 0.99))] if gaps else float("nan")
    print(f"{name:14} frames {len(times):5d}, ms between frames: median {statistics.median(times):5.1f}  "
          f"p99 {p99:5.1f}  worst {max(times):6.1f}  |  GUI-thread gaps: median {statistics.median(gaps):4.1f}  "
          f"p99 {gap99:5.1f}  worst {gaps[-1]:6.1f} ms, over 50 ms: {sum(g > 50 for g in gaps)}", flush=True)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--count", type=int, default=100_000)
    ap.add_argument("--frames", type=int, default=600, help="scroll steps of the fling (default 600)")
    ap.add_argument("--photos", type=Path, default=Path(tempfile.gettempdir()) / "wenyang-scroll-photos")
    ap.add_argument("--library", type=Path, help="scroll this library instead of writing one")
    ap.add_argument("--no-settle", action="store_true", help="leave the start-up heap to the collector")
    ap.add_argument("--wait-idle", action="store_true", help="scroll once the window's first loads are done")
    ap.add_argument("--cold-dispatch", action="store_true",
                    help="leave setting up the search loops' compiler to the search warm-up's worker")
    ap.add_argument("--stacks", action="store_true", help="sample every thread's stack in GUI-thread stalls")
    args = ap.parse_args()
    from bench_gui_latency import MachineWatch, StallSampler, print_stalls, stalls, window_idle
    from PySide6.QtWidgets import QApplication

    from app.store import open_library
    from app.ui.latency import LatencyProbe
    from app.ui.main import settle_interpreter
    from app.ui.main_window import MainWindow
    from app.ui.settings import use_settings_dir

    app = QApplication.instance() or QApplication([sys.argv[0]])
    tmp = Path(tempfile.mkdtemp(prefix="wenyang-scroll-"))
    use_settings_dir(tmp / "settings")
    if args.library is not None:
        lib = open_library(args.library)
        args.count = lib.items.count()
        print(f"{args.count} items in {args.library}; load average {os.getloadavg()[0]:.2f}, "
              f"{os.cpu_count()} cores", flush=True)
    else:
        photos = demo_jpegs(args.photos, 300)
        print(f"{args.count} items over {len(photos)} demo photos; load average {os.getloadavg()[0]:.2f}, "
              f"{os.cpu_count()} cores", flush=True)
        print(f"library written in {fill(tmp / 'lib', args.count, photos):.1f} s", flush=True)
        lib = open_library(tmp / "lib")
    window = MainWindow(lib, owns_library=True)
    window.resize(1440, 900)
    window.show()
    if not args.no_settle:
        settle_interpreter(window, ready_search=not args.cold_dispatch)  # as main() does
    probe = LatencyProbe(parent=window)
    sampler = StallSampler(probe) if args.stacks else None
    if sampler:
        sampler.start()
    probe.enter("open")
    began = time.perf_counter()
    while window.grid_model.total < args.count and time.perf_counter() - began < 120:
        app.processEvents()
        time.sleep(0.005)
    print(f"grid shows {window.grid_model.total} items {time.perf_counter() - began:.2f} s after the window opened",
          flush=True)
    bar = window.grid.verticalScrollBar()
    whole = whole_range(window.grid)
    while bar.maximum() < whole and time.perf_counter() - began < 120:
        app.processEvents()
        time.sleep(0.001)
    print(f"scroll range whole ({bar.maximum()} px) {time.perf_counter() - began:.2f} s after the window opened",
          flush=True)
    if args.wait_idle:  # let the window's first background loads finish before scrolling
        began = time.perf_counter()
        while not window_idle(window) and time.perf_counter() - began < 300:
            app.processEvents()
            time.sleep(0.005)
        print(f"window idle {time.perf_counter() - began:.1f} s later", flush=True)
    at_end, thrown_back = [0], [0]  # frames in a row at the bottom: the grid may still be laying rows out

    def fling():
        at_end[0] = at_end[0] + 1 if bar.value() >= bar.maximum() else 0
        if at_end[0] >= 10:
            return False
        if bar.value() < getattr(fling, "asked", 0):  # the view moved the position back since
            thrown_back[0] += 1
        fling.asked = min(bar.maximum(), bar.value() + window.grid.viewport().height())
        bar.setValue(fling.asked)
        return None

    watch = MachineWatch()
    probe.enter("fling")
    report("fling", frames(fling, args.frames), probe)
    print(f"fling: {thrown_back[0]} frames found the position moved back", flush=True)
    probe.enter("jump end/top")
    ends = iter([bar.maximum, lambda: 0] * 5)
    report("jump end/top", frames(lambda: bar.setValue(next(ends)()), 9), probe)
    probe.stop()
    watch.stop()
    print(watch.summary(probe.slow_gaps("fling") + probe.slow_gaps("jump end/top")), flush=True)
    if sampler:
        sampler.running = False
        print_stalls(stalls(probe, sampler, ("fling", "jump end/top")))
    print(f"rows {window.grid_model.rowCount()} of {window.grid_model.total}; thumbnails decoded "
          f"{len(window.grid_model.pixmaps)} (cache)")
    window.close()
    shutil.rmtree(tmp, ignore_errors=True)  # the generated library and the window's settings
    return 0


if __name__ == "__main__":
    sys.exit(main())
