"""A library is a folder: ``library.sqlite`` + ``thumbnails/`` + ``models/``."""
from __future__ import annotations

import collections
import contextlib
import json
import os
import sqlite3
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar, overload

import sqlite_utils

from app.core.errors import LibraryError
from app.core.scheme import LabelScheme
from app.paths import resource
from app.store import migrations

DB_NAME = "library.sqlite"
# How long a writer waits for another process's transaction (two imports, a tagger and a
# trainer at once) before giving up; transactions are short, so this is only ever reached
# when another program holds the library.
BUSY_TIMEOUT_MS = 30_000
# On a PostgreSQL server: the advisory lock that a write transaction holds (one writer at a time).
WRITE_LOCK = 0x57454E5A
T = TypeVar("T")
HEARD_KEPT = 100_000  # announcements of the codes kept for ``announced_since`` (a few per item encoded)
ANNOUNCED_FROM = 14  # the migration from which every write that search keeps something of is announced


class Library:
    """An open library. Repositories hang off it: ``items``, ``labels``, ``collections``,
    ``models``, ``codes``, ``suggestions``, ``keywords``, ``signatures``."""

    def __init__(self, root: Path, db, read_only: bool = False, dsn: str | None = None):
        from app.store.codes import CodeRepository
        from app.store.collections import CollectionRepository
        from app.store.evidence import EvidenceRepository
        from app.store.items import ItemRepository
        from app.store.keywords import KeywordRepository
        from app.store.labels import LabelRepository
        from app.store.models import ModelRepository
        from app.store.signatures import SignatureRepository
        from app.store.snapshots import SnapshotStore
        from app.store.suggestions import SuggestionRepository
        from app.store.trash import TrashRepository

        self.root = root  # on PostgreSQL: the shared folder of its photos, thumbnails and models
        self.db = db      # sqlite_utils.Database, or app.store.pg.PgDatabase
        self.dsn = dsn    # the PostgreSQL server's connection string, or None for an SQLite file
        self.read_only = read_only  # on a read-only medium: browse, search and export only
        self.items = ItemRepository(self)
        self.labels = LabelRepository(self)
        self.collections = CollectionRepository(self)
        self.signatures = SignatureRepository(self)
        self.models = ModelRepository(self)            # trained models and which is active
        self.codes = CodeRepository(self)              # the codes each model gave each item
        self.suggestions = SuggestionRepository(self)  # labels the active model suggests
        self.keywords = KeywordRepository(self)
        self.evidence = EvidenceRepository(self)  # tags and suggestions in bulk, and what changed
        self.snapshots = SnapshotStore(self)  # rows as they were: the undo of every op
        self.trash = TrashRepository(self)    # deleted items, restorable as they were
        self._kept: dict[str, tuple] = {}  # ``unchanged``'s reads, with the write stamp they were made at
        self._hearing = threading.Lock()
        self._listener: Any = None  # on a server: the connection hearing writes' announcements (False: none)
        self._heard = 0  # how many announcements it has heard
        # the latest announcements about the codes, each with its number among all heard
        self._recent: collections.deque[tuple[int, str]] = collections.deque(maxlen=HEARD_KEPT)
        self._forgotten = 0  # the number of the newest one no longer kept

    # -- locations -------------------------------------------------------------------------
    @property
    def location(self) -> str | Path:
        """What ``open_library`` opens this library again from: its folder, or its server."""
        return self.dsn or self.root

    @property
    def on_server(self) -> bool:
        return self.dsn is not None

    @property
    def db_path(self) -> Path:
        return self.root / DB_NAME

    @property
    def thumbnails_dir(self) -> Path:
        return self.root / "thumbnails"

    @property
    def models_dir(self) -> Path:
        return self.root / "models"

    @property
    def cache_dir(self) -> Path:
        """What search keeps in memory, saved so the next process need not read it all again
        (``app.store.cache``); safe to delete."""
        return self.root / "cache"

    @property
    def photos_dir(self) -> Path:
        """Where photos are copied when the curator asks for copies."""
        return self.root / "photos"

    def require_writable(self, action: str) -> None:
        """Refuse ``action`` (e.g. "import photos") up front on a read-only library, before any
        work that would be lost at the first write."""
        if self.read_only:
            raise LibraryError(f"The library at {self.root} is read-only (a read-only disk or share, or no "
                               f"permission to write), so it cannot {action}. Browsing, search and export "
                               "work; to change it, copy it to a writable folder.")

    def clean_temporaries(self, deep: bool = False) -> list[Path]:
        """Remove what killed processes left half-written (``app.core.tempfiles``): model
        exports always, and with ``deep`` also thumbnails and copied photos (a walk over
        every thumbnail folder, so it runs before an import rather than on every open)."""
        from app.core.tempfiles import clean_stale

        if self.read_only:
            return []
        removed = clean_stale(self.models_dir, ("*.partial", ".*.part"))
        with contextlib.suppress(sqlite3.OperationalError):  # another process is writing: next time
            self.evidence.prune()
            if self.codes.changes_logged:
                from app.store.evidence import KEEP_MARKS

                self.codes.prune_changes(KEEP_MARKS)
        if deep:
            for folder in (self.thumbnails_dir, self.photos_dir):
                removed += clean_stale(folder, ("*/*.part",))
        return removed

    # -- transactions and metadata ---------------------------------------------------------
    @contextlib.contextmanager
    def not_waiting(self) -> Iterator[None]:
        """On SQLite, within it a statement that finds another program's write lock fails at
        once (sqlite3.OperationalError) instead of waiting for it: for work that can wait for
        a later occasion (pruning a log, leaving a snapshot). On a server, nothing changes."""
        if self.on_server:
            yield
            return
        conn = self.db.conn
        waited = conn.execute("PRAGMA busy_timeout").fetchone()[0]
        conn.execute("PRAGMA busy_timeout = 0")
        try:
            yield
        finally:
            conn.execute(f"PRAGMA busy_timeout = {int(waited)}")

    @contextlib.contextmanager
    def atomic(self) -> Iterator[sqlite_utils.Database]:
        """One transaction (a savepoint when nested): all or nothing.

        The outermost one takes the write lock at once (``BEGIN IMMEDIATE``), waiting up to the
        busy timeout for another process to finish. A deferred ``BEGIN`` would read first and
        fail without waiting when another writer committed in between (SQLITE_BUSY_SNAPSHOT),
        and a check-then-insert (is this photo new? is this accession free?) would race."""
        conn = self.db.conn
        if conn.in_transaction:
            with self.db.atomic():
                yield self.db
            return
        if self.on_server:
            # One writer at a time, as SQLite has it: the store's check-then-write steps (is this
            # photo new? is this accession free?) stay right with several workstations writing.
            conn.execute("BEGIN")
        else:
            conn.execute("BEGIN IMMEDIATE")
        try:
            if self.on_server:
                conn.execute("SELECT pg_advisory_xact_lock(?)", [WRITE_LOCK])
            yield self.db
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    @overload
    def get_meta(self, key: str) -> str | None: ...

    @overload
    def get_meta(self, key: str, default: str) -> str: ...

    def get_meta(self, key: str, default: str | None = None) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", [key]).fetchone()
        return row[0] if row else default

    def write_stamp(self) -> tuple[int, int]:
        """Changes whenever anything is written to the library, by this connection (its count
        of changed rows) or by any other (SQLite's ``data_version``; on a server, the count of
        writes announced, read without asking the server, or where no announcement can be
        heard, the newest transaction id): what may be kept between two reads while it stays
        the same. Another workstation's write is seen once its announcement arrives, which is
        within milliseconds of its commit."""
        conn = self.db.conn
        if self.on_server:
            heard = self._announced()
            if heard is not None:
                return conn.total_changes, -1 - heard
            return conn.total_changes, conn.execute("SELECT pg_snapshot_xmax(pg_current_snapshot())").fetchone()[0]
        return conn.total_changes, conn.execute("PRAGMA data_version").fetchone()[0]

    def _announced(self) -> int | None:
        """How many writes have been announced since this library first asked (None where they
        cannot be heard: a server without the announcements, or a listening connection lost)."""
        from app.store.pg import Listener, ServerError
        from app.store.schema_pg import CHANNEL

        with self._hearing:
            try:
                if self._listener is None:  # the first time: listen, where every such write is announced
                    announced = migrations.recorded_version(self.db.conn) >= ANNOUNCED_FROM
                    self._listener = Listener(str(self.dsn), CHANNEL) if announced else False
                if self._listener is False:
                    return None
                for payload in self._listener.drained():
                    self._heard += 1
                    if payload.startswith("codes"):  # what ``announced_since`` is asked about
                        if len(self._recent) == HEARD_KEPT:
                            self._forgotten = self._recent[0][0]
                        self._recent.append((self._heard, payload))
            except ServerError:
                if self._listener:
                    self._listener.close()
                self._listener = False
                return None
            return self._heard

    def announced_since(self, heard: int) -> list[tuple[int, str]] | None:
        """On a server: the announcements about the codes ("codes EVENT:ids", "codes_version N")
        heard after the first ``heard`` announcements, each with its number; None where that is
        not known (no announcements, or some of them are no longer kept). ``heard_so_far``
        gives the starting point."""
        if self._announced() is None:
            return None
        with self._hearing:
            if heard < self._forgotten or heard > self._heard:
                return None
            return [entry for entry in self._recent if entry[0] > heard]

    def heard_so_far(self) -> int | None:
        """How many announcements have been heard (None where none can be)."""
        return self._announced()

    def unchanged(self, key: str, read: Callable[[], T]) -> T:
        """``read()``, kept under ``key`` until anything is written to the library (``write_stamp``):
        for what a search reads every time (the active model, the scheme's and the codes'
        versions, the change log's newest mark), which on a server cost a round trip each."""
        stamp = self.write_stamp()
        kept = self._kept.get(key)
        if kept is None or kept[0] != stamp:
            kept = (stamp, read())
            self._kept[key] = kept
        return kept[1]

    def set_meta(self, key: str, value: str) -> None:
        with self.atomic():
            self.db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", [key, value])

    @property
    def scheme(self) -> LabelScheme:
        return self.labels.scheme()

    def reader(self):
        """A read-only connection of its own to this library's file, for a worker thread that
        must not share the library's connection while it writes (the caller closes it). In WAL
        mode it reads what was committed, beside the writer."""
        if self.on_server:
            from app.store.pg import PgConnection

            return PgConnection(str(self.dsn))
        conn = sqlite3.connect(self.db_path.resolve().as_uri() + "?mode=ro", uri=True, check_same_thread=False)
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        return conn

    def close(self) -> None:
        with self._hearing:
            if self._listener:
                self._listener.close()
            self._listener = False
        self.db.close()

    def __enter__(self) -> Library:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _precheck(db_path: Path) -> int:
    """Read the schema version without writing anything.

    Even a ``mode=ro`` connection creates ``-wal`` and ``-shm`` files beside a WAL database.
    When there is no ``-wal`` file every committed page is in the main file, so it is read
    as ``immutable`` (no side files, no locks); a live ``-wal`` must be read to see its commits.
    """
    wal = db_path.with_name(db_path.name + "-wal")
    uri = db_path.resolve().as_uri() + ("?mode=ro" if wal.exists() else "?mode=ro&immutable=1")
    try:
        conn = sqlite3.connect(uri, uri=True)
        try:
            tables = {r[0] for r in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()}
            version = migrations.recorded_version(conn)
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        raise LibraryError(f"{db_path} is not a readable Wenyang library ({exc}).") from None
    if version == 0 and tables - {"_migrations"} - {t for t in tables if t.startswith("sqlite_")}:
        raise LibraryError(f"{db_path} is an SQLite database but not a Wenyang library; "
                           "nothing was changed. Choose another folder.")
    return version


def open_library(root: str | Path, create: bool = False) -> Library:
    """Open the library folder ``root``; with ``create`` make it (and seed the default scheme).
    ``root`` may instead name a database on a PostgreSQL server (``postgresql://…``): see
    ``open_server_library``.

    A library written by a newer Wenyang is refused before anything is written.
    """
    from app.store.pg import is_dsn

    if is_dsn(root):
        return open_server_library(str(root), create=create)
    root = Path(root).expanduser()
    db_path = root / DB_NAME
    if db_path.exists():
        version = _precheck(db_path)
        migrations.check_version(version, str(root))
        if not _writable(root, db_path):
            return _connect_read_only(root, db_path, version)
    elif not create:
        raise LibraryError(f"There is no Wenyang library at {root}. Create one with `wenyang init {root}`.")
    elif root.exists() and not root.is_dir():
        raise LibraryError(f"{root} exists and is not a folder.")
    try:
        for sub in ("", "thumbnails", "models"):
            (root / sub).mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise LibraryError(f"Cannot create the library folder {root}: {exc.strerror}.") from None
    lib = _connect(root, db_path)
    lib.clean_temporaries()
    return lib


def _writable(root: Path, db_path: Path) -> bool:
    """Whether the library can be written: SQLite needs the database file and, for its
    journal beside it, the folder. ``access`` answers for a read-only mount even as root."""
    return os.access(db_path, os.W_OK) and os.access(root, os.W_OK)


def _connect_read_only(root: Path, db_path: Path, version: int) -> Library:
    """Open a library on a read-only medium (a DVD, a locked share) for browsing, search and
    export. Nothing is written: no journal, no migration, no clean-up."""
    if version < migrations.SCHEMA_VERSION:
        raise LibraryError(f"The library at {root} is read-only and was written by an older Wenyang: it "
                           "must be upgraded once on a writable copy before this version can open it.")
    wal = db_path.with_name(db_path.name + "-wal")
    uri = db_path.resolve().as_uri() + ("?mode=ro" if wal.exists() else "?mode=ro&immutable=1")
    try:
        conn = sqlite3.connect(uri, uri=True, isolation_level=None, check_same_thread=False)
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()
    except sqlite3.Error as exc:
        raise LibraryError(f"Cannot open the read-only library at {root}: {exc}. Copy it to a writable "
                           "folder and open the copy.") from None
    return Library(root, sqlite_utils.Database(conn), read_only=True)


def _connect(root: Path, db_path: Path) -> Library:
    try:
        conn = sqlite3.connect(str(db_path), isolation_level=None, check_same_thread=False)
    except sqlite3.Error as exc:
        raise LibraryError(f"Cannot open the library at {root}: {exc}.") from None
    try:
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute("PRAGMA synchronous = NORMAL")
        fresh = migrations.recorded_version(conn) == 0
        migrations.migrate(conn, str(root))
        lib = Library(root, sqlite_utils.Database(conn))
        if fresh:
            _seed(lib)
    except BaseException as exc:
        conn.close()  # never leave a half-opened connection (and its locks) behind
        if isinstance(exc, sqlite3.Error):  # locked, disk full, a failed migration: say so
            raise LibraryError(f"Cannot open the library at {root}: {exc}.") from exc
        raise
    return lib


def _seed(lib: Library) -> None:
    """A new library starts with the shipped default scheme."""
    data = json.loads(resource("scheme", "default.json").read_text(encoding="utf-8"))
    import app
    from app.core.models import now_iso

    with lib.atomic():
        lib.labels.replace_all(LabelScheme.from_dict(data))
        lib.set_meta("created", now_iso())
        lib.set_meta("created_by", f"wenyang {app.__version__}")


FILES_KEY = "files_root"


def open_server_library(dsn: str, create: bool = False, files: str | Path | None = None) -> Library:
    """Open the library in the PostgreSQL database ``dsn``; with ``create`` make it there (the
    database itself must exist, made by the server's administrator). Photos, thumbnails and
    models live in a shared folder that every workstation sees under the same path: ``files``
    when it is made (default: a folder named after the database in the user's documents), kept
    in the library's ``meta`` table. A library of a newer Wenyang is refused before anything is
    written, as on SQLite."""
    from app.store.pg import PgConnection, PgDatabase, ServerError

    try:
        conn = PgConnection(dsn)
    except ServerError as exc:
        raise LibraryError(f"Cannot connect to the library's server: {exc}") from None
    try:
        version = migrations.recorded_version(conn)
        migrations.check_version(version, _shown(dsn))
        if version == 0:
            tables = conn.execute("SELECT COUNT(*) FROM information_schema.tables "
                                  "WHERE table_schema = current_schema()").fetchone()
            if tables and tables[0]:
                raise LibraryError(f"The database {_shown(dsn)} holds tables but is not a Wenyang library; "
                                   "nothing was changed. Name an empty database.")
            if not create:
                raise LibraryError(f"There is no Wenyang library in {_shown(dsn)}. Create one with "
                                   f"`wenyang init {_shown(dsn)}`.")
        try:
            migrations.migrate(conn, _shown(dsn))
        except ServerError as exc:
            if getattr(exc, "sqlstate", None) != "42501":  # insufficient privilege
                raise
            raise LibraryError(
                f"The library in {_shown(dsn)} needs its tables brought up to this Wenyang (schema {version} → "
                f"{migrations.SCHEMA_VERSION}), and the role {conn.raw.info.user!r} may not change them. Ask its "
                f"administrator to run `wenyang init {_shown(dsn)}` as the role that owns the library. Nothing was "
                "changed.") from None
        db = PgDatabase(conn)
        stored = db.execute("SELECT value FROM meta WHERE key = ?", [FILES_KEY]).fetchone()
        root = Path(stored[0] if stored else (files or Path.home() / "Wenyang" / conn.database)).expanduser()
        for sub in ("", "thumbnails", "models"):
            (root / sub).mkdir(parents=True, exist_ok=True)
        lib = Library(root, db, dsn=dsn)
        if version == 0:
            lib.set_meta(FILES_KEY, str(root))
            _seed(lib)
    except ServerError as exc:
        conn.close()
        raise LibraryError(f"Cannot open the library in {_shown(dsn)}: {exc}") from exc
    except OSError as exc:
        conn.close()
        raise LibraryError(f"Cannot make the library's shared folder: {exc}") from None
    except BaseException:
        conn.close()
        raise
    return lib


def grant_curators(lib: Library, roles: list[str]) -> None:
    """Let each of ``roles`` (existing server roles) read and write the library's rows, and no
    more: they cannot create, alter or drop its tables, which only its owner's migrations do.
    Tables a later migration makes are granted too (default privileges of the owner)."""
    if not lib.on_server:
        raise LibraryError("Roles are a PostgreSQL server's: an SQLite library has none to grant.")
    conn = lib.db.conn
    schema = conn.execute("SELECT current_schema()").fetchone()[0]
    for role in roles:
        exists = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = ?", [role]).fetchone()
        if not exists:
            raise LibraryError(f"There is no role {role!r} on the server: create it first (createuser {role}).")
        who, where = _identifier(role), _identifier(schema)
        with lib.atomic():
            for statement in (
                    f"GRANT USAGE ON SCHEMA {where} TO {who}",
                    f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {where} TO {who}",
                    f"GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA {where} TO {who}",
                    f"ALTER DEFAULT PRIVILEGES IN SCHEMA {where} GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {who}",
                    f"ALTER DEFAULT PRIVILEGES IN SCHEMA {where} GRANT USAGE, SELECT, UPDATE ON SEQUENCES TO {who}"):
                conn.execute(statement)


def _identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def server_has_library(dsn: str) -> bool:
    """Whether the PostgreSQL database ``dsn`` already holds a library (nothing is written)."""
    from app.store.pg import PgConnection, ServerError

    try:
        conn = PgConnection(dsn)
    except ServerError as exc:
        raise LibraryError(f"Cannot connect to the library's server: {exc}") from None
    try:
        return migrations.recorded_version(conn) > 0
    finally:
        conn.close()


def _shown(dsn: str) -> str:
    """A connection string as shown to people: without its password."""
    from app.store.pg import without_password

    return without_password(dsn)
