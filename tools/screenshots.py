"""Screenshots of the application on a demo library, in English and in Chinese.

    python tools/screenshots.py [OUT] [--count 120] [--epochs 5] [--library PATH]

Builds a demo library (``--count`` garments and a quick model; ``--library`` reuses one that
already has items, training only when it has no model), opens the main window and writes PNGs
of the window with the grid and facet tree, a text search ("dragon robe"), a photo search (its
query photo above the results), the results in the main grid, the table view, the label-scheme
editor (merging a label, with the count of items it touches), the training dialog with the
library's own training run (how and why it stopped), the full-size viewer comparing two items,
the models list, the evaluation view after Evaluate, the trash and the keyboard shortcuts, and
the first run on an empty library (the demo's grid on show while its model trains: the whole
screen, with the first-run dialog), once per interface language, into OUT (default
/tmp/wenyang-shots). ``--epochs 60`` trains as ``wenyang train`` does, so that the training
dialog shows a real early stop.

It needs a display: when DISPLAY is unset it starts ``Xvfb :99`` if Xvfb is installed, and
falls back to Qt's offscreen platform otherwise. Chinese text needs a CJK font (on Debian and
Ubuntu: ``apt-get install fonts-noto-cjk``); without one it is drawn as boxes.
"""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from a checkout

LANGUAGES = ("en", "zh_CN")
SIZE = (1440, 900)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", nargs="?", default="/tmp/wenyang-shots", type=Path)
    parser.add_argument("--count", type=int, default=120, help="demo garments (default 120)")
    parser.add_argument("--epochs", type=int, default=5, help="training epochs (default 5)")
    parser.add_argument("--library", type=Path, help="use (or build) the demo library here")
    return parser.parse_args(argv)


def ensure_display() -> subprocess.Popen | None:
    """A display for Qt: the current one, a fresh Xvfb on :99, or the offscreen platform."""
    if os.environ.get("DISPLAY") or os.environ.get("QT_QPA_PLATFORM"):
        return None
    if shutil.which("Xvfb"):
        server = subprocess.Popen(["Xvfb", ":99", "-screen", "0", "1600x1000x24", "-nolisten", "tcp"],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(1.0)  # let the server open its socket before Qt connects
        if server.poll() is None:
            os.environ["DISPLAY"] = ":99"
            os.environ.setdefault("QT_QPA_PLATFORM", "xcb")
            return server
    os.environ["QT_QPA_PLATFORM"] = "offscreen"
    return None


def build_library(root: Path, count: int, epochs: int) -> dict:
    """The demo collection and a quick model, unless ``root`` already has them; returns the
    training run (``history``: per-epoch losses and MAP; ``epochs``, ``epochs_run``,
    ``best_epoch``, ``val_map``), kept beside the library for a later run that reuses it."""
    import json

    record = root / "screenshots-training.json"
    from app.services.demo import create_demo_library
    from app.services.training import TrainOptions, train_library
    from app.store import open_library

    with_items = (root / "library.sqlite").exists() and _count(root, open_library) > 0
    if not with_items:
        print(f"building a demo library of {count} garments in {root}", flush=True)
        create_demo_library(root, seed=0, count=count)
    lib = open_library(root)
    try:
        has_model = lib.models.active() is not None
    finally:
        lib.close()
    if has_model:
        return json.loads(record.read_text()) if record.is_file() else {"history": []}
    print(f"training a model ({epochs} epochs at most)", flush=True)
    outcome = train_library(root, TrainOptions(bits=32, epochs=epochs))
    run = {"history": outcome.history, "epochs": epochs, "epochs_run": outcome.epochs_run,
           "best_epoch": outcome.best_epoch, "val_map": outcome.val_map}
    record.write_text(json.dumps(run, default=float))
    return run


def _count(root: Path, open_library) -> int:
    lib = open_library(root)
    try:
        return lib.items.count()
    finally:
        lib.close()


def settle(app, window, seconds: float = 0.5, timeout: float = 60.0) -> None:
    """Process events until the window's background work is done, then a little longer."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        app.processEvents()
        if window.session.idle() and window.backend.queue.pending == 0 and window.loader.queued == 0 \
                and window.search.loader.queued == 0:
            break
        time.sleep(0.02)
    end = time.monotonic() + seconds
    while time.monotonic() < end:  # repaints and late thumbnails
        app.processEvents()
        time.sleep(0.02)


class Shooter:
    """Drives one main window through the views and writes one PNG per view."""

    def __init__(self, app, window, out: Path, photo: Path, run: dict):
        self.app, self.window, self.out, self.photo = app, window, out, photo
        self.run = run
        self.epochs = run.get("history", [])
        self.written: list[Path] = []

    def save(self, widget, name: str, lang: str) -> None:
        settle(self.app, self.window)
        path = self.out / f"{name}-{lang}.png"
        widget.grab().save(str(path))
        self.written.append(path)
        print(path, flush=True)

    def all_views(self, lang: str) -> None:
        w = self.window
        w.set_language(lang)
        w.facets.tree.expandToDepth(0)
        w.grid.select_ids(w.lib.items.ids()[:1])
        w.docks[2].raise_()
        self.save(w, "main-window", lang)
        w.focus_search()
        w.search.query.setText("dragon robe")
        w.search.search_text()
        self.save(w, "search-text", lang)
        w.search.search_photo(str(self.photo))
        self.save(w, "search-photo", lang)
        settle(self.app, w)
        w.search.show_in_grid()
        self.save(w, "search-in-grid", lang)
        w.leave_results()
        w.set_table_view(True)
        self.save(w, "table-view", lang)
        w.set_table_view(False)
        self.scheme_editor(lang)
        self.training_dialog(lang)
        self.dialog(w.show_viewer(w.lib.items.ids()[:2]), "viewer-compare", lang)
        self.dialog(w.show_models(), "models", lang)
        self.evaluation(lang)
        w.delete_selection(w.lib.items.ids()[-2:])  # something in the trash (undone after the picture)
        settle(self.app, w)
        self.dialog(w.show_trash(), "trash", lang)
        w.session.undo.undo()
        settle(self.app, w)
        self.dialog(w.show_help("shortcuts"), "help-shortcuts", lang)

    def dialog(self, dialog, name: str, lang: str) -> None:
        """A dialog the window opened, alone in its picture."""
        dialog.resize(max(dialog.width(), 900), max(dialog.height(), 600))
        self.save(dialog, name, lang)
        dialog.close()

    def evaluation(self, lang: str) -> None:
        """The evaluation view after Evaluate (the held-out photos, measured on the library thread)."""
        view = self.window.show_evaluation()
        settle(self.app, self.window)
        view.evaluate()
        settle(self.app, self.window, timeout=300)
        self.save(view, "evaluation", lang)
        view.close()

    def training_dialog(self, lang: str) -> None:
        """The dialog with the curves of the library's own training run and its own outcome
        (when it stopped, which epoch it kept), worded as the dialog words a finished run."""
        from types import SimpleNamespace

        dialog = self.window.show_training()
        if self.run.get("epochs"):
            dialog.epochs.setValue(int(self.run["epochs"]))
        for event in self.history():
            dialog.on_event(event)
        outcome = SimpleNamespace(activated=True, epochs_run=self.run.get("epochs_run", 0),
                                  best_epoch=self.run.get("best_epoch", 0), val_map=self.run.get("val_map"))
        dialog.stage.setText(" ".join(dialog._outcome_lines(outcome, self.window.model_id)))
        dialog.progress.setValue(dialog.progress.maximum())  # as a finished run leaves it
        self.save(dialog, "training-dialog", lang)
        dialog.close()

    def scheme_editor(self, lang: str) -> None:
        """Right-click on a label: its merge dialog, with the items the merge touches counted."""
        from app.ui.label_models import rows_by_label

        facets = self.window.facets
        rows = rows_by_label(facets.model)
        label = next((l for l in ("phoenix", "dragon") if l in rows), next(iter(rows)))
        menu = facets.scheme_menu_at(facets.proxy.mapFromSource(rows[label].index()))
        dialog = menu.open_dialog("merge")
        settle(self.app, self.window)
        self.save(dialog, "scheme-editor", lang)
        dialog.close()

    def history(self) -> list:
        from app.core.jobs import Progress

        epochs, total = self.epochs, len(self.epochs)
        return [Progress("train", data={"kind": "epoch", "epoch": h.get("epoch", i + 1), "epochs": total,
                                        "losses": h.get("losses") or {}, "val_map": h.get("val_map")})
                for i, h in enumerate(epochs)]


def first_photo(root: Path) -> Path:
    """A demo photo to search with (any file in the demo source folder)."""
    return sorted((root / "demo-source").glob("*.jpg"))[0]


def run(args: argparse.Namespace) -> list[Path]:
    from PySide6.QtWidgets import QApplication

    from app.store import open_library
    from app.ui.main_window import MainWindow
    from app.ui.settings import use_settings_dir

    root = args.library or Path(tempfile.mkdtemp(prefix="wenyang-shots-")) / "library"
    run_record = build_library(root, args.count, args.epochs)
    args.out.mkdir(parents=True, exist_ok=True)
    app = QApplication.instance() or QApplication([sys.argv[0]])
    use_settings_dir(Path(tempfile.mkdtemp(prefix="wenyang-shots-settings-")))  # never the user's
    lib = open_library(root)
    window = MainWindow(lib, owns_library=True)
    window.resize(*SIZE)
    window.show()
    settle(app, window, seconds=1.5)
    shooter = Shooter(app, window, args.out, first_photo(root), run_record)
    for lang in LANGUAGES:
        shooter.all_views(lang)
    window.close()
    for lang in LANGUAGES:
        shooter.written.append(first_run(app, args.out, lang))
    return shooter.written


def first_run(app, out: Path, lang: str, count: int = 60) -> Path:
    """An empty library's first run: the demo's grid is shown while its model trains. The
    whole screen is grabbed (the first-run dialog is a window of its own), then the training
    is cancelled (the picture is about the wait, not the model)."""
    from app.store import open_library
    from app.ui.first_run import start_first_run
    from app.ui.main_window import MainWindow

    root = Path(tempfile.mkdtemp(prefix="wenyang-first-run-")) / "library"
    window = MainWindow(open_library(root, create=True), owns_library=True)
    window.set_language(lang)
    window.resize(*SIZE)
    window.show()
    job = start_first_run(window, count)
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and not (job.shown and window.grid_model.total >= count):
        app.processEvents()
        time.sleep(0.05)
    end = time.monotonic() + 4.0  # thumbnails, and the training's first progress
    while time.monotonic() < end:
        app.processEvents()
        time.sleep(0.05)
    path = out / f"first-run-training-{lang}.png"
    app.primaryScreen().grabWindow(0).save(str(path))
    print(path, flush=True)
    job.cancel()
    window.close()
    return path


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    server = ensure_display()
    try:
        written = run(args)
    finally:
        if server is not None:
            server.terminate()
            server.wait(10)
    print(f"{len(written)} screenshot(s) in {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
