"""Hostile and broken packages are refused with a clear message, and nothing is written."""
from __future__ import annotations

import json
import stat
import struct
import zipfile
from pathlib import Path

import pytest

from app.cli import main as cli
from app.exchange.common import select_items
from app.exchange.package import export_package
from app.exchange.package_format import PackageError
from app.exchange.package_import import PackageImportOptions, import_packages
from app.exchange.package_read import PackageLimits
from tests.exchange.conftest import tree


@pytest.fixture
def good(source, tmp_path) -> Path:
    """A valid three-item package (the first item has two photos)."""
    return export_package(source, select_items(source, source.items.ids()[:3]),
                          tmp_path / "good.zip").path


def entries(path: Path) -> list[tuple[zipfile.ZipInfo, bytes]]:
    with zipfile.ZipFile(path) as zf:
        return [(info, zf.read(info)) for info in zf.infolist()]


def rebuild(src: Path, dest: Path, edit_doc=None, drop=(), extra=(), swap=None) -> Path:
    """A copy of ``src`` with metadata.json edited, members dropped, added or swapped."""
    with zipfile.ZipFile(dest, "w") as zf:
        for info, data in entries(src):
            if info.filename in drop:
                continue
            if info.filename == "metadata.json" and edit_doc is not None:
                doc = json.loads(data)
                data = edit_doc(doc) if not isinstance(edit_doc, bytes) else edit_doc
                data = data if isinstance(data, bytes) else json.dumps(doc).encode()
            if swap and info.filename in swap:
                data = swap[info.filename]
            zf.writestr(info, data)
        for name_or_info, data in extra:
            zf.writestr(name_or_info, data)
    return dest


def first_photo(path: Path) -> str:
    with zipfile.ZipFile(path) as zf:
        return json.loads(zf.read("metadata.json"))["items"][0]["photos"][0]["file"]


def assert_refused(target, package: Path, match: str, root: Path, limits=None) -> None:
    before = tree(root)
    labels = dict(target.scheme.labels)
    with pytest.raises(PackageError, match=match):
        import_packages(target, [package], PackageImportOptions(limits=limits))
    assert tree(root) == before
    assert target.items.count() == 0 and target.collections.list() == []
    assert target.scheme.labels == labels
    assert not list(root.parent.rglob("evil*"))


@pytest.mark.parametrize("name", ["../evil.txt", "/tmp/evil.txt", "C:/evil.txt", "C:\\evil.txt",
                                  "photos/../../evil.jpg", "photos\\..\\..\\evil.jpg"])
def test_unsafe_member_names(good, target, tmp_path, name):
    bad = rebuild(good, tmp_path / "bad.zip", extra=[(name, b"owned")])
    assert_refused(target, bad, "unsafe path", tmp_path)


def test_symlink_member(good, target, tmp_path):
    link = zipfile.ZipInfo("photos/evil-link.jpg")
    link.create_system = 3
    link.external_attr = (stat.S_IFLNK | 0o777) << 16
    bad = rebuild(good, tmp_path / "bad.zip", extra=[(link, b"/etc/passwd")])
    assert_refused(target, bad, "symbolic link", tmp_path)


def test_zip_bomb_by_compression_ratio(good, target, tmp_path):
    bad = rebuild(good, tmp_path / "bomb.zip")
    with zipfile.ZipFile(bad, "a", compression=zipfile.ZIP_DEFLATED) as zf:
        with zf.open("photos/bomb.bin", "w") as handle:
            for _ in range(20):
                handle.write(bytes(1 << 20))
    assert_refused(target, bad, "zip bomb", tmp_path)


def test_declared_sizes_and_member_count_limits(good, target, tmp_path):
    assert_refused(target, good, "limit is 5", tmp_path, PackageLimits(max_members=5))
    assert_refused(target, good, "more than 50 kB", tmp_path, PackageLimits(max_total_bytes=50_000))
    assert_refused(target, good, "over the limit", tmp_path, PackageLimits(max_member_bytes=5_000))


def test_too_many_entries_is_refused_before_parsing(target, tmp_path):
    many = tmp_path / "many.zip"
    with zipfile.ZipFile(many, "w") as zf:
        for i in range(300):
            zf.writestr(f"f{i}", b"")
    assert_refused(target, many, "declares 300 files", tmp_path, PackageLimits(max_members=100))


def test_header_that_understates_the_size_is_caught_while_reading(good, target, tmp_path):
    bad = tmp_path / "liar.zip"
    bad.write_bytes(understate(good.read_bytes(), "metadata.json", 100))
    assert_refused(target, bad, "damaged|beyond|shorter", tmp_path)


def understate(data: bytes, member: str, size: int) -> bytes:
    """Rewrite the uncompressed size of ``member`` in its local and central headers."""
    data = bytearray(data)
    at = data.find(b"PK\x01\x02")
    while at >= 0:
        name_len = struct.unpack_from("<H", data, at + 28)[0]
        if data[at + 46:at + 46 + name_len] == member.encode():
            struct.pack_into("<I", data, at + 24, size)
            local = struct.unpack_from("<I", data, at + 42)[0]
            struct.pack_into("<I", data, local + 22, size)
        at = data.find(b"PK\x01\x02", at + 4)
    return bytes(data)


@pytest.mark.parametrize("payload, match", [
    (b"{not json", "not valid JSON"),
    (b"[" * 100_000 + b"]" * 100_000, "nested too deeply|not valid JSON"),
    (b"[]", "top level must be an object"),
    (json.dumps({"format": "something-else"}).encode(), "not a Wenyang package"),
    (json.dumps({"format": "wenyang-package", "format_version": 99, "items": []}).encode(), "newer Wenyang"),
    (b"\xff\xfe\x00garbage", "not UTF-8"),
])
def test_metadata_that_is_not_valid(good, target, tmp_path, payload, match):
    bad = rebuild(good, tmp_path / "bad.zip", edit_doc=payload)
    assert_refused(target, bad, match, tmp_path)


def _edit(fn):
    def edit(doc):
        fn(doc)
        return doc
    return edit


@pytest.mark.parametrize("edit, match", [
    (lambda d: d["items"][0].pop("accession"), "lacks 'accession'"),
    (lambda d: d["items"][0].update(title=["a list"]), "title must be a str"),
    (lambda d: d["items"][0]["photos"][0].update(sha256="abc"), "64 lower-case hex"),
    (lambda d: d["items"][0]["photos"][0].update(width=True), "width must be a int"),
    (lambda d: d["items"][0]["photos"][0].update(file="elsewhere/x.jpg"), "under photos/"),
    (lambda d: d["items"][0]["photos"][0].update(file="photos/missing.jpg"), "not in the package"),
    (lambda d: d["items"][1].update(accession=d["items"][0]["accession"]), "appears twice"),
    (lambda d: d["items"][0]["labels"].append({"id": "unicorn"}), "does not define"),
    (lambda d: d["items"][0]["labels"].append({"id": "red", "source": "implied"}), "other than 'implied'"),
    (lambda d: d["collections"].append({"name": "X", "items": ["nobody"]}), "not an item of the package"),
    (lambda d: d["items"][1]["photos"].append(d["items"][0]["photos"][0]), "share the same photo"),
    (lambda d: d["items"][0]["photos"][0].update(sha256="0" * 64), "does not match the SHA-256"),
])
def test_metadata_with_wrong_shapes_or_references(good, target, tmp_path, edit, match):
    bad = rebuild(good, tmp_path / "bad.zip", edit_doc=_edit(edit))
    assert_refused(target, bad, match, tmp_path)


def test_photo_missing_from_the_zip(good, target, tmp_path):
    bad = rebuild(good, tmp_path / "bad.zip", drop={first_photo(good)})
    assert_refused(target, bad, "not in the package", tmp_path)


def test_photo_that_is_not_an_image(good, target, tmp_path):
    import hashlib
    junk = b"this is not a picture" * 10
    name = first_photo(good)

    def fake(doc):
        doc["items"][0]["photos"][0].update(sha256=hashlib.sha256(junk).hexdigest(), size=len(junk))
    bad = rebuild(good, tmp_path / "bad.zip", edit_doc=_edit(fake), swap={name: junk})
    assert_refused(target, bad, "not a usable image", tmp_path)


def test_missing_or_broken_scheme(good, target, tmp_path):
    assert_refused(target, rebuild(good, tmp_path / "a.zip", drop={"scheme.json"}), "no scheme.json", tmp_path)
    broken = json.dumps({"facets": [], "labels": [{"id": "x", "facet": "nowhere", "name_en": "X",
                                                   "name_zh": "X"}]}).encode()
    assert_refused(target, rebuild(good, tmp_path / "b.zip", swap={"scheme.json": broken}),
                   "not a usable label scheme", tmp_path)


def test_scheme_that_cannot_merge(good, target, tmp_path):
    with zipfile.ZipFile(good) as zf:
        scheme = json.loads(zf.read("scheme.json"))
    for label in scheme["labels"]:  # the package moved the whole motif facet under colour
        if label["facet"] == "motif":
            label["facet"] = "colour"
    scheme["labels"].append({"id": "fire-dragon", "facet": "colour", "parent": "dragon",
                             "name_en": "Fire dragon", "name_zh": "火龙"})
    bad = rebuild(good, tmp_path / "bad.zip", swap={"scheme.json": json.dumps(scheme).encode()})
    assert_refused(target, bad, "cannot be merged", tmp_path)


def test_not_a_zip_and_cli_message(target, tmp_path, capsys):
    fake = tmp_path / "fake.zip"
    fake.write_bytes(b"PK but not really a zip file" * 10)
    assert_refused(target, fake, "not a ZIP file", tmp_path)
    assert cli(["import", str(target.root), str(fake)]) == 1
    assert "not a ZIP file" in capsys.readouterr().err


def test_unreferenced_members_are_ignored_not_extracted(good, target, tmp_path):
    extra = rebuild(good, tmp_path / "extra.zip", extra=[("notes/evil-extra.exe", b"MZ")])
    [report] = import_packages(target, [extra])
    assert report.added_items == 3
    assert any("ignored" in note for note in report.notes)
    assert not list(tmp_path.rglob("evil-extra.exe"))


@pytest.mark.parametrize("stage, at", [("checking photos", 2), ("copying photos", 1), ("copying photos", 3)])
def test_cancel_during_import_leaves_the_library_as_it_was(good, target, tmp_path, stage, at):
    import threading

    from app.core.jobs import Cancelled
    cancel = threading.Event()

    def progress(event):
        if event.stage == stage and event.done >= at:
            cancel.set()
    before = tree(tmp_path)
    with pytest.raises(Cancelled, match="nothing was imported"):
        import_packages(target, [good], progress=progress, cancel=cancel)
    assert tree(tmp_path) == before and target.items.count() == 0
    assert not (target.root / "photos").exists()
