"""The main window opens on a library and says where it is, what model runs and where."""
from __future__ import annotations

import pytest

from tests.ui.helpers import wait_idle

pytestmark = pytest.mark.backends("sqlite", "postgresql")


def test_window_shows_the_library_in_the_status_bar(window, library):
    assert window.path_label.text() == str(library.location).split("?")[0]  # a folder, or the server's address
    assert window.path_label.toolTip() == str(library.location)
    assert window.model_label.text() == "no model"
    assert window.device_label.text() == "Inference: CPU"
    assert window.grid_model.rowCount() == 0
    assert "0 items" in window.filter_bar.text()


def test_until_the_library_is_read_the_window_says_so_rather_than_none(library, qtbot):
    """A window on a big library (or a cold disk) takes seconds to read its items and summary:
    meanwhile it says it is loading, not "0 items" and "no model"."""
    from app.ui.main_window import MainWindow

    library.models.register("m-2024", 32, "ssah", {})
    window = MainWindow(library)  # nothing read yet: the library thread answers later
    qtbot.addWidget(window)
    assert window.filter_bar.text() == "Loading items…"
    assert window.model_label.text() == "Model: …"
    facets = window.facets.model
    assert facets.rowCount() == 1 and facets.item(0).text() == "Loading labels…"
    wait_idle(qtbot, window)
    assert window.filter_bar.text() == "0 items" and window.model_label.text() == "Model: m-2024"
    assert facets.rowCount() > 1 and "Loading labels…" not in {facets.item(r).text() for r in range(facets.rowCount())}
    window.close()


def test_set_inference_device_updates_the_status_bar(window):
    window.set_inference_device("GPU (CUDA)")
    assert window.device_label.text() == "Inference: GPU (CUDA)"


def test_active_model_is_named_in_the_status_bar(library, open_window, qtbot):
    library.models.register("m-2024", 32, "ssah", {"provider": "CUDAExecutionProvider"})
    window = open_window(library)
    wait_idle(qtbot, window)
    assert window.model_label.text() == "Model: m-2024"
    assert window.device_label.text() == "Inference: GPU (CUDA)"


def test_search_actions_are_disabled_without_a_model(window):
    for action in window.actions.search_actions:
        assert not action.isEnabled()
        assert action.toolTip() == "no model yet"
    # typed search works on words and labels before any model; photo search needs one
    assert window.search.query.isEnabled()
    assert "searching by words and labels only" in window.search.query.toolTip()
    assert not window.search.drop_zone.isEnabled()


def test_facet_tree_lists_every_facet_and_label(window, library):
    scheme = library.scheme
    model = window.facets.model
    assert model.rowCount() == len(scheme.facets)
    from app.ui.label_models import rows_by_label
    assert set(rows_by_label(model)) == set(scheme.labels)
