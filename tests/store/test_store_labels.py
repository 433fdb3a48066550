"""Label scheme editing and tagging, stored in a real library (default scheme)."""
from __future__ import annotations

import pytest

from app.core.errors import SchemeError
from app.core.models import Item
from app.core.scheme import Facet, Label, LabelScheme
from app.store import open_library

pytestmark = pytest.mark.backends("sqlite", "postgresql")


def tags(lib, item_id) -> dict[str, str]:
    """label id → source ('user', 'import', 'implied', ...)."""
    return dict(lib.db.execute("SELECT label_id, source FROM item_labels WHERE item_id = ?",
                               [item_id]).fetchall())


def new_item(lib, accession="A1", labels=()):
    return lib.items.add(Item(accession, labels=list(labels)))


# -- tagging --------------------------------------------------------------------------------
def test_tag_implies_ancestors_stored_as_implied(library):
    item = new_item(library)
    added = library.labels.tag([item], ["Horse-face skirt", "龙"])
    assert tags(library, item) == {"horse-face-skirt": "user", "skirt": "implied",
                                   "dragon": "user", "animal": "implied"}
    assert added == 4
    assert library.labels.tag([item], ["dragon"]) == 0  # nothing new


def test_tagging_an_implied_ancestor_makes_it_explicit(library):
    item = new_item(library, labels=["Dragon"])
    library.labels.tag([item], ["Animal"], source="import")
    assert tags(library, item) == {"dragon": "user", "animal": "import"}
    library.labels.untag([item], ["Dragon"])  # the explicit ancestor survives its child
    assert tags(library, item) == {"animal": "import"}


def test_untag_removes_descendants_and_orphaned_ancestors(library):
    a = new_item(library, "A", ["Dragon", "Phoenix", "Satin"])
    b = new_item(library, "B", ["Dragon"])
    removed = library.labels.untag([a, b], ["Dragon"])
    assert removed == 2
    assert tags(library, a) == {"phoenix": "user", "animal": "implied", "satin": "user",
                                "silk": "implied"}  # phoenix still implies animal
    assert tags(library, b) == {}  # animal was implied only by dragon
    library.labels.untag([a], ["Animal"])
    assert tags(library, a) == {"satin": "user", "silk": "implied"}  # untag a parent: children go


def test_untag_a_label_the_item_does_not_have_changes_nothing(library):
    item = new_item(library, labels=["Dragon", "Red"])
    before = tags(library, item)
    assert library.labels.untag([item], ["Phoenix"]) == 0
    assert tags(library, item) == before


def test_tag_an_unknown_label_tags_nothing(library):
    a, b = new_item(library, "A"), new_item(library, "B")
    with pytest.raises(SchemeError, match="Unicorn"):
        library.labels.tag([a, b], ["Dragon", "Unicorn"])
    assert tags(library, a) == {} and tags(library, b) == {}


def test_counts_roll_up_to_ancestors(library):
    new_item(library, "A", ["Dragon"])
    new_item(library, "B", ["Phoenix", "Dragon"])
    new_item(library, "C", ["Peony"])
    counts = library.labels.counts()
    assert counts["dragon"] == 2 and counts["phoenix"] == 1
    assert counts["animal"] == 2  # an item counts once for its ancestor
    assert counts["plant"] == 1 and counts["hat"] == 0
    assert set(counts) == set(library.scheme.labels)
    assert library.labels.usage(["dragon", "peony"]) == 3


# -- editing the scheme ---------------------------------------------------------------------
def test_add_under_a_parent_or_at_the_top_of_a_facet(library):
    v0 = library.labels.version()
    fish = library.labels.add("Fish", "鱼", parent="Animal")
    assert (fish.id, fish.facet, fish.parent) == ("fish", "motif", "animal")
    tibetan = library.labels.add("Tibetan", "藏", facet="民族与地域")
    assert (tibetan.facet, tibetan.parent) == ("region", None)
    zh_only = library.labels.add("", "万字", parent="几何纹")
    assert zh_only.name_en == "万字" and zh_only.name_zh == "万字" and zh_only.id not in ("", "fish")
    assert library.labels.version() == v0 + 3
    assert library.scheme.resolve("动物纹>鱼").id == "fish"


@pytest.mark.parametrize("kwargs, message", [
    ({"name_en": "Fish"}, "parent label or a facet"),
    ({"name_en": "", "name_zh": "", "facet": "motif"}, "needs a name"),
    ({"name_en": "Fish", "parent": "Unicorn"}, "Unknown label"),
    ({"name_en": "Fish", "facet": "Smell"}, "Unknown facet"),
    ({"name_en": "Fish", "facet": "motif", "label_id": "dragon"}, "already exists"),
    ({"name_en": "dragon", "parent": "Animal"}, "already"),
    ({"name_en": "Sea creature", "name_zh": "龙", "parent": "Animal"}, "already"),
    ({"name_en": "Robe", "facet": "category"}, "already"),
    ({"name_en": "Fish>Carp", "parent": "Animal"}, ">"),
])
def test_add_refusals_leave_the_scheme_unchanged(library, kwargs, message):
    before = (library.labels.version(), library.scheme.labels)
    with pytest.raises(SchemeError, match=message):
        library.labels.add(**kwargs)
    assert (library.labels.version(), library.scheme.labels) == before


def test_the_same_name_under_another_parent_is_allowed(library):
    library.labels.add("Cloud", "云", parent="Embroidery")
    with pytest.raises(SchemeError, match="ambiguous"):
        library.scheme.resolve("Cloud")
    assert library.scheme.resolve("Embroidery>Cloud").parent == "embroidery"


def test_rename_keeps_the_id_tags_and_fingerprint(library):
    item = new_item(library, labels=["Dragon"])
    fp = library.scheme.fingerprint()
    renamed = library.labels.rename("Dragon", name_en="Loong")
    assert renamed.id == "dragon" and renamed.name_en == "Loong" and renamed.name_zh == "龙"
    library.labels.rename("龙", name_zh="龍")
    scheme = library.scheme
    assert scheme.resolve("Loong").name_zh == "龍"
    assert scheme.fingerprint() == fp
    assert tags(library, item) == {"dragon": "user", "animal": "implied"}
    with pytest.raises(SchemeError):
        scheme.resolve("Dragon")
    with pytest.raises(SchemeError, match="already"):
        library.labels.rename("Loong", name_en="Phoenix")  # a sibling's name
    with pytest.raises(SchemeError, match=">"):
        library.labels.rename("Loong", name_en="Loong>Five claws")
    assert library.scheme.resolve("Loong").id == "dragon"


def test_move_under_another_label_recomputes_implied_ancestors(library):
    a = new_item(library, "A", ["Dragon"])
    b = new_item(library, "B", ["Cloud", "Animal"])
    fp = library.scheme.fingerprint()
    moved = library.labels.move("Dragon", new_parent="Cloud")
    assert moved.parent == "cloud"
    assert library.scheme.fingerprint() != fp
    assert tags(library, a) == {"dragon": "user", "cloud": "implied", "nature": "implied"}
    assert library.labels.counts()["animal"] == 1  # only b, which has Animal explicitly
    assert tags(library, b) == {"cloud": "user", "nature": "implied", "animal": "user"}


def test_move_a_subtree_to_another_facet(library):
    item = new_item(library, labels=["Horse-face skirt"])
    library.labels.add("Pleated", "褶裥", parent="Horse-face skirt")
    library.labels.tag([item], ["Pleated"])
    library.labels.move("Skirt", facet="Technique")
    scheme = library.scheme
    assert {scheme.labels[i].facet for i in ("skirt", "horse-face-skirt", scheme.resolve("Pleated").id)} \
        == {"technique"}
    assert scheme.resolve("Technique>Skirt>Horse-face skirt").id == "horse-face-skirt"
    assert set(tags(library, item)) == {"skirt", "horse-face-skirt", scheme.resolve("Pleated").id}


def test_move_to_the_top_of_its_facet_drops_the_old_ancestors(library):
    item = new_item(library, labels=["Dragon"])
    library.labels.move("Dragon", facet="motif")
    assert library.scheme.labels["dragon"].parent is None
    assert tags(library, item) == {"dragon": "user"}


@pytest.mark.parametrize("label, new_parent", [("Dragon", "Five-clawed"), ("Animal", "Animal"),
                                               ("Animal", "Five-clawed")])
def test_move_below_itself_is_refused(library, label, new_parent):
    library.labels.add("Five-clawed", "五爪", parent="Dragon")
    before = library.scheme.labels
    with pytest.raises(SchemeError, match="below itself"):
        library.labels.move(label, new_parent=new_parent)
    assert library.scheme.labels == before


def test_merge_retags_items_and_adopts_children(library):
    library.labels.add("Carp", "鲤", parent="Cloud")  # a child to carry across
    a = new_item(library, "A", ["Cloud"])
    b = new_item(library, "B", ["Carp"])
    c = new_item(library, "C", ["Phoenix"])
    n = library.labels.merge("Cloud", "Animal")
    assert n == 2
    scheme = library.scheme
    assert "cloud" not in scheme.labels
    carp = scheme.resolve("Carp")
    assert carp.parent == "animal" and carp.facet == "motif"
    assert tags(library, a) == {"animal": "user"}
    # b was tagged Carp; Animal is now merely implied by it (not made explicit by the merge)
    assert tags(library, b) == {carp.id: "user", "animal": "implied"}
    assert tags(library, c) == {"phoenix": "user", "animal": "implied"}
    assert library.labels.counts()["nature"] == 0
    library.labels.untag([b], ["Carp"])
    assert tags(library, b) == {}


def test_merge_keeps_the_source_of_explicit_tags(library):
    item = new_item(library)
    library.labels.tag([item], ["Gauze"], source="import")
    library.labels.merge("Gauze", "Satin")
    assert tags(library, item) == {"satin": "import", "silk": "implied"}


def test_merge_across_facets_moves_the_whole_subtree(library):
    library.labels.add("Pleated", "褶裥", parent="Horse-face skirt")
    item = new_item(library, labels=["Pleated"])
    library.labels.merge("Skirt", "Printing and dyeing")
    scheme = library.scheme
    pleated = scheme.resolve("Pleated")
    assert scheme.labels["horse-face-skirt"].facet == "technique" == pleated.facet
    assert scheme.keyword_path(pleated.id) == "Technique>Printing and dyeing>Horse-face skirt>Pleated"
    assert tags(library, item) == {pleated.id: "user", "horse-face-skirt": "implied",
                                   "printing": "implied"}


@pytest.mark.parametrize("source, target", [("Animal", "Animal"), ("Animal", "Dragon")])
def test_merge_into_own_subtree_is_refused(library, source, target):
    before = library.scheme.labels
    with pytest.raises(SchemeError, match="outside its own subtree"):
        library.labels.merge(source, target)
    assert library.scheme.labels == before


def test_delete_is_refused_while_used_and_force_untags(library):
    five = library.labels.add("Five-clawed", "五爪", parent="Dragon")
    item = new_item(library, "A", ["Five-clawed", "Red"])
    other = new_item(library, "B", ["Phoenix"])
    with pytest.raises(SchemeError, match="used by 1 item"):
        library.labels.delete("Dragon")
    assert "dragon" in library.scheme.labels
    gone = library.labels.delete("Dragon", force=True)
    assert sorted(gone) == sorted(["dragon", five.id])
    assert not {"dragon", five.id} & set(library.scheme.labels)
    # the ancestor that only the deleted labels implied goes with them
    assert tags(library, item) == {"red": "user"}
    assert tags(library, other) == {"phoenix": "user", "animal": "implied"}


def test_delete_an_unused_subtree(library):
    n = len(library.scheme.labels)
    assert set(library.labels.delete("Animal")) == {"animal", "dragon", "phoenix", "crane", "bat",
                                                    "butterfly"}
    assert len(library.scheme.labels) == n - 6


# -- merging schemes in -----------------------------------------------------------------------
def test_merge_in_adds_and_renames_but_never_deletes(library):
    item = new_item(library, labels=["Hat"])
    current = library.scheme
    incoming = LabelScheme(
        [Facet("motif", "Motif", "纹样", 1), Facet("use", "Use", "用途", 9)],
        [Label("animal", "motif", "Animal", "动物纹"),
         Label("dragon", "motif", "Loong", "龙", "animal"),
         Label("qilin", "motif", "Qilin", "麒麟", "animal"),
         Label("wedding", "use", "Wedding", "婚礼")])
    scheme, added = library.labels.merge_in(incoming)
    assert sorted(added) == ["qilin", "wedding"]
    assert set(current.labels) <= set(scheme.labels) and len(scheme.labels) == len(current.labels) + 2
    assert scheme.labels["dragon"].name_en == "Loong"
    assert scheme.resolve("Use>Wedding").id == "wedding"
    assert tags(library, item) == {"hat": "user"}


def test_scheme_changes_are_seen_by_another_open_library(library):
    other = open_library(library.location)
    try:
        assert "fish" not in other.scheme.labels
        library.labels.add("Fish", "鱼", parent="Animal")
        assert other.scheme.resolve("鱼").id == "fish"
    finally:
        other.close()


def test_default_scheme_is_stored_exactly(library):
    import json

    from app.paths import resource

    shipped = LabelScheme.from_dict(json.loads(resource("scheme", "default.json").read_text("utf-8")))
    assert library.scheme.labels == shipped.labels
    assert library.scheme.facets == shipped.facets
    assert library.scheme.fingerprint() == shipped.fingerprint()


def test_move_next_to_a_label_of_the_same_name_is_refused(library):
    stitch = library.labels.add("Cloud", "云绣", parent="Embroidery")
    with pytest.raises(SchemeError, match="Motif>Nature>Cloud already exists"):
        library.labels.move("Embroidery>Cloud", new_parent="Nature")
    assert library.scheme.labels[stitch.id].parent == "embroidery"


def test_merge_in_that_moves_a_label_recomputes_implied_ancestors(library):
    item = new_item(library, labels=["Dragon"])
    current = library.scheme
    incoming = LabelScheme(current.facets.values(),
                           [Label("nature", "motif", "Nature", "自然纹"),
                            Label("dragon", "motif", "Dragon", "龙", "nature")])
    library.labels.merge_in(incoming)
    assert library.scheme.labels["dragon"].parent == "nature"
    assert tags(library, item) == {"dragon": "user", "nature": "implied"}


# -- two curators editing the scheme ----------------------------------------------------------
def test_a_label_change_made_from_an_older_version_is_refused_naming_who(library):
    """A rename (or move, merge, delete) made from the label as it was before another curator
    changed it is refused, naming who and when, and writes nothing; only the labels whose names
    or place change get a new version."""
    from app.core.errors import StaleEdit

    seen = library.scheme.label_versions
    with open_library(library.location) as other:  # another workstation renames Dragon meanwhile
        other.labels.rename("dragon", name_en="Loong")
    now = library.scheme.label_versions
    assert now["dragon"] == seen["dragon"] + 1
    assert {i: v for i, v in now.items() if i != "dragon"} == {i: v for i, v in seen.items() if i != "dragon"}
    for change in (lambda v: library.labels.rename("dragon", name_en="Dragon motif", expected_version=v),
                   lambda v: library.labels.move("dragon", new_parent="plant", expected_version=v),
                   lambda v: library.labels.merge("dragon", "phoenix", expected_version=v),
                   lambda v: library.labels.delete("dragon", force=True, expected_version=v)):
        with pytest.raises(StaleEdit, match=r"Label Loong was changed by \S+@\S+ at \d\d:\d\d UTC"):
            change(seen["dragon"])
        assert library.scheme.labels["dragon"].name_en == "Loong"       # theirs kept
        assert library.scheme.labels["dragon"].parent == "animal"
        assert library.scheme.label_versions == now                      # nothing written
    library.labels.rename("dragon", name_en="Dragon motif", expected_version=now["dragon"])  # knowingly
    assert library.scheme.labels["dragon"].name_en == "Dragon motif"
    assert library.scheme.label_versions["dragon"] == now["dragon"] + 1
    row = library.db.execute("SELECT changed_by, changed_at FROM labels WHERE id = 'dragon'").fetchone()
    assert "@" in row[0] and row[1][:2] == "20"


def test_deleting_a_label_leaves_the_others_versions_alone(library):
    """Renumbering after a delete is not a change a curator could have seen: no conflict."""
    seen = library.scheme.label_versions
    doomed = library.labels.delete("phoenix", force=True)
    after = library.scheme.label_versions
    assert after == {i: v for i, v in seen.items() if i not in doomed}
    library.labels.rename("dragon", name_zh="龙纹", expected_version=seen["dragon"])
    assert library.scheme.labels["dragon"].name_zh == "龙纹"
