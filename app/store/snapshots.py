"""Rows as they were before a change, and putting them back: the exact undo of every op.

An op names the rows it may touch (``Scope``: a table, or the rows of a table whose column
holds one of some values) before it runs; ``take`` reads them, and ``put_back`` later makes
those rows exactly what they were — rows the op added are deleted, rows it changed or
deleted come back with every column as it was (timestamps included). Putting back is itself
a change, so its caller takes the same scopes first: that snapshot is the redo.

Change counters (the scheme's, the codes' and the signatures' versions) are not put back but
advanced: other connections cache the scheme and the search indexes by them and must reload.

A long job (an import, a training, an encoding) cannot name its rows before it starts: it
learns them as it goes. It keeps a ``Recorder`` and names each set of rows just before it
first writes them (``before``), or, for rows it has just created, says they were not there
(``absent``); the recorder's rows are then its undo, exactly as an op's snapshot is.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from app.store.codes import MODALITIES, MODALITY_BUMP, version_key
from app.store.sql import chunks, marks, table_shape

if TYPE_CHECKING:
    from app.store.library import Library

# Parents before children: rows go back in this order and are deleted in the reverse one.
ORDER = ("facets", "labels", "items", "photos", "collections", "collection_items", "item_labels",
         "models", "suggestions", "codes", "code_snapshots", "encode_marks", "photo_signatures", "meta")
COUNTERS = {"facets": "scheme_version", "labels": "scheme_version", "codes": "codes_version",
            "photo_signatures": "signatures_version"}


@dataclass(frozen=True)
class Scope:
    """Rows of ``table``: all of them, or those whose ``column`` holds one of ``values``;
    ``where`` narrows either to rows whose columns equal the given values."""

    table: str
    column: str | None = None
    values: tuple = ()
    where: tuple[tuple[str, Any], ...] = ()

    def conditions(self) -> tuple[str, list]:
        """The SQL condition (without WHERE; '1 = 1' for all rows) and its fixed parameters."""
        parts = [f"{c} = ?" for c, _ in self.where]
        return " AND ".join(parts) or "1 = 1", [v for _, v in self.where]


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
            columns, key = self._shape(scope.table)
            out.append(Rows(scope, columns, key, tuple(self._select(scope, ", ".join(columns)))))
        return tuple(out)

    def none(self, scope: Scope) -> Rows:
        """The scope holding no rows: put back, it deletes whatever the scope holds then."""
        columns, key = self._shape(scope.table)
        return Rows(scope, columns, key, ())

    def recorder(self) -> Recorder:
        return Recorder(self)

    def put_back(self, snapshot: Iterable[Rows]) -> None:
        """Make every scope's rows exactly what ``snapshot`` holds, in one transaction."""
        snapshot = sorted(snapshot, key=lambda r: ORDER.index(r.scope.table))
        with self.lib.atomic():
            # A label's parent may come back later in the transaction: check references at its end.
            self.db.execute("SET CONSTRAINTS ALL DEFERRED" if self.lib.on_server else "PRAGMA defer_foreign_keys = ON")
            for rows in reversed(snapshot):
                self._delete_added(rows)
            for rows in snapshot:
                self._restore(rows)
            counters = sorted({COUNTERS[r.scope.table] for r in snapshot if r.scope.table in COUNTERS})
            for counter in counters:
                self.db.execute("INSERT INTO meta (key, value) VALUES (?, '1') ON CONFLICT(key) "
                                "DO UPDATE SET value = CAST(CAST(meta.value AS INTEGER) + 1 AS TEXT)", [counter])
            if "codes_version" in counters:  # and each modality's (``app.store.codes.MODALITY_BUMP``)
                for modality in MODALITIES:
                    self.db.execute(MODALITY_BUMP, [version_key(modality)])

    # -- helpers ---------------------------------------------------------------------------
    def _shape(self, table: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
        if table not in ORDER:
            raise ValueError(f"No undo for table {table!r}.")
        return table_shape(self.db, table)

    def _select(self, scope: Scope, what: str) -> list[tuple]:
        where, fixed = scope.conditions()
        sql = f"SELECT {what} FROM {scope.table} WHERE {where}"
        if scope.column is None:
            return [tuple(r) for r in self.db.execute(sql, fixed)]
        out = []
        for chunk in chunks(list(scope.values)):
            out += [tuple(r) for r in self.db.execute(
                f"{sql} AND {scope.column} IN ({marks(chunk)})", [*fixed, *chunk])]
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


class Recorder:
    """The rows a long job touched, as they were before it first touched them (see the module).

    Each row is recorded once: naming it again (a later batch, an overlapping scope) keeps
    what was recorded first, which is what it was before the job."""

    def __init__(self, store: SnapshotStore | None):
        self.store = store  # None: record nothing (a run nobody will undo)
        self._rows: list[Rows] = []
        self._seen: dict[tuple, set] = {}

    @classmethod
    def off(cls) -> Recorder:
        return cls(None)

    def before(self, table: str, column: str | None = None, values=(), where=()) -> None:
        """Record these rows as they are now: call it just before writing them."""
        if self.store is None:
            return
        scope = self._new(table, column, values, where)
        if scope is not None:
            self._rows.extend(self.store.take([scope]))

    def absent(self, table: str, column: str, values, where=()) -> None:
        """Record that these rows were not there: call it just after creating them."""
        if self.store is None:
            return
        scope = self._new(table, column, values, where)
        if scope is not None:
            self._rows.append(self.store.none(scope))

    def rows(self) -> tuple[Rows, ...]:
        return tuple(self._rows)

    def _new(self, table: str, column: str | None, values, where) -> Scope | None:
        """The part of the scope not recorded yet (None when nothing is new)."""
        where = tuple(where)
        seen = self._seen.setdefault((table, column, where), set())
        fresh = tuple(dict.fromkeys(v for v in values if v not in seen)) if column else (() if seen else (None,))
        if not fresh:
            return None
        seen.update(fresh)
        return Scope(table, column, fresh if column else (), where)
