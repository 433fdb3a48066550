"""Sheets that used to import photos with no metadata at exit 0 (issue 16, item 5): they are
read right, or refused before anything is imported."""
from __future__ import annotations

import pytest

from app.exchange.sheets import GB18030_BOM, SheetError, read_sheet
from app.services.importing import ImportOptions, import_paths
from tests import samples

HEADER_AND_ROW = "文件,标题,描述\np1.jpg,明黄缎绣龙纹袍,龙袍\n"


@pytest.mark.parametrize("prefix, encoding", [(GB18030_BOM, "GB18030 with BOM"),
                                              (b"\xef\xbb\xbf", "GB18030"), (b"", "GB18030")])
def test_gb18030_sheets_with_or_without_a_mark_read_their_header(tmp_path, prefix, encoding):
    sheet = tmp_path / "s.csv"
    sheet.write_bytes(prefix + HEADER_AND_ROW.encode("gb18030"))
    read = read_sheet(sheet)
    assert read.encoding == encoding
    assert read.rows[0].file == "p1.jpg" and read.rows[0].title == "明黄缎绣龙纹袍"


def test_gb18030_bom_sheet_imports_its_titles(tmp_path, library):
    photo = samples.photo(tmp_path / "p1.jpg", seed=2)
    sheet = tmp_path / "s.csv"
    sheet.write_bytes(GB18030_BOM + HEADER_AND_ROW.encode("gb18030"))
    import_paths(library, [photo], ImportOptions(metadata=sheet))
    assert library.items.get(library.items.ids()[0]).title == "明黄缎绣龙纹袍"


@pytest.mark.parametrize("body", ["file,title\nother.jpg,Robe\nelse.jpg,Skirt\n", "file,title\n"])
def test_a_sheet_that_names_none_of_the_photos_stops_the_import(tmp_path, library, body):
    photos = [samples.photo(tmp_path / f"p{i}.jpg", seed=i) for i in range(3)]
    sheet = tmp_path / "s.csv"
    sheet.write_text(body, encoding="utf-8")
    with pytest.raises(SheetError, match="names none of the 3 photo"):
        import_paths(library, photos, ImportOptions(metadata=sheet))
    assert library.items.ids() == []


def test_a_sheet_that_names_some_photos_imports_all_and_reports_the_rest(tmp_path, library):
    photos = [samples.photo(tmp_path / f"p{i}.jpg", seed=i) for i in range(3)]
    sheet = tmp_path / "s.csv"
    sheet.write_text("file,title\np0.jpg,Robe\nmissing.jpg,Skirt\n", encoding="utf-8")
    report = import_paths(library, photos, ImportOptions(metadata=sheet))
    assert len(library.items.ids()) == 3 and report.unmatched_rows == [3]
