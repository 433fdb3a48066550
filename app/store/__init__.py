"""The library store: SQLite through sqlite-utils, numbered migrations, repositories."""
from app.store.library import Library, open_library

__all__ = ["Library", "open_library"]
