"""Small helpers for the store's SQL: placeholders and IN lists cut to a safe length."""
from __future__ import annotations

from collections.abc import Iterator, Sequence
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
