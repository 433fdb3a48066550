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
    for chunk in chunks(ordered):
        yield from (tuple(r) for r in db.execute(f"{sql} IN ({marks(chunk)}) {tail}", [*args, *chunk]))


def passing_sql(label_groups: Iterable[Iterable[str]] = (), collection: int | None = None) -> tuple[str, list]:
    """``SELECT id FROM items WHERE …`` for ``ItemRepository.passing`` (and counts within it)."""
    sql = "SELECT id FROM items WHERE 1"
    args: list[str | int] = []
    for group in label_groups:
        ids = sorted(group)
        sql += f" AND id IN (SELECT item_id FROM item_labels WHERE label_id IN ({marks(ids)}))"
        args += ids
    if collection is not None:
        sql += " AND id IN (SELECT item_id FROM collection_items WHERE collection_id = ?)"
        args.append(collection)
    return sql, args
