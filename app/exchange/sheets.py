"""Metadata sheets (CSV in any common encoding, JSON) read into uniform rows.

A row knows the photo file it describes and/or the accession number, a title, a description,
label references, and everything else as free metadata.
"""
from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from app.core.errors import WenyangError
from app.core.models import MAX_TEXT
from app.core.safe_text import from_csv_cell
from app.core.scheme import clean_name

# Recognised column names (compared case-insensitively, spaces/underscores ignored).
COLUMN_ALIASES = {
    "file": ["file", "filename", "image", "photo", "path", "imagefile", "文件", "文件名", "图片", "照片",
             "檔案", "檔名", "圖片"],
    "accession": ["accession", "accessionnumber", "accessionno", "objectnumber", "inventory",
                  "编号", "藏品编号", "登录号", "总登记号", "編號", "藏品編號", "登錄號", "總登記號"],
    "title": ["title", "name", "objectname", "objecttitle", "名称", "标题", "藏品名称",
              "名稱", "標題", "藏品名稱"],
    "description": ["description", "desc", "text", "caption", "描述", "说明", "描述文字", "简介",
                    "說明", "簡介"],
    "labels": ["labels", "label", "tags", "tag", "keywords", "标签", "关键词", "类别",
               "標籤", "關鍵詞", "關鍵字", "類別"],
}
# (Traditional forms too: sheets from Taiwan and Hong Kong arrive in Big5 with them.)
LABEL_SPLIT = re.compile(r"\s*[|;；、]\s*")
TARGETS = tuple(COLUMN_ALIASES)
MAX_SHEET_BYTES = 200_000_000


class SheetError(WenyangError):
    """The sheet cannot be read; the message says where and why."""


@dataclass
class SheetRow:
    line: int
    file: str = ""
    accession: str = ""
    title: str = ""
    description: str = ""
    labels: list[str] = field(default_factory=list)
    metadata: dict = field(default_factory=dict)


@dataclass
class Sheet:
    rows: list[SheetRow]
    encoding: str
    notes: list[str] = field(default_factory=list)

    def index(self) -> tuple[dict[str, SheetRow], dict[str, SheetRow]]:
        """Look-ups by file key (name, lower case, with and without extension) and accession."""
        by_file: dict[str, SheetRow] = {}
        for row in self.rows:
            if row.file:
                name = clean_name(Path(row.file.replace("\\", "/")).name).lower()
                by_file.setdefault(name, row)
                by_file.setdefault(Path(name).stem, row)
        by_accession = {clean_name(row.accession): row for row in self.rows if row.accession}
        return by_file, by_accession


GB18030_BOM = b"\x84\x31\x95\x33"


def decode_text(data: bytes, what: str) -> tuple[str, str]:
    """Decode bytes of a text file: BOMs first, then strict UTF-8, then GB18030 (common for
    Chinese spreadsheets) or Big5, whichever reads as more common Han characters.
    Returns (text, encoding name)."""
    if data.startswith(GB18030_BOM):
        try:
            return data[len(GB18030_BOM):].decode("gb18030"), "GB18030 with BOM"
        except UnicodeDecodeError:
            raise SheetError(f"{what}: starts with a GB18030 byte-order mark but is not GB18030 text. "
                             "Save it as UTF-8 and try again.") from None
    try:
        if data.startswith(b"\xef\xbb\xbf"):
            return data[3:].decode("utf-8"), "UTF-8 with BOM"
        if data.startswith((b"\xff\xfe", b"\xfe\xff")):
            return data.decode("utf-16"), "UTF-16"
        return data.decode("utf-8"), "UTF-8"
    except UnicodeDecodeError:
        pass
    # a UTF-8 byte-order mark in front of text that is not UTF-8 (an editor added it to a
    # GB18030 file): judge the text without it, or its bytes become part of the first column
    body = data[3:] if data.startswith(b"\xef\xbb\xbf") else data
    candidates = []
    for codec, name in (("gb18030", "GB18030"), ("big5", "Big5")):
        try:
            candidates.append((body.decode(codec), name))
        except UnicodeDecodeError:
            continue
    if not candidates:
        raise SheetError(f"{what}: the text encoding is not UTF-8, UTF-16, GB18030 or Big5. "
                         "Save it as UTF-8 and try again.")
    # Almost any Big5 byte string is also valid GB18030 (as nonsense), so decoding alone
    # cannot tell them apart; the first (GB18030) wins ties.
    return max(candidates, key=lambda c: _common_han_share(*c))


def _common_han_share(text: str, encoding: str) -> float:
    """Share of non-ASCII characters that are common Han characters of the encoding's own
    repertoire: GB2312 for GB18030, Big5 level 1 (lead bytes A4–C6) for Big5. Text decoded
    with the wrong one of the two scores far lower (kana, symbols, rare characters)."""
    wide = [ch for ch in text if ord(ch) > 127]
    common = 0
    for ch in wide:
        if not "\u4e00" <= ch <= "\u9fff":
            continue
        try:
            encoded = ch.encode("gb2312" if encoding == "GB18030" else "big5")
        except UnicodeEncodeError:
            continue
        common += encoding == "GB18030" or 0xA4 <= encoded[0] <= 0xC6
    return common / len(wide) if wide else 0.0


def _canonical(column: str) -> str:
    key = re.sub(r"[\s_\-.#]+", "", column.strip().lower())
    for target, aliases in COLUMN_ALIASES.items():
        if key in aliases:
            return target
    return ""


def _targets(columns, mapping: dict[str, str] | None) -> dict:
    """column → field (file, accession, ...) for the columns that name one. Mapped columns
    come first; of several columns for one field the first wins, the others are metadata."""
    mapping = mapping or {}
    found: dict = {}
    for column in [c for c in columns if c in mapping] + [c for c in columns if c not in mapping]:
        target = mapping.get(column) or _canonical(str(column))
        if target and target not in found.values():
            found[column] = target
    return found


def _check_mapping(mapping: dict[str, str] | None, columns, name: str) -> None:
    for column, target in (mapping or {}).items():
        if target not in TARGETS:
            raise SheetError(f"{name}: a column can be mapped to {', '.join(TARGETS)}, "
                             f"not {target!r}.")
        if column not in columns:
            raise SheetError(f"{name}: the mapped column {column!r} is not in the sheet "
                             f"(columns: {', '.join(map(str, columns))}).")


def _require_key(targets: dict, columns, name: str) -> None:
    if not {"file", "accession"} & set(targets.values()):
        raise SheetError(f"{name}: no column names a file or an accession number "
                         f"(columns: {', '.join(map(str, columns))}). Map one, e.g. "
                         "--map COLUMN=file.")


def _row_from_mapping(record: dict, line: int, targets: dict) -> SheetRow:
    row = SheetRow(line=line)
    for column, value in record.items():
        target = targets.get(column, "")
        if target == "labels":
            row.labels = _split_labels(value)
        elif target:
            setattr(row, target, "" if value is None else str(value).strip())
        elif value not in (None, ""):
            row.metadata[str(column)] = value
    return row


def _split_labels(value) -> list[str]:
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        return [str(v).strip() for v in value if str(v).strip()]
    return [part for part in LABEL_SPLIT.split(str(value).strip()) if part]


def read_sheet(path: str | Path, mapping: dict[str, str] | None = None) -> Sheet:
    """Read a CSV/TSV or JSON metadata sheet. ``mapping`` maps column → file/accession/title/
    description/labels for sheets whose headers are not recognised."""
    path = Path(path)
    try:
        if path.stat().st_size > MAX_SHEET_BYTES:
            raise SheetError(f"{path.name}: the sheet is larger than {MAX_SHEET_BYTES // 1_000_000} MB.")
        data = path.read_bytes()
    except OSError as exc:
        raise SheetError(f"Cannot read the sheet {path}: {exc.strerror or exc}.") from None
    text, encoding = decode_text(data, path.name)
    if path.suffix.lower() == ".json":
        return Sheet(_json_rows(text, path.name, mapping), encoding)
    return Sheet(_csv_rows(text, path.name, mapping), encoding)


def _csv_rows(text: str, name: str, mapping: dict | None) -> list[SheetRow]:
    if "\x00" in text:
        raise SheetError(f"{name}: contains NUL bytes; it is not a text CSV file.")
    header = text.lstrip("\r\n").split("\n", 1)[0]  # judge by the header: values hold commas
    delimiter = "\t" if header.count("\t") > header.count(",") else ","
    csv.field_size_limit(max(csv.field_size_limit(), MAX_TEXT))  # 131,072 by default
    reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    rows, start = [], 1
    try:
        if not reader.fieldnames:
            raise SheetError(f"{name}: the sheet is empty (no header row).")
        # the export quoted header cells a spreadsheet would run, as it quotes values
        reader.fieldnames = [from_csv_cell(f) for f in reader.fieldnames]
        _check_unique_columns(reader.fieldnames, name)
        _check_mapping(mapping, reader.fieldnames, name)
        targets = _targets(reader.fieldnames, mapping)
        _require_key(targets, reader.fieldnames, name)
        while True:
            start = reader.line_num + 1  # where the next record begins
            record = next(reader, None)
            if record is None:
                break
            if None in record:
                raise SheetError(f"{name}, line {start}: more values than columns in the header.")
            # our CSV export quotes what a spreadsheet would run as a formula; take it off
            record = {k: from_csv_cell(v) if isinstance(v, str) else v for k, v in record.items()}
            rows.append(_row_from_mapping(record, reader.line_num, targets))
    except csv.Error as exc:
        problem = ("a quoted value that starts here is never closed" if "end of data" in str(exc)
                   else str(exc))
        raise SheetError(f"{name}, line {start}: {problem}.") from None
    return rows


def _check_unique_columns(columns, name: str) -> None:
    """Two columns of one name would leave only the last one's values: refuse the sheet."""
    seen, twice = set(), []
    for column in columns:
        key = column.strip()
        if key in seen and key not in twice:
            twice.append(key)
        seen.add(key)
    if twice:
        raise SheetError(f"{name}: the header names {', '.join(repr(c) for c in twice)} more than once; "
                         "rename one of each pair so that no values are lost.")


def _no_repeated_keys(pairs: list) -> dict:
    """A JSON object naming a key twice would keep only the last value: refuse it."""
    seen = {}
    for key, value in pairs:
        if key in seen:
            raise SheetError(f"a record names {key!r} twice; rename one so that no value is lost.")
        seen[key] = value
    return seen


def _json_rows(text: str, name: str, mapping: dict | None) -> list[SheetRow]:
    try:
        data = json.loads(text, object_pairs_hook=_no_repeated_keys)
    except SheetError as exc:
        raise SheetError(f"{name}: {exc}") from None
    except json.JSONDecodeError as exc:
        raise SheetError(f"{name}: not valid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno}).") from None
    records = data.get("items") if isinstance(data, dict) else data
    if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
        raise SheetError(f"{name}: expected a list of objects (or {{\"items\": [...]}}).")
    keys = list(dict.fromkeys(k for r in records for k in r))
    _check_mapping(mapping, keys, name)
    if records:
        _require_key(_targets(keys, mapping), keys, name)
    return [_row_from_mapping(r, i + 1, _targets(r, mapping)) for i, r in enumerate(records)]
