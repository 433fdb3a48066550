"""A curator's afternoon in the real window, timed: search by a photo, tag one item, search by the
same photo again, take the tag off, search again. Each search's time as the Search panel shows it
("… in 0.93 s") and a screenshot of the window after it, in ``--out``.

    xvfb-run -a -s "-screen 0 1600x1000x24" python bench/trial_edit_then_photo.py LIBRARY PHOTO
        [--out /tmp/trial] [--settle 1]

LIBRARY: e.g. one ``bench_scale.py`` grew, whose ``bench-scale.json`` names PHOTO. The first item
of the library is tagged Phoenix and untagged again (ancestors the tag implied go with it).
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ["WENYANG_NO_DEMO"] = "1"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("library")
    ap.add_argument("photo")
    ap.add_argument("--out", type=Path, default=Path("/tmp/trial"))
    ap.add_argument("--settle", type=float, default=1.0, help="seconds to wait before the last search after the tag")
    args = ap.parse_args()
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QApplication

    from app.ui.label_models import rows_by_label
    from app.ui.main import start
    from app.ui.settings import use_settings_dir

    args.out.mkdir(parents=True, exist_ok=True)
    app = QApplication(sys.argv[:1])
    use_settings_dir(args.out / "settings")
    window = start(app, demo=False, library=args.library)
    window.resize(1440, 900)

    def pump(seconds: float, until=None) -> None:
        end = time.time() + seconds
        while time.time() < end and not (until is not None and until()):
            app.processEvents()
            time.sleep(0.01)

    pump(60, lambda: window.search.backend.available)
    pump(40)  # the search warm-up

    def photo_search(name: str) -> None:
        window.search.search_photo(args.photo)  # as File ▸ Search by photo: the dock comes up after
        window.docks[3].raise_()
        pump(1)  # the panel says "Searching…" first
        pump(60, lambda: " s ·" in window.search.status.text() and "Searching" not in window.search.status.text())
        print(f"{name}: {window.search.status.text().split(' · query')[0]!r}", flush=True)
        window.grab().save(str(args.out / f"{name}.png"))

    photo_search("before")
    first = window.lib.db.execute("SELECT id FROM items ORDER BY id LIMIT 1").fetchone()[0]
    window.grid.select_ids([first])
    pump(3)
    rows_by_label(window.detail.tags.model)["phoenix"].setCheckState(Qt.CheckState.Checked)
    pump(3)
    photo_search("after-tag")
    photo_search("after-tag-again")
    pump(args.settle)
    photo_search("after-tag-settled")
    rows_by_label(window.detail.tags.model)["phoenix"].setCheckState(Qt.CheckState.Unchecked)
    pump(3)
    photo_search("after-untag")
    window.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
