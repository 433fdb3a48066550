from __future__ import annotations

from app.store import open_library
from app.ui.main import MainWindow


def test_main_window_shows_the_library(qtbot, tmp_path):
    lib = open_library(tmp_path / "lib", create=True)
    window = MainWindow(lib)
    qtbot.addWidget(window)
    window.show()
    text = window.summary.text()
    assert str(tmp_path / "lib") in text and "0 items" in text
    assert f"{len(lib.scheme.labels)} labels in 7 facets" in text
    lib.close()
