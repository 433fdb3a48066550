"""Tag suggestions from a model's label heads, with the curator's decision on each."""
from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from app.store.sql import chunks, marks

if TYPE_CHECKING:
    from app.store.library import Library


class SuggestionRepository:
    def __init__(self, lib: Library):
        self.lib = lib
        self.db = lib.db

    def _model(self, model_id: str | None) -> str | None:
        """``model_id``, else the active model's id (None when there is none)."""
        if model_id:
            return model_id
        active = self.lib.models.active()
        return active.id if active else None

    def put(self, model_id: str, rows: Iterable[tuple[int, str, float]]) -> int:
        """Store (item, label, confidence) suggestions; decisions already taken are kept."""
        data = [(i, model_id, label, float(conf)) for i, label, conf in rows]
        with self.lib.atomic():
            self.db.conn.executemany(
                "INSERT INTO suggestions (item_id, model_id, label_id, confidence) VALUES (?, ?, ?, ?) "
                "ON CONFLICT(item_id, model_id, label_id) DO UPDATE SET confidence = excluded.confidence",
                data)
        return len(data)

    def of_item(self, item_id: int, model_id: str | None = None,
                    include_decided: bool = False) -> list[tuple[str, float, str]]:
        """(label id, confidence, status) for an item, most confident first, skipping labels
        the item already carries."""
        model = self._model(model_id)
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

    def set_status(self, item_id: int, label_id: str, status: str,
                              model_id: str | None = None) -> None:
        if status not in ("open", "accepted", "rejected"):
            raise ValueError("status must be open, accepted or rejected")
        model = self._model(model_id)
        with self.lib.atomic():
            self.db.execute("UPDATE suggestions SET status = ? WHERE item_id = ? AND label_id = ? "
                            "AND model_id = ?", [status, item_id, label_id, model])
