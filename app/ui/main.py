"""``wenyang-gui``: start the desktop application.

The library opened is ``$WENYANG_HOME`` when it is set, otherwise the last library used
(remembered in QSettings), otherwise the default per-user library. The interface language
follows the saved choice, or the system locale.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

from PySide6.QtWidgets import QApplication, QMessageBox

from app.core.errors import WenyangError
from app.paths import HOME_ENV, default_library_dir
from app.store import open_library
from app.ui import settings
from app.ui.compat import binding_problem
from app.ui.i18n import install_language, resolve_language
from app.ui.main_window import MainWindow

__all__ = ["MainWindow", "main", "library_to_open", "start"]


def library_to_open() -> Path:
    """$WENYANG_HOME, else the last library used (if it still exists), else the default."""
    if os.environ.get(HOME_ENV):
        return default_library_dir()
    last = settings.last_library()
    if last is not None and last.is_dir():
        return last
    return default_library_dir()


def start(app: QApplication | None = None) -> MainWindow | None:
    """Set up the application (names, language) and show a window on the chosen library."""
    app = app or QApplication.instance()
    if not QApplication.organizationName():
        settings.configure_application()
    install_language(resolve_language(settings.language()))
    try:
        lib = open_library(library_to_open(), create=True)
    except WenyangError as exc:
        QMessageBox.critical(None, "Wenyang", str(exc))
        return None
    window = MainWindow(lib, owns_library=True)
    window.show()
    return window


def main(argv: list[str] | None = None) -> int:
    app = QApplication.instance() or QApplication(argv if argv is not None else sys.argv)
    settings.configure_application()
    problem = binding_problem()
    if problem:  # refuse to start rather than abort mid-session (see app.ui.compat)
        print(problem, file=sys.stderr)
        QMessageBox.critical(None, "Wenyang", problem)
        return 2
    window = start(app)
    if window is None:
        return 1
    return app.exec()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
