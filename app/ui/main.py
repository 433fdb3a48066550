"""``wenyang-gui``: start the desktop application.

The library opened is ``$WENYANG_HOME`` when it is set, otherwise the last library used
(remembered in QSettings), otherwise the default per-user library. The interface language
follows the saved choice, or the system locale.

A library with no items (a fresh ``$WENYANG_HOME``) is filled with the demo collection and a
model trained on it, on a worker thread with a progress dialog (``app.ui.first_run``).

Options: ``--no-demo`` (or ``WENYANG_NO_DEMO=1``) opens an empty library as it is;
``--demo-count N`` draws N demo garments instead of 300. ``WENYANG_QUIT_AFTER=SECONDS`` closes
the window and quits after that many seconds (scripts, smoke tests on an offscreen display).
"""
from __future__ import annotations

import argparse
import gc
import os
import sys
from pathlib import Path
from typing import cast

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMessageBox

from app.core.errors import WenyangError
from app.paths import HOME_ENV, default_library_dir
from app.services.library import as_location, open_library
from app.ui import settings
from app.ui.compat import binding_problem
from app.ui.first_run import DEMO_COUNT, demo_wanted, start_first_run
from app.ui.i18n import install_language, resolve_language
from app.ui.main_window import MainWindow
from app.ui.platform_check import display_problem
from app.ui.search_backend import search_module

__all__ = ["MainWindow", "main", "library_to_open", "start", "parse_options"]

QUIT_AFTER_ENV = "WENYANG_QUIT_AFTER"


def library_to_open(named: str | None = None) -> Path | str:
    """The library named (``--library``: a folder or a server's connection string), else
    $WENYANG_HOME, else the last library used (a folder that still exists, or a server), else
    the default."""
    if named:
        return as_location(named)
    if os.environ.get(HOME_ENV):
        return default_library_dir()
    last = settings.last_library()
    if isinstance(last, str) or (last is not None and last.is_dir()):
        return last
    return default_library_dir()


def parse_options(argv: list[str]) -> dict:
    """Our own options among Qt's: ``demo`` (bool), ``demo_count`` (int) and ``library`` (a
    folder or a server's connection string to open, or None)."""
    parser = argparse.ArgumentParser(prog="wenyang-gui", add_help=False)
    parser.add_argument("--no-demo", action="store_true")
    parser.add_argument("--demo-count", type=int, default=DEMO_COUNT)
    parser.add_argument("--library", default=None)
    known, _qt_args = parser.parse_known_args(argv[1:])
    return {"demo": demo_wanted(["--no-demo"] if known.no_demo else []),
            "demo_count": max(1, known.demo_count), "library": known.library}


def start(app: QApplication | None = None, demo: bool | None = None, demo_count: int = DEMO_COUNT,
          train_options=None, library: str | None = None) -> MainWindow | None:
    """Set up the application (names, language) and show a window on the chosen library;
    an empty library gets the demo collection and a model (``demo`` None: unless
    ``WENYANG_NO_DEMO`` is set)."""
    app = app or cast("QApplication | None", QApplication.instance())
    if not QApplication.organizationName():
        settings.configure_application()
    install_language(resolve_language(settings.language()))
    try:
        lib = open_library(library_to_open(library), create=True)
    except WenyangError as exc:
        QMessageBox.critical(None, "Wenyang", str(exc))
        return None
    window = MainWindow(lib, owns_library=True)
    window.show()
    if (demo_wanted() if demo is None else demo) and lib.items.count() == 0:
        start_first_run(window, demo_count, train_options)
    return window


SWITCH_INTERVAL = 0.001  # seconds a thread keeps the interpreter lock while another waits


def settle_interpreter(window: MainWindow | None = None, ready_search: bool = True) -> None:
    """Once the window is up, before its event loop starts, keep Python from stalling the loop:

    - Move every object alive now (modules, classes, the window's widgets: about 90,000) out
      of the garbage collector's reach; with ``window``, once more when its search backend
      has loaded (ONNX Runtime, Numba and their modules, on a worker). A full collection walks
      every tracked object while holding the interpreter lock; with the start-up heap in it,
      one took 54-66 ms on a 2-core machine, and the event loop stopped for that long in the
      middle of an import (``bench/bench_gui_latency.py``). These objects live as long as the
      application anyway; later collections only walk what was made after this point
      (Python's ``gc.freeze``). The second freeze does not collect first (that would be the
      same stall): the little garbage it may pin stays pinned.
    - Hand the interpreter lock between threads every 1 ms instead of every 5: the GUI
      thread takes it back many times per frame, and each time a busy worker (the grid's
      page loads, the search backend reading the library) could keep it for a whole
      interval. Scrolling a 100,500-item library at once after opening
      (``bench/bench_grid_scroll.py --library``, six runs each, alternating): gaps over
      50 ms per run 1-4 (worst 61-148 ms) at 5 ms, 0-3 (worst 43-95 ms) at 1 ms.
    - With ``ready_search``, set up the compiler of the search loops here (about 0.2 s) rather
      than on the worker that warms the search up while the curator scrolls
      (``app.services.search.ready_search_loops``). Scrolling a 100,500-item library at once
      after opening (``bench/bench_grid_scroll.py --library``, three runs each, alternating,
      2026-12-02, load 1.0-1.4): worst gap 32-35 ms and none over 50 ms, against 113-163 ms
      and 2-6 over 50 ms with ``--cold-dispatch``; a rerun once the photo signatures had
      bounds to make (one run each, load 1.0-1.1): 45.7 ms, none over 50, against 66.5 ms, 2.
    """
    sys.setswitchinterval(SWITCH_INTERVAL)
    module = search_module() if ready_search else None
    if module is not None and hasattr(module, "ready_search_loops"):
        module.ready_search_loops()
    gc.collect()
    gc.freeze()
    if window is None:
        return
    pending = [True]

    def loaded(*_args) -> None:
        if pending:
            pending.clear()
            gc.freeze()
    window.backend.availabilityChanged.connect(loaded)


def quit_later(app: QApplication, window: MainWindow) -> None:
    """With ``WENYANG_QUIT_AFTER=SECONDS``: close the window (which stops its jobs) and quit."""
    value = os.environ.get(QUIT_AFTER_ENV, "").strip()
    if not value:
        return
    def finish():
        window.close()
        app.quit()
    QTimer.singleShot(int(float(value) * 1000), finish)


def main(argv: list[str] | None = None) -> int:
    """Run the application; returns the exit code."""
    blocked = display_problem() if QApplication.instance() is None else None
    if blocked:  # Qt would abort the process with a message that names no package
        print(blocked, file=sys.stderr)
        return 2
    app = cast(QApplication, QApplication.instance() or QApplication(argv if argv is not None else sys.argv))
    settings.configure_application()
    problem = binding_problem()
    if problem:  # refuse to start rather than abort mid-session (see app.ui.compat)
        print(problem, file=sys.stderr)
        QMessageBox.critical(None, "Wenyang", problem)
        return 2
    argv = list(argv if argv is not None else sys.argv)
    window = start(app, **parse_options(argv))
    if window is None:
        return 1
    settle_interpreter(window)
    quit_later(app, window)
    return app.exec()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
