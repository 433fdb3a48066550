"""Models registered in the library and the binary codes they produce."""
from __future__ import annotations

import numpy as np
import pytest

from app.core.errors import NotFound
from app.core.models import Item
from app.store import codes as codes_module
from app.store.codes import CodeRow
from tests.waiting import eventually

pytestmark = pytest.mark.backends("sqlite", "postgresql")


@pytest.fixture
def item_ids(library):
    return [library.items.add(Item(f"K-{n:02d}")) for n in range(6)]


def rows_for(ids, bits, rng, scores=True):
    signs = rng.standard_normal((len(ids), bits)).astype(np.float32)
    packed = np.packbits(signs > 0, axis=1)
    return signs, packed, [CodeRow(i, packed[k].tobytes(), signs[k].tobytes() if scores else None,
                                   f"hash-{i}") for k, i in enumerate(ids)]


def test_register_and_activate_one_model_at_a_time(library):
    a = library.models.register("ssah-64-a", 64, "ssah", {"map": 0.71, "名": "纹样"})
    assert a.active and a.card == {"map": 0.71, "名": "纹样"} and a.bits == 64 and a.mode == "ssah"
    b = library.models.register("dcmh-32", 32, "dcmh", {}, activate=False)
    assert not b.active and library.models.active().id == "ssah-64-a"
    library.models.activate("dcmh-32")
    assert library.models.active().id == "dcmh-32"
    assert [m.active for m in library.models.all()] == [False, True]
    with pytest.raises(NotFound):
        library.models.activate("missing")
    assert library.models.active().id == "dcmh-32"


@pytest.mark.parametrize("bits, step", [(16, 1 << 13), (64, 4), (128, 1)])
def test_codes_and_scores_round_trip(library, item_ids, bits, step, monkeypatch):
    """Read back as written; also when the bytes are joined a few rows at a time."""
    monkeypatch.setattr(codes_module, "_JOIN_ROWS", step)
    rng = np.random.default_rng(bits)
    library.models.register("m", bits, "ssah", {})
    shuffled = [item_ids[i] for i in rng.permutation(len(item_ids))]
    signs, packed, rows = rows_for(shuffled, bits, rng)
    assert library.codes.put("m", "image", rows) == len(item_ids)
    ids, codes, scores = library.codes.load("m", "image")
    order = np.argsort(shuffled)
    assert ids.dtype == np.int64 and ids.tolist() == sorted(shuffled)
    assert codes.dtype == np.uint8 and codes.shape == (len(item_ids), bits // 8)
    np.testing.assert_array_equal(codes, packed[order])
    assert scores.dtype == np.float32
    np.testing.assert_array_equal(scores, signs[order])
    np.testing.assert_array_equal(np.unpackbits(codes, axis=1).astype(bool), scores > 0)
    assert library.codes.source_hashes("m", "image") == {i: f"hash-{i}" for i in item_ids}


def test_modalities_are_separate_and_put_replaces(library, item_ids):
    rng = np.random.default_rng(7)
    library.models.register("m", 32, "ssah", {})
    _, packed_img, img = rows_for(item_ids, 32, rng)
    _, _, txt = rows_for(item_ids[:2], 32, rng, scores=False)
    library.codes.put("m", "image", img)
    library.codes.put("m", "text", txt)
    ids, _, scores = library.codes.load("m", "text")
    assert ids.tolist() == item_ids[:2] and scores is None
    assert library.codes.load("m", "label")[0].size == 0
    new = CodeRow(item_ids[0], b"\xff\x00\xff\x00", None, "changed")
    library.codes.put("m", "image", [new])
    ids, codes, scores = library.codes.load("m", "image")
    assert len(ids) == len(item_ids) and codes[0].tobytes() == b"\xff\x00\xff\x00"
    np.testing.assert_array_equal(codes[1:], packed_img[1:])
    assert scores is None  # one row lacks scores now
    with pytest.raises(ValueError):
        library.codes.put("m", "audio", [new])


def test_codes_of_the_wrong_size_are_refused(library, item_ids):
    library.models.register("m", 32, "ssah", {})
    good = CodeRow(item_ids[0], b"\x00" * 4, np.zeros(32, np.float32).tobytes(), "h")
    with pytest.raises(ValueError, match="4 bytes"):
        library.codes.put("m", "image", [good, CodeRow(item_ids[1], b"\x00" * 8, None, "h")])
    with pytest.raises(ValueError, match="128 bytes"):
        library.codes.put("m", "image", [CodeRow(item_ids[1], b"\x00" * 4, b"\x00" * 64, "h")])
    assert library.codes.load("m", "image")[0].size == 0  # nothing written
    with pytest.raises(NotFound):
        library.codes.put("nope", "image", [good])


def test_empty_load_has_the_right_shapes(library):
    library.models.register("m", 64, "ssah", {})
    ids, codes, scores = library.codes.load("m", "image")
    assert ids.shape == (0,) and codes.shape == (0, 8) and scores is None
    with pytest.raises(NotFound):
        library.codes.load("other", "image")


def test_deleting_items_or_models_removes_their_codes(library, item_ids):
    rng = np.random.default_rng(3)
    library.models.register("m", 16, "ssah", {})
    library.codes.put("m", "image", rows_for(item_ids, 16, rng)[2])
    library.items.delete(item_ids[0])
    library.codes.delete_for_items(item_ids[1:3])
    assert library.codes.load("m", "image")[0].tolist() == item_ids[3:]
    library.models.delete("m")
    assert library.db.execute("SELECT COUNT(*) FROM codes").fetchone()[0] == 0
    assert library.models.active() is None


@pytest.mark.parametrize("missing", [0, -1])
def test_a_row_without_scores_in_any_step_means_no_scores(library, item_ids, missing, monkeypatch):
    """Rows are read a few at a time (a million rows freed at once held the interpreter lock for
    139 ms); a row lacking scores in the first or the last step still means no scores at all."""
    monkeypatch.setattr(codes_module, "_JOIN_ROWS", 2)
    rng = np.random.default_rng(11)
    library.models.register("m", 32, "ssah", {})
    _, packed, rows = rows_for(item_ids, 32, rng)
    rows[missing] = CodeRow(rows[missing].item_id, rows[missing].code, None, "h")
    library.codes.put("m", "image", rows)
    ids, codes, scores = library.codes.load("m", "image", scores=True)
    assert len(item_ids) > 4 and ids.tolist() == sorted(item_ids) and scores is None
    np.testing.assert_array_equal(codes, packed[np.argsort(item_ids)])


def _snapshot_of(lib, modality):
    n, ids, codes = lib.db.conn.execute("SELECT n, ids, codes FROM code_snapshots WHERE model_id = 'm' "
                                        "AND modality = ?", [modality]).fetchone()
    return np.frombuffer(ids, "<i8").tolist(), np.frombuffer(codes, np.uint8).reshape(n, -1).tolist()


def _spied_reads(monkeypatch):
    reads = []
    real = codes_module.CodeRepository._load_rows
    monkeypatch.setattr(codes_module.CodeRepository, "_load_rows",
                        lambda self, *a, **kw: (reads.append(a), real(self, *a, **kw))[1])
    return reads


def _full_snapshot(lib, modality):
    lib.codes.write_snapshot("m", modality)
    return _snapshot_of(lib, modality)


def _snapshotted(library, prefix: str, n: int, coded: int, rng):
    """``n`` items, the first ``coded`` of them with image codes of model "m" and a snapshot;
    (their ids, ``update_snapshot``'s ``since`` from now)."""
    ids = [library.items.add(Item(f"{prefix}-{i:02d}")) for i in range(n)]
    library.models.register("m", 32, "ssah", {})
    library.codes.put("m", "image", rows_for(ids[:coded], 32, rng)[2])
    library.codes.write_snapshot("m", "image")
    return ids, library.codes.since()


def test_a_snapshot_takes_in_only_the_codes_written_since(library, monkeypatch):
    rng = np.random.default_rng(3)
    ids, since = _snapshotted(library, "S", 12, 10, rng)
    library.codes.put("m", "image", rows_for([ids[3], ids[11], ids[10]], 32, rng, scores=False)[2])  # 2 new, 1 changed
    library.codes.delete_codes("m", "image", [ids[0], ids[7]])
    reads = _spied_reads(monkeypatch)
    assert library.codes.update_snapshot("m", "image", [ids[3], ids[11], ids[10], ids[0], ids[7]], since) == 10
    assert reads == []  # merged: no pass over every row
    merged = _snapshot_of(library, "image")
    assert merged == _full_snapshot(library, "image") and merged[0] == sorted(set(ids) - {ids[0], ids[7]})
    loaded_ids, loaded, _ = library.codes.load("m", "image", scores=False)  # the snapshot is current
    assert loaded_ids.tolist() == merged[0] and loaded.tolist() == merged[1]


def test_another_writer_since_means_every_row_is_read_again(library, monkeypatch):
    from app.store import open_library

    rng = np.random.default_rng(4)
    ids, since = _snapshotted(library, "W", 6, 4, rng)
    library.codes.put("m", "image", rows_for([ids[4]], 32, rng)[2])
    with open_library(library.location) as other:  # another process writes a code meanwhile
        other.codes.put("m", "image", rows_for([ids[5]], 32, rng)[2])
    reads = _spied_reads(monkeypatch)
    library.codes.update_snapshot("m", "image", [ids[4]], since)
    assert reads  # not merged: the other writer's code would be missing
    assert _snapshot_of(library, "image")[0] == ids
    stale = {**library.codes.since(),  # the snapshot is not from then either
             "image": (library.codes.version("image") - 1, library.codes.bumps["image"])}
    reads.clear()
    library.codes.update_snapshot("m", "image", [], stale)
    assert reads


def test_an_item_deleted_through_the_same_library_is_not_merged_back(library, monkeypatch):
    rng = np.random.default_rng(5)
    ids, since = _snapshotted(library, "D", 5, 5, rng)
    library.items.delete(ids[1])  # its codes go with it (and the version moves by our own bump)
    reads = _spied_reads(monkeypatch)
    library.codes.update_snapshot("m", "image", [], since)
    assert reads  # the merge would have kept the deleted item's code: every row read instead
    assert _snapshot_of(library, "image")[0] == [ids[0], *ids[2:]]


def test_each_modality_has_a_version_and_a_label_code_leaves_the_photo_index_and_snapshot(library, monkeypatch):
    """Codes of one modality written (a tag re-encodes an item's label code) leave the photo
    and text indexes of a search, and their snapshots, as they were; codes of that modality
    written, deleted with their item, or put back by an undo make them current again."""
    from app.services.search import SearchService
    from app.store import open_library

    rng = np.random.default_rng(8)
    ids = [library.items.add(Item(f"V-{i:02d}")) for i in range(6)]
    library.models.register("m", 32, "ssah", {})
    for modality in ("image", "text", "label"):
        library.codes.put("m", modality, rows_for(ids, 32, rng)[2])
        library.codes.write_snapshot("m", modality)
    service = SearchService(library)
    photos, texts = service.index("image"), service.index("text")
    image_version, snapshot = library.codes.version("image"), _snapshot_of(library, "image")
    since = library.codes.since()
    library.codes.put("m", "label", rows_for(ids[:1], 32, rng)[2])
    reads = _spied_reads(monkeypatch)
    assert library.codes.update_snapshot("m", "image", [], since) == 6 and reads == []  # not rewritten
    assert library.codes.version("image") == image_version and library.codes.version() > since["label"][0]
    assert service.index("image") is photos and service.index("text") is texts
    assert library.codes.load("m", "image", scores=False)[1].tolist() == snapshot[1]
    library.codes.put("m", "image", rows_for(ids[2:3], 32, rng)[2])
    assert library.codes.version("image") > image_version and service.index("text") is texts
    fresh = service.index("image")
    assert fresh is not photos and np.array_equal(fresh.ids, np.asarray(ids))
    library.items.delete(ids[4])  # every modality's codes go with the item
    assert all(ids[4] not in service.index(m).ids for m in ("image", "text"))
    photos = service.index("image")
    with open_library(library.location) as other:  # another program writes photo codes
        other.codes.put("m", "image", rows_for(ids[:1], 32, rng)[2])
    # (on a server, seen once its announcement arrives: within milliseconds of the commit)
    assert eventually(lambda: service.index("image") is not photos, 3.0)
    from app.store.snapshots import Scope

    photos, texts = service.index("image"), service.index("text")
    before = library.snapshots.take([Scope("codes", "item_id", (ids[0],))])
    library.codes.put("m", "label", rows_for(ids[:1], 32, rng)[2])
    assert service.index("image") is photos
    library.snapshots.put_back(before)  # an undo puts codes back without the repository's bump
    assert service.index("image") is not photos and service.index("text") is not texts


def test_codes_read_row_by_row_become_the_snapshot_for_the_next_reader(library, monkeypatch):
    """Deleting an item counts every modality's version up and nothing writes the snapshots
    again: the first reader after it reads every row and leaves them as the snapshot (an SQLite
    library that it can write), so the next one does not."""
    rng = np.random.default_rng(9)
    ids, _ = _snapshotted(library, "R", 8, 8, rng)
    library.items.delete(ids[2])
    reads = _spied_reads(monkeypatch)
    first = library.codes.load("m", "image", scores=False)
    assert reads  # the snapshot was stale
    reads.clear()
    again = library.codes.load("m", "image", scores=False)
    if library.on_server:
        assert reads  # a server's snapshots are written by encoding only
    else:
        assert reads == [] and ids[2] not in again[0]
    assert np.array_equal(first[0], again[0]) and np.array_equal(first[1], again[1])
    assert again[0].tolist() == [i for i in ids if i != ids[2]]


def test_a_reader_leaves_no_snapshot_and_does_not_wait_while_another_program_writes(library, monkeypatch):
    """Another program holding the write lock: the reader returns the rows at once (not after
    the 30 s busy timeout) and leaves the snapshot to the next reader; a read-only library
    is not written either."""
    import sqlite3
    import time

    if library.on_server:
        pytest.skip("the snapshot is left by readers of SQLite libraries only")
    rng = np.random.default_rng(10)
    ids, _ = _snapshotted(library, "N", 5, 5, rng)
    library.items.delete(ids[0])
    other = sqlite3.connect(library.root / "library.sqlite", isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        started = time.monotonic()
        loaded = library.codes.load("m", "image", scores=False)
        assert time.monotonic() - started < 5 and loaded[0].tolist() == ids[1:]
    finally:
        other.execute("ROLLBACK")
        other.close()
    reads = _spied_reads(monkeypatch)
    monkeypatch.setattr(library, "read_only", True)
    library.codes.load("m", "image", scores=False)
    library.codes.load("m", "image", scores=False)
    assert len(reads) == 2  # still stale: nobody could write it
