"""Opening a library: the window's and the CLI's one door to the store."""
from __future__ import annotations

from pathlib import Path

from app.store import Library, open_library
from app.store.library import DB_NAME, grant_curators, open_server_library, server_has_library
from app.store.pg import ServerError, is_dsn, without_password
from app.store.pg import trouble as server_trouble

__all__ = ["DB_NAME", "ChangeWatch", "Library", "as_location", "changes_announced", "grant_curators", "has_library", "is_dsn",
           "open_library", "open_server_library", "server_has_library", "ServerError", "explained", "server_trouble", "short_location", "shown_location",
           "without_password"]


def as_location(value: str | Path) -> str | Path:
    """A library's location as given (a folder, or a server's connection string): a folder as a
    Path, a connection string untouched (a Path would fold its "//")."""
    return str(value) if is_dsn(str(value)) else Path(value)


def short_location(lib: Library) -> str:
    """``shown_location`` without a server address's options (socket folder, port...), for the
    status bar, where a long address leaves no room for messages."""
    return shown_location(lib).split("?", 1)[0]


def shown_location(lib: Library) -> str:
    """Where a library lives, as shown to people: its folder, or its server without a password."""
    return without_password(lib.dsn) if lib.dsn else str(lib.root)


def has_library(root: Path) -> bool:
    """Whether ``root`` already holds a library (a folder with its database file)."""
    return (Path(root) / DB_NAME).exists()


def explained(exc: BaseException) -> str:
    """What the window says of a failed task: a server's error in a curator's words (a lost
    connection: what is kept, and that doing it again works once the server answers), else
    the error's own message."""
    return server_trouble(exc, again="do it again") if isinstance(exc, ServerError) else str(exc)


def changes_announced(payloads: list[str]):
    """What other workstations' writes (``app.store.schema_pg`` migration 12's announcements:
    "table EVENT" or "table EVENT:id,id,…") changed, as the window's ``Changes``."""
    from app.services.ops import Changes

    out = Changes()
    for payload in payloads:
        head, _, ids_text = payload.partition(":")
        table, _, event = head.partition(" ")
        ids = frozenset(int(i) for i in ids_text.split(",") if i.strip().isdigit())
        many = not ids_text  # too many items to name (or none): reload the lot
        if table == "items":
            out |= Changes(items=ids, item_set=event != "UPDATE" or many)
        elif table == "photos":
            out |= Changes(items=ids, photos=True, item_set=many)
        elif table == "item_labels":
            out |= Changes(items=ids, tags=True, item_set=many)
        elif table == "suggestions":
            out |= Changes(items=ids, suggestions=True)
        elif table in ("collections", "collection_items"):
            out |= Changes(items=ids, collections=True)
        elif table in ("labels", "facets"):
            out |= Changes(scheme=True, tags=True)
        elif table == "models":
            out |= Changes(models=True)
    return out


class ChangeWatch:
    """Other workstations' writes to a library on a PostgreSQL server, reported as the window's
    ``Changes`` to ``report`` (called on the watch's own thread) about every ``every`` seconds
    while they come: a burst of writes (an import on another workstation) is one report per
    interval, not one per item. Nothing is watched for an SQLite library (``start`` returns None)."""

    def __init__(self, dsn: str, report, every: float = 0.5):
        import threading

        from app.store.pg import Listener
        from app.store.schema_pg import CHANNEL

        self.report, self.every = report, every
        self._listen = lambda: Listener(dsn, CHANNEL)
        self.listener: Listener | None = self._listen()
        self.running = True
        self.thread = threading.Thread(target=self._run, name="wenyang-change-watch", daemon=True)
        self.thread.start()

    @classmethod
    def start(cls, lib: Library, report, every: float = 0.5) -> ChangeWatch | None:
        return cls(lib.dsn, report, every) if lib.dsn else None

    def _run(self) -> None:
        import time

        from app.services.ops import Changes

        while self.running:
            try:
                if self.listener is None:  # the server went away: listen again once it is back,
                    self.listener = self._listen()  # and reload everything written meanwhile
                    self.report(Changes(item_set=True, tags=True, scheme=True, collections=True,
                                        suggestions=True, models=True, photos=True))
                payloads = self.listener.wait(self.every)
                if payloads and self.running:
                    changes = changes_announced(payloads)
                    if changes:
                        self.report(changes)
            except ServerError:
                if self.listener is not None:
                    self.listener.close()
                self.listener = None
                time.sleep(max(self.every, 1.0))
            except Exception:  # noqa: BLE001 - e.g. the window went away: stop watching
                self.running = False
        if self.listener is not None:
            self.listener.close()

    def stop(self) -> None:
        self.running = False
        self.thread.join(timeout=2 * self.every + 1)
