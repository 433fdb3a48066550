"""Opening a library: the window's and the CLI's one door to the store."""
from __future__ import annotations

from pathlib import Path

from app.store import Library, open_library
from app.store.library import DB_NAME, open_server_library, server_has_library
from app.store.pg import is_dsn, without_password

__all__ = ["DB_NAME", "Library", "has_library", "is_dsn", "as_location", "open_library", "open_server_library", "server_has_library", "shown_location",
           "without_password"]


def as_location(value: str | Path) -> str | Path:
    """A library's location as given (a folder, or a server's connection string): a folder as a
    Path, a connection string untouched (a Path would fold its "//")."""
    return str(value) if is_dsn(str(value)) else Path(value)


def shown_location(lib: Library) -> str:
    """Where a library lives, as shown to people: its folder, or its server without a password."""
    return without_password(lib.dsn) if lib.dsn else str(lib.root)


def has_library(root: Path) -> bool:
    """Whether ``root`` already holds a library (a folder with its database file)."""
    return (Path(root) / DB_NAME).exists()
