"""Named collections of items."""
from __future__ import annotations

import builtins
import sqlite3
from collections.abc import Iterable
from typing import TYPE_CHECKING

from app.core.errors import NotFound, WenyangError
from app.core.models import Collection, now_iso
from app.core.scheme import clean_name, name_key

if TYPE_CHECKING:
    from app.store.library import Library


class CollectionRepository:
    def __init__(self, lib: Library):
        self.lib = lib
        self.db = lib.db

    def create(self, name: str, description: str = "") -> Collection:
        name = clean_name(name)
        if not name:
            raise WenyangError("A collection needs a name.")
        try:
            with self.lib.atomic():
                self._refuse_lookalike(name)
                self.db.execute("INSERT INTO collections (name, description, created) VALUES (?, ?, ?)",
                                [name, description, now_iso()])
        except sqlite3.IntegrityError:
            raise WenyangError(f"A collection named {name!r} already exists.") from None
        return self.get(name)

    def _refuse_lookalike(self, name: str, own_id: int | None = None) -> None:
        """Names that differ only in case, width, spacing or Unicode form are one name to a
        curator (``name_key``): a second collection so named is refused, not created."""
        key = name_key(name)
        for coll_id, other in self.db.execute("SELECT id, name FROM collections").fetchall():
            if coll_id != own_id and name_key(other) == key:
                same = other == name
                raise WenyangError(f"A collection named {other!r} already exists"
                                   + ("" if same else f" ({name!r} differs from it only in case, width, "
                                      "spacing or Unicode form)") + ".")

    def get(self, ref: str | int) -> Collection:
        """A collection by name (in any Unicode form), or by id."""
        if isinstance(ref, str):
            ref = clean_name(ref)
        row = self.db.execute(
            "SELECT c.id, c.name, c.description, c.created, "
            "(SELECT COUNT(*) FROM collection_items ci WHERE ci.collection_id = c.id) "
            "FROM collections c WHERE c.name = ? OR CAST(c.id AS TEXT) = ? ORDER BY c.name = ? DESC",
            [str(ref), str(ref), str(ref)]).fetchone()
        if row is None:
            raise NotFound(f"There is no collection {ref!r}.")
        return Collection(id=row[0], name=row[1], description=row[2], created=row[3], size=row[4])

    def list(self) -> list[Collection]:
        rows = self.db.execute("SELECT name FROM collections ORDER BY name").fetchall()
        return [self.get(r[0]) for r in rows]

    def rename(self, ref: str | int, new_name: str) -> Collection:
        coll = self.get(ref)
        new_name = clean_name(new_name)
        if not new_name:
            raise WenyangError("A collection needs a name.")
        try:
            with self.lib.atomic():
                self._refuse_lookalike(new_name, coll.id)
                self.db.execute("UPDATE collections SET name = ? WHERE id = ?", [new_name, coll.id])
        except sqlite3.IntegrityError:
            raise WenyangError(f"A collection named {new_name!r} already exists.") from None
        return self.get(coll.id)

    def describe(self, ref: str | int, description: str) -> Collection:
        """Set the collection's description (an exhibition's purpose, a loan's terms)."""
        coll = self.get(ref)
        with self.lib.atomic():
            self.db.execute("UPDATE collections SET description = ? WHERE id = ?", [description.strip(), coll.id])
        return self.get(coll.id)

    def place(self, ref: str | int, item_ids: Iterable[int], to: str) -> None:
        """Move members within the collection's own order (an exhibition list): ``to`` is "start",
        "end", "up" (one place before the first of them) or "down" (one after the last)."""
        coll = self.get(ref)
        order = self.member_ids(coll.id)
        moving = [i for i in order if i in set(item_ids)]
        if not moving:
            return
        rest = [i for i in order if i not in set(moving)]
        if to == "start":
            at = 0
        elif to == "end":
            at = len(rest)
        elif to == "up":
            at = max(0, order.index(moving[0]) - 1)
        elif to == "down":
            at = min(len(rest), order.index(moving[-1]) - len(moving) + 2)
        else:
            raise ValueError(f"Unknown place {to!r}: start, end, up or down.")
        new = rest[:at] + moving + rest[at:]
        with self.lib.atomic():
            for position, item_id in enumerate(new):
                self.db.execute("UPDATE collection_items SET position = ? WHERE collection_id = ? AND item_id = ?",
                                [position, coll.id, item_id])

    def delete(self, ref: str | int) -> None:
        """Delete the collection (its items stay in the library)."""
        coll = self.get(ref)
        with self.lib.atomic():
            self.db.execute("DELETE FROM collections WHERE id = ?", [coll.id])

    def add(self, ref: str | int, item_ids: Iterable[int]) -> int:
        """Add items (already present ones are kept in place). Returns how many were new."""
        coll = self.get(ref)
        added = 0
        with self.lib.atomic():
            for item_id in item_ids:
                self.lib.items.get(item_id)  # clear error for unknown items
                cur = self.db.execute(
                    "INSERT OR IGNORE INTO collection_items (collection_id, item_id, position) "
                    "VALUES (?, ?, (SELECT COALESCE(MAX(position), -1) + 1 FROM collection_items "
                    "WHERE collection_id = ?))", [coll.id, item_id, coll.id])
                added += cur.rowcount
        return added

    def remove(self, ref: str | int, item_ids: Iterable[int]) -> int:
        coll = self.get(ref)
        removed = 0
        with self.lib.atomic():
            for item_id in item_ids:
                cur = self.db.execute("DELETE FROM collection_items WHERE collection_id = ? AND item_id = ?",
                                      [coll.id, item_id])
                removed += cur.rowcount
        return removed

    def members(self, ref: str | int) -> builtins.list[int]:
        return self.member_ids(self.get(ref).id)

    def exists(self, name: str) -> bool:
        """Whether a collection has exactly this name."""
        return self.db.execute("SELECT 1 FROM collections WHERE name = ?", [name]).fetchone() is not None

    def member_ids(self, collection_id: int) -> builtins.list[int]:
        """The members of the collection with this id, in their order (by id only: a collection
        may be *named* like another's id, which ``members`` would take as the name)."""
        return [r[0] for r in self.db.execute(
            "SELECT item_id FROM collection_items WHERE collection_id = ? ORDER BY position, item_id",
            [collection_id]).fetchall()]

    def of_item(self, item_id: int) -> builtins.list[str]:
        return [r[0] for r in self.db.execute(
            "SELECT c.name FROM collections c JOIN collection_items ci ON ci.collection_id = c.id "
            "WHERE ci.item_id = ? ORDER BY c.name", [item_id]).fetchall()]
