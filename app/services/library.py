"""Opening a library: the window's and the CLI's one door to the store."""
from __future__ import annotations

from pathlib import Path

from app.store import Library, open_library
from app.store.library import DB_NAME

__all__ = ["DB_NAME", "Library", "has_library", "open_library"]


def has_library(root: Path) -> bool:
    """Whether ``root`` already holds a library (a folder with its database file)."""
    return (Path(root) / DB_NAME).exists()
