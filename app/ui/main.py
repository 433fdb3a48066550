"""``wenyang-gui``: the desktop window (a first, minimal main window)."""
from __future__ import annotations

import sys

from PySide6.QtWidgets import QApplication, QLabel, QMainWindow, QMessageBox

from app.core.errors import WenyangError
from app.paths import default_library_dir
from app.store import open_library


class MainWindow(QMainWindow):
    """Shows which library is open and what it holds."""

    def __init__(self, lib):
        super().__init__()
        self.lib = lib
        self.setWindowTitle(f"Wenyang 纹样 — {lib.root}")
        scheme = lib.scheme
        self.summary = QLabel(
            f"Library: {lib.root}\n{lib.items.count()} items · {len(scheme.labels)} labels in "
            f"{len(scheme.facets)} facets\n\nImport photos with: wenyang import \"{lib.root}\" FOLDER")
        self.summary.setMargin(24)
        self.setCentralWidget(self.summary)
        self.statusBar().showMessage(f"{lib.root}")
        self.resize(720, 420)


def main(argv: list[str] | None = None) -> int:
    app = QApplication.instance() or QApplication(argv if argv is not None else sys.argv)
    try:
        lib = open_library(default_library_dir(), create=True)
    except WenyangError as exc:
        QMessageBox.critical(None, "Wenyang", str(exc))
        return 1
    window = MainWindow(lib)
    window.show()
    return app.exec()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
