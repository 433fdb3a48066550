"""Every row of one library into another, whichever engines they are on (``wenyang copy``).

Tables go parents first, in chunks of ``CHUNK`` rows, each chunk one transaction that inserts
what the target lacks (``ON CONFLICT DO NOTHING`` on the table's key): a copy that was stopped
(killed, the network lost, the disk full) is resumed by running it again, and finishes with
exactly the rows of the source. Tables without a key (the trash's) are copied whole in one
transaction. What the target makes itself is not copied: its migrations' record, the keyword
index and its queue, and the change log (the target's triggers write them as rows arrive, and
the keyword index is rebuilt from the copied text on the first search). The row numbers the
store reads (``labels``' rowid) are the target's own.
"""
from __future__ import annotations

from collections.abc import Callable

from app.store.library import FILES_KEY, Library
from app.store.migrations import TRASHED_TABLES
from app.store.sql import marks, table_shape

CHUNK = 2000
# Parents before children (foreign keys); the trash after the live tables.
TABLES = ("meta", "facets", "labels", "items", "photos", "collections", "collection_items", "item_labels",
          "models", "codes", "code_snapshots", "suggestions", "photo_signatures", "encode_marks",
          *(f"trash_{t}" for t in TRASHED_TABLES), "trash_lone_photos")
# Made by the target itself, not copied.
SKIPPED = {"_migrations", "keyword_index", "keyword_index_documents", "keyword_pending", "item_changes",
           "code_changes"}
# The target's own facts, kept: where its files are, and its keyword index's identity.
COPY_KEY = "copy_of"  # in the target while (and after) it is being copied: from where
OWN_META = (FILES_KEY, "keyword_index_identity", "created", "created_by", COPY_KEY)
SOURCE_WINS = ("meta", "facets", "labels")  # over the new target's defaults (its seeded scheme)
ENGINE_COLUMNS = {"rowid", "document"}  # columns one engine has and the other makes itself


def row_counts(lib: Library) -> dict[str, int]:
    """How many rows each copied table holds."""
    return {table: int(lib.db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]) for table in TABLES}


def clear_seeded_scheme(target: Library) -> None:
    """A new target starts with the default scheme: drop it, so that the copy holds exactly the
    source's labels (one it deleted must not come back)."""
    with target.atomic():
        if target.db.execute("SELECT COUNT(*) FROM item_labels").fetchone()[0]:
            raise ValueError("the target library has tagged items: not a new library")
        target.db.execute("UPDATE labels SET parent = NULL")
        target.db.execute("DELETE FROM suggestions")
        target.db.execute("DELETE FROM labels")
        target.db.execute("DELETE FROM facets")


def copy_rows(source: Library, target: Library, progress: Callable[[str, int, int], None] | None = None) -> dict:
    """Copy every row of ``source`` into ``target``; {table: rows in the target}. ``progress``
    is called with (table, rows copied so far, rows in the table)."""
    report = progress or (lambda table, done, total: None)
    counts = {}
    for table in TABLES:
        src_columns, key = table_shape(source.db, table)
        dst_columns, _ = table_shape(target.db, table)
        columns = [c for c in src_columns if c in dst_columns and c not in ENGINE_COLUMNS]
        total = int(source.db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])
        if not key:
            _copy_whole(source, target, table, columns, total, report)
        else:
            _copy_keyed(source, target, table, columns, [k for k in key if k in columns], total, report)
        counts[table] = int(target.db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])
    if target.on_server:
        target.db.conn.follow_sequences()
    return counts


def _copy_keyed(source: Library, target: Library, table: str, columns: list[str], key: list[str],
                total: int, report) -> None:
    select = f"SELECT {', '.join(columns)} FROM {table}"
    where = ""
    if table == "meta":
        where = f" WHERE key NOT IN ({marks(OWN_META)})"
    insert = (f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks(columns)}) "
              f"ON CONFLICT ({', '.join(key)}) DO NOTHING")
    if table in SOURCE_WINS:  # the source's names, counters and settings over the target's defaults
        others = [c for c in columns if c not in key]
        insert = (f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks(columns)}) "
                  f"ON CONFLICT ({', '.join(key)}) DO UPDATE SET " + ", ".join(f"{c} = excluded.{c}" for c in others))
    cursor = source.db.execute(f"{select}{where} ORDER BY {', '.join(key)}", list(OWN_META) if where else [])
    done = 0
    while True:
        rows = cursor.fetchmany(CHUNK)
        if not rows:
            break
        with target.atomic():
            if table == "labels":  # a label's parent may come later in the same chunk
                target.db.execute("SET CONSTRAINTS ALL DEFERRED" if target.on_server
                                  else "PRAGMA defer_foreign_keys = ON")
            target.db.conn.executemany(insert, [tuple(r) for r in rows])
        done += len(rows)
        report(table, done, total)


def _copy_whole(source: Library, target: Library, table: str, columns: list[str], total: int, report) -> None:
    rows = [tuple(r) for r in source.db.execute(f"SELECT {', '.join(columns)} FROM {table}")]
    with target.atomic():
        target.db.execute(f"DELETE FROM {table}")
        if rows:
            target.db.conn.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks(columns)})", rows)
    report(table, len(rows), total)
