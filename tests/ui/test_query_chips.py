"""What a typed search was understood as (chips the curator edits) and why each hit is there,
against a stand-in with the search service's contract: ``by_text(text, k, filters, labels)``,
``SearchResults.understood`` and ``Hit.reasons``."""
from __future__ import annotations

import types

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QToolButton

from app.search.understanding import understand
from app.services.search import Hit, Reason, SearchFilters, SearchResults
from app.ui.hits_model import ReasonsRole
from tests.ui.helpers import wait_idle


def Results(photos, descriptions, query_labels, understood=()):
    """The real service's results, as the stand-in service below answers them."""
    return SearchResults(photos, descriptions, list(query_labels), "CPUExecutionProvider", 0.01,
                         understood=list(understood))


class UnderstandingSearch:
    """Reads text with the real query understanding (or takes ``labels``); every hit has reasons."""

    calls: list = []

    def __init__(self, lib):
        self.lib = lib

    def available(self):
        return True

    def provider(self):
        return "CPUExecutionProvider"

    def warm(self, compile_apart=False):
        self.warmed = compile_apart

    def by_text(self, text, k=50, filters=None, labels=None):
        UnderstandingSearch.calls.append((text, labels))
        understood = understand(text, self.lib.scheme).labels if labels is None else list(labels)
        reasons = [Reason("tagged", label="dragon"), Reason("predicted", label="dragon", value=0.87),
                   Reason("distance", value=5)]
        ids = self.lib.items.ids()
        return Results([Hit(i, 5, "image", [], reasons=reasons) for i in ids],
                       [Hit(i, 7, "text", [], reasons=[Reason("keyword", field="title", term="龙袍")])
                        for i in ids[:2]], understood, understood=understood)

    def by_image(self, path, region=None, k=50, filters=None):
        return Results([], [], [])


@pytest.fixture
def searchable(stocked, monkeypatch, qtbot):
    UnderstandingSearch.calls = []
    fake = types.SimpleNamespace(SearchService=UnderstandingSearch, SearchFilters=SearchFilters)
    monkeypatch.setattr("app.ui.search_backend.search_module", lambda: fake)
    window, ids = stocked
    window.backend.refresh()
    qtbot.waitUntil(lambda: window.backend.available and window.search.scheme is not None)
    return window, ids


def _type_search(window, qtbot, text: str):
    window.search.query.setText(text)
    window.search.go.click()
    wait_idle(qtbot, window)
    return window.search.chips


def _chip_names(chips) -> list[str]:
    return [chip.text.text() for chip in chips.chips]


def test_chips_show_what_was_understood(searchable, qtbot):
    window, _ = searchable
    chips = _type_search(window, qtbot, "龙袍")
    assert UnderstandingSearch.calls[-1] == ("龙袍", None)  # the service reads the text itself
    assert chips.isVisible() and chips.label_ids == ["robe", "dragon"]
    assert _chip_names(chips) == ["Robe · 袍", "Dragon · 龙"]
    assert not chips.nothing.isVisible()


def test_removing_a_chip_searches_again_with_the_rest(searchable, qtbot):
    window, _ = searchable
    chips = _type_search(window, qtbot, "龙袍")
    robe = next(c for c in chips.chips if c.label_id == "robe")
    robe.findChild(QToolButton, "chipRemove").click()
    wait_idle(qtbot, window)
    assert UnderstandingSearch.calls[-1] == ("龙袍", ["dragon"])
    assert _chip_names(chips) == ["Dragon · 龙"]
    chips.chips[0].remove.click()
    wait_idle(qtbot, window)
    assert UnderstandingSearch.calls[-1] == ("龙袍", [])
    assert chips.isVisible() and chips.nothing.isVisible()


def test_adding_a_label_searches_again_with_it(searchable, qtbot):
    window, _ = searchable
    chips = _type_search(window, qtbot, "robe")
    chips.add_button.click()
    assert chips.editor.isVisible()
    chips.editor.setText("凤凰")  # a wording, not a name: read by query understanding
    qtbot.keyClick(chips.editor, Qt.Key_Return)
    wait_idle(qtbot, window)
    assert UnderstandingSearch.calls[-1] == ("robe", ["robe", "phoenix"])
    assert chips.label_ids == ["robe", "phoenix"] and not chips.editor.isVisible()
    assert "Peony · 牡丹" in chips.completer.model().stringList()
    chips.add_typed("Peony · 牡丹")  # a completion
    wait_idle(qtbot, window)
    assert UnderstandingSearch.calls[-1] == ("robe", ["robe", "phoenix", "peony"])


def test_a_name_that_is_no_label_is_refused(searchable, qtbot):
    window, _ = searchable
    chips = _type_search(window, qtbot, "robe")
    calls = len(UnderstandingSearch.calls)
    assert chips.add_typed("unicorn") is False
    assert len(UnderstandingSearch.calls) == calls and "unicorn" in chips.editor.toolTip()


def test_each_hit_says_why_it_is_there(searchable, qtbot):
    window, _ = searchable
    _type_search(window, qtbot, "龙袍")
    photos, texts = window.search.photos, window.search.descriptions
    assert photos.index(0).data(ReasonsRole) == "tagged Dragon · looks like Dragon, 87 % · distance 5"
    qtbot.waitUntil(lambda: "Why: tagged Dragon" in photos.index(0).data(Qt.ToolTipRole))
    assert texts.index(0).data().endswith("\ntitle: 龙袍")  # a second line in the text list
    assert "\n" not in photos.index(0).data()  # under a thumbnail: the tooltip only


def test_chips_and_reasons_in_chinese(searchable, qtbot):
    from app.ui.i18n import install_language

    window, _ = searchable
    install_language("zh_CN")
    chips = _type_search(window, qtbot, "dragon robe")
    assert _chip_names(chips) == ["袍 · Robe", "龙 · Dragon"]
    assert chips.heading.text() == "识别为："
    assert window.search.photos.index(0).data(ReasonsRole).startswith("已标注 龙 · 看起来像 龙，87%")
    assert window.search.descriptions.index(0).data().endswith("\n标题：龙袍")


def test_a_photo_search_hides_the_chips(searchable, tmp_path, qtbot):
    window, _ = searchable
    chips = _type_search(window, qtbot, "龙袍")
    window.search.search_photo(str(tmp_path / "photos" / "P0001.jpg"))
    wait_idle(qtbot, window)
    assert not chips.isVisible()


def test_a_hit_without_a_distance_shows_none(qtbot):
    from app.ui.hits_model import HitsModel

    class _Record:
        accession, title = "M-9", "robe"

    model = HitsModel.__new__(HitsModel)  # only the caption is exercised
    model.reasons_line = False
    assert HitsModel._display(model, Hit(9, -1, "image", []), _Record(), "") == "M-9"
    assert HitsModel._display(model, Hit(9, 4, "image", []), _Record(), "") == "M-9  ·  d=4"
