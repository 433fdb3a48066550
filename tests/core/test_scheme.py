"""LabelScheme: the tree, name resolution, identity and exchange (pure logic, no database)."""
from __future__ import annotations

import json

import pytest

from app.core.errors import SchemeError
from app.core.scheme import Facet, Label, LabelScheme, scheme_from_keyword_paths, slugify, split_path
from app.paths import resource


@pytest.fixture(scope="module")
def default() -> LabelScheme:
    data = json.loads(resource("scheme", "default.json").read_text(encoding="utf-8"))
    return LabelScheme.from_dict(data)


def small() -> LabelScheme:
    """Two facets; 'Cloud' exists twice (a motif and a technique) to make names ambiguous."""
    facets = [Facet("motif", "Motif", "纹样", 0), Facet("technique", "Technique", "工艺", 1)]
    labels = [
        Label("animal", "motif", "Animal", "动物纹"),
        Label("dragon", "motif", "Dragon", "龙", "animal"),
        Label("five-claw", "motif", "Five-clawed dragon", "五爪龙", "dragon"),
        Label("nature", "motif", "Nature", "自然纹"),
        Label("cloud", "motif", "Cloud", "云纹", "nature"),
        Label("embroidery", "technique", "Embroidery", "刺绣"),
        Label("cloud-stitch", "technique", "Cloud", "云绣", "embroidery"),
    ]
    return LabelScheme(facets, labels)


# -- the tree ------------------------------------------------------------------------------
def test_ancestors_are_nearest_first_and_closure_adds_them():
    s = small()
    assert s.ancestors("five-claw") == ["dragon", "animal"]
    assert s.ancestors("animal") == []
    assert s.closure(["five-claw", "cloud"]) == {"five-claw", "dragon", "animal", "cloud", "nature"}
    assert s.closure([]) == set()


def test_descendants_children_and_order():
    s = small()
    assert s.descendants("animal") == ["dragon", "five-claw"]
    assert s.descendants("five-claw") == []
    assert [l.id for l in s.children(None, "motif")] == ["animal", "nature"]
    # ordered(): facet by facet, each parent before its children
    order = [l.id for l in s.ordered()]
    assert sorted(order) == sorted(s.labels)
    for label in s.labels.values():
        if label.parent:
            assert order.index(label.parent) < order.index(label.id)
    assert order.index("cloud") < order.index("embroidery")  # motif facet first


def test_unknown_id_raises_scheme_error():
    with pytest.raises(SchemeError, match="no label with id 'nope'"):
        small().ancestors("nope")


@pytest.mark.parametrize("labels, message", [
    ([Label("a", "motif", "A", "甲", "b"), Label("b", "motif", "B", "乙", "a")], "own ancestor"),
    ([Label("a", "motif", "A", "甲", "a")], "own ancestor"),
    ([Label("a", "motif", "A", "甲", "ghost")], "unknown parent"),
    ([Label("a", "nowhere", "A", "甲")], "unknown facet"),
    ([Label("a", "motif", "A", "甲"), Label("b", "technique", "B", "乙", "a")], "different facets"),
])
def test_invalid_trees_are_refused(labels, message):
    facets = [Facet("motif", "Motif", "纹样"), Facet("technique", "Technique", "工艺")]
    with pytest.raises(SchemeError, match=message):
        LabelScheme(facets, labels)


# -- resolving references -------------------------------------------------------------------
@pytest.mark.parametrize("ref", ["dragon", "Dragon", "DRAGON", " 龙 ", "Animal>Dragon", "动物纹>龙",
                                 "Motif > Animal > Dragon", "纹样>动物纹>龙"])
def test_resolve_by_id_name_or_path(ref):
    assert small().resolve(ref).id == "dragon"


def test_resolve_ambiguous_name_lists_the_candidates():
    s = small()
    with pytest.raises(SchemeError) as err:
        s.resolve("Cloud")
    text = str(err.value)
    assert "ambiguous" in text
    assert "Motif>Nature>Cloud" in text and "Technique>Embroidery>Cloud" in text
    # a longer path (or the other language, or the id) disambiguates
    assert s.resolve("Nature>Cloud").id == "cloud"
    assert s.resolve("Embroidery>Cloud").id == "cloud-stitch"
    assert s.resolve("云绣").id == "cloud-stitch"
    assert s.resolve("cloud").id == "cloud"  # an exact id wins over names


@pytest.mark.parametrize("ref", ["Unicorn", "Nature>Dragon", "Technique>Dragon", "Animal>Dragon>Red"])
def test_resolve_unknown(ref):
    with pytest.raises(SchemeError, match="Unknown label"):
        small().resolve(ref)


@pytest.mark.parametrize("ref", ["", "Animal>>Dragon", ">Dragon"])
def test_resolve_empty_parts(ref):
    with pytest.raises(SchemeError):
        small().resolve(ref)


def test_resolve_facet_by_id_or_either_name():
    s = small()
    assert s.resolve_facet("technique").id == s.resolve_facet("工艺").id == "technique"
    assert s.resolve_facet(" MOTIF ").id == "motif"
    with pytest.raises(SchemeError, match="Unknown facet"):
        s.resolve_facet("Colour")


def test_paths_in_both_languages():
    s = small()
    assert s.path("five-claw") == ["Motif", "Animal", "Dragon", "Five-clawed dragon"]
    assert s.keyword_path("five-claw", "zh") == "纹样>动物纹>龙>五爪龙"
    assert split_path(" Motif >Animal> Dragon ") == ["Motif", "Animal", "Dragon"]


def test_new_id_avoids_labels_and_facets():
    s = small()
    assert s.new_id("Phoenix") == "phoenix"
    assert s.new_id("Dragon") == "dragon-2"
    assert s.new_id("Motif") == "motif-2"
    assert s.new_id("", "凤") == "label"
    assert slugify("Sea-wave & Cliff!") == "sea-wave-cliff"


# -- identity -------------------------------------------------------------------------------
def test_fingerprint_ignores_names_but_not_structure():
    s = small()
    fp = s.fingerprint()
    renamed = s.with_labels([Label(l.id, l.facet, l.name_en.upper(), l.name_zh + "纹", l.parent,
                                   l.position + 7) for l in s.labels.values()])
    assert renamed.fingerprint() == fp
    moved = s.with_labels([Label(l.id, l.facet, l.name_en, l.name_zh, None if l.id == "five-claw"
                                 else l.parent) for l in s.labels.values()])
    assert moved.fingerprint() != fp
    added = s.with_labels([*s.labels.values(), Label("phoenix", "motif", "Phoenix", "凤", "animal")])
    assert added.fingerprint() != fp
    removed = s.with_labels([l for l in s.labels.values() if l.id != "five-claw"])
    assert removed.fingerprint() != fp
    assert len(fp) == 16 and int(fp, 16) >= 0


def test_dict_round_trip_is_lossless():
    s = small()
    data = json.loads(json.dumps(s.to_dict(), ensure_ascii=False))
    assert data["format"] == "wenyang-label-scheme"
    assert data["fingerprint"] == s.fingerprint()
    back = LabelScheme.from_dict(data)
    assert back.labels == s.labels
    assert back.facets == s.facets
    assert back.version == s.version


@pytest.mark.parametrize("data", [
    [], {"labels": []}, {"facets": []},
    {"facets": [{"id": "motif"}], "labels": []},
    {"facets": ["motif"], "labels": []},
    {"facets": [{"id": "m", "name_en": "M", "name_zh": "M"}], "labels": [42]},
    {"facets": [], "labels": [], "version": "new"},
    {"facets": "motif", "labels": []},
])
def test_from_dict_refuses_malformed_data_with_scheme_error(data):
    with pytest.raises(SchemeError):
        LabelScheme.from_dict(data)


# -- keyword paths --------------------------------------------------------------------------
def test_keyword_paths_round_trip_into_an_empty_scheme():
    s = small()
    text = s.to_keyword_paths()
    lines = text.splitlines()
    assert len(lines) == len(s.labels) and "Motif>Animal>Dragon>Five-clawed dragon" in lines
    built = scheme_from_keyword_paths(text)
    assert sorted(built.keyword_path(i) for i in built.labels) == sorted(lines)
    assert built.resolve("Five-clawed dragon").parent == built.resolve("Animal>Dragon").id


def test_keyword_paths_extend_a_base_without_duplicates():
    s = small()
    text = "# a comment\n\nMotif>Animal>Dragon\n纹样>动物纹>凤\nMotif > Animal > Crane\nColour>Red\n"
    built = scheme_from_keyword_paths(text, base=s)
    new = set(built.labels) - set(s.labels)
    assert len(new) == 3  # 凤, Crane, Red; the dragon path already existed
    assert all(built.labels[i] == s.labels[i] for i in s.labels)  # base labels untouched
    phoenix = built.resolve("凤")
    assert phoenix.parent == "animal" and phoenix.facet == "motif"
    red = built.resolve("Colour>Red")
    assert red.parent is None and built.facets[red.facet].name_en == "Colour"
    # parents come before children so the text can be re-imported in order
    assert built.to_keyword_paths().count("\n") == len(built.labels)


def test_keyword_paths_in_chinese_build_bilingual_placeholders():
    built = scheme_from_keyword_paths("纹样>动物纹>龙\n纹样>动物纹>凤\n", lang="zh")
    dragon = built.resolve("纹样>动物纹>龙")
    assert dragon.name_zh == "龙" and dragon.name_en == "龙"
    assert built.resolve("凤").parent == dragon.parent
    assert len(set(built.labels)) == 3


def test_keyword_paths_with_an_empty_part_are_refused():
    with pytest.raises(SchemeError, match="empty part"):
        scheme_from_keyword_paths("Motif>>Dragon\n")


# -- the shipped default --------------------------------------------------------------------
def test_default_scheme_is_a_valid_bilingual_tree(default):
    assert len(default.facets) == 7
    assert 40 <= len(default.labels) <= 70
    for label in default.labels.values():
        assert label.name_en.strip() and label.name_zh.strip(), label.id
        assert any("\u4e00" <= ch <= "\u9fff" for ch in label.name_zh), label.id
        assert label.name_en.isascii(), label.id
    for facet in default.facets.values():
        assert facet.name_en.strip() and facet.name_zh.strip()
        assert default.children(None, facet.id), f"facet {facet.id} has no labels"
    # some hierarchy: ticking a child implies its parent
    assert any(l.parent for l in default.labels.values())
    assert "animal" in default.closure([default.resolve("龙").id])


def test_default_scheme_names_resolve_uniquely(default):
    for label in default.labels.values():
        for lang in ("en", "zh"):
            assert default.resolve(default.keyword_path(label.id, lang)).id == label.id
            assert default.resolve(label.name(lang)).id == label.id


def test_default_json_is_what_to_dict_writes(default):
    """The shipped file's labels are in tree order and its positions are unique."""
    data = json.loads(resource("scheme", "default.json").read_text(encoding="utf-8"))
    assert [l["id"] for l in data["labels"]] == [l.id for l in default.ordered()]
    positions = [l["position"] for l in data["labels"]]
    assert len(set(positions)) == len(positions)
