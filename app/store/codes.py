"""The binary codes each registered model gave each item (models: ``app.store.models``)."""
from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from app.core.pacing import give_way
from app.store.evidence import log_items, log_mark, log_oldest, prune_log
from app.store.splice import Splice
from app.store.sql import rows_in

if TYPE_CHECKING:
    from app.store.library import Library

MODALITIES = ("image", "text", "label")
# Each modality's codes have a version of their own beside the library's ("codes_version"):
# a tag re-encodes an item's label code only, and the photo and text indexes of a search, and
# their packed snapshots, stay as they are (at a million items reading them again took 6-7 s
# at the first photo search after any tag, on the 2-core EPYC). Migration 15 starts each at
# the library's version; a library without them (none, once migrated) reads the library's.
MODALITY_BUMP = ("INSERT INTO meta (key, value) VALUES (?, (SELECT value FROM meta WHERE key = 'codes_version')) "
                 "ON CONFLICT(key) DO UPDATE SET value = CAST(CAST(meta.value AS INTEGER) + 1 AS TEXT)")


def version_key(modality: str) -> str:
    return f"codes_version:{modality}"


@dataclass
class CodeRow:
    item_id: int
    code: bytes          # packed bits, FAISS byte layout
    score: bytes | None  # pre-sign float32 values, for tie-breaks
    source_hash: str     # what was encoded (photo sha256 / text hash), for incremental updates


class CodeRepository:
    def __init__(self, lib: Library):
        self.lib = lib
        self.db = lib.db
        self.bumps = dict.fromkeys(MODALITIES, 0)  # version bumps made through this repository (``update_snapshot``)

    # -- codes -----------------------------------------------------------------------------
    def version(self, modality: str | None = None) -> int:
        """A counter bumped by every change to stored codes (search indexes reload on it); with
        ``modality``, by every change to that modality's codes (see :data:`MODALITY_BUMP`)."""
        version = int(self.lib.get_meta("codes_version", "0"))
        return version if modality is None else int(self.lib.get_meta(version_key(modality), str(version)))

    def since(self) -> dict[str, tuple[int, int]]:
        """Each modality's version and the bumps made here so far (``update_snapshot``'s ``since``)."""
        return {m: (self.version(m), self.bumps[m]) for m in MODALITIES}

    def bump(self, modality: str | None = None) -> None:
        """Count the library's codes version up, and that of ``modality`` (None: every modality's)."""
        self.db.execute("INSERT INTO meta (key, value) VALUES ('codes_version', '1') ON CONFLICT(key) "
                        "DO UPDATE SET value = CAST(CAST(meta.value AS INTEGER) + 1 AS TEXT)")
        for m in MODALITIES if modality is None else (modality,):
            self.bumps[m] += 1
            self.db.execute(MODALITY_BUMP, [version_key(m)])

    # -- the log of items whose codes changed (migration 16) --------------------------------
    @property
    def changes_logged(self) -> bool:
        """Whether writes to the codes are logged in ``code_changes`` (an SQLite library; a
        server announces them instead)."""
        return not self.lib.on_server

    def change_mark(self) -> int:
        """The newest mark of the log (0 when it is empty)."""
        return log_mark(self.db.conn, "code_changes")

    def changed_since(self, mark: int, upto: int, most: int) -> list[int] | None:
        """Items whose codes changed after ``mark``, up to ``upto`` (sorted, distinct); None
        where the log does not reach back to ``mark`` (pruned) or names more than ``most``."""
        oldest = log_oldest(self.db.conn, "code_changes")
        if oldest is None or oldest > mark + 1 or upto - mark > 4 * most:
            return None
        items = log_items(self.db.conn, "code_changes", mark, upto, most + 1)
        return None if len(items) > most else items

    def prune_changes(self, keep: int) -> int:
        """Drop log entries more than ``keep`` marks behind the newest; how many went."""
        return prune_log(self.lib, "code_changes", keep)

    def delete_codes(self, model_id: str, modality: str, item_ids: Iterable[int]) -> int:
        data = [(i, model_id, modality) for i in item_ids]
        with self.lib.atomic():
            self.db.conn.executemany("DELETE FROM codes WHERE item_id = ? AND model_id = ? AND modality = ?", data)
            self.bump(modality)
        return len(data)

    def put(self, model_id: str, modality: str, rows: Iterable[CodeRow]) -> int:
        """Store (or replace) codes of one modality; one transaction. Returns rows written."""
        if modality not in MODALITIES:
            raise ValueError(f"modality must be one of {MODALITIES}")
        bits = self.lib.models.get(model_id).bits
        data = [(r.item_id, model_id, modality, r.code, r.score, r.source_hash) for r in rows]
        for item_id, _, _, code, score, _ in data:  # a wrong size would break load() for all rows
            if len(code) != bits // 8:
                raise ValueError(f"item {item_id}: a {bits}-bit code has {bits // 8} bytes, not {len(code)}")
            if score is not None and len(score) != bits * 4:
                raise ValueError(f"item {item_id}: {bits} float32 scores take {bits * 4} bytes, "
                                 f"not {len(score)}")
        with self.lib.atomic():
            self.db.conn.executemany(
                "INSERT OR REPLACE INTO codes (item_id, model_id, modality, code, score, source_hash) "
                "VALUES (?, ?, ?, ?, ?, ?)", data)
            self.bump(modality)
        return len(data)

    def rows_of(self, model_id: str, modality: str, item_ids: Iterable[int], scores: bool
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray | None] | None:
        """As ``load``, for these items only (those without a code are left out); None when
        ``scores`` are asked for and a row lacks them."""
        width = self.lib.models.get(model_id).bits // 8
        columns = "item_id, code, score" if scores else "item_id, code"
        rows = sorted(rows_in(self.db, f"SELECT {columns} FROM codes WHERE model_id = ? AND modality = ? AND item_id",
                              (int(i) for i in item_ids), [model_id, modality]))
        if scores and any(r[2] is None for r in rows):
            return None
        return (np.array([r[0] for r in rows], np.int64), _joined(rows, 1, np.uint8, width),
                _joined(rows, 2, np.float32, width * 8) if scores else None)

    def code_of(self, item_id: int, model_id: str, modality: str) -> tuple[bytes, bytes | None] | None:
        """One item's stored (packed code, pre-sign scores), or None when it has none."""
        row = self.db.execute("SELECT code, score FROM codes WHERE item_id = ? AND model_id = ? "
                              "AND modality = ?", [item_id, model_id, modality]).fetchone()
        return None if row is None else (row[0], row[1])

    def source_hashes(self, model_id: str, modality: str, item_ids: Iterable[int] | None = None) -> dict[int, str]:
        """What each stored code (of ``item_ids`` only, when given) was computed from (to encode
        only new or changed items)."""
        sql = "SELECT item_id, source_hash FROM codes WHERE model_id = ? AND modality = ?"
        if item_ids is None:
            return dict(self.db.execute(sql, [model_id, modality]).fetchall())
        return dict(rows_in(self.db, f"{sql} AND item_id", (int(i) for i in item_ids), [model_id, modality]))

    def encoded_mark(self, model_id: str) -> int | None:
        """The change-log mark up to which the library was last encoded with ``model_id`` (None: never)."""
        row = self.db.execute("SELECT mark FROM encode_marks WHERE model_id = ?", [model_id]).fetchone()
        return None if row is None else int(row[0])

    def set_encoded_mark(self, model_id: str, mark: int) -> None:
        self.db.execute("INSERT INTO encode_marks (model_id, mark) VALUES (?, ?) "
                        "ON CONFLICT(model_id) DO UPDATE SET mark = excluded.mark", [model_id, int(mark)])

    def write_snapshot(self, model_id: str, modality: str) -> int:
        """Pack every code of a model and modality into one row (what ``load`` reads first)."""
        with self.lib.atomic():  # no other writer between the read and the version stamped
            ids, codes, _ = self._load_rows(model_id, modality, scores=False)
            self.db.execute(
                "INSERT OR REPLACE INTO code_snapshots (model_id, modality, codes_version, n, ids, codes) "
                "VALUES (?, ?, ?, ?, ?, ?)", [model_id, modality, self.version(modality), len(ids),
                                              ids.astype("<i8").tobytes(), codes.tobytes()])
        return len(ids)

    def update_snapshot(self, model_id: str, modality: str, touched: Iterable[int],
                        since: dict[str, tuple[int, int]]) -> int:
        """Bring the packed snapshot up to date after this repository wrote or deleted the codes
        of ``touched`` items only, since ``since`` (``since()``: each modality's version and
        bumps) was taken.
        When the stored snapshot was current then and nobody else has changed codes since
        (the version moved by exactly our own bumps), only those items are read and merged in
        (a few rows, and two blobs rewritten: a curator encoding 500 new photos into a
        million-item library no longer reads every code row); otherwise every row is read
        (``write_snapshot``). Returns the rows in the snapshot."""
        version, bumps = since[modality]
        with self.lib.atomic():  # the check, the reads and the write see one state of the codes
            if self.version(modality) == version + self.bumps[modality] - bumps:
                row = self.db.conn.execute("SELECT codes_version, n, ids, codes FROM code_snapshots "
                                           "WHERE model_id = ? AND modality = ?", [model_id, modality]).fetchone()
                if row is not None and row[0] == version and self.bumps[modality] == bumps:
                    return int(row[1])  # neither we nor anyone else changed these codes: it is current
                if row is not None and row[0] == version:
                    merged = self._merge_snapshot(model_id, modality, row, sorted({int(i) for i in touched}))
                    if merged is not None:
                        return merged
        return self.write_snapshot(model_id, modality)

    def _merge_snapshot(self, model_id: str, modality: str, row, touched: list[int]) -> int | None:
        """``row``'s snapshot with the codes of ``touched`` read again (gone ones dropped);
        None, writing nothing, when the result does not hold as many codes as the table (codes
        went another way meanwhile, an item deleted through this library: read them all)."""
        width = self.lib.models.get(model_id).bits // 8
        ids = np.frombuffer(row[2], dtype="<i8").astype(np.int64)
        codes = np.frombuffer(row[3], dtype=np.uint8).reshape(row[1], width)
        fresh = list(rows_in(self.db, "SELECT item_id, code FROM codes WHERE model_id = ? AND modality = ? "
                                      "AND item_id", touched, [model_id, modality]))
        splice = Splice(ids, ~np.isin(ids, np.asarray(touched, np.int64)), np.array([r[0] for r in fresh], np.int64))
        stored = self.db.execute("SELECT COUNT(*) FROM codes WHERE model_id = ? AND modality = ?",
                                 [model_id, modality]).fetchone()[0]
        if stored != len(splice.ids):
            return None
        codes = splice(codes, np.frombuffer(b"".join(r[1] for r in fresh), np.uint8).reshape(len(fresh), width))
        self.db.execute(
            "INSERT OR REPLACE INTO code_snapshots (model_id, modality, codes_version, n, ids, codes) "
            "VALUES (?, ?, ?, ?, ?, ?)", [model_id, modality, self.version(modality), len(splice.ids),
                                          splice.ids.astype("<i8").tobytes(), codes.tobytes()])
        return len(splice.ids)

    def _snapshot(self, model_id: str, modality: str, bits: int):
        row = self.db.conn.execute("SELECT codes_version, n, ids, codes FROM code_snapshots WHERE model_id = ? "
                                   "AND modality = ?", [model_id, modality]).fetchone()
        if row is None or row[0] != self.version(modality):
            return None  # missing, or codes changed since it was written
        ids = np.frombuffer(row[2], dtype="<i8").astype(np.int64)
        return ids, np.frombuffer(row[3], dtype=np.uint8).reshape(row[1], bits // 8)

    def load(self, model_id: str, modality: str, scores: bool = True
             ) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        """All codes of one modality: (item ids int64 (n,), packed codes uint8 (n, bytes),
        pre-sign scores float32 (n, bits) or None when not asked for or any row lacks them).

        Rows come in item order, straight from the (model, modality, item) index. Without
        scores a million codes load in a fraction of a second; the scores are 32× larger."""
        bits = self.lib.models.get(model_id).bits
        if not scores:
            snap = self._snapshot(model_id, modality, bits)
            if snap is not None:
                return snap[0], snap[1], None
            version = self.version(modality)
            ids, codes, _ = self._load_rows(model_id, modality, scores=False)
            self._keep_snapshot(model_id, modality, version, ids, codes)
            return ids, codes, None
        return self._load_rows(model_id, modality, scores)

    def _keep_snapshot(self, model_id: str, modality: str, version: int, ids: np.ndarray, codes: np.ndarray) -> None:
        """Save what ``load`` had to read row by row as the snapshot, if no code has changed
        since (``version``): deleting items counts every modality's version up and no encoding
        follows to write the snapshots again, and each later opening of the 1,000,500-item
        library read every code (1.1-1.9 s against 0.1-0.9 s). On an SQLite library only, not a
        read-only one, and never waiting for another program's write (the next reader tries
        again; a full disk the same)."""
        if self.lib.on_server or self.lib.read_only or self.db.conn.in_transaction:
            return
        with contextlib.suppress(sqlite3.OperationalError), self.lib.not_waiting(), self.lib.atomic():
            if self.version(modality) == version:
                self.db.execute(
                    "INSERT OR REPLACE INTO code_snapshots (model_id, modality, codes_version, n, ids, codes) "
                    "VALUES (?, ?, ?, ?, ?, ?)", [model_id, modality, version, len(ids),
                                                  ids.astype("<i8").tobytes(), codes.tobytes()])

    def _load_rows(self, model_id: str, modality: str, scores: bool):
        bits = self.lib.models.get(model_id).bits
        columns = "item_id, code, score" if scores else "item_id, code"
        cursor = self.db.conn.execute(f"SELECT {columns} FROM codes WHERE model_id = ? AND modality = ? "
                                      "ORDER BY item_id", [model_id, modality])
        ids, codes = [np.zeros(0, np.int64)], [np.zeros((0, bits // 8), np.uint8)]
        score_parts: list[np.ndarray] = []
        every_score = scores
        while part := cursor.fetchmany(_JOIN_ROWS):  # the rows of one step are freed before the next
            if not self.db.conn.in_transaction:  # never while holding the write lock
                give_way()  # while the window scrolls, this waits (app.core.pacing)
            ids.append(np.fromiter((r[0] for r in part), dtype=np.int64, count=len(part)))
            codes.append(_joined(part, 1, np.uint8, bits // 8))
            if every_score and any(r[2] is None for r in part):
                every_score, score_parts = False, []
            if every_score:
                score_parts.append(_joined(part, 2, np.float32, bits))
        return np.concatenate(ids), np.concatenate(codes), np.concatenate(score_parts) if score_parts else None

    def delete_for_items(self, item_ids: Iterable[int]) -> None:
        with self.lib.atomic():
            self.db.conn.executemany("DELETE FROM codes WHERE item_id = ?", [(i,) for i in item_ids])
            self.bump()


_JOIN_ROWS = 1 << 13  # rows per step of _load_rows: ~2 MB of float32 scores


def _joined(rows: list, column: int, dtype, width: int) -> np.ndarray:
    """(rows, width) array from each row's bytes in ``column``.

    ``_load_rows`` reads and converts a step of rows at a time, never a million at once: one
    b"".join of a million items' scores (256 MB) held the interpreter lock for ~70 ms, and
    freeing a list of a million rows held it for 139 ms (a ticker thread measured it, 2026-12-01;
    in steps of 8,192 rows its worst gap was 5.5 ms). The window, warming its search on a
    worker, stalled that long while it scrolled."""
    return np.frombuffer(b"".join([r[column] for r in rows]), dtype).reshape(len(rows), width)

