"""Keeping the library searchable from the window: Model ▸ Models… (use, go back, delete, each
undoable) and new items encoded in the background with the status bar saying so."""
from __future__ import annotations

import pytest

from tests.ui.helpers import import_photos, make_photos, wait_idle


def registered(library, *ids_and_times):
    """Models registered in this order with these creation times (the last is in use)."""
    for model_id, created in ids_and_times:
        library.models.register(model_id, 32, "ssah", {"validation": {"map": 0.5, "metric": "curator"}})
        library.db.execute("UPDATE models SET created = ? WHERE id = ?", [created, model_id])
    library.db.conn.commit()


def rows(dialog) -> list[tuple[str, str]]:
    return [(dialog.table.item(r, 0).text(), dialog.table.item(r, 5).text()) for r in range(dialog.table.rowCount())]


def test_the_models_dialog_uses_goes_back_and_deletes_with_undo(library, open_window, qtbot):
    registered(library, ("m-old", "2026-01-01T10:00:00"), ("m-mid", "2026-02-01T10:00:00"),
               ("m-new", "2026-03-01T10:00:00"))
    window = open_window(library)
    window.actions.models.trigger()
    dialog = window.models_dialog
    qtbot.waitUntil(lambda: rows(dialog) == [("m-old", ""), ("m-mid", ""), ("m-new", "✓")])
    assert dialog.table.item(0, 4).text() == "0.500"
    assert dialog.back_button.text() == "Back to m-mid" and dialog.back_button.isEnabled()

    dialog.back_button.click()  # the model trained before the one in use
    qtbot.waitUntil(lambda: library.models.active().id == "m-mid")
    qtbot.waitUntil(lambda: rows(dialog)[1] == ("m-mid", "✓"))
    qtbot.waitUntil(lambda: window.model_label.text() == "Model: m-mid")
    window.actions.undo.trigger()
    qtbot.waitUntil(lambda: library.models.active().id == "m-new")

    dialog.table.selectRow(0)
    dialog.use_button.click()
    qtbot.waitUntil(lambda: library.models.active().id == "m-old")
    assert window.session.undo.undoText() == "Use model m-old"

    dialog.table.selectRow(1)
    dialog.delete_answer = False  # the curator says no: nothing happens
    dialog.delete_button.click()
    wait_idle(qtbot, window)
    assert [m.id for m in library.models.all()] == ["m-old", "m-mid", "m-new"]
    dialog.delete_answer = True
    dialog.delete_button.click()
    qtbot.waitUntil(lambda: [r[0] for r in rows(dialog)] == ["m-old", "m-new"])
    window.actions.undo.trigger()
    qtbot.waitUntil(lambda: [r[0] for r in rows(dialog)] == ["m-old", "m-mid", "m-new"])
    assert library.models.active().id == "m-old"


def test_a_long_encoding_failure_shows_its_first_line_and_the_rest_on_hover(library, open_window, qtbot):
    """An error from a library can run to a dozen lines (Python's multiprocessing start-up
    error did, filling half the window): the status bar shows its first line, the tooltip all."""
    window = open_window(library)
    message = ("\n        An attempt has been made to start a new process before the\n"
               "        current process has finished its bootstrapping phase.\n\n" + "    more detail\n" * 10)
    window.keeper._failed(message)
    qtbot.waitUntil(lambda: window.encoding_label.toolTip() == message)
    assert window.encoding_label.text() == \
        "Encoding: An attempt has been made to start a new process before the …"
    window.keeper._failed("x" * 500)  # one very long line
    qtbot.waitUntil(lambda: window.encoding_label.toolTip() == "x" * 500)
    assert window.encoding_label.text() == "Encoding: " + "x" * 119 + "…"
    window.keeper._failed("Disk full")  # a short one is shown as it is
    qtbot.waitUntil(lambda: window.encoding_label.text() == "Encoding: Disk full")
    window.keeper.problem = ""
    window.keeper.stateChanged.emit()
    qtbot.waitUntil(lambda: window.encoding_label.toolTip() == "" and window.encoding_label.text() == "")


@pytest.mark.slow
def test_new_photos_are_encoded_in_the_background_and_the_status_bar_says_so(tmp_path, tmp_path_factory,
                                                                            open_window, qtbot):
    pytest.importorskip("torch")
    pytest.importorskip("onnxruntime")
    from app.services.demo import create_demo_library, install_demo_model
    from app.store import open_library
    from tests.shipped_model import shipped_demo

    shipped = shipped_demo(tmp_path_factory, 24)
    root = tmp_path / "lib"
    create_demo_library(root, seed=0, count=24)
    install_demo_model(root, shipped)
    lib = open_library(root)
    try:
        model = lib.models.active().id
        window = open_window(lib)
        seen = []
        window.keeper.stateChanged.connect(lambda: seen.append(window.encoding_label.text()))
        dialog = window.import_paths(make_photos(tmp_path / "new", 3), auto_start=True)
        qtbot.waitUntil(lambda: dialog.report is not None, timeout=30_000)
        new = [i for i in lib.items.ids() if i not in set(lib.codes.source_hashes(model, "image"))]
        assert len(new) == 3  # imported, not encoded yet
        qtbot.waitUntil(lambda: not set(new) - set(lib.codes.source_hashes(model, "image")), timeout=60_000)
        qtbot.waitUntil(lambda: window.encoding_label.text() == "", timeout=10_000)
        assert any(text.startswith("Encoding for search: ") for text in seen)
        assert window.session.undo.undoText() == "Import 3 items"  # encoding is no undo step
        window.close()
    finally:
        lib.close()


@pytest.mark.slow
def test_a_large_library_counts_what_needs_encoding_in_a_child_process(tmp_path, tmp_path_factory, monkeypatch):
    """From ISOLATE_FROM items the count runs in a child process (it stalled the window while
    scrolling a 100,000-item library); it must give what the count in this process gives."""
    pytest.importorskip("onnxruntime")
    import multiprocessing

    from app.services import isolation
    from app.services.demo import create_demo_library, install_demo_model
    from app.services.encoding import pending, pending_at
    from app.store import open_library
    from app.ui import keep_encoded
    from tests.shipped_model import shipped_demo

    root = tmp_path / "lib"
    create_demo_library(root, seed=0, count=12)
    install_demo_model(root, shipped_demo(tmp_path_factory, 24))
    children = []
    started = multiprocessing.context.SpawnProcess.start

    def spy(process):
        children.append(process.name)
        return started(process)
    monkeypatch.setattr(multiprocessing.context.SpawnProcess, "start", spy)
    with open_library(root) as lib:
        import_photos(lib, make_photos(tmp_path / "new", 2))
        here = pending(lib)
        assert here["image"] == 2  # the new photos are not encoded yet
        monkeypatch.setattr(keep_encoded, "ISOLATE_FROM", 10**9)
        assert keep_encoded._pending(lib) == here and children == []
        monkeypatch.setattr(keep_encoded, "ISOLATE_FROM", 1)
        assert keep_encoded._pending(lib) == here
    assert children == ["wenyang pending_at"]
    assert isolation.can_isolate(pending_at)
