"""``wenyang search --text``: what was understood and why each hit is there (a stand-in service,
so no model is trained; the real service is exercised in tests/services)."""
from __future__ import annotations

import json

import pytest

import app.services.search as search
from app.core.models import Item
from app.services.search import Hit, Reason, SearchResults


class FakeService:
    """Answers every text query with one hit carrying one reason of each kind."""

    calls: list[dict] = []

    def __init__(self, lib):
        self.lib = lib

    def by_text(self, text, k=50, filters=None, **kwargs):
        FakeService.calls.append({"text": text, **kwargs})
        understood = kwargs.get("labels", ["robe", "dragon"] if "龙袍" in text else [])
        item_id = self.lib.items.ids()[0]
        reasons = [Reason("accession", term="T-1"), Reason("keyword", field="title", term="龙袍"),
                   Reason("tagged", label="dragon"), Reason("predicted", label="dragon", value=0.87),
                   Reason("distance", value=5), Reason("duplicate")]
        hit = Hit(item_id, 5, "image", ["dragon"], score=1.0, reasons=reasons)
        return SearchResults([hit], [], understood, "CPUExecutionProvider", 0.01, understood=understood)


@pytest.fixture
def lib_root(library, monkeypatch):
    library.items.add(Item("T-1", title="明黄缎绣龙纹龙袍"))
    monkeypatch.setattr(search, "SearchService", FakeService)
    FakeService.calls = []
    return str(library.location)


def test_text_search_prints_what_was_understood_and_the_reasons(cli, lib_root):
    result = cli("search", lib_root, "--text", "龙袍")
    assert result.code == 0
    assert "Understood: Robe 袍, Dragon 龙" in result.out
    assert ("why: accession number T-1 · title: 龙袍 · tagged Dragon · looks like Dragon, 87 % · "
            "distance 5 · same photo") in result.out


def test_text_that_names_no_label_says_so(cli, lib_root):
    result = cli("search", lib_root, "--text", "palace")
    assert "Understood: nothing — searching by words only" in result.out


def test_json_carries_the_reasons_and_what_was_understood(cli, lib_root):
    data = json.loads(cli("search", lib_root, "--text", "龙袍", "--json").out)
    assert data["understood"] == ["robe", "dragon"]
    reasons = data["photos"][0]["reasons"]
    assert reasons[3] == {"kind": "predicted", "label": "dragon", "field": "", "term": "", "value": 0.87}


def test_understood_overrides_the_reading(cli, lib_root):
    result = cli("search", lib_root, "--text", "龙袍", "--understood", "Phoenix", "纹样>植物纹>牡丹")
    assert FakeService.calls[-1]["labels"] == ["phoenix", "peony"]
    assert "Understood: Phoenix 凤, Peony 牡丹" in result.out
    cli("search", lib_root, "--text", "龙袍", "--understood")
    assert FakeService.calls[-1]["labels"] == []
    cli("search", lib_root, "--text", "龙袍")
    assert "labels" not in FakeService.calls[-1]  # the service reads the text itself


def test_understood_needs_text(cli, lib_root):
    assert cli("search", lib_root, "--labels", "dragon", "--understood", "robe").code == 1
