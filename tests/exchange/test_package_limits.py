"""What the library holds, its packages carry back: export and import agree on every limit,
and the limits are stated (issue 16, item 7)."""
from __future__ import annotations

import zipfile

import pytest

from app.core.errors import WenyangError
from app.core.models import MAX_TEXT, Item
from app.exchange.common import ExportError, select_all
from app.exchange.package import _check_importable, export_package
from app.exchange.package_import import import_packages
from app.services.importing import import_paths
from app.store import open_library
from tests import samples


def test_a_long_repetitive_description_goes_out_and_comes_back(library, tmp_path):
    import_paths(library, [samples.photo(tmp_path / "p.jpg", seed=1)])
    item_id = library.items.ids()[0]
    text = "龙纹" * 1_500_000  # 3,000,000 characters that compress about 1000:1
    library.items.update(item_id, description=text)
    export_package(library, select_all(library), tmp_path / "out.zip")
    with open_library(tmp_path / "other", create=True) as other:
        import_packages(other, [tmp_path / "out.zip"])
        assert other.items.get(other.items.ids()[0]).description == text


def test_texts_over_the_limit_are_refused_when_written(library):
    item_id = library.items.add(Item("A-1"))
    with pytest.raises(WenyangError, match="limited to 10,000,000 characters"):
        library.items.update(item_id, description="x" * (MAX_TEXT + 1))
    with pytest.raises(WenyangError, match="limited"):
        library.items.add(Item("A-2", metadata={"note": "y" * (MAX_TEXT + 1)}))


def test_a_package_that_could_not_be_read_back_is_not_written(tmp_path):
    infos = []
    for n in range(3):
        info = zipfile.ZipInfo(f"photos/{n}.jpg")
        info.file_size = 30 * 1024 ** 3
        infos.append(info)
    with pytest.raises(ExportError, match=r"unpack to .* \(the limit is"):
        _check_importable(infos, tmp_path / "x.zip")


def test_items_without_photos_come_in_with_a_note(library, tmp_path):
    import_paths(library, [samples.photo(tmp_path / "p.jpg", seed=1)])
    library.items.add(Item("BARE-1", title="Record only"))
    export_package(library, select_all(library), tmp_path / "out.zip")
    with open_library(tmp_path / "other", create=True) as other:
        report = import_packages(other, [tmp_path / "out.zip"])[0]
        assert any("no photo in the package" in note and "BARE-1" in note for note in report.notes)
        assert other.items.id_for_accession("BARE-1") is not None


def test_the_package_readme_states_the_limits(library, tmp_path):
    import_paths(library, [samples.photo(tmp_path / "p.jpg", seed=1)])
    export_package(library, select_all(library), tmp_path / "out.zip")
    with zipfile.ZipFile(tmp_path / "out.zip") as zf:
        readme = zf.read("README.txt").decode("utf-8")
    assert "Limits" in readme and "200,000 files" in readme and "10,000,000 characters" in readme
