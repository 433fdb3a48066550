"""Query understanding: typed text read against the default label scheme (pure, no library)."""
from __future__ import annotations

import json

import pytest

from app.core.scheme import Facet, Label, LabelScheme
from app.paths import resource
from app.search.understanding import matcher_for, understand


@pytest.fixture(scope="module")
def scheme() -> LabelScheme:
    data = json.loads(resource("scheme", "default.json").read_text(encoding="utf-8"))
    return LabelScheme.from_dict(data)


def _names(scheme):
    return [(label.id, name) for label in scheme.labels.values()
            for name in (label.name_en, label.name_zh)]


def test_every_label_is_understood_by_its_chinese_and_english_name(scheme):
    wrong = {(lid, name): understand(name, scheme).labels for lid, name in _names(scheme)
             if understand(name, scheme).labels != [lid]}
    assert wrong == {}


def test_every_label_is_understood_by_its_id_and_keyword_path(scheme):
    for lid in scheme.labels:
        assert understand(lid, scheme).labels == [lid]
        for lang in ("en", "zh"):
            assert understand(scheme.keyword_path(lid, lang), scheme).labels == [lid]


@pytest.mark.parametrize("text, labels", [
    ("龙袍", ["robe", "dragon"]),
    ("蟒袍", ["robe", "dragon"]),
    ("马面裙", ["horse-face-skirt"]),
    ("云肩", ["cloud-collar"]),
    ("石青缎绣云蝠纹女褂", ["dark-blue", "satin", "embroidery", "cloud", "bat", "surcoat"]),
    ("horse-face skirt with peonies", ["horse-face-skirt", "peony"]),
    ("Horse face skirt", ["horse-face-skirt"]),
    ("blue skirt with cloud pattern", ["blue", "skirt", "cloud"]),
    ("ROBES with butterflies", ["robe", "butterfly"]),
    ("red satin robe with five-clawed dragons and sea-wave hem",
     ["red", "satin", "robe", "dragon", "sea-wave"]),
    ("龙纹", ["dragon"]),
    ("凤凰", ["phoenix"]),
    ("明黄妆花缎龙袍", ["yellow", "zhuanghua", "satin", "robe", "dragon"]),
    ("Motif>Animal>Dragon", ["dragon"]),
    ("Animal > Dragon and 纹样>植物纹>牡丹", ["dragon", "peony"]),
])
def test_phrases(scheme, text, labels):
    assert understand(text, scheme).labels == labels


def test_an_ancestor_read_beside_its_child_is_dropped(scheme):
    assert understand("animal dragon 植物纹 牡丹 skirt 马面裙", scheme).labels == [
        "dragon", "peony", "horse-face-skirt"]


def test_text_that_names_nothing(scheme):
    found = understand("from the palace collection, 1890", scheme)
    assert (found.labels, found.spans) == ([], [])
    assert found.rest == "from the palace collection, 1890"


def test_words_that_only_contain_a_label_name_are_not_read_as_it(scheme):
    assert understand("纹样清晰，说明", scheme).labels == []  # not Qing, not Ming


def test_spans_and_rest(scheme):
    found = understand("horse-face skirt with peonies", scheme)
    assert found.spans == [("horse-face skirt", "horse-face-skirt"), ("peonies", "peony")]
    assert found.rest == "with"


def test_a_renamed_label_is_read_by_its_new_name(scheme):
    renamed = scheme.with_labels(
        [Label(l.id, l.facet, "Loong" if l.id == "dragon" else l.name_en, l.name_zh, l.parent,
               l.position) for l in scheme.labels.values()])
    assert understand("loong", renamed).labels == ["dragon"]
    assert understand("loong", scheme).labels == []


def test_synonyms_of_labels_a_scheme_lacks_are_skipped():
    tiny = LabelScheme([Facet("motif", "Motif", "纹样")],
                       [Label("dragon", "motif", "Dragon", "龙")])
    assert understand("蟒袍 with a phoenix", tiny).labels == ["dragon"]


def test_a_curator_synonym_file_is_read(tmp_path, scheme):
    (tmp_path / "label_synonyms.txt").write_text("# mine\n夔纹 = dragon\n",
                                                 encoding="utf-8")
    assert understand("夔纹", scheme, glossary_dir=tmp_path).labels == ["dragon"]
    assert understand("夔纹", scheme).labels == []


def test_the_matcher_is_built_once_per_scheme(scheme):
    # speed is a benchmark's business, not a timed test: check the cache that makes it fast
    first = matcher_for(scheme)
    assert matcher_for(scheme) is first
    query = "red satin robe with five-clawed dragons 石青缎绣云蝠纹女褂"
    assert understand(query, scheme).labels == first.read(query).labels
