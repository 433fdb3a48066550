"""The numbered migrations (``app.store.migrations``) as PostgreSQL says them.

Each number here makes on a PostgreSQL server what the migration of the same number makes in
an SQLite library: the same tables, columns, keys, indexes and change-log triggers, so that the
repositories' SQL runs on both (``app.store.pg`` translates what differs statement by statement).
Where SQLite has something PostgreSQL lacks, this says it another way:
- an ``INTEGER PRIMARY KEY`` is a ``BIGSERIAL``; a ``BLOB`` a ``BYTEA``; a ``REAL`` a double;
- the implicit ``rowid`` that the store reads from ``labels`` and ``trash_lone_photos`` is a
  column of that name, numbered by a sequence;
- triggers call PL/pgSQL functions; foreign keys are deferrable (undo re-inserts a label whose
  parent comes back later in the same transaction, as ``PRAGMA defer_foreign_keys`` allows);
- the keyword index is a table of the same fields (the jieba tokens, made in Python) with a
  ``tsvector`` of them, written by ``app.store.keywords``, and a GIN index (PostgreSQL's own
  full-text search);
- accession numbers ignoring case are indexed on ``lower(accession)``.
"""
from __future__ import annotations

from collections.abc import Callable
from itertools import islice

from app.store.migrations import LABEL_VERSION_COLUMNS, MODALITY_VERSIONS

FK = "DEFERRABLE INITIALLY IMMEDIATE"


def _items_fk(column: str = "item_id") -> str:
    return f"{column} BIGINT NOT NULL REFERENCES items(id) ON DELETE CASCADE {FK}"


# SQLite's functions that the store's SQL calls, said in PostgreSQL (group_concat is rewritten by
# ``app.store.pg.translate``: an aggregate made of SQL would join its strings in quadratic time).
COMPAT = [
    "CREATE FUNCTION json_extract(doc TEXT, path TEXT) RETURNS TEXT LANGUAGE sql IMMUTABLE "
    "AS $$ SELECT (doc::jsonb) #>> string_to_array(substr(path, 3), '.') $$",
    "CREATE FUNCTION instr(haystack TEXT, needle TEXT) RETURNS INTEGER LANGUAGE sql IMMUTABLE "
    "AS $$ SELECT strpos(haystack, needle) $$",
]

M001 = [
    *COMPAT,
    "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT)",
    "CREATE TABLE items (id BIGSERIAL PRIMARY KEY, accession TEXT NOT NULL UNIQUE, "
    "title TEXT NOT NULL DEFAULT '', description TEXT NOT NULL DEFAULT '', metadata TEXT NOT NULL DEFAULT '{}', "
    "created TEXT NOT NULL, modified TEXT NOT NULL)",
    f"CREATE TABLE photos (id BIGSERIAL PRIMARY KEY, {_items_fk()}, path TEXT NOT NULL, "
    "sha256 TEXT NOT NULL UNIQUE, size BIGINT NOT NULL, width INTEGER NOT NULL, height INTEGER NOT NULL, "
    "format TEXT NOT NULL, note TEXT NOT NULL DEFAULT '', position INTEGER NOT NULL DEFAULT 0, created TEXT NOT NULL)",
    "CREATE INDEX idx_photos_item ON photos(item_id)",
    "CREATE TABLE facets (id TEXT PRIMARY KEY, name_en TEXT NOT NULL, name_zh TEXT NOT NULL, "
    "position INTEGER NOT NULL DEFAULT 0)",
    f"CREATE TABLE labels (id TEXT PRIMARY KEY, facet TEXT NOT NULL REFERENCES facets(id) {FK}, "
    f"parent TEXT REFERENCES labels(id) {FK}, name_en TEXT NOT NULL, name_zh TEXT NOT NULL, "
    "position INTEGER NOT NULL DEFAULT 0, rowid BIGSERIAL UNIQUE)",
    f"CREATE TABLE item_labels ({_items_fk()}, label_id TEXT NOT NULL REFERENCES labels(id) {FK}, "
    "source TEXT NOT NULL DEFAULT 'user', PRIMARY KEY (item_id, label_id))",
    "CREATE INDEX idx_item_labels_label ON item_labels(label_id)",
    "CREATE TABLE collections (id BIGSERIAL PRIMARY KEY, name TEXT NOT NULL UNIQUE, "
    "description TEXT NOT NULL DEFAULT '', created TEXT NOT NULL)",
    f"CREATE TABLE collection_items (collection_id BIGINT NOT NULL REFERENCES collections(id) ON DELETE CASCADE "
    f"{FK}, {_items_fk()}, position INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (collection_id, item_id))",
    "CREATE TABLE models (id TEXT PRIMARY KEY, bits INTEGER NOT NULL, mode TEXT NOT NULL, "
    "card TEXT NOT NULL DEFAULT '{}', created TEXT NOT NULL, active INTEGER NOT NULL DEFAULT 0)",
    f"CREATE TABLE codes ({_items_fk()}, model_id TEXT NOT NULL REFERENCES models(id) ON DELETE CASCADE {FK}, "
    "modality TEXT NOT NULL CHECK (modality IN ('image', 'text', 'label')), code BYTEA NOT NULL, score BYTEA, "
    "source_hash TEXT NOT NULL DEFAULT '', PRIMARY KEY (item_id, model_id, modality))",
    "CREATE INDEX idx_codes_model ON codes(model_id, modality)",
    f"CREATE TABLE suggestions ({_items_fk()}, model_id TEXT NOT NULL REFERENCES models(id) ON DELETE CASCADE {FK}, "
    f"label_id TEXT NOT NULL REFERENCES labels(id) ON DELETE CASCADE {FK}, confidence DOUBLE PRECISION NOT NULL, "
    "status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'accepted', 'rejected')), "
    "PRIMARY KEY (item_id, model_id, label_id))",
]

M002 = ["DROP INDEX IF EXISTS idx_codes_model",
        "CREATE INDEX idx_codes_model_item ON codes(model_id, modality, item_id)"]

M003 = [f"CREATE TABLE code_snapshots (model_id TEXT NOT NULL REFERENCES models(id) ON DELETE CASCADE {FK}, "
        "modality TEXT NOT NULL, codes_version BIGINT NOT NULL, n BIGINT NOT NULL, ids BYTEA NOT NULL, "
        "codes BYTEA NOT NULL, PRIMARY KEY (model_id, modality))"]


def _trigger(name: str, table: str, timing: str, body: str, when: str = "") -> list[str]:
    """A PL/pgSQL trigger function ``name`` and its row trigger on ``table``."""
    return [f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN {body} RETURN NULL; END $$",
            f"CREATE TRIGGER {name} AFTER {timing} ON {table} FOR EACH ROW "
            f"{'WHEN (' + when + ') ' if when else ''}EXECUTE FUNCTION {name}()"]


def _marks(log: str, table: str, key: str, events: tuple[str, ...], prefix: str,
           update_columns: str = "", update_when: str = "") -> list[str]:
    """Triggers writing the item of every inserted, updated and deleted row of ``table`` (its
    column ``key``) into the log table ``log``."""
    out: list[str] = []
    for event in events:
        values = {"INSERT": f"(NEW.{key})", "UPDATE": f"(OLD.{key}), (NEW.{key})", "DELETE": f"(OLD.{key})"}[event]
        timing = f"UPDATE OF {update_columns}" if event == "UPDATE" and update_columns else event
        out += _trigger(f"{prefix}_{table}_{event.lower()}", table, timing,
                        f"INSERT INTO {log} (item_id) VALUES {values};",
                        update_when if event == "UPDATE" else "")
    return out


_CHANGED = ("OLD.{c} IS DISTINCT FROM NEW.{c}")


def _any_changed(*columns: str) -> str:
    return " OR ".join(_CHANGED.format(c=c) for c in columns)


M004 = [
    "CREATE TABLE keyword_index (rowid BIGINT PRIMARY KEY, accession TEXT NOT NULL DEFAULT '', "
    "title TEXT NOT NULL DEFAULT '', description TEXT NOT NULL DEFAULT '', metadata TEXT NOT NULL DEFAULT '', "
    "labels TEXT NOT NULL DEFAULT '', document tsvector NOT NULL DEFAULT '')",
    "CREATE INDEX idx_keyword_document ON keyword_index USING GIN (document)",
    "CREATE TABLE keyword_pending (mark BIGSERIAL PRIMARY KEY, item_id BIGINT NOT NULL)",
    "INSERT INTO keyword_pending (item_id) SELECT id FROM items ORDER BY id",
    *_marks("keyword_pending", "items", "id", ("INSERT", "UPDATE", "DELETE"), "keyword",
            "id, accession, title, description, metadata",
            _any_changed("id", "accession", "title", "description", "metadata")),
    *_marks("keyword_pending", "item_labels", "item_id", ("INSERT", "UPDATE", "DELETE"), "keyword",
            "item_id, label_id"),
    *_trigger("keyword_label_renamed", "labels", "UPDATE OF name_en, name_zh",
              "INSERT INTO keyword_pending (item_id) SELECT item_id FROM item_labels WHERE label_id = NEW.id;",
              _any_changed("name_en", "name_zh")),
]

M005 = [f"CREATE TABLE photo_signatures (item_id BIGINT PRIMARY KEY REFERENCES items(id) ON DELETE CASCADE {FK}, "
        "sha256 TEXT NOT NULL, signature BYTEA NOT NULL)"]


def _m006(trashed_tables: tuple[str, ...]) -> list[str]:
    out = []
    for table in trashed_tables:
        extra = ", ''::text AS trashed" if table == "items" else ""
        out.append(f"CREATE TABLE trash_{table} AS SELECT *{extra} FROM {table} WHERE false")
    for table in trashed_tables:
        out.append(f"CREATE INDEX idx_trash_{table} ON trash_{table}({'id' if table == 'items' else 'item_id'})")
    return out


M007 = ["CREATE TABLE trash_lone_photos AS SELECT *, ''::text AS trashed FROM photos WHERE false",
        "ALTER TABLE trash_lone_photos ADD COLUMN rowid BIGSERIAL UNIQUE",
        "CREATE INDEX idx_trash_lone_photos ON trash_lone_photos(item_id)"]

M008 = ["CREATE TABLE item_changes (mark BIGSERIAL PRIMARY KEY, item_id BIGINT NOT NULL)",
        *[s for table in ("item_labels", "suggestions", "photo_signatures")
          for s in _marks("item_changes", table, "item_id", ("INSERT", "UPDATE", "DELETE"), "changes")]]

M009 = ["CREATE INDEX idx_keyword_pending_item ON keyword_pending(item_id)"]

M010 = ["CREATE INDEX idx_items_accession_nocase ON items(lower(accession))"]

M011 = [*_marks("item_changes", "items", "id", ("INSERT", "UPDATE", "DELETE"), "changes", "title, description"),
        *_marks("item_changes", "photos", "item_id", ("INSERT", "UPDATE", "DELETE"), "changes"),
        f"CREATE TABLE encode_marks (model_id TEXT PRIMARY KEY REFERENCES models(id) ON DELETE CASCADE {FK}, "
        "mark BIGINT NOT NULL)"]


# Migration 12: every write to what a window shows is announced on the channel CHANNEL, once
# per statement, as "table EVENT" or "table EVENT:id,id,…" (the items it touched, while they fit in
# PostgreSQL's 8,000-byte payload); a window on another workstation listens and reloads what
# changed (``app.services.library.ChangeWatch``). SQLite has no such channel: migration 12 makes
# nothing there.
CHANNEL = "wenyang_changes"
_WATCHED = {"items": "id", "photos": "item_id", "item_labels": "item_id", "suggestions": "item_id",
            "collection_items": "item_id", "labels": None, "facets": None, "collections": None, "models": None}


def _announce(table: str, key: str | None, quiet_when_empty: bool = False) -> list[str]:
    """Statement triggers announcing writes to ``table``, naming the ``key`` values touched
    while they fit. ``quiet_when_empty`` (migration 14 on): a statement that touched no row
    says nothing (an upsert fires the insert and the update trigger, one of them on no rows),
    so "table EVENT" with no ids always means "too many to name"."""
    out = []
    for event in ("INSERT", "UPDATE", "DELETE"):
        rows = "new_rows" if event != "DELETE" else "old_rows"
        name = f"announce_{table}_{event.lower()}"
        if key is None:
            body = f"PERFORM pg_notify('{CHANNEL}', '{table} {event}');"
            referencing = ""
        else:
            empty = "RETURN NULL" if quiet_when_empty else f"PERFORM pg_notify('{CHANNEL}', '{table} {event}')"
            body = (f"SELECT string_agg(DISTINCT {key}::text, ',') INTO ids FROM {rows}; "
                    f"IF ids IS NULL THEN {empty}; "
                    f"ELSIF length(ids) > 7000 THEN PERFORM pg_notify('{CHANNEL}', '{table} {event}'); "
                    f"ELSE PERFORM pg_notify('{CHANNEL}', '{table} {event}:' || ids); END IF;")
            referencing = f"REFERENCING {'NEW' if event != 'DELETE' else 'OLD'} TABLE AS {rows} "
        out += [f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ DECLARE ids TEXT; "
                f"BEGIN {body} RETURN NULL; END $$",
                f"CREATE TRIGGER {name} AFTER {event} ON {table} {referencing}FOR EACH STATEMENT "
                f"EXECUTE FUNCTION {name}()"]
    return out


M012 = [s for table, key in _WATCHED.items() for s in _announce(table, key)]


M013 = [f"ALTER TABLE {table} ADD COLUMN {column}" for table in ("items", "trash_items")
        for column in ("version INTEGER NOT NULL DEFAULT 1", "changed_by TEXT NOT NULL DEFAULT ''")]


# Migration 14: labels' versions (as SQLite's); and the writes that the search service's caches
# depend on but a window does not show are announced too, so that a workstation knows from the
# announcements alone whether anything was written since it last read
# (``app.store.library.Library.write_stamp``): the codes, with the items whose codes changed, the
# library's settings and the photo signatures. A new codes' version is announced by its value,
# "codes_version N", after the codes written with it (one transaction's announcements arrive in
# the order made): a workstation that has heard it has heard which items' codes changed up to
# version N, and reads only those (``app.services.search.SearchService.index``).
def _announce_settings() -> list[str]:
    out = []
    for event in ("INSERT", "UPDATE"):
        name = f"announce_meta_{event.lower()}"
        out += [f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ DECLARE version TEXT; BEGIN "
                "SELECT value INTO version FROM new_rows WHERE key = 'codes_version'; "
                f"IF version IS NULL THEN PERFORM pg_notify('{CHANNEL}', 'meta {event}'); "
                f"ELSE PERFORM pg_notify('{CHANNEL}', 'codes_version ' || version); END IF; "
                "RETURN NULL; END $$",
                f"CREATE TRIGGER {name} AFTER {event} ON meta REFERENCING NEW TABLE AS new_rows "
                f"FOR EACH STATEMENT EXECUTE FUNCTION {name}()"]
    return out + [s for s in _announce("meta", None) if "_delete" in s]


# And the keyword index's tsvectors move to a table of their own (``app.store.keywords._TS_TABLE``):
# ranking reads every matching row, and a narrow row means fewer pages to read.
_DOCUMENTS_APART = [
    "CREATE TABLE keyword_index_documents (rowid BIGINT PRIMARY KEY, document tsvector NOT NULL)",
    "INSERT INTO keyword_index_documents (rowid, document) SELECT rowid, document FROM keyword_index",
    "DROP INDEX idx_keyword_document", "ALTER TABLE keyword_index DROP COLUMN document",
    "CREATE INDEX idx_keyword_documents ON keyword_index_documents USING GIN (document)"]

M014 = [*(f"ALTER TABLE labels ADD COLUMN {column}" for column in LABEL_VERSION_COLUMNS), *_DOCUMENTS_APART,
        *_announce("codes", "item_id", quiet_when_empty=True), *_announce("photo_signatures", None),
        *_announce_settings()]


# Migration 16: the log of items whose codes changed stays empty on a server, whose search
# reads the items the announcements of migration 14 name (``app.store.codes.CodeRepository
# .changes_logged``); the table is there so that both stores have the same tables.
M016 = ["CREATE TABLE code_changes (mark BIGSERIAL PRIMARY KEY, item_id BIGINT NOT NULL)"]


def m017_character_pairs(conn) -> None:
    """Migration 17: every stored tsvector written again from ``keyword_index``'s tokens with
    the characters of each Han run as pairs (``app.store.keywords.server_tokens``), read and
    written 2,000 rows at a time into the emptied table; the GIN index made again after, and
    the table analysed (the search reads the server's statistics of its words). 100,500 items:
    19 s on the 2-core EPYC while another job ran."""
    from app.store.keywords import FIELDS, ts_document

    conn.execute("DROP INDEX idx_keyword_documents")
    conn.execute("TRUNCATE keyword_index_documents")  # (deleted rows would stay beside the new ones until a vacuum)
    with conn.streamed(f"SELECT rowid, {', '.join(FIELDS)} FROM keyword_index", page=2000) as rows:
        documents = ((row[0], ts_document(dict(zip(FIELDS, row[1:])))) for row in rows)
        while page := list(islice(documents, 2000)):
            conn.executemany("INSERT INTO keyword_index_documents (rowid, document) VALUES (?, CAST(? AS tsvector))", page)
    conn.execute("CREATE INDEX idx_keyword_documents ON keyword_index_documents USING GIN (document)")
    conn.execute("ANALYZE keyword_index_documents")


def steps(trashed_tables: tuple[str, ...]) -> dict[int, Callable[[object], None]]:
    """Each migration's PostgreSQL step by number: runs its statements on a connection."""
    lists = {1: M001, 2: M002, 3: M003, 4: M004, 5: M005, 6: _m006(trashed_tables), 7: M007, 8: M008,
             9: M009, 10: M010, 11: M011, 12: M012, 13: M013, 14: M014, 15: MODALITY_VERSIONS, 16: M016}

    def run(statements: list[str]) -> Callable[[object], None]:
        def step(conn) -> None:
            for statement in statements:
                conn.execute(statement)
        return step
    return {**{number: run(statements) for number, statements in lists.items()}, 17: m017_character_pairs}
