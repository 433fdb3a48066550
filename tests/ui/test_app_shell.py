"""Start-up, remembered settings, shortcuts, and the two interface languages."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import QApplication, QMessageBox

from app.ui import i18n, settings
from app.ui.i18n_catalogue import extract, missing
from app.ui.label_models import rows_by_label
from app.ui.main import library_to_open, start
from tests.ui.helpers import wait_idle


def test_every_marked_string_has_a_chinese_translation():
    assert missing("zh_CN") == []
    assert sum(len(texts) for texts in extract().values()) > 150


def test_json_translator_translates_and_falls_through():
    translator = i18n.JsonTranslator("zh_CN")
    assert translator.translate("WindowActions", "&File") == "文件(&F)"
    assert translator.translate("SomeSubclass", "&File") == "文件(&F)"  # by source alone
    assert translator.translate("WindowActions", "not a marked string") is None


def test_language_switches_live_and_is_remembered(window, qtbot):
    wait_idle(qtbot, window)
    assert window.actions.file_menu.title() == "&File"
    window.statusBar().showMessage("Undone: Move 2 items to the trash", 60_000)
    window.actions.languages["zh_CN"].trigger()
    assert settings.language() == "zh_CN"
    qtbot.waitUntil(lambda: window.actions.file_menu.title() == "文件(&F)")  # LanguageChange is posted
    assert window.docks[0].windowTitle() == "标签"
    assert window.model_label.text() == "无模型"
    assert window.search.tabs.tabText(0) == "匹配的照片"
    assert window.statusBar().currentMessage() == ""  # a notice in the old language goes (a trial saw it stay)
    assert rows_by_label(window.facets.model)["dragon"].text().startswith("龙 · Dragon")
    window.actions.languages["en"].trigger()
    qtbot.waitUntil(lambda: window.actions.file_menu.title() == "&File")
    assert rows_by_label(window.facets.model)["dragon"].text().startswith("Dragon · 龙")


def test_qt_own_dialog_strings_follow_the_language(qapp):
    """Qt's standard buttons come from its own catalogue (qtbase_zh_CN.qm), which the bundles carry."""
    try:
        i18n.install_language("zh_CN")
        assert QCoreApplication.translate("QPlatformTheme", "Cancel") == "取消"
        assert QCoreApplication.translate("QFileDialog", "Look in:") != "Look in:"
    finally:
        i18n.install_language("en")
    assert QCoreApplication.translate("QPlatformTheme", "Cancel") == "Cancel"


def test_system_choice_follows_the_locale():
    assert i18n.resolve_language("system") == i18n.system_language()
    assert i18n.resolve_language("zh_CN") == "zh_CN"
    assert i18n.resolve_language("klingon") == i18n.system_language()


def test_shortcuts_for_common_actions(window):
    a = window.actions
    keys = {name: getattr(a, name).shortcut().toString() for name in
            ("import_photos", "find", "tag", "new_collection", "undo", "redo", "open_library")}
    assert keys == {"import_photos": "Ctrl+I", "find": "Ctrl+F", "tag": "Ctrl+T",
                    "new_collection": "Ctrl+Shift+N", "undo": "Ctrl+Z", "redo": "Ctrl+Shift+Z",
                    "open_library": "Ctrl+O"}
    a.find.trigger()
    assert window.search.query.hasFocus() or not window.search.query.isEnabled()


def test_start_opens_wenyang_home_and_remembers_it(wenyang_home, qtbot):
    window = start()
    qtbot.addWidget(window)
    wait_idle(qtbot, window)
    assert window.lib.root == wenyang_home
    assert (wenyang_home / "library.sqlite").exists()
    assert settings.last_library() == wenyang_home
    window.close()


def test_without_wenyang_home_the_last_library_is_opened(tmp_path, monkeypatch):
    last = tmp_path / "elsewhere"
    last.mkdir()
    settings.remember_library(last)
    monkeypatch.delenv("WENYANG_HOME")
    assert library_to_open() == last


def test_window_geometry_is_remembered(library, open_window, qtbot):
    first = open_window(library)
    first.resize(first.minimumSizeHint().width() + 30, first.minimumSizeHint().height() + 20)
    size = (first.width(), first.height())
    first.close()
    second = open_window(library)
    assert (second.width(), second.height()) == size


def test_open_library_creates_and_opens_it_in_a_new_window(window, tmp_path, qtbot, monkeypatch):
    monkeypatch.setattr("app.ui.window_flows.QMessageBox.question", lambda *a, **k: QMessageBox.Yes)
    target = tmp_path / "second-library"
    new = window.open_library_window(target)
    qtbot.addWidget(new)
    wait_idle(qtbot, new)
    assert new.lib.root == target and (target / "library.sqlite").exists()
    assert settings.last_library() == target
    assert not window.isVisible()
    new.close()
    assert QCoreApplication.instance() is not None


def test_main_opens_a_window_and_runs_the_event_loop(wenyang_home, qtbot, monkeypatch):
    """main() wiring, without a real nested exec(): quitting a second application event loop
    inside pytest leaves Qt's posted-event bookkeeping stuck for the tests that follow."""
    from PySide6.QtWidgets import QApplication

    from app.ui.main import main

    ran = []
    monkeypatch.setattr(QApplication, "exec", lambda self: ran.append(True) or 0)
    assert main([]) == 0 and ran == [True]
    window = next(w for w in QApplication.topLevelWidgets()
                  if w.objectName() == "mainWindow" and w.isVisible())
    qtbot.addWidget(window)
    wait_idle(qtbot, window)
    assert window.lib.root == wenyang_home and window.owns_library
    assert settings.last_library() == wenyang_home
    window.close()


def test_counts_read_as_real_plurals_in_english_and_stay_as_they_are_in_chinese():
    from app.ui.i18n import Text, counted

    assert counted("1 item(s) and 3 photo(s); 0 duplicate(s)") == "1 item and 3 photos; 0 duplicates"
    assert counted("2 file(s) or folder(s)") == "2 files or folders"  # follows the nearest number
    assert counted("1,250 item(s)") == "1,250 items"
    assert Text("{n} item(s) in library").format(n=1) == "1 item in library"
    assert Text("{n} 件藏品").format(n=1) == "1 件藏品"


def test_help_lists_every_shortcut_the_window_has_and_a_short_guide(window, qtbot):
    window.actions.shortcuts.trigger()
    rows = dict((what, keys) for keys, what in window.help_dialog.shortcut_rows())
    assert rows["Undo"] == "Ctrl+Z" and rows["Keyboard shortcuts"] == "F1"
    for action in (window.actions.undo, window.actions.tag, window.actions.more_like_this):
        assert action.shortcut().toString() in window.help_dialog.browser.toPlainText()
    assert "Space" in window.help_dialog.browser.toPlainText()
    window.help_dialog.close()
    window.actions.guide.trigger()
    text = window.help_dialog.browser.toPlainText()
    assert "Import" in text and "Ctrl+T" in text and "Model ▸ Train" in text
    window.actions.languages["zh_CN"].trigger()
    qtbot.waitUntil(lambda: window.help_dialog.windowTitle() == "入门")
    window.actions.languages["en"].trigger()


def test_new_library_and_open_recent(window, tmp_path, qtbot, monkeypatch):
    warnings = []
    monkeypatch.setattr("app.ui.window_flows.QMessageBox.warning", lambda *a, **k: warnings.append(a[2]))
    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "notes.txt").write_text("not a library")
    assert window.new_library_at(busy) is None and "is not empty" in warnings[0]
    first = window.new_library_at(tmp_path / "first")  # a new folder name: created without asking
    qtbot.addWidget(first)
    wait_idle(qtbot, first)
    assert (tmp_path / "first" / "library.sqlite").exists()
    second = first.new_library_at(tmp_path / "second")
    qtbot.addWidget(second)
    wait_idle(qtbot, second)
    assert settings.recent_libraries()[:2] == [tmp_path / "second", tmp_path / "first"]
    second.actions._fill_recent()
    entries = [a.text() for a in second.actions.recent_menu.actions()]
    assert str(tmp_path / "first") in entries and str(tmp_path / "second") not in entries  # not itself
    reopened = next(a for a in second.actions.recent_menu.actions() if a.text() == str(tmp_path / "first"))
    reopened.trigger()
    assert settings.last_library() == tmp_path / "first"
    for top in QApplication.topLevelWidgets():
        if getattr(top, "lib", None) is not None and top.isVisible() and top is not window:
            top.close()


def test_the_start_up_heap_is_set_aside_from_the_garbage_collector_and_the_lock_changes_hands_sooner():
    """A full collection over the start-up heap stopped the event loop for 54-66 ms; after
    ``settle_interpreter`` the objects alive at start-up are no longer walked (frozen), and
    threads hand the interpreter lock over every 1 ms instead of every 5."""
    script = ("import gc\n"
              "from app.ui.main import settle_interpreter\n"
              "import app.ui.main_window\n"
              "import sys\n"
              "assert gc.get_freeze_count() == 0 and sys.getswitchinterval() == 0.005\n"
              "settle_interpreter()\n"
              "print(gc.get_freeze_count(), len(gc.get_objects()), sys.getswitchinterval())\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True,
                          cwd=Path(__file__).parents[2], env={**os.environ, "QT_QPA_PLATFORM": "offscreen"})
    frozen, walked, interval = done.stdout.split()
    assert int(frozen) > 10_000 and int(walked) < int(frozen) / 10
    assert float(interval) == 0.001  # the GUI thread waits at most 1 ms for a busy worker's lock


def test_the_heap_is_set_aside_again_once_the_search_backend_has_loaded(open_window, library, qtbot):
    import gc

    window = open_window(library)
    try:
        from app.ui.main import settle_interpreter
        settle_interpreter(window)
        frozen = gc.get_freeze_count()
        kept = [object() for _ in range(10)] + [[i] for i in range(2000)]  # tracked, made after
        assert gc.get_freeze_count() == frozen
        window.backend.availabilityChanged.emit(False, "")
        assert gc.get_freeze_count() >= frozen + 2000
        window.backend.availabilityChanged.emit(False, "")  # only the first report freezes
        assert len(kept) == 2010
    finally:
        gc.unfreeze()  # the rest of the test session collects as usual
