"""UI test setup: settings in a temp folder, English, photos made with PIL, a window fixture.

Every flow is driven through real widgets; background work is awaited with
``qtbot.waitUntil`` on the window's own "idle" state, never with sleeps.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image


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
def qt_settings(tmp_path_factory, qapp):
    """QSettings under a temp folder with a test organisation name; English interface."""
    from app.ui.i18n import install_language
    from app.ui.settings import use_settings_dir

    folder = tmp_path_factory.mktemp("qsettings")
    use_settings_dir(folder)
    install_language("en")
    yield folder
    install_language("en")


def make_photos(folder: Path, n: int, size=(96, 72), start: int = 0) -> list[Path]:
    """``n`` distinct JPEG photos (random pixels, one seed each) in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(start, start + n):
        rng = np.random.default_rng(i)
        pixels = rng.integers(0, 256, (size[1], size[0], 3), dtype=np.uint8)
        path = folder / f"P{i:04d}.jpg"
        Image.fromarray(pixels, "RGB").save(path, "JPEG", quality=80)
        paths.append(path)
    return paths


def wait_idle(qtbot, window, timeout: int = 20_000) -> None:
    """Wait until the window has no library work, search or thumbnail decode pending."""
    def idle():
        return (window.session.idle() and window.backend.queue.pending == 0
                and window.loader.queued == 0)
    try:
        qtbot.waitUntil(idle, timeout=timeout)
    except Exception:
        raise AssertionError(f"not idle: queue {window.session.queue.pending}, jobs "
                             f"{window.session.jobs.activeThreadCount()}, search "
                             f"{window.backend.queue.pending}, thumbnails {window.loader.queued}") from None


def import_photos(library, paths) -> list[int]:
    """Import photos straight through the service (setup for tests about other flows)."""
    from app.services.importing import import_paths

    import_paths(library, paths)
    return library.items.ids()


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
