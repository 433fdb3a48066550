"""Trained models registered in the library: their cards, and which one is active."""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING

from app.core.errors import NotFound
from app.core.models import ModelCard, now_iso

if TYPE_CHECKING:
    from app.store.library import Library


@dataclass
class ModelRecord:
    id: str
    bits: int
    mode: str
    card: ModelCard
    created: str
    active: bool


class ModelRepository:
    def __init__(self, lib: Library):
        self.lib = lib
        self.db = lib.db
        self._cache: dict[str, ModelRecord] = {}

    def register(self, model_id: str, bits: int, mode: str, card: ModelCard,
                       activate: bool = True) -> ModelRecord:
        with self.lib.atomic():
            self._cache.pop(model_id, None)
            # An upsert, not INSERT OR REPLACE: replacing would cascade-delete the model's codes.
            self.db.execute("INSERT INTO models (id, bits, mode, card, created, active) "
                            "VALUES (?, ?, ?, ?, ?, 0) ON CONFLICT(id) DO UPDATE SET bits = excluded.bits, "
                            "mode = excluded.mode, card = excluded.card, created = excluded.created",
                            [model_id, bits, mode, json.dumps(card, ensure_ascii=False), now_iso()])
            if activate:
                self.activate(model_id)
        return self.get(model_id)

    def activate(self, model_id: str) -> None:
        with self.lib.atomic():
            self.get(model_id)
            self.db.execute("UPDATE models SET active = CASE WHEN id = ? THEN 1 ELSE 0 END", [model_id])

    def get(self, model_id: str) -> ModelRecord:
        """A registered model (cached: cards carry the vocabulary and are costly to parse)."""
        cache = self._cache
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

    def active(self) -> ModelRecord | None:
        row = self.db.execute("SELECT id FROM models WHERE active = 1").fetchone()
        return self.get(row[0]) if row else None

    def all(self) -> list[ModelRecord]:
        return [self.get(r[0]) for r in self.db.execute("SELECT id FROM models ORDER BY created").fetchall()]

    def delete(self, model_id: str) -> None:
        with self.lib.atomic():
            self.db.execute("DELETE FROM models WHERE id = ?", [model_id])
            self.lib.codes.bump()  # its codes went with it: search indexes reload
