"""The store on a PostgreSQL server: a connection that the repositories use as they use SQLite's.

The repositories write SQLite's SQL with ``?`` placeholders. ``PgConnection.execute`` turns a
statement into PostgreSQL's once (cached): placeholders become ``%s``, ``INSERT OR IGNORE``
becomes ``ON CONFLICT DO NOTHING``, ``INSERT OR REPLACE`` an upsert on the table's key, and an
insert into a table with a generated ``id`` returns it (``lastrowid``, as sqlite3 gives).
What cannot be said the same way in both (full-text search, the schema's catalogue, triggers,
deferred foreign keys) is written for each engine where it is used (``Library.on_server``).

The connection runs in autocommit mode and the store's ``BEGIN``/``COMMIT``/``SAVEPOINT``
statements pass through unchanged, as on SQLite, so ``Library.atomic`` works on both.
"""
from __future__ import annotations

import contextlib
import functools
import itertools
import re
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import psycopg
from psycopg import pq

SCHEMES = ("postgresql://", "postgres://")

# Each table's key, for INSERT OR REPLACE (an upsert on that key).
KEYS = {
    "meta": ("key",), "facets": ("id",), "labels": ("id",), "models": ("id",),
    "item_labels": ("item_id", "label_id"), "collection_items": ("collection_id", "item_id"),
    "codes": ("item_id", "model_id", "modality"), "suggestions": ("item_id", "model_id", "label_id"),
    "code_snapshots": ("model_id", "modality"), "photo_signatures": ("item_id",),
    "encode_marks": ("model_id",),
}
# Tables whose row number the database generates, and its column: an insert returns it.
GENERATED_ID = {"items": "id", "photos": "id", "collections": "id", "trash_lone_photos": "rowid"}


ServerError = psycopg.Error
_streams = itertools.count(1)  # names of server-side cursors


def disk_full(exc: BaseException) -> bool:
    """Whether the server refused a write for want of disk space (SQLSTATE 53100)."""
    return isinstance(exc, psycopg.Error) and exc.sqlstate == "53100"


def lost_connection(exc: BaseException) -> bool:
    """Whether ``exc`` says the connection to the server is gone: no answer at all, a
    connection error (class 08), or the server ending it (57P01-57P03: shut down, restarting,
    an administrator's command)."""
    if not isinstance(exc, psycopg.OperationalError):
        return False
    state = exc.sqlstate
    return state is None or state.startswith("08") or state in ("57P01", "57P02", "57P03")


def trouble(exc: psycopg.Error, again: str = "run the command again to finish") -> str:
    """A server's error in one sentence for a curator: a lost connection or a full disk says
    what is kept and what to do; any other error, that nothing more was written."""
    why = str(exc).strip().splitlines()[0] if str(exc).strip() else "no reason given"
    # what happened and what to do first, the server's words last: a status bar shows the start
    if disk_full(exc):
        return (f"the library's server has no space left on its disk. What was saved before that is kept, "
                f"whole; free space on the server, then {again}. Details: {why}")
    if lost_connection(exc):
        return (f"the connection to the library's server was lost. What was saved before that is kept, whole; "
                f"{again}. Details: {why}")
    return f"the library's server reported an error: {why}. Nothing more was written."


def without_password(dsn: str) -> str:
    """``dsn`` with any password replaced by ``***``, for messages."""
    return re.sub(r"(://[^:/@]*:)[^@]*@", r"\1***@", re.sub(r"(password=)[^&\s]*", r"\1***", dsn))


def is_dsn(text: str | object) -> bool:
    """Whether a library location names a PostgreSQL server rather than a folder."""
    return isinstance(text, str) and text.startswith(SCHEMES)


def _outside_quotes(sql: str) -> Iterator[tuple[bool, str]]:
    """``sql`` in pieces, each with whether it is outside a '…' string literal."""
    for i, piece in enumerate(re.split(r"('(?:[^']|'')*')", sql)):
        yield i % 2 == 0, piece


_GROUP_CONCAT = re.compile(r"\bgroup_concat\(([\w.]+)\)", re.I)
_NAMED = re.compile(r"(?<![:\w]):([A-Za-z_]\w*)")  # sqlite3's :name placeholders
_INSERT = re.compile(r"^\s*INSERT\s+(?:OR\s+(IGNORE|REPLACE)\s+)?INTO\s+(\w+)\s*(\(([^)]*)\))?", re.I | re.S)


@functools.lru_cache(maxsize=2048)
def translate(sql: str) -> tuple[str, bool]:
    """PostgreSQL's text of the store's statement ``sql``, and whether it returns a new id."""
    out = []
    for outside, piece in _outside_quotes(sql):
        if outside:
            piece = _NAMED.sub(r"%(\1)s", piece.replace("%", "%%").replace("?", "%s"))
            piece = _GROUP_CONCAT.sub(r"string_agg(CAST(\1 AS TEXT), ',')", piece)
        else:
            piece = piece.replace("%", "%%")
        out.append(piece)
    text = "".join(out)
    match = _INSERT.match(text)
    if not match:
        return text, False
    conflict, table, _, columns = match.groups()
    text = text[:match.start()] + re.sub(r"\s+OR\s+(IGNORE|REPLACE)", "", text[:match.end()], count=1, flags=re.I) \
        + text[match.end():]
    if conflict and conflict.upper() == "IGNORE":
        text += " ON CONFLICT DO NOTHING"
    elif conflict:
        key = KEYS.get(table.lower())
        if key is None or columns is None:
            raise ValueError(f"INSERT OR REPLACE into {table} needs a known key and named columns")
        names = [c.strip() for c in columns.split(",")]
        updates = ", ".join(f"{c} = EXCLUDED.{c}" for c in names if c not in key)
        text += f" ON CONFLICT ({', '.join(key)}) " + (f"DO UPDATE SET {updates}" if updates else "DO NOTHING")
    generated = GENERATED_ID.get(table.lower())
    returns = generated is not None and " RETURNING " not in text.upper()
    if returns:
        text += f" RETURNING {generated}"
    return text, returns


@functools.lru_cache(maxsize=512)
def explicit_number(sql: str) -> tuple[str, str] | None:
    """(table, column) when ``sql`` inserts rows carrying their own generated number (a restore
    from the trash, a copy): the table's sequence must then move past them."""
    match = _INSERT.match(sql)
    if not match:
        return None
    table, columns = match.group(2).lower(), match.group(4)
    generated = GENERATED_ID.get(table)
    if generated is None:
        return None
    if columns is None or generated in [c.strip().lower() for c in columns.split(",")]:
        return table, generated
    return None


# The server processes serving this program's own connections: their announcements of writes
# are this program's own, which its windows already know of.
OWN_BACKENDS: set[int] = set()


class Listener:
    """A connection of its own waiting for the announcements of writes (``schema_pg.CHANNEL``)."""

    def __init__(self, dsn: str, channel: str):
        self.raw = psycopg.connect(dsn, autocommit=True)
        self.raw.execute(f"LISTEN {channel}")

    def wait(self, seconds: float) -> list[str]:
        """The payloads announced by other programs' connections within ``seconds``."""
        return [n.payload for n in self.raw.notifies(timeout=seconds) if n.pid not in OWN_BACKENDS]

    def drained(self) -> list[str]:
        """The announcements (anyone's, this program's too) that arrived since the last call,
        read from what the server has already sent, without waiting."""
        return [n.payload for n in self.raw.notifies(timeout=0)]

    def close(self) -> None:
        self.raw.close()


class PgCursor:
    """What sqlite3's cursor gives the store: rows, ``lastrowid`` and ``rowcount``."""

    def __init__(self, cursor: psycopg.Cursor, returns_id: bool):
        self._cursor = cursor
        self.lastrowid: int | None = None
        self.rowcount = cursor.rowcount
        self._first: tuple | None = None
        if returns_id:
            row = cursor.fetchone() if cursor.description else None
            self.lastrowid = int(row[0]) if row else None

    @property
    def description(self):
        return self._cursor.description

    def fetchone(self) -> tuple | None:
        return self._cursor.fetchone() if self._cursor.description else None

    def fetchall(self) -> list[tuple]:
        return self._cursor.fetchall() if self._cursor.description else []

    def fetchmany(self, size: int) -> list[tuple]:
        return self._cursor.fetchmany(size) if self._cursor.description else []

    def __iter__(self) -> Iterator[tuple]:
        return iter(self._cursor) if self._cursor.description else iter(())

    def close(self) -> None:
        self._cursor.close()


def _writes(cursor: psycopg.Cursor) -> bool:
    """Whether the statement just run wrote rows (an insert returning its id too)."""
    return (cursor.statusmessage or "").split(" ", 1)[0] in ("INSERT", "UPDATE", "DELETE", "MERGE", "COPY")


def _reads(text: str) -> bool:
    """Whether to ask for a query's rows in binary: a photo signature (1.6 kB) comes 2-3x faster
    than as hex text, and numbers need no parsing. Only queries: a statement sent in binary goes
    through the extended protocol, one statement at a time."""
    return text.lstrip()[:6].upper() == "SELECT"


class _NoRows:
    """The result of a statement that needed nothing sent (a lost change's ROLLBACK)."""

    lastrowid = None
    rowcount = 0
    description = None

    def fetchone(self) -> None:
        return None

    def fetchall(self) -> list:
        return []

    def fetchmany(self, size: int) -> list:
        return []

    def __iter__(self) -> Iterator[tuple]:
        return iter(())


_NOTHING: Any = _NoRows()


class PgConnection:
    """A psycopg connection with the part of sqlite3.Connection's manner the store uses."""

    dialect = "postgresql"

    def __init__(self, dsn: str):
        self.dsn = dsn
        self.total_changes = 0
        self._closed = False
        self._in_change = False  # a transaction begun here and not yet ended
        self._connect()

    def _connect(self) -> None:
        self.raw = psycopg.connect(self.dsn, autocommit=True)
        self._pid = self.raw.info.backend_pid
        OWN_BACKENDS.add(self._pid)

    @property
    def lost(self) -> bool:
        """Whether the server ended this connection (a restart, a network cut, an administrator)."""
        return not self._closed and (self.raw.closed or self.raw.broken)

    def _ready(self, sql: str = "") -> bool:
        """Before a statement: connect again where the server ended the connection. The
        statement that found it gone failed, and the server rolled its transaction back; so a
        window or a long job goes on once the server is back, having lost only the change under
        way. Within that change (its BEGIN went to the lost connection) every later statement
        fails too, and its ROLLBACK ends it here (True: nothing to send)."""
        if not self.lost:
            return False
        head = sql.lstrip()[:32].upper()
        if self._in_change and not head.startswith("BEGIN"):  # (a new change: the lost one was left)
            if head.startswith(("ROLLBACK", "RELEASE")):
                if "SAVEPOINT" not in head:
                    self._in_change = False
                return True
            if head.startswith("COMMIT"):  # the change cannot be committed: it is over, undone
                self._in_change = False
            raise psycopg.OperationalError("the connection to the library's server was lost during this change")
        self._in_change = False
        OWN_BACKENDS.discard(self._pid)
        self._connect()
        return False

    def _note_transaction(self, sql: str) -> None:
        head = sql.lstrip()[:32].upper()  # every statement passes here: only its first words
        if head.startswith("BEGIN"):
            self._in_change = True
        elif head.startswith(("COMMIT", "ROLLBACK")) and "SAVEPOINT" not in head:
            self._in_change = False

    @property
    def database(self) -> str:
        return self.raw.info.dbname

    def execute(self, sql: str, params: Sequence[Any] | None = None) -> PgCursor:
        if self._ready(sql):
            return _NOTHING
        text, returns = translate(sql)
        cursor = self.raw.cursor()
        args = params if isinstance(params, dict) else list(params) if params is not None else []
        cursor.execute(text, args, binary=_reads(text))  # type: ignore[arg-type]
        self._note_transaction(sql)
        if cursor.rowcount and cursor.rowcount > 0 and _writes(cursor):
            self.total_changes += cursor.rowcount
        result = PgCursor(cursor, returns)
        numbered = explicit_number(sql)
        if numbered and cursor.rowcount:
            self._follow_sequence(*numbered)
        return result

    @contextlib.contextmanager
    def streamed(self, sql: str, params: Sequence[Any] = (), page: int = 2000) -> Iterator[Iterator[tuple]]:
        """The rows of a query as the caller reads them, ``page`` at a time from a server-side
        cursor (in binary), so that a caller that stops early leaves the rest unread, as with
        sqlite3's cursors."""
        self._ready(sql)
        text, _ = translate(sql)
        opened = contextlib.nullcontext() if self.in_transaction else self.raw.transaction()
        with opened, self.raw.cursor(name=f"wenyang_stream_{next(_streams)}", binary=True) as cursor:
            cursor.itersize = page
            cursor.execute(text, list(params))
            yield iter(cursor)

    def follow_sequences(self) -> None:
        """Every generated number's sequence past the table's highest (after a bulk copy)."""
        for table, column in GENERATED_ID.items():
            self._follow_sequence(table, column)

    def _follow_sequence(self, table: str, column: str) -> None:
        """Set ``table``'s sequence to its highest number, as SQLite numbers a new row after the
        highest (rows inserted with their own numbers would otherwise meet the sequence later)."""
        self.raw.execute(f"SELECT setval(pg_get_serial_sequence('{table}', '{column}'), "
                         f"(SELECT COALESCE(MAX({column}), 0) + 1 FROM {table}), false)")

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> PgCursor:
        self._ready(sql)
        text, _ = translate(sql)
        cursor = self.raw.cursor()
        cursor.executemany(text, [list(r) for r in rows])  # type: ignore[arg-type]
        if cursor.rowcount and cursor.rowcount > 0:
            self.total_changes += cursor.rowcount
        return PgCursor(cursor, False)

    def commit(self) -> None:
        """As sqlite3's in autocommit mode: statements are committed as they run."""
        if self.in_transaction:
            self.execute("COMMIT")

    @property
    def in_transaction(self) -> bool:
        """As sqlite3's. Once the connection is lost: whether a change begun on it has not yet
        been ended (rolled back) here."""
        if self.raw.closed or self.raw.broken:
            return self._in_change
        return self.raw.info.transaction_status != pq.TransactionStatus.IDLE

    def close(self) -> None:
        self._closed = True
        OWN_BACKENDS.discard(self._pid)
        if not self.raw.closed:  # closed twice (sqlite3 allows it), or by the server: nothing to do
            self.raw.close()


class _Table:
    """The two sqlite-utils table calls the store makes, on PostgreSQL."""

    def __init__(self, db: PgDatabase, name: str):
        self.db, self.name = db, name

    def insert_all(self, rows: Iterable[dict], replace: bool = False) -> None:
        rows = list(rows)
        if not rows:
            return
        columns = list(rows[0])
        verb = "INSERT OR REPLACE" if replace else "INSERT"
        self.db.conn.executemany(f"{verb} INTO {self.name} ({', '.join(columns)}) "
                                 f"VALUES ({', '.join('?' * len(columns))})", [[r[c] for c in columns] for r in rows])

    def delete_where(self, where: str, args: Sequence[Any]) -> None:
        self.db.execute(f"DELETE FROM {self.name} WHERE {where}", args)


class PgDatabase:
    """What ``sqlite_utils.Database`` gives the store (``execute``, ``conn``, ``atomic``,
    ``table``), over one ``PgConnection``."""

    dialect = "postgresql"

    def __init__(self, conn: PgConnection):
        self.conn = conn
        self._savepoints = 0

    def execute(self, sql: str, params: Sequence[Any] | None = None) -> PgCursor:
        return self.conn.execute(sql, params)

    def table(self, name: str) -> _Table:
        return _Table(self, name)

    @contextlib.contextmanager
    def atomic(self) -> Iterator[PgDatabase]:
        """A savepoint inside the open transaction."""
        self._savepoints += 1
        name = f"wenyang_{self._savepoints}"
        self.conn.execute(f"SAVEPOINT {name}")
        try:
            yield self
        except BaseException:
            if self.conn.in_transaction:  # (once the connection is lost these only end it here)
                self.conn.execute(f"ROLLBACK TO SAVEPOINT {name}")
                self.conn.execute(f"RELEASE SAVEPOINT {name}")
            raise
        finally:
            self._savepoints -= 1
        self.conn.execute(f"RELEASE SAVEPOINT {name}")

    def close(self) -> None:
        self.conn.close()
