"""Import by drag-and-drop: progress, the skipped-files report, cancel, and a window that
never blocks while a worker imports."""
from __future__ import annotations

import time

from PySide6.QtCore import QElapsedTimer, QMimeData, QPointF, Qt, QTimer, QUrl
from PySide6.QtGui import QDropEvent

from tests.ui.helpers import make_photos, wait_idle


def drop_urls(window, paths, modifiers=Qt.NoModifier, confirm=True) -> None:
    """Drop local files/folders onto the window as a file manager would, then press Import
    in the dialog the drop opens (unless ``confirm`` is False)."""
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    event = QDropEvent(QPointF(200, 200), Qt.CopyAction, mime, Qt.LeftButton, modifiers)
    window.dropEvent(event)
    assert event.isAccepted()
    if confirm and hasattr(window, "import_dialog"):
        window.import_dialog.start_button.click()


def test_a_drop_opens_the_dialog_and_imports_only_on_ok(window, library, tmp_path, qtbot):
    folder = tmp_path / "drop"
    make_photos(folder, 3)
    sheet = tmp_path / "sheet.csv"
    sheet.write_text("file,accession\nP0000.jpg,MUS-1\n", encoding="utf-8")
    drop_urls(window, [folder, sheet], confirm=False)
    dialog = window.import_dialog
    assert dialog.isVisible() and dialog.job is None
    for widget in (dialog.sheet_edit, dialog.sheet_button, dialog.copy_box, dialog.start_button):
        assert widget.isEnabled()
    assert dialog.sheet_edit.text() == str(sheet)
    qtbot.wait(300)
    assert library.items.count() == 0  # nothing happens before Import
    dialog.copy_box.setChecked(True)
    dialog.start_button.click()
    report = wait_import(qtbot, window)
    assert report.added_items == 3
    stored = [path for path, _ in library.items.first_photos().values()]
    assert len(stored) == 3 and not any(path.startswith(str(folder)) for path in stored)  # copied in


def wait_import(qtbot, window, timeout=30_000):
    qtbot.waitUntil(lambda: window.import_dialog.report is not None, timeout=timeout)
    wait_idle(qtbot, window)
    return window.import_dialog.report


def test_dropping_a_folder_imports_it_and_the_grid_shows_the_items(window, tmp_path, qtbot):
    folder = tmp_path / "drop"
    make_photos(folder, 8)
    (folder / "notes.txt").write_text("not a photo")
    (folder / "broken.jpg").write_bytes(b"\xff\xd8\xff garbage")
    drop_urls(window, [folder])
    report = wait_import(qtbot, window)
    dialog = window.import_dialog
    assert report.added_items == 8
    assert dialog.progress.value() == dialog.progress.maximum()
    skipped = {dialog.skipped.topLevelItem(i).text(0): dialog.skipped.topLevelItem(i).text(1)
               for i in range(dialog.skipped.topLevelItemCount())}
    assert str(folder / "broken.jpg") in skipped
    assert dialog.skipped.isVisibleTo(dialog)
    assert "8 items" in dialog.summary.text()
    qtbot.waitUntil(lambda: window.grid_model.rowCount() == 8)
    assert "8 items" in window.filter_bar.text()
    # thumbnails arrive from the worker pool, then paint from the LRU
    for row in range(8):
        window.grid_model.index(row).data(Qt.DecorationRole)
    qtbot.waitUntil(lambda: len(window.grid_model.pixmaps) == 8, timeout=10_000)


def test_a_dropped_sheet_is_used_for_metadata(window, tmp_path, qtbot):
    folder = tmp_path / "drop"
    make_photos(folder, 2)
    sheet = tmp_path / "sheet.csv"
    sheet.write_text("file,accession,title\nP0000.jpg,MUS-1,Dragon robe\nP0001.jpg,MUS-2,Cloud collar\n",
                     encoding="utf-8")
    drop_urls(window, [folder, sheet])
    wait_import(qtbot, window)
    assert window.import_dialog.sheet_edit.text() == str(sheet)
    qtbot.waitUntil(lambda: window.grid_model.rowCount() == 2)
    qtbot.waitUntil(lambda: window.grid_model.index(0).data() == "MUS-1")
    assert window.grid_model.index(0).data(Qt.ToolTipRole) == "Dragon robe"


def test_cancel_stops_an_import_and_keeps_what_was_written(window, library, tmp_path, qtbot):
    folder = tmp_path / "many"
    make_photos(folder, 150, size=(320, 240))
    drop_urls(window, [folder])
    dialog = window.import_dialog
    qtbot.waitUntil(lambda: dialog.progress.value() >= 5, timeout=20_000)
    dialog.cancel_button.click()  # while running, the button cancels
    report = wait_import(qtbot, window)
    assert report.cancelled
    assert "Cancelled" in dialog.summary.text()
    assert dialog.cancel_button.text() == "Close"
    assert 0 < report.added_items < 150
    assert library.items.count() == report.added_items  # nothing half-written
    qtbot.waitUntil(lambda: window.grid_model.total == report.added_items)


def test_window_stays_responsive_during_a_large_import(window, tmp_path, qtbot):
    """An event-loop probe: a 10 ms timer records the gaps between its ticks while a worker
    imports 240 photos; the worst gap is printed for the report."""
    folder = tmp_path / "big"
    make_photos(folder, 240, size=(640, 480))
    gaps, clock = [], QElapsedTimer()
    clock.start()
    last = [clock.elapsed()]

    def tick():
        now = clock.elapsed()
        gaps.append(now - last[0])
        last[0] = now

    probe = QTimer()
    probe.setInterval(10)
    probe.timeout.connect(tick)
    probe.start()
    started = time.perf_counter()
    drop_urls(window, [folder])
    report = wait_import(qtbot, window, timeout=60_000)
    probe.stop()
    assert report.added_items == 240
    worst = max(gaps)
    p99 = sorted(gaps)[int(len(gaps) * 0.99)]
    print(f"\nevent-loop probe during a 240-photo import ({time.perf_counter() - started:.1f} s): "
          f"{len(gaps)} ticks, worst gap {worst} ms, p99 {p99} ms")
    assert worst < 1000


def test_a_sheet_dropped_alone_is_not_imported(window, tmp_path, qtbot):
    sheet = tmp_path / "sheet.csv"
    sheet.write_text("file,accession\nP0000.jpg,MUS-1\n", encoding="utf-8")
    drop_urls(window, [sheet])
    assert "Drop photos or folders" in window.statusBar().currentMessage()
    assert not hasattr(window, "import_dialog")


def test_an_import_is_one_undo_step_that_takes_its_items_out_and_brings_them_back(window, tmp_path, qtbot):
    folder = tmp_path / "drop"
    make_photos(folder, 5)
    drop_urls(window, [folder])
    wait_import(qtbot, window)
    qtbot.waitUntil(lambda: window.grid_model.rowCount() == 5)
    stack = window.session.undo
    assert stack.count() == 1 and stack.undoText() == "Import 5 items"
    window.actions.undo.trigger()
    qtbot.waitUntil(lambda: window.grid_model.rowCount() == 0)
    wait_idle(qtbot, window)
    assert "0 items" in window.filter_bar.text()
    assert window.statusBar().currentMessage() == "Undone: Import 5 items"
    window.actions.redo.trigger()
    qtbot.waitUntil(lambda: window.grid_model.rowCount() == 5)
