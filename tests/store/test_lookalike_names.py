"""The same name in two Unicode spellings is one label and one item (issue 16, item 6)."""
from __future__ import annotations

import unicodedata

import pytest

from app.core.errors import SchemeError, WenyangError
from app.core.models import Item
from app.services.importing import import_paths
from tests import samples

NFC, NFD = "Broderie à fleurs", unicodedata.normalize("NFD", "Broderie à fleurs")
UNIFIED, COMPAT = "\u6717", "\uf929"  # 朗 and its CJK compatibility ideograph

pytestmark = pytest.mark.backends("sqlite", "postgresql")


def test_the_two_spellings_differ_in_code_points():
    assert NFC != NFD and UNIFIED != COMPAT


def test_an_nfd_label_name_is_stored_as_nfc_and_found_by_either(library):
    label = library.labels.add(NFD, facet="motif")
    assert label.name_en == NFC
    scheme = library.labels.scheme()
    assert scheme.resolve(NFC).id == label.id == scheme.resolve(NFD).id


@pytest.mark.parametrize("first, second", [(NFC, NFD), ("宫" + UNIFIED, "宫" + COMPAT), ("Robe", "ＲＯＢＥ"),
                                           ("Cloud  collar", "cloud collar")])
def test_a_lookalike_sibling_is_refused_with_a_reason(library, first, second):
    before = len(library.labels.scheme().labels)
    library.labels.add(first, facet="motif")
    with pytest.raises(SchemeError, match="already exists"):
        library.labels.add(second, facet="motif")
    assert len(library.labels.scheme().labels) == before + 1


def test_accession_numbers_are_one_item_in_either_form(library):
    item_id = library.items.add(Item("宫" + COMPAT + "-001"))
    assert library.items.get(item_id).accession == "宫" + UNIFIED + "-001"
    assert library.items.id_for_accession("宫" + COMPAT + "-001") == item_id
    with pytest.raises(WenyangError, match="already used"):
        library.items.add(Item("宫" + UNIFIED + "-001"))


def test_photos_named_in_nfd_match_nfc_sheet_rows(tmp_path, library):
    from app.services.importing import ImportOptions

    photo = samples.photo(tmp_path / (unicodedata.normalize("NFD", "Pièce-1") + ".jpg"), seed=5)
    sheet = tmp_path / "s.csv"
    sheet.write_text("file,title\nPièce-1.jpg,Robe brodée\n", encoding="utf-8")
    import_paths(library, [photo], ImportOptions(metadata=sheet))
    item = library.items.get(library.items.ids()[0])
    assert item.title == "Robe brodée" and item.accession == "Pièce-1"


@pytest.mark.parametrize("first, second", [(NFC, NFD), ("展" + UNIFIED, "展" + COMPAT), ("Loans", "ＬＯＡＮＳ")])
def test_a_lookalike_collection_name_is_refused(library, first, second):
    library.collections.create(first)
    with pytest.raises(WenyangError, match="already exists"):
        library.collections.create(second)
    assert len(library.collections.list()) == 1


def test_a_collection_is_found_by_either_spelling(library):
    library.collections.create(NFD)
    assert library.collections.get(NFC).name == NFC == library.collections.get(NFD).name
