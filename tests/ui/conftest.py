"""UI test setup: settings in a temp folder, English, photos made with PIL, a window fixture.

Every flow is driven through real widgets; background work is awaited with
``qtbot.waitUntil`` on the window's own "idle" state, never with sleeps.
"""
from __future__ import annotations

import pytest

from tests.ui.helpers import import_photos, make_photos, wait_idle


def pytest_configure(config):
    config.addinivalue_line("markers", "binding_check: runs even where the Qt binding is unsound")


@pytest.fixture(scope="session")
def binding_problem(qapp):
    """Why this PySide6 cannot run the window (None when it can)."""
    from app.ui.compat import binding_problem as check

    return check()


@pytest.fixture(autouse=True)
def _sound_binding(request, binding_problem):
    """On a PySide6 that leaks references the window would abort the interpreter (and the
    whole test run) within seconds: skip the UI tests, except the one that says why."""
    if binding_problem and not request.node.get_closest_marker("binding_check"):
        pytest.skip(binding_problem)


@pytest.fixture(autouse=True)
def _no_demo(monkeypatch):
    """An empty library opened by ``start()`` stays empty (tests of the first run opt in)."""
    monkeypatch.setenv("WENYANG_NO_DEMO", "1")


@pytest.fixture(autouse=True)
def qt_settings(tmp_path_factory, qapp):
    """QSettings under a temp folder with a test organisation name; English interface."""
    from app.ui.i18n import install_language
    from app.ui.settings import use_settings_dir

    folder = tmp_path_factory.mktemp("qsettings")
    use_settings_dir(folder)
    install_language("en")
    yield folder
    install_language("en")


@pytest.fixture
def open_window(qtbot):
    """A function that opens a MainWindow on a library and waits for it to settle."""
    from app.ui.main_window import MainWindow

    windows = []

    def _open(lib):
        window = MainWindow(lib)
        qtbot.addWidget(window)
        window.show()
        windows.append(window)
        wait_idle(qtbot, window)
        return window

    yield _open
    for window in windows:
        window.close()


@pytest.fixture
def window(library, open_window):
    """A window on the (empty) test library."""
    return open_window(library)


@pytest.fixture
def stocked(library, tmp_path, open_window, qtbot):
    """A window on a library holding six imported photos, all fetched into the grid."""
    ids = import_photos(library, make_photos(tmp_path / "photos", 6))
    window = open_window(library)
    qtbot.waitUntil(lambda: window.grid_model.rowCount() == len(ids))
    return window, ids
