"""Helpers for the UI tests: photos made with PIL, waiting for the window to settle."""
from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image


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
