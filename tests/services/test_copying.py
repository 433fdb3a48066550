"""``wenyang copy``: SQLite → PostgreSQL → SQLite gives back every row and code, and the files."""
from __future__ import annotations

import numpy as np
import pytest

from app.cli import main
from app.core.models import Item, Photo
from app.services.copying import copy_library
from app.store import open_library
from app.store.codes import CodeRow
from tests.library_rows import content, without_times
from tests.pgcluster import database


def rows(lib) -> dict:
    """``content`` without the copy's own marks (where it came from, where a server keeps files)."""
    out = without_times(content(lib))
    out["meta"] = [r for r in out["meta"] if r[0] not in ("copy_of", "files_root")]
    return out


def _stocked(root):
    """A library with items, photos (one kept in the library), tags, a renamed and a deleted
    label, collections in order, a model with codes of every modality, suggestions, an item
    and a photo in the trash."""
    rng = np.random.default_rng(5)
    lib = open_library(root, create=True)
    (root / "photos").mkdir(exist_ok=True)
    (root / "photos" / "kept.jpg").write_bytes(b"\xff\xd8 not really a photo \xff\xd9")
    (root / "models" / "m-1.onnx").write_bytes(bytes(range(256)) * 4)
    ids = []
    for n in range(12):
        photos = [Photo("photos/kept.jpg" if n == 0 else f"/elsewhere/{n}.jpg", f"{n:064x}", 100 + n, 64, 48, "JPEG")]
        if n == 3:
            photos.append(Photo(f"/elsewhere/{n}b.jpg", f"{n + 100:064x}", 7, 64, 48, "JPEG", note="back"))
        ids.append(lib.items.add(Item(f"C-{n:02d}", title=f"龙袍 {n}", description="明黄缎绣龙纹 robe",
                                      metadata={"date": f"18{n:02d}", "donor": "Wu"},
                                      labels=["Dragon"] if n % 2 else ["Peony", "Satin"], photos=photos)))
    lib.labels.rename("peony", name_en="Tree peony")
    lib.labels.delete("hemp", force=True)
    lib.collections.create("Spring", "first show")
    lib.collections.add("Spring", [ids[5], ids[2], ids[9]])
    lib.models.register("m-1", 16, "ssah", {"note": "test"})
    for modality in ("image", "text", "label"):
        lib.codes.put("m-1", modality, [CodeRow(i, rng.integers(0, 256, 2, dtype=np.uint8).tobytes(),
                                                rng.random(16).astype(np.float32).tobytes(), f"h{i}") for i in ids])
    lib.suggestions.put("m-1", [(ids[0], "phoenix", 0.83), (ids[1], "lotus", 0.41)])
    lib.trash.move([ids[11]])
    lib.trash.move_photos([lib.items.get(ids[3]).photos[1].id])
    return lib, ids


def test_sqlite_to_server_and_back_keeps_every_row_and_file(tmp_path, pg_server):
    original, _ = _stocked(tmp_path / "a")
    before = rows(original)
    original.close()
    with database(pg_server, "wenyang_copy_test") as dsn:
        there = copy_library(tmp_path / "a", dsn, files=tmp_path / "server-files")
        assert there.rows["items"] == 11 and there.rows["codes"] == 33 and there.rows["trash_items"] == 1
        with open_library(dsn) as server:
            on_server = rows(server)
            assert server.keywords.search("龙袍")  # the keyword index is made from the copied text
        back = copy_library(dsn, tmp_path / "b")
        assert {t: n for t, n in back.rows.items() if t != "meta"} == \
            {t: n for t, n in there.rows.items() if t != "meta"}
    with open_library(tmp_path / "b") as copy:
        after = rows(copy)
    assert after == before  # every table, codes and scores byte for byte
    for table in ("items", "photos", "item_labels", "collection_items", "codes", "suggestions", "trash_items",
                  "meta"):
        assert on_server[table] == before[table], table
    assert (tmp_path / "b" / "photos" / "kept.jpg").read_bytes() == (tmp_path / "a" / "photos" / "kept.jpg").read_bytes()
    assert (tmp_path / "b" / "models" / "m-1.onnx").read_bytes() == bytes(range(256)) * 4


def test_a_stopped_copy_resumes_and_a_used_target_is_refused(tmp_path, monkeypatch):
    from app.store import copying

    lib, _ = _stocked(tmp_path / "a")
    lib.close()
    real = copying._copy_keyed

    def stop_at_codes(source, target, table, *args):
        if table == "codes":
            raise KeyboardInterrupt  # killed halfway
        return real(source, target, table, *args)

    monkeypatch.setattr(copying, "_copy_keyed", stop_at_codes)
    with pytest.raises(KeyboardInterrupt):
        copy_library(tmp_path / "a", tmp_path / "b")
    monkeypatch.setattr(copying, "_copy_keyed", real)
    copy_library(tmp_path / "a", tmp_path / "b")  # again: resumed, and complete
    with open_library(tmp_path / "a") as a, open_library(tmp_path / "b") as b:
        assert rows(a) == rows(b)
    with open_library(tmp_path / "c", create=True) as other:
        other.items.add(Item("X-1"))
    assert main(["copy", str(tmp_path / "a"), str(tmp_path / "c"), "-q"]) == 1
    with open_library(tmp_path / "c") as other:
        assert [other.items.get(i).accession for i in other.items.ids()] == ["X-1"]  # untouched


@pytest.mark.slow  # trains a small model on real photos
def test_the_clothing_library_with_a_model_survives_sqlite_to_server_and_back(tmp_path, pg_server):
    """The issue's check: the clothing-cc0 library (real photos, labels from its sheet,
    collections, a trained model with its codes and suggestions) copied SQLite → PostgreSQL →
    SQLite has identical rows and codes, and the model's file byte for byte."""
    from app.services.training import TrainOptions, train_library
    from tests.exchange.conftest import build_source
    from tests.services.test_train_and_search import TINY

    root = build_source(tmp_path / "clothing")
    with open_library(root) as lib:
        outcome = train_library(lib, TrainOptions(**(TINY | {"epochs": 1, "min_holdout_items": 5})))
        model = lib.models.active()
        assert model is not None and outcome is not None
        before = rows(lib)
        files = {p.name: p.read_bytes() for p in (root / "models").iterdir() if p.is_file()}
    assert len(before["items"]) >= 40 and before["collection_items"] and before["item_labels"]
    assert {r[2] for r in before["codes"]} == {"image", "text", "label"} and before["suggestions"]
    with database(pg_server, "wenyang_copy_clothing") as dsn:
        copy_library(root, dsn, files=tmp_path / "server-files")
        with open_library(dsn) as server:
            on_server = rows(server)
            found = server.keywords.search("龙纹袍")
            assert found and server.items.get(found[0].item_id).title == "明黄缎绣龙纹袍"
        copy_library(dsn, tmp_path / "back")
    with open_library(tmp_path / "back") as copy:
        after = rows(copy)
    assert after == before
    # (the server's labels table has a row number of its own: the round trip above covers them)
    for table in ("items", "photos", "item_labels", "collections", "collection_items", "models", "codes",
                  "suggestions"):
        assert on_server[table] == before[table], table
    assert {p.name: p.read_bytes() for p in (tmp_path / "back" / "models").iterdir() if p.is_file()} == files
