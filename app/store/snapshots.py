"""Rows as they were before a change, and putting them back: the exact undo of every op.

An op names the rows it may touch (``Scope``: a table, or the rows of a table whose column
holds one of some values) before it runs; ``take`` reads them, and ``put_back`` later makes
those rows exactly what they were — rows the op added are deleted, rows it changed or
deleted come back with every column as it was (timestamps included). Putting back is itself
a change, so its caller takes the same scopes first: that snapshot is the redo.

Change counters (the scheme's and the codes' versions) are not put back but advanced: other
connections cache the scheme and the search indexes by them and must reload.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from app.store.sql import chunks, marks

if TYPE_CHECKING:
    from app.store.library import Library

# Parents before children: rows go back in this order and are deleted in the reverse one.
ORDER = ("facets", "labels", "items", "photos", "collections", "collection_items", "item_labels",
         "models", "suggestions", "codes")
COUNTERS = {"facets": "scheme_version", "labels": "scheme_version", "codes": "codes_version"}


@dataclass(frozen=True)
class Scope:
    """Rows of ``table``: all of them, or those whose ``column`` holds one of ``values``."""

    table: str
    column: str | None = None
    values: tuple = ()


@dataclass(frozen=True)
class Rows:
    """The rows of one scope as they were."""

    scope: Scope
    columns: tuple[str, ...]
    key: tuple[str, ...]
    rows: tuple[tuple, ...]


class SnapshotStore:
    def __init__(self, lib: Library):
        self.lib = lib
        self.db = lib.db

    def take(self, scopes: Iterable[Scope]) -> tuple[Rows, ...]:
        """The rows of every scope, now."""
        out = []
        for scope in scopes:
            if scope.table not in ORDER:
                raise ValueError(f"No undo for table {scope.table!r}.")
            columns, key = self._shape(scope.table)
            out.append(Rows(scope, columns, key, tuple(self._select(scope, ", ".join(columns)))))
        return tuple(out)

    def put_back(self, snapshot: Iterable[Rows]) -> None:
        """Make every scope's rows exactly what ``snapshot`` holds, in one transaction."""
        snapshot = sorted(snapshot, key=lambda r: ORDER.index(r.scope.table))
        with self.lib.atomic():
            self.db.execute("PRAGMA defer_foreign_keys = ON")  # a label's parent may come back later
            for rows in reversed(snapshot):
                self._delete_added(rows)
            for rows in snapshot:
                self._restore(rows)
            for counter in sorted({COUNTERS[r.scope.table] for r in snapshot if r.scope.table in COUNTERS}):
                self.db.execute("INSERT INTO meta (key, value) VALUES (?, '1') ON CONFLICT(key) "
                                "DO UPDATE SET value = CAST(value AS INTEGER) + 1", [counter])

    # -- helpers ---------------------------------------------------------------------------
    def _shape(self, table: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
        info = self.db.execute(f"PRAGMA table_info({table})").fetchall()
        columns = tuple(r[1] for r in info)
        key = tuple(r[1] for r in sorted((r for r in info if r[5]), key=lambda r: r[5]))
        return columns, key

    def _select(self, scope: Scope, what: str) -> list[tuple]:
        if scope.column is None:
            return [tuple(r) for r in self.db.execute(f"SELECT {what} FROM {scope.table}")]
        out = []
        for chunk in chunks(list(scope.values)):
            out += [tuple(r) for r in self.db.execute(
                f"SELECT {what} FROM {scope.table} WHERE {scope.column} IN ({marks(chunk)})", list(chunk))]
        return out

    def _delete_added(self, rows: Rows) -> None:
        """Delete the rows in scope that the snapshot does not hold (the change added them)."""
        at = [rows.columns.index(k) for k in rows.key]
        kept = {tuple(r[i] for i in at) for r in rows.rows}
        where = " AND ".join(f"{k} = ?" for k in rows.key)
        for current in self._select(rows.scope, ", ".join(rows.key)):
            if current not in kept:
                self.db.execute(f"DELETE FROM {rows.scope.table} WHERE {where}", list(current))

    def _restore(self, rows: Rows) -> None:
        """Insert the snapshot's rows, or set every column of those still there."""
        table, columns = rows.scope.table, rows.columns
        others = [c for c in columns if c not in rows.key]
        on_conflict = (f"ON CONFLICT({', '.join(rows.key)}) DO UPDATE SET "
                       + ", ".join(f"{c} = excluded.{c}" for c in others)) if others else \
            f"ON CONFLICT({', '.join(rows.key)}) DO NOTHING"
        sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks(columns)}) {on_conflict}"
        self.db.conn.executemany(sql, rows.rows)
