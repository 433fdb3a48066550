"""End to end with the real services: train tiny networks from the training dialog on a
small demo library, then search by text, by photo region and "more like this", evaluate,
and take a suggestion — all through the window."""
from __future__ import annotations

import pytest

from tests.ui.helpers import wait_idle

pytest.importorskip("torch")
pytest.importorskip("onnxruntime")

TINY = dict(image_size=32, vocab_size=200, seed=0, min_holdout_items=20, holdout_fraction=0.2,
            net_overrides={"semantic_dim": 64, "label_hidden": (128,), "image_hidden": (128,),
                           "text_hidden": (128,), "disc_hidden": (32,)},
            overrides={"batch_size": 32, "patience": 5, "warmup_epochs": 2})


@pytest.fixture
def demo(tmp_path):
    from app.services.demo import create_demo_library
    from app.store import open_library

    create_demo_library(tmp_path / "demo", seed=1, count=30)
    lib = open_library(tmp_path / "demo")
    yield lib
    lib.close()


@pytest.mark.slow
def test_train_in_the_dialog_then_search_evaluate_and_suggest(demo, open_window, qtbot):
    window = open_window(demo)
    assert not window.backend.available
    dialog = window.show_training()
    dialog.extra_options = TINY
    dialog.bits.setCurrentIndex(dialog.bits.findData(16))
    dialog.epochs.setValue(2)
    with qtbot.waitSignal(dialog.trained, timeout=240_000) as trained:
        dialog.start_button.click()
    outcome = trained.args[0]
    assert outcome.model_id and not outcome.cancelled
    assert dialog.val_map.series.get("MAP")          # live validation MAP arrived
    qtbot.waitUntil(lambda: window.backend.available, timeout=30_000)
    assert window.model_label.text() == f"Model: {outcome.model_id}"
    assert window.device_label.text() in ("Inference: CPU", "Inference: GPU (CUDA)")

    search = window.search
    search.query.setText("red robe with dragons 红袍 龙纹")
    search.go.click()
    qtbot.waitUntil(lambda: search.photos.rowCount() > 0, timeout=30_000)
    assert search.descriptions.rowCount() > 0
    first = demo.items.ids()[0]
    window.grid.select_ids([first])
    window.actions.more_like_this.trigger()
    qtbot.waitUntil(lambda: " photo" in search.status.text(), timeout=30_000)
    assert first not in [h.item_id for h in search.photos.hits]
    photo = demo.items.get(first).photos[0]
    from app.services.dataset import photo_path
    window.search_region(str(photo_path(demo, photo.path)), (0, 0, photo.width // 2, photo.height // 2))
    wait_idle(qtbot, window)
    assert search.photos.rowCount() > 0

    view = window.show_evaluation()
    wait_idle(qtbot, window)
    view.evaluate_button.click()
    qtbot.waitUntil(lambda: bool(view.report), timeout=60_000)
    assert {r["direction"] for r in view.report["rows"]} == {"i2t", "t2i", "i2i", "t2t"}
    typed_rows = len(view.report["typed"].get("groups", {}) and
                     [f for f in ("category", "motif", "colour", "technique", "material", "era", "region")
                      if f"facet:{f}" in view.report["typed"]["groups"]])
    assert view.pr.series and view.table.rowCount() == 4 + typed_rows
    assert view.table.item(view.table.rowCount() - 1, 0).text().startswith("For comparison with papers")

    with_suggestions = [i for i in demo.items.ids() if demo.suggestions.of_item(i)]
    print(f"\n{len(with_suggestions)} item(s) with suggestions from the tiny model")
    if with_suggestions:  # the tiny model may be too unsure to suggest anything
        item_id = with_suggestions[0]
        label_id = demo.suggestions.of_item(item_id)[0][0]
        window.grid.select_ids([item_id])
        qtbot.waitUntil(lambda: window.detail.suggestions.item_id == item_id)
        window.detail.suggestions.decide(label_id, True)
        wait_idle(qtbot, window)
        assert label_id in demo.labels.labels_of(item_id)
