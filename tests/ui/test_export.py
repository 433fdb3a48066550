"""Exporting from the window: File ▸ Export…, a collection's context menu and the grid's,
through the export dialog to real files (a ZIP that imports back, a CSV with the rows), and
cancel leaving nothing behind."""
from __future__ import annotations

import csv
import threading

from app.ui.export_dialog import FORMATS
from app.ui.workers import run_task
from tests.ui.helpers import wait_idle
from tests.ui.test_collections import row_of


def action_named(menu, text: str):
    return next(a for a in menu.actions() if a.text() == text)


def run_export(qtbot, dialog, fmt: str, out) -> object:
    """Choose ``fmt`` and ``out`` in the dialog, press Export, wait for the end."""
    dialog.format_box.setCurrentIndex(FORMATS.index(fmt))
    dialog.destination.setText(str(out))
    dialog.start_button.click()
    assert not dialog.start_button.isEnabled() or dialog.written is not None
    qtbot.waitUntil(lambda: not dialog.job.running, timeout=30_000)
    return dialog.written


def collection_of_three(window, library, ids, qtbot):
    window.collections.create_collection("Loan 借展", item_ids=[ids[4], ids[1], ids[2]])
    wait_idle(qtbot, window)
    return library.collections.get("Loan 借展")


def test_collection_exports_as_zip_and_csv_from_its_context_menu(stocked, library, qtbot, tmp_path):
    from app.exchange.package_import import import_packages
    from app.store import open_library

    window, ids = stocked
    coll = collection_of_three(window, library, ids, qtbot)
    menu = window.collections.context_menu(row_of(window.collections, coll.id))
    action_named(menu, "Export…").trigger()
    dialog = window.export_dialog
    assert dialog.source.kind == "collection" and dialog.source.collection == coll.id
    assert dialog.source_box.currentText() == "Collection “Loan 借展” (3 items)"
    assert dialog.destination.text().endswith("Loan_借展.zip")  # named after the collection

    result = run_export(qtbot, dialog, "zip", tmp_path / "out" / "loan.zip")
    assert result is not None, dialog.summary.text()
    assert (result.items, result.photos) == (3, 3)
    assert dialog.summary.text().startswith("Exported 3 items and 3 photos to ")
    assert dialog.cancel_button.text() == "Close"
    with open_library(tmp_path / "copy", create=True) as copy:  # the package imports back
        [report] = import_packages(copy, [tmp_path / "out" / "loan.zip"])
        assert report.added_items == 3
        accessions = [copy.items.get(i).accession for i in copy.collections.members("Loan 借展")]
    assert accessions == [library.items.get(i).accession for i in (ids[4], ids[1], ids[2])]

    result = run_export(qtbot, dialog, "csv", tmp_path / "out" / "loan.csv")
    assert result is not None, dialog.summary.text()
    with open(tmp_path / "out" / "loan.csv", encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [r["accession"] for r in rows] == accessions
    assert all(r["collections"] == "Loan 借展" for r in rows)
    assert "Exported 3 items" in window.statusBar().currentMessage()


def test_grid_selection_exports_resized_photos(stocked, library, qtbot, tmp_path):
    import zipfile

    from PIL import Image

    window, ids = stocked
    window.grid.select_ids(ids[:2])
    action_named(window.build_grid_menu(ids[:2]), "Export selected items…").trigger()
    dialog = window.export_dialog
    assert dialog.source.kind == "items" and list(dialog.source.item_ids) == ids[:2]
    assert not dialog.max_side.isEnabled()
    dialog.format_box.setCurrentIndex(FORMATS.index("csv"))
    assert not dialog.resized.isEnabled()  # a sheet carries no photos
    dialog.format_box.setCurrentIndex(FORMATS.index("zip"))
    dialog.resized.setChecked(True)
    dialog.max_side.setValue(40)
    result = run_export(qtbot, dialog, "zip", tmp_path / "two.zip")
    assert (result.items, result.photos) == (2, 2)
    with zipfile.ZipFile(tmp_path / "two.zip") as zf:
        photos = [n for n in zf.namelist() if n.startswith("photos/")]
        sizes = [Image.open(zf.open(n)).size for n in photos]
    assert len(photos) == 2 and all(max(size) == 40 for size in sizes)  # made from 96 × 72


def test_file_menu_offers_what_the_window_shows(stocked, library, qtbot):
    window, ids = stocked
    coll = collection_of_three(window, library, ids, qtbot)
    window.collections.list.setCurrentItem(row_of(window.collections, coll.id))
    wait_idle(qtbot, window)
    window.grid.clearSelection()
    window.actions.export.trigger()
    dialog = window.export_dialog
    assert [s.kind for s in dialog.sources] == ["all", "collection"]
    assert dialog.source.kind == "collection"
    assert dialog.source_box.itemText(0) == f"The whole library ({len(ids)} items)"
    dialog.reject()


def test_cancel_writes_nothing(stocked, qtbot, tmp_path):
    window, ids = stocked
    gate = threading.Event()
    for _ in range(window.session.jobs.maxThreadCount()):  # hold the job threads, so the
        run_task(window.session.jobs, lambda: gate.wait(20))  # export is still waiting
    dialog = window.show_export(item_ids=ids)
    dialog.destination.setText(str(tmp_path / "all.zip"))
    dialog.start_button.click()
    assert dialog.cancel_button.text() == "Cancel"
    dialog.cancel_button.click()
    assert dialog.status.text() == "Cancelling…"
    gate.set()
    qtbot.waitUntil(lambda: not dialog.job.running, timeout=20_000)
    assert dialog.summary.text() == "Cancelled; nothing was written."
    assert dialog.written is None
    assert list(tmp_path.glob("*all.zip*")) == []
    assert dialog.start_button.isEnabled()


def test_search_result_exports_with_rank_and_distance(stocked, library, qtbot, tmp_path):
    from app.services.search import Hit, SearchResults

    window, ids = stocked
    hits = [Hit(ids[3], 2, "image", []), Hit(ids[0], 5, "image", [])]
    window.backend.resultsReady.emit(SearchResults(hits, [], [], "CPUExecutionProvider", 0.01),
                                     "red robe")  # what the backend posts after a search
    window.grid.clearSelection()
    dialog = window.show_export()
    search = next(i for i, s in enumerate(dialog.sources) if s.kind == "search")
    dialog.source_box.setCurrentIndex(search)
    assert dialog.source_box.currentText() == "The search result for “red robe” (2 items)"
    run_export(qtbot, dialog, "csv", tmp_path / "hits.csv")
    with open(tmp_path / "hits.csv", encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [(r["accession"], r["rank"], float(r["distance"])) for r in rows] == [
        (library.items.get(ids[3]).accession, "1", 2.0), (library.items.get(ids[0]).accession, "2", 5.0)]


def test_export_dialog_speaks_chinese(stocked, qtbot):
    from app.ui.i18n import install_language

    window, _ = stocked
    dialog = window.show_export()
    install_language("zh_CN")
    qtbot.waitUntil(lambda: dialog.windowTitle() == "导出")  # LanguageChange is posted
    assert dialog.start_button.text() == "导出"
    assert dialog.format_box.currentText().startswith("含照片的 ZIP 包")
    assert window.actions.export.text() == "导出(&E)…"


def test_browse_names_the_file_with_the_formats_extension(stocked, qtbot, tmp_path):
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication, QFileDialog, QLineEdit

    window, _ = stocked
    dialog = window.show_export()
    dialog.format_box.setCurrentIndex(FORMATS.index("csv"))

    def answer():  # Qt's own file dialog (offscreen there is no native one)
        chooser = QApplication.activeModalWidget()
        if not isinstance(chooser, QFileDialog):
            QTimer.singleShot(50, answer)  # not open yet
            return
        chooser.findChild(QLineEdit, "fileNameEdit").setText(str(tmp_path / "sheet"))
        chooser.accept()

    QTimer.singleShot(50, answer)
    dialog.browse.click()
    assert dialog.destination.text() == str(tmp_path / "sheet.csv")


def test_an_export_is_one_undo_step_and_closing_lets_go_of_the_file_it_replaced(stocked, qtbot, tmp_path):
    window, _ = stocked
    out = tmp_path / "all.csv"
    out.write_text("older", encoding="utf-8")
    window.show_export()
    window.export_dialog._confirmed = str(out)  # as if "Replace?" was answered in the file chooser
    result = run_export(qtbot, window.export_dialog, "csv", out)
    assert result is not None and out.read_text(encoding="utf-8-sig").startswith("accession")
    stack = window.session.undo
    assert stack.undoText() == "Export to all.csv"
    window.actions.undo.trigger()
    wait_idle(qtbot, window)
    assert out.read_text(encoding="utf-8") == "older"
    window.actions.redo.trigger()
    wait_idle(qtbot, window)
    assert out.read_text(encoding="utf-8-sig").startswith("accession")
    assert len(list(tmp_path.glob(".all.csv.*"))) == 1  # the older file, kept for an undo
    window.session.close()
    assert list(tmp_path.glob(".all.csv.*")) == []


def test_an_iiif_export_is_published_at_the_web_address_given_in_the_dialog(stocked, qtbot, tmp_path):
    import json

    window, ids = stocked
    window.grid.select_ids(ids[:1])
    action_named(window.build_grid_menu(ids[:1]), "Export selected items…").trigger()
    dialog = window.export_dialog
    dialog.format_box.setCurrentIndex(FORMATS.index("csv"))
    assert not dialog.base_uri.isEnabled()  # only IIIF has addresses
    dialog.format_box.setCurrentIndex(FORMATS.index("iiif"))
    assert dialog.base_uri.isEnabled()
    dialog.base_uri.setText("museum.example/iiif")  # no scheme: refused before anything runs
    dialog.destination.setText(str(tmp_path / "site"))
    dialog.start_button.click()
    assert dialog.job is None and "needs a scheme" in dialog.summary.text()
    dialog.base_uri.setText("https://museum.example/iiif/")
    result = run_export(qtbot, dialog, "iiif", tmp_path / "site")
    assert result is not None, dialog.summary.text()
    [manifest] = (tmp_path / "site" / "manifests").glob("*.json")
    assert json.loads(manifest.read_text(encoding="utf-8"))["id"].startswith("https://museum.example/iiif/manifests/")
