"""The window on a library on a read-only medium: it says so, browsing works, and the
commands that would change the library are off (issue 16, item 12)."""
from __future__ import annotations

from app.services.importing import import_paths
from app.store import open_library
from tests import samples
from tests.store.read_only import read_only_view


def test_the_window_says_read_only_and_turns_writing_off(tmp_path, open_window, qtbot):
    root = tmp_path / "lib"
    with open_library(root, create=True) as lib:
        import_paths(lib, [samples.photo(tmp_path / f"p{i}.jpg", seed=i) for i in range(3)])
    with read_only_view(root, tmp_path / "ro") as ro:
        lib = open_library(ro)
        try:
            window = open_window(lib)
            qtbot.waitUntil(lambda: window.grid_model.rowCount() == 3)
            assert "(read-only)" in window.windowTitle()
            assert "Read-only" in window.path_label.text()
            assert not window.actions.import_photos.isEnabled() and not window.actions.train.isEnabled()
            assert window.actions.export.isEnabled() and window.actions.find.isEnabled()
            assert not window.collections.new_button.isEnabled()
            heading = window.facets.proxy.index(0, 0)  # the scheme editor's menu is off too
            assert not any(a.isEnabled() for a in window.facets.scheme_menu_at(heading).entries.values())
            window.grid.selectAll()
            qtbot.waitUntil(lambda: bool(window.detail.tags.item_ids))
            assert not window.detail.tags.isEnabled() and window.detail.title_edit.isReadOnly()
            window.close()
        finally:
            lib.close()
