"""A source library built from real clothing photos, shared by the exchange tests.

40 photos come in with the public images.csv (labels created from it), a 41st is added to
the first item as its second photo, two more are copied into the library; Chinese titles,
nested metadata, extra labels with different sources and two collections complete it.
Exports only read it, so it is built once per test session.
"""
from __future__ import annotations

import csv
import hashlib
from pathlib import Path

import pytest

from app.exchange.common import photo_file
from app.services.importing import ImportOptions, import_paths
from app.store import open_library
from tests import samples

DATA = samples.clothing_dir()
EXHIBITION = "Exhibition 龙纹展 2024"
DESCRIPTIONS = ["红色缎面龙纹袍, red satin robe with dragons", "蓝色棉布马面裙, blue cotton skirt",
                "黄色缎绣凤纹袄, yellow satin jacket with phoenix"]
LOANS = "Loans"


def clothing_files(start: int, count: int) -> list[Path]:
    if not (DATA / "images.csv").exists():
        pytest.skip("the clothing-cc0 data set is not available")
    with open(DATA / "images.csv", encoding="utf-8") as handle:
        names = [row["image"] for row in csv.DictReader(handle)]
    return [DATA / "images" / f"{name}.jpg" for name in names[start:start + count]]


def build_source(root: Path) -> Path:
    """Create the source library at ``root`` (see the module docstring)."""
    files = clothing_files(0, 43)
    with open_library(root, create=True) as lib:
        import_paths(lib, files[:40], ImportOptions(metadata=DATA / "images.csv", create_labels=True))
        ids = lib.items.ids()
        first = lib.items.get(ids[0])
        sheet = root.parent / "second-photo.csv"
        sheet.write_text(f"image,accession\n{files[40].stem},{first.accession}\n", encoding="utf-8")
        import_paths(lib, [files[40]], ImportOptions(metadata=sheet))
        import_paths(lib, files[41:43], ImportOptions(copy=True))
        ids = lib.items.ids()  # accession order, copied items included
        lib.items.update(ids[0], title="明黄缎绣龙纹袍", description="石青缎绣云蝠纹女褂, 'quoted', \"双引号\"\n第二行",
                         metadata={"尺寸": "140cm", "nested": {"a": [1, 2.5, None]}, "count": 3})
        lib.items.update(ids[1], title="Red satin robe", metadata={"title": "clash", "note": "x"})
        for n, item_id in enumerate(ids[2:16]):
            lib.items.update(item_id, description=DESCRIPTIONS[n % len(DESCRIPTIONS)])
        lib.labels.tag(ids[:8], ["dragon", "Colour>Red"])
        lib.labels.tag(ids[4:6], ["satin"], source="suggestion")
        lib.collections.create(EXHIBITION, "展览 description")
        lib.collections.add(EXHIBITION, ids[2:12][::-1])
        lib.collections.create(LOANS)
        lib.collections.add(LOANS, [ids[0], ids[20], ids[1]])
    return root


@pytest.fixture(scope="session")
def source_root(tmp_path_factory) -> Path:
    return build_source(tmp_path_factory.mktemp("source") / "lib")


@pytest.fixture
def source(source_root):
    lib = open_library(source_root)
    yield lib
    lib.close()


@pytest.fixture
def target(tmp_path):
    lib = open_library(tmp_path / "target", create=True)
    yield lib
    lib.close()


def snapshot(lib) -> dict:
    """Everything a lossless import must carry over, keyed by accession number."""
    items = {}
    for item_id in lib.items.ids():
        item = lib.items.get(item_id)
        tags = lib.db.execute("SELECT label_id, source FROM item_labels WHERE item_id = ? "
                              "ORDER BY label_id", [item_id]).fetchall()
        photos = [(p.sha256, p.size, p.width, p.height, p.format, p.note, p.position,
                   file_hash(photo_file(lib, p.path))) for p in item.photos]
        items[item.accession] = {
            "title": item.title, "description": item.description, "metadata": item.metadata,
            "created": item.created, "modified": item.modified, "tags": tags, "photos": photos,
            "label_paths": sorted(lib.scheme.keyword_path(l) for l in item.labels),
            "label_paths_zh": sorted(lib.scheme.keyword_path(l, "zh") for l in item.labels)}
    collections = {c.name: (c.description, [lib.items.get(i).accession
                                            for i in lib.collections.members(c.name)])
                   for c in lib.collections.list()}
    return {"items": items, "collections": collections}


def file_hash(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def tree(root: Path) -> set[str]:
    """Every file under ``root`` (relative), except SQLite's own side files."""
    return {str(p.relative_to(root)) for p in root.rglob("*")
            if p.is_file() and not p.name.startswith("library.sqlite")}
