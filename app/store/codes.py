"""Trained models registered in the library, and the binary codes they gave each item."""
from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from app.core.errors import NotFound
from app.core.models import now_iso
from app.store.sql import chunks, marks

if TYPE_CHECKING:
    from app.store.library import Library

MODALITIES = ("image", "text", "label")


@dataclass
class ModelRecord:
    id: str
    bits: int
    mode: str
    card: dict
    created: str
    active: bool


@dataclass
class CodeRow:
    item_id: int
    code: bytes          # packed bits, FAISS byte layout
    score: bytes | None  # pre-sign float32 values, for tie-breaks
    source_hash: str     # what was encoded (photo sha256 / text hash), for incremental updates


class SuggestionMixin:
    """Tag suggestions from a model's label heads, with the curator's decision."""

    def put_suggestions(self, model_id: str, rows: Iterable[tuple[int, str, float]]) -> int:
        """Store (item, label, confidence) suggestions; decisions already taken are kept."""
        data = [(i, model_id, label, float(conf)) for i, label, conf in rows]
        with self.lib.atomic():
            self.db.conn.executemany(
                "INSERT INTO suggestions (item_id, model_id, label_id, confidence) VALUES (?, ?, ?, ?) "
                "ON CONFLICT(item_id, model_id, label_id) DO UPDATE SET confidence = excluded.confidence",
                data)
        return len(data)

    def suggestions(self, item_id: int, model_id: str | None = None,
                    include_decided: bool = False) -> list[tuple[str, float, str]]:
        """(label id, confidence, status) for an item, most confident first, skipping labels
        the item already carries."""
        model = model_id or (self.active_model().id if self.active_model() else None)
        if model is None:
            return []
        rows = self.db.execute(
            "SELECT label_id, confidence, status FROM suggestions WHERE item_id = ? AND model_id = ? "
            "AND label_id NOT IN (SELECT label_id FROM item_labels WHERE item_id = ?) "
            "ORDER BY confidence DESC, label_id", [item_id, model, item_id]).fetchall()
        return [tuple(r) for r in rows if include_decided or r[2] == "open"]

    def confidences(self, model_id: str, item_ids: Iterable[int] | None = None,
                    label_ids: Iterable[str] | None = None,
                    with_rejected: bool = False) -> list[tuple[int, str, float]]:
        """(item id, label id, confidence) that ``model_id`` predicted for ``item_ids`` or for
        ``label_ids``; suggestions the curator rejected are left out unless ``with_rejected``."""
        column, values = ("item_id", list(item_ids)) if item_ids is not None else ("label_id", list(label_ids or ()))
        status = "" if with_rejected else " AND status != 'rejected'"
        out = []
        for chunk in chunks(values):
            out += [(r[0], r[1], float(r[2])) for r in self.db.execute(
                f"SELECT item_id, label_id, confidence FROM suggestions WHERE model_id = ?{status} "
                f"AND {column} IN ({marks(chunk)})", [model_id, *chunk])]
        return out

    def set_suggestion_status(self, item_id: int, label_id: str, status: str,
                              model_id: str | None = None) -> None:
        if status not in ("open", "accepted", "rejected"):
            raise ValueError("status must be open, accepted or rejected")
        model = model_id or (self.active_model().id if self.active_model() else None)
        with self.lib.atomic():
            self.db.execute("UPDATE suggestions SET status = ? WHERE item_id = ? AND label_id = ? "
                            "AND model_id = ?", [status, item_id, label_id, model])


class CodeRepository(SuggestionMixin):
    def __init__(self, lib: Library):
        self.lib = lib
        self.db = lib.db

    # -- models ----------------------------------------------------------------------------
    def register_model(self, model_id: str, bits: int, mode: str, card: dict,
                       activate: bool = True) -> ModelRecord:
        with self.lib.atomic():
            self.__dict__.get("_models", {}).pop(model_id, None)
            # An upsert, not INSERT OR REPLACE: replacing would cascade-delete the model's codes.
            self.db.execute("INSERT INTO models (id, bits, mode, card, created, active) "
                            "VALUES (?, ?, ?, ?, ?, 0) ON CONFLICT(id) DO UPDATE SET bits = excluded.bits, "
                            "mode = excluded.mode, card = excluded.card, created = excluded.created",
                            [model_id, bits, mode, json.dumps(card, ensure_ascii=False), now_iso()])
            if activate:
                self.activate(model_id)
        return self.model(model_id)

    def activate(self, model_id: str) -> None:
        with self.lib.atomic():
            self.model(model_id)
            self.db.execute("UPDATE models SET active = (id = ?)", [model_id])

    def model(self, model_id: str) -> ModelRecord:
        """A registered model (cached: cards carry the vocabulary and are costly to parse)."""
        cache = self.__dict__.setdefault("_models", {})
        row = self.db.execute("SELECT active, created FROM models WHERE id = ?", [model_id]).fetchone()
        if row is not None and model_id in cache and cache[model_id].created == row[1]:
            cache[model_id].active = bool(row[0])
            return cache[model_id]
        row = self.db.execute("SELECT id, bits, mode, card, created, active FROM models WHERE id = ?",
                              [model_id]).fetchone()
        if row is None:
            raise NotFound(f"There is no model {model_id!r} in this library.")
        cache[model_id] = ModelRecord(row[0], row[1], row[2], json.loads(row[3]), row[4], bool(row[5]))
        return cache[model_id]

    def active_model(self) -> ModelRecord | None:
        row = self.db.execute("SELECT id FROM models WHERE active = 1").fetchone()
        return self.model(row[0]) if row else None

    def models(self) -> list[ModelRecord]:
        return [self.model(r[0]) for r in self.db.execute("SELECT id FROM models ORDER BY created").fetchall()]

    def delete_model(self, model_id: str) -> None:
        with self.lib.atomic():
            self.db.execute("DELETE FROM models WHERE id = ?", [model_id])
            self._bump()

    # -- codes -----------------------------------------------------------------------------
    def version(self) -> int:
        """A counter bumped by every change to stored codes (search indexes reload on it)."""
        return int(self.lib.get_meta("codes_version", "0"))

    def _bump(self) -> None:
        self.db.execute("INSERT INTO meta (key, value) VALUES ('codes_version', '1') ON CONFLICT(key) "
                        "DO UPDATE SET value = CAST(value AS INTEGER) + 1")

    def delete_codes(self, model_id: str, modality: str, item_ids: Iterable[int]) -> int:
        data = [(i, model_id, modality) for i in item_ids]
        with self.lib.atomic():
            self.db.conn.executemany("DELETE FROM codes WHERE item_id = ? AND model_id = ? AND modality = ?", data)
            self._bump()
        return len(data)

    def put(self, model_id: str, modality: str, rows: Iterable[CodeRow]) -> int:
        """Store (or replace) codes of one modality; one transaction. Returns rows written."""
        if modality not in MODALITIES:
            raise ValueError(f"modality must be one of {MODALITIES}")
        bits = self.model(model_id).bits
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
            self._bump()
        return len(data)

    def code_of(self, item_id: int, model_id: str, modality: str) -> tuple[bytes, bytes | None] | None:
        """One item's stored (packed code, pre-sign scores), or None when it has none."""
        row = self.db.execute("SELECT code, score FROM codes WHERE item_id = ? AND model_id = ? "
                              "AND modality = ?", [item_id, model_id, modality]).fetchone()
        return None if row is None else (row[0], row[1])

    def source_hashes(self, model_id: str, modality: str) -> dict[int, str]:
        """What each stored code was computed from (to encode only new or changed items)."""
        return dict(self.db.execute("SELECT item_id, source_hash FROM codes WHERE model_id = ? "
                                    "AND modality = ?", [model_id, modality]).fetchall())

    def write_snapshot(self, model_id: str, modality: str) -> int:
        """Pack every code of a model and modality into one row (what ``load`` reads first)."""
        ids, codes, _ = self._load_rows(model_id, modality, scores=False)
        with self.lib.atomic():
            self.db.execute(
                "INSERT OR REPLACE INTO code_snapshots (model_id, modality, codes_version, n, ids, codes) "
                "VALUES (?, ?, ?, ?, ?, ?)", [model_id, modality, self.version(), len(ids),
                                              ids.astype("<i8").tobytes(), codes.tobytes()])
        return len(ids)

    def _snapshot(self, model_id: str, modality: str, bits: int):
        row = self.db.conn.execute("SELECT codes_version, n, ids, codes FROM code_snapshots WHERE model_id = ? "
                                   "AND modality = ?", [model_id, modality]).fetchone()
        if row is None or row[0] != self.version():
            return None  # missing, or codes changed since it was written
        ids = np.frombuffer(row[2], dtype="<i8").astype(np.int64)
        return ids, np.frombuffer(row[3], dtype=np.uint8).reshape(row[1], bits // 8)

    def load(self, model_id: str, modality: str, scores: bool = True
             ) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        """All codes of one modality: (item ids int64 (n,), packed codes uint8 (n, bytes),
        pre-sign scores float32 (n, bits) or None when not asked for or any row lacks them).

        Rows come in item order, straight from the (model, modality, item) index. Without
        scores a million codes load in a fraction of a second; the scores are 32× larger."""
        bits = self.model(model_id).bits
        if not scores:
            snap = self._snapshot(model_id, modality, bits)
            if snap is not None:
                return snap[0], snap[1], None
        return self._load_rows(model_id, modality, scores)

    def _load_rows(self, model_id: str, modality: str, scores: bool):
        bits = self.model(model_id).bits
        columns = "item_id, code, score" if scores else "item_id, code"
        rows = self.db.conn.execute(f"SELECT {columns} FROM codes WHERE model_id = ? AND modality = ? "
                                    "ORDER BY item_id", [model_id, modality]).fetchall()
        ids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
        codes = np.frombuffer(b"".join([r[1] for r in rows]), dtype=np.uint8).reshape(len(rows), bits // 8)
        score_array = None
        if scores and rows and all(r[2] is not None for r in rows):
            score_array = np.frombuffer(b"".join([r[2] for r in rows]), dtype=np.float32).reshape(len(rows), bits)
        return ids, codes, score_array

    def delete_for_items(self, item_ids: Iterable[int]) -> None:
        with self.lib.atomic():
            self.db.conn.executemany("DELETE FROM codes WHERE item_id = ?", [(i,) for i in item_ids])
            self._bump()

