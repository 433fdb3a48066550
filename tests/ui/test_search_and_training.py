"""The search panel and the training dialog against stand-ins with the services' signatures
(``SearchService`` and ``train_library``): the window's wiring, not the models, is under test."""
from __future__ import annotations

import threading
import types
from dataclasses import dataclass, field

import pytest
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDragLeaveEvent, QDropEvent
from PySide6.QtTest import QTest

from app.core.errors import NotFound
from app.core.jobs import Progress
from app.ui.label_models import rows_by_label
from tests.ui.helpers import wait_idle


@dataclass
class Hit:
    item_id: int
    distance: int
    modality: str
    matched_labels: list
    score: float = 0.0


@dataclass
class SearchFilters:
    labels: list = field(default_factory=list)
    collection: object = None


@dataclass
class Results:
    photos: list
    descriptions: list
    query_labels: list
    provider: str = "CUDAExecutionProvider"
    seconds: float = 0.01


class FakeSearch:
    """Records every query; answers with the library's items in reverse order."""

    calls: list = []

    def __init__(self, lib):
        self.lib = lib

    def available(self):
        return True

    def provider(self):
        return "CUDAExecutionProvider"

    def warm(self, compile_apart=False):
        self.warmed = compile_apart

    def _answer(self, name, *args, k=50, **kw):
        FakeSearch.calls.append((name, args, kw))
        ids = list(reversed(self.lib.items.ids()))[:k]
        return Results([Hit(i, d, "image", ["dragon"]) for d, i in enumerate(ids)],
                       [Hit(i, d + 3, "text", []) for d, i in enumerate(ids[:2])], ["dragon"])

    def by_text(self, text, k=50, filters=None):
        if text == "fail":
            raise NotFound("The model cannot read this query.")
        return self._answer("by_text", text, filters=filters, k=k)

    def by_image(self, path, region=None, k=50, filters=None):
        return self._answer("by_image", path, region=region, filters=filters, k=k)

    def like_item(self, item_id, k=50, filters=None):
        return self._answer("like_item", item_id, filters=filters, k=k)

    def edit(self, item_id, add=(), remove=(), weight=0.5, k=50, filters=None):
        return self._answer("edit", item_id, add=add, remove=remove, weight=weight, k=k)


@pytest.fixture
def searchable(stocked, monkeypatch, qtbot):
    FakeSearch.calls = []
    fake = types.SimpleNamespace(SearchService=FakeSearch, SearchFilters=SearchFilters)
    monkeypatch.setattr("app.ui.search_backend.search_module", lambda: fake)
    window, ids = stocked
    window.backend.refresh()
    qtbot.waitUntil(lambda: window.backend.available)
    return window, ids


def test_search_is_enabled_and_the_device_shown_once_a_model_is_there(searchable):
    window, _ = searchable
    assert all(a.isEnabled() for a in window.actions.search_actions)
    assert window.search.query.isEnabled()
    assert window.device_label.text() == "Inference: GPU (CUDA)"


def test_text_search_fills_both_tabs_with_filters_applied(searchable, library, qtbot):
    window, ids = searchable
    rows_by_label(window.facets.model)["qing"].setCheckState(Qt.Checked)
    window.search.query.setText("red satin robe with dragons")
    window.search.go.click()
    wait_idle(qtbot, window)
    name, args, kw = FakeSearch.calls[-1]
    assert (name, args) == ("by_text", ("red satin robe with dragons",))
    assert kw["filters"] == SearchFilters(labels=["qing"], collection=None)
    assert window.search.photos.rowCount() == len(ids)
    assert window.search.descriptions.rowCount() == 2
    assert window.search.tabs.tabText(1) == "Matching descriptions"
    accession = library.items.get(ids[-1]).accession
    qtbot.waitUntil(lambda: window.search.photos.index(0).data() == f"{accession}  ·  d=0")
    window.search.photo_view.clicked.emit(window.search.photos.index(0))
    qtbot.waitUntil(lambda: window.detail.item_ids == [ids[-1]])


def test_the_descriptions_tab_shows_the_passage_that_matched(searchable, library, qtbot):
    from app.ui.queries import passage

    text = ("Surcoat of dark blue satin. " * 6) + "Embroidered with a five-clawed dragon chasing a pearl. " + \
        ("Lined with silk. " * 6)
    cut = passage(text, ["Dragon"])
    assert "five-clawed dragon chasing" in cut and cut.startswith("…") and cut.endswith("…") and len(cut) <= 92
    assert passage(text, ["phoenix"]).startswith("Surcoat of dark blue")  # no term in it: its beginning
    window, ids = searchable
    library.items.update(ids[-1], title="Dragon surcoat", description=text)
    window.search.query.setText("dragon")
    window.search.go.click()
    wait_idle(qtbot, window)
    qtbot.waitUntil(lambda: "Surcoat of dark blue" in (window.search.descriptions.index(0).data() or ""))
    assert "Dragon surcoat" in window.search.descriptions.index(0).data()


def test_dropped_photo_and_drawn_region_search_by_image(searchable, tmp_path, qtbot):
    window, ids = searchable
    photo = tmp_path / "photos" / "P0002.jpg"
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(photo))])
    window.search.dropEvent(QDropEvent(QPointF(5, 5), Qt.CopyAction, mime, Qt.LeftButton, Qt.NoModifier))
    wait_idle(qtbot, window)
    assert FakeSearch.calls[-1][:2] == ("by_image", (str(photo),))
    # Shift+drop anywhere on the window searches instead of importing
    event = QDropEvent(QPointF(5, 5), Qt.CopyAction, mime, Qt.LeftButton, Qt.ShiftModifier)
    window.dropEvent(event)
    wait_idle(qtbot, window)
    assert len([c for c in FakeSearch.calls if c[0] == "by_image"]) == 2
    window.detail.cropSearch.emit(str(photo), (10, 12, 30, 20))
    wait_idle(qtbot, window)
    assert FakeSearch.calls[-1][2]["region"] == (10, 12, 30, 20)


def test_more_like_this_and_attribute_edit(searchable, library, qtbot):
    window, ids = searchable
    accession = library.items.get(ids[3]).accession
    window.search.query.setText("dragon robe")
    window.search.search_text()
    wait_idle(qtbot, window)
    window.grid.select_ids([ids[3]])
    qtbot.waitUntil(lambda: window.detail.scheme is not None and window.detail.item_ids == [ids[3]])
    window.actions.more_like_this.trigger()
    wait_idle(qtbot, window)
    assert FakeSearch.calls[-1][:2] == ("like_item", (ids[3],))
    assert window.search.query.text() == ""  # the typed query is not shown beside these results
    assert window.search.last_query == f"More like {accession}"  # no internal id ("#4")
    assert window.search.status.text().startswith(f"More like {accession} · ")
    window.edit_attributes_search((["phoenix"], ["dragon"], 0.7))
    wait_idle(qtbot, window)
    name, args, kw = FakeSearch.calls[-1]
    assert (name, args, kw["add"], kw["remove"], kw["weight"]) == ("edit", (ids[3],), ["phoenix"], ["dragon"], 0.7)
    assert window.search.last_query == f"Like {accession}, with Phoenix instead of Dragon"


def test_the_drop_zone_picks_a_photo_on_click_and_lights_up_under_a_drag(searchable, tmp_path, qtbot,
                                                                        monkeypatch):
    window, ids = searchable
    photo = tmp_path / "photos" / "P0002.jpg"
    panel = window.search
    monkeypatch.setattr("app.ui.search_panel.QFileDialog.getOpenFileName", lambda *a, **k: (str(photo), ""))
    QTest.mouseClick(panel.drop_zone, Qt.MouseButton.LeftButton)
    wait_idle(qtbot, window)
    assert FakeSearch.calls[-1][:2] == ("by_image", (str(photo),))
    assert panel.query_view.isVisibleTo(panel) and not panel.query_view.pixmap().isNull()  # the query, shown
    assert panel.status.text().startswith("P0002.jpg · ")
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(photo))])
    panel.dragEnterEvent(QDragEnterEvent(QPoint(5, 5), Qt.CopyAction, mime, Qt.LeftButton, Qt.NoModifier))
    assert panel.drop_zone.hot
    panel.dragLeaveEvent(QDragLeaveEvent())
    assert not panel.drop_zone.hot
    panel.query.setText("dragon robe")
    panel.search_text()
    wait_idle(qtbot, window)
    assert not panel.query_view.isVisibleTo(panel)  # a typed search has no query photo


def test_results_page_on_with_show_more_and_offer_the_grids_menu(searchable, qtbot, monkeypatch):
    window, ids = searchable
    monkeypatch.setattr("app.ui.search_panel.PAGE", 2)
    panel = window.search
    panel.query.setText("dragon robe")
    panel.search_text()
    qtbot.waitUntil(lambda: panel.photos.rowCount() == 2)
    assert panel.more.isVisibleTo(panel)
    panel.more.click()
    qtbot.waitUntil(lambda: panel.photos.rowCount() == 4)
    assert FakeSearch.calls[-1][:2] == ("by_text", ("dragon robe",))
    panel.more.click()
    panel.more.click()
    qtbot.waitUntil(lambda: panel.photos.rowCount() == len(ids))
    assert not panel.more.isVisibleTo(panel)  # all there is
    view = panel.photo_view
    view.selectAll()
    menus = []
    panel.hitsContextMenu.disconnect(window.grid_context_menu)  # its menu would wait for a click
    panel.hitsContextMenu.connect(lambda pos, chosen: menus.append(chosen))
    panel._context_menu(view, view.visualRect(panel.photos.index(0)).center())
    assert sorted(menus[0]) == sorted(ids)
    texts = [a.text() for a in window.build_grid_menu(menus[0]).actions()]
    assert "Add to collection" in texts and "Export selected items…" in texts


def test_results_go_to_the_main_grid_best_first_and_back(searchable, library, qtbot):
    """"Show in the grid": the hits fill the main grid in their ranking (not the grid's sort),
    the bar says which search, deleted items drop out, and "Back to the library" returns."""
    from tests.ui.test_browse import grid_ids

    window, ids = searchable
    panel = window.search
    assert not panel.in_grid.isVisibleTo(panel)  # no results yet
    panel.query.setText("dragon robe")
    panel.search_text()
    qtbot.waitUntil(lambda: panel.photos.rowCount() == len(ids))
    assert panel.in_grid.isVisibleTo(panel)
    panel.in_grid.click()
    wait_idle(qtbot, window)
    assert grid_ids(window) == list(reversed(ids))  # the fake's ranking
    assert "6 search results, best first: dragon robe" in window.filter_bar.text()
    assert window.back_button.isVisibleTo(window)
    window.set_grid_order("title")  # sorting keeps the ranking of results
    wait_idle(qtbot, window)
    assert grid_ids(window) == list(reversed(ids))
    window.delete_selection([ids[-1]])
    wait_idle(qtbot, window)
    qtbot.waitUntil(lambda: grid_ids(window) == list(reversed(ids[:-1])))
    window.back_button.click()
    wait_idle(qtbot, window)
    assert not window.back_button.isVisibleTo(window)
    assert sorted(grid_ids(window)) == sorted(ids[:-1]) and "search" not in window.filter_bar.text()


def test_a_saved_search_comes_back_with_its_filters_and_can_be_forgotten(searchable, library, qtbot):
    from app.services.saved_searches import saved_searches

    window, ids = searchable
    coll = library.collections.create("Loan 2027")
    window.collections.reload()
    wait_idle(qtbot, window)
    panel = window.search
    window.collections.select(coll.id)
    rows_by_label(window.facets.model)["qing"].setCheckState(Qt.Checked)
    wait_idle(qtbot, window)
    panel.query.setText("dragon robe")
    panel.search_text()
    wait_idle(qtbot, window)
    panel._fill_saved_menu()
    assert panel.saved_menu.actions()[0].isEnabled()  # a typed search is on show: it can be saved
    panel.save_search("Qing dragons")
    wait_idle(qtbot, window)
    qtbot.waitUntil(lambda: [s.name for s in panel.saved] == ["Qing dragons"])
    window.clear_filters()
    window.collections.select(None)
    panel.query.setText("something else")
    wait_idle(qtbot, window)
    assert window.current_filters() == ([], None)
    panel._fill_saved_menu()
    run = next(a for a in panel.saved_menu.actions() if a.text() == "Qing dragons")
    run.trigger()
    wait_idle(qtbot, window)
    assert window.current_filters() == (["qing"], coll.id)
    assert rows_by_label(window.facets.model)["qing"].checkState() == Qt.Checked
    assert panel.query.text() == "dragon robe"
    name, args, kw = FakeSearch.calls[-1]
    assert (name, args) == ("by_text", ("dragon robe",))
    assert kw["filters"] == SearchFilters(labels=["qing"], collection=coll.id)
    window.session.undo.undo()  # the save was one step
    wait_idle(qtbot, window)
    qtbot.waitUntil(lambda: panel.saved == [])
    window.session.undo.redo()
    wait_idle(qtbot, window)
    panel.forget_saved("Qing dragons")
    wait_idle(qtbot, window)
    assert saved_searches(library) == []


def test_a_failed_search_does_not_leave_another_querys_results_under_its_message(searchable, qtbot):
    window, ids = searchable
    window.search.query.setText("dragon robe")
    window.search.search_text()
    qtbot.waitUntil(lambda: window.search.photos.rowCount() == len(ids))
    window.search.query.setText("fail")
    window.search.search_text()
    qtbot.waitUntil(lambda: window.search.status.text() == "The model cannot read this query.")
    assert window.search.photos.rowCount() == 0 and window.search.descriptions.rowCount() == 0
    assert window.search.last_query == ""  # nothing to export under the old name


def test_edit_picker_reports_the_choice(window, library, qtbot):
    from app.ui.edit_picker import EditPicker

    picker = EditPicker(library.scheme, ["dragon", "animal"])
    qtbot.addWidget(picker)
    picker.set_choice(add=["phoenix"], remove=["dragon"])
    picker.weight.setValue(80)
    assert picker.choice() == (["phoenix"], ["dragon"], 0.8)
    picker.filter_edit.setText("phoen")
    phoenix = next(r for r in picker._rows() if r.data(0, Qt.UserRole + 10) == "phoenix")
    assert not phoenix.isHidden() and phoenix.parent().isExpanded()  # seen, not folded away under Animal
    picker.filter_edit.setText("")
    assert not phoenix.parent().isExpanded() and not phoenix.isHidden()


class FakeTraining:
    """The training service's ``train_op``, with a trainer that has ``train_library``'s signature
    (reports epochs, honours cancel) around the real ``Train`` op."""

    @dataclass
    class TrainOptions:
        bits: int = 32
        mode: str = "ssah"
        epochs: int = 30
        activate: bool = True
        backbone_weights: str | None = None

    def __init__(self):
        self.calls = []
        self.release = threading.Event()
        self.stop_after: int | None = None  # like early stopping: the run ends after this epoch
        self.warmup_epochs = 0  # report a first pass of this many epochs before training

    def train_op(self, lib_path, options, progress, cancel):
        from app.services.training import Train
        from app.store import open_library

        self.calls.append((lib_path, options))
        with open_library(lib_path) as lib:
            return Train(options, progress, cancel, trainer=self.train_library).run(lib)

    def train_library(self, lib, options, progress, cancel, encode=True, record=None):
        for epoch in range(1, self.warmup_epochs + 1):
            for batch in (1, 2):
                progress(Progress("warmup", batch, 2, data={"kind": "warmup", "epoch": epoch,
                                                             "epochs": self.warmup_epochs}))
        run = min(options.epochs, self.stop_after or options.epochs)
        for epoch in range(1, run + 1):
            if cancel.is_set():
                return types.SimpleNamespace(model_id=None, cancelled=True)
            # the service's own event (app.services.training._event), not a look-alike
            progress(Progress("train", data={"kind": "epoch", "epoch": epoch, "epochs": options.epochs,
                                             "losses": {"image": 1.0 / epoch, "text": 2.0 / epoch},
                                             "val_map": 0.1 * epoch}))
            if epoch == 2:
                self.release.wait(10)  # let the test look (or cancel) mid-run
        lib.models.register("trained-1", options.bits, options.mode, {}, activate=options.activate)
        return types.SimpleNamespace(model_id="trained-1", cancelled=False, activated=options.activate,
                                     epochs_run=run, best_epoch=1 if self.stop_after else run, val_map=0.1 * run)


@pytest.fixture
def fake_training(monkeypatch):
    fake = FakeTraining()
    from app.services.training import training_readiness

    module = types.SimpleNamespace(train_op=fake.train_op, TrainOptions=FakeTraining.TrainOptions,
                                   training_readiness=training_readiness)
    monkeypatch.setattr("app.services.training.MIN_LABELLED", 0)  # the fake trains on anything
    monkeypatch.setattr("app.ui.training_dialog.training_module", lambda: module)
    yield fake
    fake.release.set()


def test_training_dialog_plots_progress_and_installs_the_model(window, library, fake_training, qtbot):
    dialog = window.show_training()
    dialog.bits.setCurrentIndex(dialog.bits.findData(64))
    dialog.mode.setCurrentIndex(dialog.mode.findData("dcmh"))
    dialog.epochs.setValue(4)
    dialog.start_button.click()
    qtbot.waitUntil(lambda: len(dialog.val_map.series.get("MAP", [])) == 2)
    assert dialog.cancel_button.text() == "Cancel" and not dialog.start_button.isEnabled()
    assert set(dialog.losses.series) == {"image", "text"}
    fake_training.release.set()
    with qtbot.waitSignal(dialog.trained, timeout=10_000):
        pass
    wait_idle(qtbot, window)
    _, options = fake_training.calls[0]
    assert (options.bits, options.mode, options.epochs) == (64, "dcmh", 4)
    assert dialog.val_map.series["MAP"][-1] == (4.0, pytest.approx(0.4))
    assert "trained-1" in dialog.stage.text()
    qtbot.waitUntil(lambda: window.model_label.text() == "Model: trained-1")
    assert window.session.undo.undoText() == "Train model trained-1"
    window.actions.undo.trigger()  # the model is forgotten, and search says there is none
    wait_idle(qtbot, window)
    assert library.models.all() == []
    qtbot.waitUntil(lambda: window.model_label.text() != "Model: trained-1")


def test_training_can_be_cancelled(window, fake_training, qtbot):
    dialog = window.show_training()
    dialog.epochs.setValue(50)
    dialog.start_button.click()
    qtbot.waitUntil(lambda: len(dialog.val_map.series.get("MAP", [])) == 2)
    dialog.cancel_button.click()
    fake_training.release.set()
    with qtbot.waitSignal(dialog.trained, timeout=10_000) as outcome:
        pass
    assert outcome.args[0].cancelled and dialog.stage.text() == "Cancelled; no new model."
    assert len(dialog.val_map.series["MAP"]) < 50


def test_the_evaluation_view_leads_with_the_curators_numbers_beside_chance(library, open_window, qtbot):
    library.models.register("m-eval", 32, "ssah", {"bits": 32, "mode": "ssah"})
    window = open_window(library)
    view = window.show_evaluation()
    wait_idle(qtbot, window)
    view.report = {"typed": {"groups": {"facet:category": {"p10": 0.93, "chance": 0.12, "n": 22, "best": 0.98},
                                        "facet:motif": {"p10": 0.66, "chance": 0.16, "n": 34}}},
                   "rows": [{"direction": "image→text", "map_all": 0.9, "map_at_k": 0.8, "precision_at_k": 0.7,
                             "recall_at_k": 0.1, "ndcg_at_k": 0.75, "n_queries": 50}], "curves": {}}
    view._show()
    first = [view.table.item(0, c).text() for c in range(5)]
    assert first == ["Typed label names, garment", "0.93", "0.12", "0.98", ""]
    assert view.facets.isVisibleTo(view) and view.facets.bars == [("garment", 0.93, 0.12), ("motif", 0.66, 0.16)]
    last = view.table.item(view.table.rowCount() - 1, 0).text()
    assert last.startswith("For comparison with papers (shares at least one label)")
    headers = [view.table.horizontalHeaderItem(c).text() for c in range(view.table.columnCount())]
    assert not any("_" in h or "." in h for h in headers)  # no raw keys
    view.report = dict(view.report, typed={})  # a library too small to hold ten photos out
    view._show()
    assert "need at least 10 held-out photos" in view.summary.text() and "has 50" in view.summary.text()


def test_training_dialog_says_what_it_learns_from_and_takes_a_weights_file(stocked, library, fake_training,
                                                                            qtbot, tmp_path, monkeypatch):
    window, ids = stocked
    library.labels.tag(ids[:3], ["dragon"])
    monkeypatch.setattr("app.services.training.MIN_LABELLED", 10)  # the real bar
    dialog = window.show_training()
    qtbot.waitUntil(lambda: dialog.readiness is not None)
    assert dialog.counts.text().startswith(f"3 of {len(ids)} items carry labels (3 of them with a photo)")
    assert "at least 10 tagged items" in dialog.counts.text() and not dialog.start_button.isEnabled()
    assert "bits" in dialog.bits_help.text() and "SSAH" in dialog.mode_help.text()
    monkeypatch.setattr("app.services.training.MIN_LABELLED", 3)  # six photos: lower the bar
    dialog._count()
    qtbot.waitUntil(lambda: dialog.start_button.isEnabled())
    dialog.weights.setText(str(tmp_path / "missing.pth"))
    dialog.start_button.click()
    assert dialog.job is None and "does not exist" in dialog.stage.text()
    (tmp_path / "resnet.pth").write_bytes(b"weights")
    dialog.weights.setText(str(tmp_path / "resnet.pth"))
    fake_training.release.set()
    dialog.start_button.click()
    with qtbot.waitSignal(dialog.trained, timeout=10_000):
        pass
    _, options = fake_training.calls[0]
    assert options.backbone_weights == str(tmp_path / "resnet.pth")


def test_training_progress_only_moves_forward_and_an_early_stop_is_explained(window, library, fake_training,
                                                                            qtbot):
    fake_training.warmup_epochs, fake_training.stop_after = 3, 2
    fake_training.release.set()
    dialog = window.show_training()
    dialog.epochs.setValue(6)
    values = []
    dialog.progress.valueChanged.connect(values.append)
    dialog.start_button.click()
    with qtbot.waitSignal(dialog.trained, timeout=10_000):
        pass
    assert len(values) > 4 and values == sorted(values)  # the first pass and the epochs did restart it
    assert dialog.progress.value() == dialog.progress.maximum()
    text = dialog.stage.text()
    assert "stopped early, after epoch 2 of 6" in text and "best epoch (1)" in text
    assert "never improved after the first epoch" in text


def test_training_asks_before_replacing_the_model_in_use(window, library, fake_training, qtbot):
    library.models.register("old-1", 32, "ssah", {})
    fake_training.release.set()
    dialog = window.show_training()
    qtbot.waitUntil(lambda: dialog.active_model == "old-1")
    dialog.replace_answer = False  # the curator answers "Keep model old-1"
    dialog.start_button.click()
    with qtbot.waitSignal(dialog.trained, timeout=10_000):
        pass
    _, options = fake_training.calls[0]
    assert options.activate is False
    assert library.models.active().id == "old-1"
    assert "search still uses old-1" in dialog.stage.text()


def test_evaluation_view_shows_the_card_numbers(library, open_window, qtbot):
    card = {"bits": 32, "mode": "ssah", "validation": {"map": 0.61, "i2t": 0.58},
            "history": [{"epoch": 1, "val_map": 0.3}, {"epoch": 2, "val_map": 0.5}]}
    library.models.register("m-eval", 32, "ssah", card)
    window = open_window(library)
    view = window.show_evaluation()
    wait_idle(qtbot, window)
    cells = {view.table.item(r, 0).text(): view.table.item(r, 1).text() for r in range(view.table.rowCount())}
    assert cells == {"Validation score (best epoch)": "0.6100", "Validation: photo → description": "0.5800"}
    assert view.history.series["MAP"] == [(1.0, 0.3), (2.0, 0.5)]
    assert "m-eval" in view.summary.text() and view.evaluate_button.isEnabled()
