"""Metadata sheets: CSV/TSV in the encodings museums actually send, and JSON."""
from __future__ import annotations

import json

import pytest

from app.exchange.sheets import SheetError, decode_text, read_sheet

SIMPLIFIED = ("文件名,编号,标题,描述,标签,尺寸\n"
              "robe1.jpg,1998.1,清代石青缎绣云蝠纹女褂,石青缎地，绣云蝠纹、海水江崖,龙|刺绣；缎,110 cm\n"
              "robe2.jpg,1998.2,红色妆花缎龙袍,明黄色地，五爪金龙,凤、蝙蝠; 红,\n")
TRADITIONAL = ("文件名,編號,標題,描述,標籤\n"
               "p1.jpg,TW-1,清代龍袍,藍色緞地繡五爪金龍與海水江崖紋,龍|刺繡\n"
               "p2.jpg,TW-2,馬面裙,紅色織錦馬面裙，繡蝴蝶與牡丹,蝴蝶;牡丹\n")


def write(tmp_path, name, data) -> object:
    path = tmp_path / name
    path.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))
    return path


def check_simplified(sheet):
    assert [r.file for r in sheet.rows] == ["robe1.jpg", "robe2.jpg"]
    first, second = sheet.rows
    assert first.accession == "1998.1" and first.title == "清代石青缎绣云蝠纹女褂"
    assert first.description == "石青缎地，绣云蝠纹、海水江崖"
    assert first.labels == ["龙", "刺绣", "缎"]
    assert second.labels == ["凤", "蝙蝠", "红"]
    assert first.metadata == {"尺寸": "110 cm"} and second.metadata == {}  # empty extras dropped
    assert [r.line for r in sheet.rows] == [2, 3]


# -- encodings --------------------------------------------------------------------------------
@pytest.mark.parametrize("encoding, data, name", [
    ("UTF-8", SIMPLIFIED.encode("utf-8"), "UTF-8"),
    ("UTF-8 with BOM", SIMPLIFIED.encode("utf-8-sig"), "UTF-8 with BOM"),
    ("GB18030", SIMPLIFIED.encode("gb18030"), "GB18030"),
    ("UTF-16", SIMPLIFIED.encode("utf-16"), "UTF-16"),
    ("UTF-16 big-endian", b"\xfe\xff" + SIMPLIFIED.encode("utf-16-be"), "UTF-16"),
    ("UTF-16 tab-separated (Excel 'Unicode text')",
     SIMPLIFIED.replace(",", "\t").encode("utf-16"), "UTF-16"),
])
def test_simplified_chinese_sheet_in_every_encoding(tmp_path, encoding, data, name):
    sheet = read_sheet(write(tmp_path, "sheet.csv", data))
    assert sheet.encoding == name
    check_simplified(sheet)


def test_windows_line_endings(tmp_path):
    sheet = read_sheet(write(tmp_path, "s.csv", SIMPLIFIED.replace("\n", "\r\n").encode("gb18030")))
    check_simplified(sheet)
    assert not any("\r" in v for r in sheet.rows for v in (r.file, r.description, *r.labels))


def test_big5_traditional_chinese_is_not_read_as_gb18030(tmp_path):
    sheet = read_sheet(write(tmp_path, "tw.csv", TRADITIONAL.encode("big5")))
    assert sheet.encoding == "Big5"
    first, second = sheet.rows
    assert (first.file, first.accession, first.title) == ("p1.jpg", "TW-1", "清代龍袍")
    assert first.description == "藍色緞地繡五爪金龍與海水江崖紋"
    assert first.labels == ["龍", "刺繡"] and second.labels == ["蝴蝶", "牡丹"]


@pytest.mark.parametrize("text", [SIMPLIFIED, "编号,标题\nA1,龙袍\n", "编号,标题\nA1,红\n",
                                  "编号,标题\nA1,清代石青缎绣云蝠纹女褂\n", "编号,标题\nA1,马面裙\n"])
def test_gb18030_text_is_not_mistaken_for_big5(text):
    decoded, encoding = decode_text(text.encode("gb18030"), "x.csv")
    assert (decoded, encoding) == (text, "GB18030")


@pytest.mark.parametrize("text", [TRADITIONAL, "編號,標題\nA1,龍袍\n", "編號,標題\nA1,馬面裙\n"])
def test_big5_text_short_or_long(text):
    assert decode_text(text.encode("big5"), "x.csv") == (text, "Big5")


@pytest.mark.parametrize("data", [b"\xef\xbb\xbfok,\xff\xfe\xfd\n", b"\xff\xfea\x00b", b"\x80\xff\xfe\x81\xff"])
def test_undecodable_bytes_are_a_sheet_error(tmp_path, data):
    with pytest.raises(SheetError, match="bad.csv"):
        read_sheet(write(tmp_path, "bad.csv", data))


# -- columns ----------------------------------------------------------------------------------
def test_english_aliases_and_extra_columns(tmp_path):
    text = ("Accession No.,Image File,Object Name,Caption,Keywords,Donor,Width (cm)\n"
            "M-1,img/M-1.TIF,Robe,A robe,Dragon | Silk,Mrs Li,120\n")
    row = read_sheet(write(tmp_path, "s.csv", text)).rows[0]
    assert (row.accession, row.file, row.title, row.description) == ("M-1", "img/M-1.TIF", "Robe", "A robe")
    assert row.labels == ["Dragon", "Silk"]
    assert row.metadata == {"Donor": "Mrs Li", "Width (cm)": "120"}


def test_a_second_column_for_the_same_field_goes_to_metadata(tmp_path):
    row = read_sheet(write(tmp_path, "s.csv", "file,title,名称\na.jpg,Robe,袍\n")).rows[0]
    assert row.title == "Robe" and row.metadata == {"名称": "袍"}


def test_tsv_with_commas_in_the_text(tmp_path):
    text = ("file\taccession\tdescription\n"
            "a.jpg\tA1\tRed satin, embroidered with dragons, clouds, bats, and waves, c. 1890\n"
            "b.jpg\tB2\tBlue, green, and gold brocade, with peonies, lotus, plum, and cranes\n")
    rows = read_sheet(write(tmp_path, "s.tsv", text)).rows
    assert [r.accession for r in rows] == ["A1", "B2"]
    assert rows[0].description.startswith("Red satin, embroidered")


def test_csv_with_tabs_in_the_text(tmp_path):
    text = "file,accession,description\na.jpg,A1,\"col1\tcol2\tcol3\tcol4\"\n"
    row = read_sheet(write(tmp_path, "s.csv", text)).rows[0]
    assert row.accession == "A1" and row.description == "col1\tcol2\tcol3\tcol4"


def test_quoted_fields_with_newlines_keep_line_numbers(tmp_path):
    text = 'file,description\na.jpg,"two\nlines"\nb.jpg,one\n'
    rows = read_sheet(write(tmp_path, "s.csv", text)).rows
    assert rows[0].description == "two\nlines"
    assert [r.line for r in rows] == [3, 4]  # the line on which each record ends


def test_explicit_mapping(tmp_path):
    text = "Bildname,Inventar,Titel,Schlagworte,Jahr\nx.jpg,I-1,Rock,Drache/Seide,1900\n"
    mapping = {"Bildname": "file", "Inventar": "accession", "Titel": "title", "Schlagworte": "labels"}
    row = read_sheet(write(tmp_path, "de.csv", text), mapping).rows[0]
    assert (row.file, row.accession, row.title) == ("x.jpg", "I-1", "Rock")
    assert row.labels == ["Drache/Seide"] and row.metadata == {"Jahr": "1900"}


def test_mapping_overrides_an_alias(tmp_path):
    text = "file,title,object title\na.jpg,working title,Robe with dragons\n"
    row = read_sheet(write(tmp_path, "s.csv", text), {"object title": "title", "title": "description"}).rows[0]
    assert row.title == "Robe with dragons" and row.description == "working title"


@pytest.mark.parametrize("mapping, message", [
    ({"Titel": "heading"}, "heading"),
    ({"Titel": "metadata"}, "metadata"),
    ({"Titel": "line"}, "line"),
    ({"Nicht da": "title"}, "Nicht da"),
])
def test_a_bad_mapping_is_a_sheet_error(tmp_path, mapping, message):
    text = "file,Titel\na.jpg,Rock\n"
    with pytest.raises(SheetError, match=message):
        read_sheet(write(tmp_path, "s.csv", text), mapping)


@pytest.mark.parametrize("text, mapping", [
    ("title,description\nRobe,red\n", None),
    ("title,description\nRobe,red\n", {"title": "title"}),
])
def test_a_sheet_without_file_or_accession_column(tmp_path, text, mapping):
    with pytest.raises(SheetError, match="no column names a file or an accession number"):
        read_sheet(write(tmp_path, "s.csv", text), mapping)


def test_index_by_file_name_stem_and_accession(tmp_path):
    text = "file,accession\nC:\\Scans\\Robe 01.TIF,A1\nsub/dir/b.jpg,\n,A3\n"
    sheet = read_sheet(write(tmp_path, "s.csv", text))
    by_file, by_accession = sheet.index()
    assert by_file["robe 01.tif"].accession == "A1" and by_file["robe 01"].accession == "A1"
    assert by_file["b.jpg"].line == 3 and by_file["b"].line == 3
    assert set(by_accession) == {"A1", "A3"}


# -- malformed CSV ----------------------------------------------------------------------------
@pytest.mark.parametrize("text, line", [
    ('file,title\na.jpg,ok\nb.jpg,"unterminated\nc.jpg,x\nd.jpg,y\n', 3),
    ('file,title\na.jpg,ok\nb.jpg,"bad"quote\n', 3),
    ('"file,title\na.jpg,ok\n', 1),
    ('file,title\na.jpg,ok\nb.jpg,ok,extra\n', 3),
])
def test_malformed_csv_says_which_line(tmp_path, text, line):
    with pytest.raises(SheetError, match=rf"bad\.csv.*line {line}\b"):
        read_sheet(write(tmp_path, "bad.csv", text))


def test_nul_bytes_are_refused(tmp_path):
    with pytest.raises(SheetError, match="NUL"):
        read_sheet(write(tmp_path, "s.csv", b"file,title\na.jpg,x\x00y\n"))


@pytest.mark.parametrize("data", [b"", b"\xef\xbb\xbf", b"\n\n"])
def test_an_empty_sheet(tmp_path, data):
    with pytest.raises(SheetError, match="empty"):
        read_sheet(write(tmp_path, "s.csv", data))


def test_a_missing_sheet(tmp_path):
    with pytest.raises(SheetError, match="Cannot read the sheet"):
        read_sheet(tmp_path / "nope.csv")
    with pytest.raises(SheetError, match="Cannot read the sheet"):
        read_sheet(tmp_path)


# -- JSON -------------------------------------------------------------------------------------
RECORDS = [{"file": "a.jpg", "accession": "J-1", "title": "龙袍", "labels": ["龙", "刺绣"],
            "dimensions": {"w": 120}, "year": 1890},
           {"编号": "J-2", "标签": "凤；蝙蝠", "note": None}]


@pytest.mark.parametrize("wrap", [lambda r: r, lambda r: {"items": r, "source": "partner museum"}])
def test_json_as_a_list_or_items(tmp_path, wrap):
    data = json.dumps(wrap(RECORDS), ensure_ascii=False).encode("utf-8")
    sheet = read_sheet(write(tmp_path, "s.json", data))
    first, second = sheet.rows
    assert (first.file, first.accession, first.title) == ("a.jpg", "J-1", "龙袍")
    assert first.labels == ["龙", "刺绣"]
    assert first.metadata == {"dimensions": {"w": 120}, "year": 1890}
    assert second.accession == "J-2" and second.labels == ["凤", "蝙蝠"] and second.metadata == {}
    assert [r.line for r in sheet.rows] == [1, 2]


def test_json_in_gb18030(tmp_path):
    data = json.dumps(RECORDS, ensure_ascii=False).encode("gb18030")
    sheet = read_sheet(write(tmp_path, "s.json", data))
    assert sheet.encoding == "GB18030" and sheet.rows[0].title == "龙袍"


@pytest.mark.parametrize("text, match", [
    ('[{"file": "a.jpg",}\n]', r"line 1"),
    ('[\n{"file": "a.jpg"},\n{"file": "b.jpg"\n]', r"line 4"),
    ('{"records": []}', "list of objects"),
    ('["a.jpg", "b.jpg"]', "list of objects"),
    ('"a.jpg"', "list of objects"),
    ('[{"title": "Robe"}, {"description": "red"}]', "file or an accession"),
])
def test_malformed_json(tmp_path, text, match):
    with pytest.raises(SheetError, match=match):
        read_sheet(write(tmp_path, "bad.json", text))


def test_json_mapping(tmp_path):
    data = json.dumps([{"img": "a.jpg", "kw": "Dragon|Silk"}]).encode()
    row = read_sheet(write(tmp_path, "s.json", data), {"img": "file", "kw": "labels"}).rows[0]
    assert row.file == "a.jpg" and row.labels == ["Dragon", "Silk"] and row.metadata == {}
