"""Small helpers for the store's SQL: placeholders and IN lists cut to a safe length."""
from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import TypeVar

T = TypeVar("T")
CHUNK = 500  # values per IN list (and items per re-index transaction): far below SQLite's limit


def marks(values: Sequence) -> str:
    """``?, ?, ?`` for ``values``."""
    return ", ".join("?" * len(values))


def chunks(values: Sequence[T], size: int = CHUNK) -> Iterator[Sequence[T]]:
    """``values`` in slices of at most ``size``."""
    for start in range(0, len(values), size):
        yield values[start:start + size]


def rows_in(db, sql: str, values: Iterable, args: Sequence = (), tail: str = "") -> Iterator[tuple]:
    """The rows of ``{sql} IN (…) {tail}`` over sorted distinct ``values``, one IN list per chunk
    (``args`` bind the placeholders of ``sql`` before the list)."""
    ordered = sorted(set(values))
    if not ordered:
        return
    if getattr(db, "dialect", "sqlite") == "postgresql":
        # One statement whatever the count, its text the same each time, so that the connection
        # prepares it once; an IN list's text changes with its length, planned afresh each time.
        yield from (tuple(r) for r in db.execute(f"{sql} = ANY(?) {tail}", [*args, ordered]))
        return
    for chunk in chunks(ordered):
        yield from (tuple(r) for r in db.execute(f"{sql} IN ({marks(chunk)}) {tail}", [*args, *chunk]))


def passing_sql(label_groups: Iterable[Iterable[str]] = (), collection: int | None = None) -> tuple[str, list]:
    """``SELECT id FROM items WHERE …`` for ``ItemRepository.passing`` (and counts within it)."""
    sql = "SELECT id FROM items WHERE 1 = 1"
    args: list[str | int] = []
    for group in label_groups:
        ids = sorted(group)
        sql += f" AND id IN (SELECT item_id FROM item_labels WHERE label_id IN ({marks(ids)}))"
        args += ids
    if collection is not None:
        sql += " AND id IN (SELECT item_id FROM collection_items WHERE collection_id = ?)"
        args.append(collection)
    return sql, args


def table_shape(db, table: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The columns of ``table`` in order, and its primary key's, from the engine's catalogue."""
    if getattr(db, "dialect", "sqlite") == "postgresql":
        columns = tuple(r[0] for r in db.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() "
            "AND table_name = ? ORDER BY ordinal_position", [table]))
        key = tuple(r[0] for r in db.execute(
            "SELECT k.column_name FROM information_schema.table_constraints c "
            "JOIN information_schema.key_column_usage k ON k.constraint_name = c.constraint_name "
            "AND k.table_schema = c.table_schema AND k.table_name = c.table_name "
            "WHERE c.table_schema = current_schema() AND c.table_name = ? AND c.constraint_type = 'PRIMARY KEY' "
            "ORDER BY k.ordinal_position", [table]))
        return columns, key
    info = db.execute(f"PRAGMA table_info({table})").fetchall()
    return tuple(r[1] for r in info), tuple(r[1] for r in sorted((r for r in info if r[5]), key=lambda r: r[5]))
