"""Numbered schema migrations, recorded in the ``_migrations`` table.

Append new migrations at the end; never edit one that has shipped. A library whose highest
recorded migration is newer than the last one here was written by a newer Wenyang and is
refused before anything is written.
"""
from __future__ import annotations

import datetime as _dt
import sqlite3
from collections.abc import Callable

from app.core.errors import LibraryVersionError

Migration = tuple[int, str, Callable[[sqlite3.Connection], None]]


def _run_script(conn: sqlite3.Connection, script: str) -> None:
    """Execute statements one by one: ``executescript`` would commit the open transaction."""
    for statement in script.split(";"):
        if statement.strip():
            conn.execute(statement)


def _m001_initial(conn: sqlite3.Connection) -> None:
    _run_script(conn,
        """
        CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT);
        CREATE TABLE items (
            id INTEGER PRIMARY KEY,
            accession TEXT NOT NULL UNIQUE,
            title TEXT NOT NULL DEFAULT '',
            description TEXT NOT NULL DEFAULT '',
            metadata TEXT NOT NULL DEFAULT '{}',
            created TEXT NOT NULL,
            modified TEXT NOT NULL
        );
        CREATE TABLE photos (
            id INTEGER PRIMARY KEY,
            item_id INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE,
            path TEXT NOT NULL,
            sha256 TEXT NOT NULL UNIQUE,
            size INTEGER NOT NULL,
            width INTEGER NOT NULL,
            height INTEGER NOT NULL,
            format TEXT NOT NULL,
            note TEXT NOT NULL DEFAULT '',
            position INTEGER NOT NULL DEFAULT 0,
            created TEXT NOT NULL
        );
        CREATE INDEX idx_photos_item ON photos(item_id);
        CREATE TABLE facets (
            id TEXT PRIMARY KEY,
            name_en TEXT NOT NULL,
            name_zh TEXT NOT NULL,
            position INTEGER NOT NULL DEFAULT 0
        );
        CREATE TABLE labels (
            id TEXT PRIMARY KEY,
            facet TEXT NOT NULL REFERENCES facets(id),
            parent TEXT REFERENCES labels(id),
            name_en TEXT NOT NULL,
            name_zh TEXT NOT NULL,
            position INTEGER NOT NULL DEFAULT 0
        );
        CREATE TABLE item_labels (
            item_id INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE,
            label_id TEXT NOT NULL REFERENCES labels(id),
            source TEXT NOT NULL DEFAULT 'user',
            PRIMARY KEY (item_id, label_id)
        );
        CREATE INDEX idx_item_labels_label ON item_labels(label_id);
        CREATE TABLE collections (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL UNIQUE,
            description TEXT NOT NULL DEFAULT '',
            created TEXT NOT NULL
        );
        CREATE TABLE collection_items (
            collection_id INTEGER NOT NULL REFERENCES collections(id) ON DELETE CASCADE,
            item_id INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE,
            position INTEGER NOT NULL DEFAULT 0,
            PRIMARY KEY (collection_id, item_id)
        );
        CREATE TABLE models (
            id TEXT PRIMARY KEY,
            bits INTEGER NOT NULL,
            mode TEXT NOT NULL,
            card TEXT NOT NULL DEFAULT '{}',
            created TEXT NOT NULL,
            active INTEGER NOT NULL DEFAULT 0
        );
        CREATE TABLE codes (
            item_id INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE,
            model_id TEXT NOT NULL REFERENCES models(id) ON DELETE CASCADE,
            modality TEXT NOT NULL CHECK (modality IN ('image', 'text', 'label')),
            code BLOB NOT NULL,
            score BLOB,
            source_hash TEXT NOT NULL DEFAULT '',
            PRIMARY KEY (item_id, model_id, modality)
        );
        CREATE INDEX idx_codes_model ON codes(model_id, modality);
        CREATE TABLE suggestions (
            item_id INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE,
            model_id TEXT NOT NULL REFERENCES models(id) ON DELETE CASCADE,
            label_id TEXT NOT NULL REFERENCES labels(id) ON DELETE CASCADE,
            confidence REAL NOT NULL,
            status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'accepted', 'rejected')),
            PRIMARY KEY (item_id, model_id, label_id)
        );
        """
    )


def _m002_codes_by_item(conn: sqlite3.Connection) -> None:
    """Codes are read per model and modality in item order: let the index deliver that order."""
    _run_script(conn, """
        DROP INDEX IF EXISTS idx_codes_model;
        CREATE INDEX idx_codes_model_item ON codes(model_id, modality, item_id)
    """)


def _m003_code_snapshots(conn: sqlite3.Connection) -> None:
    """All codes of a model and modality as two packed arrays: a million load in milliseconds."""
    _run_script(conn, """
        CREATE TABLE code_snapshots (
            model_id TEXT NOT NULL REFERENCES models(id) ON DELETE CASCADE,
            modality TEXT NOT NULL,
            codes_version INTEGER NOT NULL,
            n INTEGER NOT NULL,
            ids BLOB NOT NULL,
            codes BLOB NOT NULL,
            PRIMARY KEY (model_id, modality)
        )
    """)


_KEYWORD_SCHEMA = (
    # The fields hold tokens made in Python (app/text/keywords.py), so the engine only splits
    # on spaces; diacritics are kept so that what it matches is what Python can explain.
    "CREATE VIRTUAL TABLE keyword_index USING fts5(accession, title, description, metadata, "
    "labels, tokenize = 'unicode61 remove_diacritics 0')",
    # Items whose indexed text may have changed; AUTOINCREMENT so that marks only grow and a
    # refresh can drop exactly the marks it has read.
    "CREATE TABLE keyword_pending (mark INTEGER PRIMARY KEY AUTOINCREMENT, "
    "item_id INTEGER NOT NULL)",
    "INSERT INTO keyword_pending (item_id) SELECT id FROM items",
)
# Plain SQL, so that every writer (any connection, any code path, cascades included) keeps the
# index in step; the tokens themselves are made lazily, just before a keyword search.
_KEYWORD_TRIGGERS = {
    "keyword_item_added": "AFTER INSERT ON items BEGIN "
        "INSERT INTO keyword_pending (item_id) VALUES (new.id); END",
    "keyword_item_edited": "AFTER UPDATE OF id, accession, title, description, metadata ON items "
        "WHEN old.id IS NOT new.id OR old.accession IS NOT new.accession "
        "OR old.title IS NOT new.title OR old.description IS NOT new.description "
        "OR old.metadata IS NOT new.metadata BEGIN "
        "INSERT INTO keyword_pending (item_id) VALUES (old.id), (new.id); END",
    "keyword_item_deleted": "AFTER DELETE ON items BEGIN "
        "INSERT INTO keyword_pending (item_id) VALUES (old.id); END",
    "keyword_item_tagged": "AFTER INSERT ON item_labels BEGIN "
        "INSERT INTO keyword_pending (item_id) VALUES (new.item_id); END",
    "keyword_item_retagged": "AFTER UPDATE OF item_id, label_id ON item_labels BEGIN "
        "INSERT INTO keyword_pending (item_id) VALUES (old.item_id), (new.item_id); END",
    "keyword_item_untagged": "AFTER DELETE ON item_labels BEGIN "
        "INSERT INTO keyword_pending (item_id) VALUES (old.item_id); END",
    # Scheme writes upsert every label with unchanged names: only a real rename counts.
    "keyword_label_renamed": "AFTER UPDATE OF name_en, name_zh ON labels "
        "WHEN old.name_en IS NOT new.name_en OR old.name_zh IS NOT new.name_zh BEGIN "
        "INSERT INTO keyword_pending (item_id) "
        "SELECT item_id FROM item_labels WHERE label_id = new.id; END",
}


def _m004_keyword_index(conn: sqlite3.Connection) -> None:
    """Full-text index over accession, title, description, metadata and label names."""
    for statement in _KEYWORD_SCHEMA:  # one by one: trigger bodies hold ";"
        conn.execute(statement)
    for name, body in _KEYWORD_TRIGGERS.items():
        conn.execute(f"CREATE TRIGGER {name} {body}")


def _m005_photo_signatures(conn: sqlite3.Connection) -> None:
    """Per item, a small descriptor of its first photo, to find re-photographed copies
    (``app.media.signature``); ``sha256`` says which photo it was made from."""
    _run_script(conn, """
        CREATE TABLE photo_signatures (
            item_id INTEGER PRIMARY KEY REFERENCES items(id) ON DELETE CASCADE,
            sha256 TEXT NOT NULL,
            signature BLOB NOT NULL
        )
    """)


# What a trashed item takes with it: every row that names it, kept beside the live tables
# (which then know nothing of it) until it is restored or the trash is emptied.
TRASHED_TABLES = ("items", "photos", "item_labels", "collection_items", "suggestions", "codes", "photo_signatures")


def _m006_trash(conn: sqlite3.Connection) -> None:
    """A trash: deleted items and everything that names them, restorable as they were."""
    for table in TRASHED_TABLES:
        extra = ", '' AS trashed" if table == "items" else ""
        conn.execute(f"CREATE TABLE trash_{table} AS SELECT *{extra} FROM {table} WHERE 0")
    key = {"items": "id"}
    for table in TRASHED_TABLES:
        conn.execute(f"CREATE INDEX idx_trash_{table} ON trash_{table}({key.get(table, 'item_id')})")


def _m007_trashed_photos(conn: sqlite3.Connection) -> None:
    """A trash for single photos deleted from items that stay (an item's own photos go to
    ``trash_photos`` with it)."""
    conn.execute("CREATE TABLE trash_lone_photos AS SELECT *, '' AS trashed FROM photos WHERE 0")
    conn.execute("CREATE INDEX idx_trash_lone_photos ON trash_lone_photos(item_id)")


# Items whose tags, tag suggestions or photo signature changed, written by plain SQL triggers
# (so every writer, process and cascade is seen): a search process keeps every item's label
# evidence and photo signature in memory (``app.services.evidence``, ``search_alike``) and
# reads again only the items named here since it last looked. Readers never delete; opening a
# library drops marks far behind the newest (a reader that far behind reads everything again).
def _log_triggers(log: str, prefix: str, tables: tuple[str, ...]) -> dict[str, str]:
    """Triggers (name: body) writing the item of every row inserted, updated or deleted in
    ``tables`` (their column ``item_id``) into the log table ``log``."""
    return {f"{prefix}_{table}_{event.lower()}": f"AFTER {event} ON {table} BEGIN "
            f"INSERT INTO {log} (item_id) VALUES {values}; END"
            for table in tables
            for event, values in (("INSERT", "(new.item_id)"), ("UPDATE", "(old.item_id), (new.item_id)"),
                                  ("DELETE", "(old.item_id)"))}


_CHANGE_TRIGGERS = _log_triggers("item_changes", "changes", ("item_labels", "suggestions", "photo_signatures"))


def _m008_item_changes(conn: sqlite3.Connection) -> None:
    """A log of the items whose search data changed (marks only grow)."""
    conn.execute("CREATE TABLE item_changes (mark INTEGER PRIMARY KEY AUTOINCREMENT, item_id INTEGER NOT NULL)")
    for name, body in _CHANGE_TRIGGERS.items():
        conn.execute(f"CREATE TRIGGER {name} {body}")


def _m009_keyword_queue_by_item(conn: sqlite3.Connection) -> None:
    """The keyword queue indexed by item: a refresh drops each re-indexed chunk's marks by
    item id, and without the index every chunk scanned the whole queue, a cost growing with
    the square of the items queued. A million copied items (some 12 million marks) took
    1,828 s to index, 26x the 70 s of 100,000 (``bench/bench_scale.py``); re-indexing
    100,500 items from 1.19 million marks took 101 s without the index and 72 s with it."""
    conn.execute("CREATE INDEX idx_keyword_pending_item ON keyword_pending(item_id)")


def _m010_accession_ignoring_case(conn: sqlite3.Connection) -> None:
    """Accession numbers indexed ignoring case: keyword search puts an item whose accession
    is the whole query first ("m-5" finds M-5), and without this index that lookup read
    every item, about 100 ms a query at 1,000,500 items."""
    conn.execute("CREATE INDEX idx_items_accession_nocase ON items(accession COLLATE NOCASE)")


# Items whose text or photos changed, into the same log: with the tag triggers above it names
# every item whose codes may be stale, so encoding checks only those (``app.services.encoding``).
_CONTENT_TRIGGERS = {
    f"changes_{table}_{event.lower()}": f"AFTER {event} {columns}ON {table} BEGIN "
    f"INSERT INTO item_changes (item_id) VALUES {values}; END"
    for table, key in (("items", "id"), ("photos", "item_id"))
    for event, columns, values in (("INSERT", "", f"(new.{key})"),
                                   ("UPDATE", "OF title, description " if table == "items" else "",
                                    f"(old.{key}), (new.{key})"),
                                   ("DELETE", "", f"(old.{key})"))
}


def _m011_encode_marks(conn: sqlite3.Connection) -> None:
    """Items whose text or photos changed join the change log, and each model keeps the mark
    up to which the library was last encoded with it: encoding then reads only the items
    changed since, not all of them (100 new photos into a 1,001,100-item library: 41-50 s
    checking every item, 5.7-7.5 s checking the changed ones; ``bench/bench_encode_new.py``)."""
    for name, body in _CONTENT_TRIGGERS.items():
        conn.execute(f"CREATE TRIGGER {name} {body}")
    conn.execute("CREATE TABLE encode_marks (model_id TEXT PRIMARY KEY REFERENCES models(id) ON DELETE CASCADE, "
                 "mark INTEGER NOT NULL)")


def _m012_change_announcements(conn: sqlite3.Connection) -> None:
    """On a PostgreSQL server, writes are announced to the windows of other workstations
    (``app.store.schema_pg.M012``). An SQLite library has no such channel: nothing to make."""


# Every edit of an item's fields counts up its version and says who made it, so that an edit
# made from what another curator has changed since is refused, not silently written over theirs.
VERSION_COLUMNS = ("version INTEGER NOT NULL DEFAULT 1", "changed_by TEXT NOT NULL DEFAULT ''")


def _m013_item_versions(conn: sqlite3.Connection) -> None:
    """Items (and their trashed copies) get a version and the name of who changed them last."""
    for table in ("items", "trash_items"):
        for column in VERSION_COLUMNS:
            conn.execute(f"ALTER TABLE {table} ADD COLUMN {column}")


# A label's version counts up with every change to its names or place, and says who made it and
# when: a rename, move, merge or delete made from an older version is refused (``LabelRepository``).
LABEL_VERSION_COLUMNS = ("version INTEGER NOT NULL DEFAULT 1", "changed_by TEXT NOT NULL DEFAULT ''",
                         "changed_at TEXT NOT NULL DEFAULT ''")


def _m014_label_versions(conn: sqlite3.Connection) -> None:
    """Labels get a version, who changed them last and when. (On a PostgreSQL server writes to
    the codes, the library's settings and the photo signatures are announced too:
    ``app.store.schema_pg.M014``.)"""
    for column in LABEL_VERSION_COLUMNS:
        conn.execute(f"ALTER TABLE labels ADD COLUMN {column}")


# Each modality's codes get a version of their own (``app.store.codes.MODALITY_BUMP``), starting
# from the library's; a version of the program before them would count only the library's.
MODALITY_VERSIONS = [f"INSERT INTO meta (key, value) VALUES ('codes_version:{modality}', "
                     "COALESCE((SELECT value FROM meta WHERE key = 'codes_version'), '0')) ON CONFLICT (key) DO NOTHING"
                     for modality in ("image", "text", "label")]


def _m015_modality_versions(conn: sqlite3.Connection) -> None:
    """Each modality's codes versioned apart (a tag re-encodes label codes only)."""
    for statement in MODALITY_VERSIONS:
        conn.execute(statement)


# Items whose codes were written or deleted, by plain SQL triggers as ``item_changes`` (every
# writer, process, cascade and undo is seen): a search on an SQLite library reads again only
# those items' codes when the codes changed (``app.services.search.SearchService.index``);
# encoding one new photo into a million-item library made the next search read every code.
# A log of its own: encoding reads ``item_changes`` for what to encode, and would then find
# its own writes there. (On a server, writes to the codes are announced instead.)
_CODE_TRIGGERS = _log_triggers("code_changes", "code_changes", ("codes",))


def _m016_code_changes(conn: sqlite3.Connection) -> None:
    """A log of the items whose codes changed (marks only grow)."""
    conn.execute("CREATE TABLE code_changes (mark INTEGER PRIMARY KEY AUTOINCREMENT, item_id INTEGER NOT NULL)")
    for name, body in _CODE_TRIGGERS.items():
        conn.execute(f"CREATE TRIGGER {name} {body}")


def _m017_server_character_pairs(conn: sqlite3.Connection) -> None:
    """Nothing on SQLite: FTS5 keeps each token's positions in its index. On a server the stored
    tsvectors are written again with a Han run's characters as pairs (``app.store.schema_pg``)."""


MIGRATIONS: list[Migration] = [
    (1, "initial schema", _m001_initial),
    (2, "codes indexed by model, modality and item", _m002_codes_by_item),
    (3, "packed code snapshots for fast opening", _m003_code_snapshots),
    (4, "keyword index over item text and label names", _m004_keyword_index),
    (5, "photo signatures for finding the same photo again", _m005_photo_signatures),
    (6, "a trash for deleted items", _m006_trash),
    (7, "a trash for single deleted photos", _m007_trashed_photos),
    (8, "a log of items whose tags, suggestions or photo signature changed", _m008_item_changes),
    (9, "the keyword queue indexed by item", _m009_keyword_queue_by_item),
    (10, "accession numbers indexed ignoring case", _m010_accession_ignoring_case),
    (11, "a log of items whose text or photos changed, and each model's encoded mark", _m011_encode_marks),
    (12, "writes announced to other workstations (PostgreSQL only)", _m012_change_announcements),
    (13, "item versions and who changed an item last", _m013_item_versions),
    (14, "label versions; writes to codes, settings and signatures announced (PostgreSQL)", _m014_label_versions),
    (15, "each modality's codes versioned apart", _m015_modality_versions),
    (16, "a log of items whose codes changed (SQLite; a server announces them)", _m016_code_changes),
    (17, "Chinese characters stored in pairs in the keyword index (PostgreSQL only)", _m017_server_character_pairs),
]
SCHEMA_VERSION = MIGRATIONS[-1][0]


def is_postgresql(conn) -> bool:
    """Whether ``conn`` is a PostgreSQL connection (``app.store.pg``) rather than SQLite's."""
    return getattr(conn, "dialect", "sqlite") == "postgresql"


def recorded_version(conn) -> int:
    """Highest migration recorded in the database (0 for a new, empty one)."""
    if is_postgresql(conn):
        has_table = conn.execute("SELECT to_regclass('_migrations')").fetchone()[0] is not None
    else:
        has_table = conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type='table' AND name='_migrations'").fetchone()
    if not has_table:
        return 0
    row = conn.execute("SELECT MAX(id) FROM _migrations").fetchone()
    return int(row[0] or 0)


def check_version(version: int, where: str) -> None:
    if version > SCHEMA_VERSION:
        raise LibraryVersionError(
            f"The library at {where} was written by a newer version of Wenyang "
            f"(schema {version}; this version knows up to {SCHEMA_VERSION}). "
            "Install the newer Wenyang to open it. Nothing was changed.")


# Two workstations opening a new PostgreSQL library at once: one migrates, the other waits.
_PG_MIGRATION_LOCK = 0x57454E59


def migrate(conn, where: str = "this location") -> list[int]:
    """Apply every pending migration, each in its own transaction. Returns the ids applied."""
    found = recorded_version(conn)
    check_version(found, where)
    if found == SCHEMA_VERSION:  # nothing to do, and nothing to ask of the role's rights
        return []
    postgresql = is_postgresql(conn)
    if postgresql:
        from app.store.schema_pg import steps

        pg_steps = steps(TRASHED_TABLES)
        conn.execute("BEGIN")
        conn.execute("SELECT pg_advisory_xact_lock(?)", [_PG_MIGRATION_LOCK])
        conn.execute("CREATE TABLE IF NOT EXISTS _migrations (id INTEGER PRIMARY KEY, name TEXT NOT NULL, "
                     "applied TEXT NOT NULL)")
        conn.execute("COMMIT")
    else:
        conn.execute("CREATE TABLE IF NOT EXISTS _migrations "
                     "(id INTEGER PRIMARY KEY, name TEXT NOT NULL, applied TEXT NOT NULL)")
    applied = []
    for number, name, step in MIGRATIONS:
        if number <= recorded_version(conn):
            continue
        conn.execute("BEGIN" if postgresql else "BEGIN IMMEDIATE")
        try:
            if postgresql:  # wait for another process migrating, then look again
                conn.execute("SELECT pg_advisory_xact_lock(?)", [_PG_MIGRATION_LOCK])
                if number <= recorded_version(conn):
                    conn.execute("COMMIT")
                    continue
                pg_steps[number](conn)
            else:
                step(conn)
            conn.execute("INSERT INTO _migrations (id, name, applied) VALUES (?, ?, ?)",
                         (number, name, _dt.datetime.now(_dt.timezone.utc).isoformat()))
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        applied.append(number)
    return applied
