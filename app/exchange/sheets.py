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

# Recognised column names (compared case-insensitively, spaces/underscores ignored).
COLUMN_ALIASES = {
    "file": ["file", "filename", "image", "photo", "path", "imagefile", "文件", "文件名", "图片", "照片"],
    "accession": ["accession", "accessionnumber", "accessionno", "objectnumber", "inventory",
                  "编号", "藏品编号", "登录号", "总登记号"],
    "title": ["title", "name", "名称", "标题", "藏品名称"],
    "description": ["description", "desc", "text", "caption", "描述", "说明", "描述文字", "简介"],
    "labels": ["labels", "label", "tags", "tag", "keywords", "标签", "关键词", "类别"],
}
LABEL_SPLIT = re.compile(r"\s*[|;；、]\s*")
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
                name = Path(row.file.replace("\\", "/")).name.lower()
                by_file.setdefault(name, row)
                by_file.setdefault(Path(name).stem, row)
        by_accession = {row.accession: row for row in self.rows if row.accession}
        return by_file, by_accession


def decode_text(data: bytes, what: str) -> tuple[str, str]:
    """Decode bytes of a text file: BOMs first, then strict UTF-8, then GB18030 (common for
    Chinese spreadsheets), then Big5. Returns (text, encoding name)."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="strict"), "UTF-8 with BOM"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16"), "UTF-16"
    for codec, name in (("utf-8", "UTF-8"), ("gb18030", "GB18030"), ("big5", "Big5")):
        try:
            return data.decode(codec), name
        except UnicodeDecodeError:
            continue
    raise SheetError(f"{what}: the text encoding is not UTF-8, UTF-16, GB18030 or Big5. "
                     "Save it as UTF-8 and try again.")


def _canonical(column: str) -> str:
    key = re.sub(r"[\s_\-.#]+", "", column.strip().lower())
    for target, aliases in COLUMN_ALIASES.items():
        if key in aliases:
            return target
    return ""


def _row_from_mapping(record: dict, line: int, mapping: dict[str, str] | None) -> SheetRow:
    row = SheetRow(line=line)
    columns = {}
    for column, value in record.items():
        if column is None:
            raise SheetError(f"line {line}: more values than columns in the header.")
        target = (mapping or {}).get(column) or _canonical(str(column))
        if target and target not in columns:
            columns[target] = column
    for column, value in record.items():
        target = next((t for t, c in columns.items() if c == column), "")
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
    sample = text[:4096]
    delimiter = "\t" if sample.count("\t") > sample.count(",") else ","
    reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    if not reader.fieldnames:
        raise SheetError(f"{name}: the sheet is empty (no header row).")
    if not any(_canonical(c) in ("file", "accession") for c in reader.fieldnames) and not mapping:
        raise SheetError(f"{name}: no column names a file or an accession number "
                         f"(columns: {', '.join(reader.fieldnames)}).")
    rows = []
    try:
        for record in reader:
            rows.append(_row_from_mapping(record, reader.line_num, mapping))
    except csv.Error as exc:
        raise SheetError(f"{name}, line {reader.line_num}: {exc}.") from None
    return rows


def _json_rows(text: str, name: str, mapping: dict | None) -> list[SheetRow]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise SheetError(f"{name}: not valid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno}).") from None
    records = data.get("items") if isinstance(data, dict) else data
    if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
        raise SheetError(f"{name}: expected a list of objects (or {{\"items\": [...]}}).")
    return [_row_from_mapping(r, i + 1, mapping) for i, r in enumerate(records)]
