"""The one entry script of the bundle: both executables run it.

PyInstaller analyses it once; the spec makes two executables from it (``wenyang-gui``,
windowed, and ``wenyang``, a console program) that share one folder of libraries. Each
chooses what to start by its own file name, so both behave exactly like the entry points
``pyproject.toml`` declares (``app.ui.main:main`` and ``app.cli:main``).
"""
from __future__ import annotations

import multiprocessing
import sys
from pathlib import Path


def wants_gui(executable: str) -> bool:
    """True for ``wenyang-gui``, ``wenyang-gui.exe`` (any case); False for ``wenyang``."""
    return Path(executable).stem.lower().endswith("-gui")


def main() -> int:
    multiprocessing.freeze_support()  # a frozen program re-run as a worker process exits here
    if wants_gui(sys.executable):
        from app.ui.main import main as gui_main
        return gui_main()
    from app.cli import main as cli_main
    return cli_main()


if __name__ == "__main__":
    sys.exit(main())
