"""Trained models registered in the library, and the binary codes they gave each item."""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Iterable

import numpy as np

from app.core.errors import NotFound
from app.core.models import now_iso

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

    def set_suggestion_status(self, item_id: int, label_id: str, status: str,
                              model_id: str | None = None) -> None:
        if status not in ("open", "accepted", "rejected"):
            raise ValueError("status must be open, accepted or rejected")
        model = model_id or (self.active_model().id if self.active_model() else None)
        with self.lib.atomic():
            self.db.execute("UPDATE suggestions SET status = ? WHERE item_id = ? AND label_id = ? "
                            "AND model_id = ?", [status, item_id, label_id, model])


class CodeRepository(SuggestionMixin):
    def __init__(self, lib: "Library"):
        self.lib = lib
        self.db = lib.db

    # -- models ----------------------------------------------------------------------------
    def register_model(self, model_id: str, bits: int, mode: str, card: dict,
                       activate: bool = True) -> ModelRecord:
        with self.lib.atomic():
            # An upsert, not INSERT OR REPLACE: replacing would cascade-delete the model's codes.
            self.db.execute("INSERT INTO models (id, bits, mode, card, created, active) "
                            "VALUES (?, ?, ?, ?, ?, 0) ON CONFLICT(id) DO UPDATE SET bits = excluded.bits, "
                            "mode = excluded.mode, card = excluded.card",
                            [model_id, bits, mode, json.dumps(card, ensure_ascii=False), now_iso()])
            if activate:
                self.activate(model_id)
        return self.model(model_id)

    def activate(self, model_id: str) -> None:
        with self.lib.atomic():
            self.model(model_id)
            self.db.execute("UPDATE models SET active = (id = ?)", [model_id])

    def model(self, model_id: str) -> ModelRecord:
        row = self.db.execute("SELECT id, bits, mode, card, created, active FROM models WHERE id = ?",
                              [model_id]).fetchone()
        if row is None:
            raise NotFound(f"There is no model {model_id!r} in this library.")
        return ModelRecord(row[0], row[1], row[2], json.loads(row[3]), row[4], bool(row[5]))

    def active_model(self) -> ModelRecord | None:
        row = self.db.execute("SELECT id FROM models WHERE active = 1").fetchone()
        return self.model(row[0]) if row else None

    def models(self) -> list[ModelRecord]:
        return [self.model(r[0]) for r in self.db.execute("SELECT id FROM models ORDER BY created").fetchall()]

    def delete_model(self, model_id: str) -> None:
        with self.lib.atomic():
            self.db.execute("DELETE FROM models WHERE id = ?", [model_id])

    # -- codes -----------------------------------------------------------------------------
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
        return len(data)

    def source_hashes(self, model_id: str, modality: str) -> dict[int, str]:
        """What each stored code was computed from (to encode only new or changed items)."""
        return dict(self.db.execute("SELECT item_id, source_hash FROM codes WHERE model_id = ? "
                                    "AND modality = ?", [model_id, modality]).fetchall())

    def load(self, model_id: str, modality: str) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        """All codes of one modality: (item ids int64 (n,), packed codes uint8 (n, bytes),
        pre-sign scores float32 (n, bits) or None when any row lacks them)."""
        rows = self.db.conn.execute("SELECT item_id, code, score FROM codes WHERE model_id = ? "
                                    "AND modality = ? ORDER BY item_id", [model_id, modality]).fetchall()
        bits = self.model(model_id).bits
        ids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
        codes = np.frombuffer(b"".join(r[1] for r in rows), dtype=np.uint8).reshape(len(rows), bits // 8)
        if rows and all(r[2] is not None for r in rows):
            scores = np.frombuffer(b"".join(r[2] for r in rows), dtype=np.float32).reshape(len(rows), bits)
        else:
            scores = None
        return ids, codes, scores

    def delete_for_items(self, item_ids: Iterable[int]) -> None:
        with self.lib.atomic():
            self.db.conn.executemany("DELETE FROM codes WHERE item_id = ?", [(i,) for i in item_ids])

