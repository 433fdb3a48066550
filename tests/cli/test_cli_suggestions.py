"""wenyang suggestions list|accept|reject: the model's suggested labels, decided from the shell."""
from __future__ import annotations

import pytest

from app.core.models import Item
from app.store import open_library


@pytest.fixture
def lib_path(tmp_path, cli):
    path = tmp_path / "lib"
    cli("init", path)
    with open_library(path) as lib:
        ids = [lib.items.add(Item(a)) for a in ("A-1", "A-2")]
        lib.models.register("m1", 16, "ssah", {})
        lib.suggestions.put("m1", [(ids[0], "dragon", 0.91), (ids[0], "peony", 0.55), (ids[1], "robe", 0.7)])
    return path


def test_list_accept_and_reject(lib_path, cli):
    r = cli("suggestions", "list", lib_path, "A-1", "A-2")
    assert r.code == 0
    assert r.out.splitlines() == ["A-1: Motif>Animal>Dragon 91%; Motif>Plant>Peony 55%", "A-2: Garment category>Robe 70%"]
    r = cli("suggestions", "accept", lib_path, "A-1", "Dragon")
    assert r.code == 0 and "Accepted 1 suggestion(s) for A-1; 2 tag(s) added" in r.out  # dragon, and animal
    r = cli("suggestions", "reject", lib_path, "A-1", "peony")
    assert r.code == 0 and "Rejected 1" in r.out
    with open_library(lib_path) as lib:
        a1 = lib.items.get_by_accession("A-1").id
        assert lib.labels.labels_of(a1) == ["animal", "dragon"]
        assert lib.suggestions.of_item(a1) == []
        assert [s[2] for s in lib.suggestions.of_item(a1, include_decided=True)] == ["rejected"]
    assert cli("suggestions", "list", lib_path, "A-1").out == "A-1: no open suggestions\n"


def test_a_label_the_model_did_not_suggest_is_refused_and_nothing_changes(lib_path, cli):
    r = cli("suggestions", "accept", lib_path, "A-2", "robe", "Phoenix")
    assert r.code != 0 and "does not suggest Motif>Animal>Phoenix for A-2" in r.err
    with open_library(lib_path) as lib:
        assert lib.labels.labels_of(lib.items.get_by_accession("A-2").id) == []


def test_without_a_model_there_is_nothing_to_decide(tmp_path, cli):
    path = tmp_path / "empty"
    cli("init", path)
    with open_library(path) as lib:
        lib.items.add(Item("B-1"))
    r = cli("suggestions", "accept", path, "B-1", "robe")
    assert r.code != 0 and "No model is active" in r.err
