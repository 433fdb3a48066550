"""Every item's label evidence in bulk: its tags and a model's tag suggestions, as integer
rows ready for arrays, and the log of items whose evidence changed (``item_changes``,
written by triggers: see migration 8). ``app.services.evidence`` keeps them in memory."""
from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from app.store.sql import chunks, marks

if TYPE_CHECKING:
    from app.store.library import Library

KEEP_MARKS = 500_000  # log entries kept when a library opens; a reader further behind reloads all


class EvidenceRepository:
    def __init__(self, lib: Library):
        self.lib = lib
        self.db = lib.db

    def labels(self) -> tuple[list[str], np.ndarray]:
        """(label ids, their rowids): the columns that rows below name by rowid."""
        rows = self.db.conn.execute("SELECT id, rowid FROM labels ORDER BY rowid").fetchall()
        return [r[0] for r in rows], np.array([r[1] for r in rows], np.int64)

    def mark(self) -> int:
        """The newest mark of the change log (0 when it is empty)."""
        return log_mark(self.db.conn, "item_changes")

    def oldest(self) -> int | None:
        """The oldest mark still in the log, or None when it is empty."""
        return log_oldest(self.db.conn, "item_changes")

    def too_far(self, mark: int, newest: int, rows: int) -> bool:
        """Whether so many entries follow ``mark`` that reading every row is the quicker way
        (an item's tags and suggestions write some 25 entries when it is encoded or imported)."""
        return newest - mark > 4 * rows + 1000

    def changed_since(self, mark: int, upto: int) -> list[int]:
        """Items whose evidence changed after ``mark``, up to ``upto`` (sorted, distinct)."""
        return log_items(self.db.conn, "item_changes", mark, upto)

    def tags(self, item_ids: Sequence[int] | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(item ids, label rowids) of every tag, or of the tags of ``item_ids``."""
        sql = "SELECT t.item_id, l.rowid FROM item_labels t JOIN labels l ON l.id = t.label_id"
        rows = self._rows(sql, "t.item_id", [], item_ids)
        return (np.fromiter((r[0] for r in rows), np.int64, len(rows)),
                np.fromiter((r[1] for r in rows), np.int64, len(rows)))

    def predictions(self, model_id: str, item_ids: Sequence[int] | None = None
                    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(item ids, label rowids, confidences) of ``model_id``'s suggestions that the curator
        has not rejected, for every item or for ``item_ids``."""
        sql = ("SELECT s.item_id, l.rowid, s.confidence FROM suggestions s JOIN labels l ON l.id = s.label_id "
               "WHERE s.model_id = ? AND s.status != 'rejected'")
        rows = self._rows(sql, "s.item_id", [model_id], item_ids)
        return (np.fromiter((r[0] for r in rows), np.int64, len(rows)),
                np.fromiter((r[1] for r in rows), np.int64, len(rows)),
                np.fromiter((r[2] for r in rows), np.float64, len(rows)))

    def _rows(self, sql: str, column: str, args: list, item_ids: Sequence[int] | None) -> list:
        if item_ids is None:
            return self.db.conn.execute(sql, args).fetchall()
        joiner = " AND " if " WHERE " in sql else " WHERE "
        out: list = []
        for chunk in chunks(list(item_ids)):
            out += self.db.conn.execute(f"{sql}{joiner}{column} IN ({marks(chunk)})", [*args, *chunk]).fetchall()
        return out

    def prune(self, keep: int = KEEP_MARKS) -> int:
        """Drop log entries more than ``keep`` marks behind the newest; how many went."""
        return prune_log(self.lib, "item_changes", keep)


# The logs of changed items (``item_changes``, ``code_changes``): marks only grow, and each
# entry names an item.
def log_mark(conn, table: str) -> int:
    """The newest mark of the log ``table`` (0 when it is empty)."""
    return int(conn.execute(f"SELECT COALESCE(MAX(mark), 0) FROM {table}").fetchone()[0])


def log_oldest(conn, table: str) -> int | None:
    """The oldest mark still in the log ``table``, or None when it is empty."""
    row = conn.execute(f"SELECT MIN(mark) FROM {table}").fetchone()
    return None if row[0] is None else int(row[0])


def log_items(conn, table: str, mark: int, upto: int, limit: int | None = None) -> list[int]:
    """Items the log ``table`` names after ``mark``, up to ``upto`` (sorted, distinct; the
    first ``limit`` of them when given)."""
    sql = f"SELECT DISTINCT item_id FROM {table} WHERE mark > ? AND mark <= ? ORDER BY item_id"
    args: list = [mark, upto]
    if limit is not None:
        sql += " LIMIT ?"
        args.append(limit)
    return [int(r[0]) for r in conn.execute(sql, args)]


def prune_log(lib: Library, table: str, keep: int) -> int:
    """Drop the entries of the log ``table`` more than ``keep`` marks behind the newest; how
    many went. It does not wait for another process's write (sqlite3.OperationalError: try
    again later)."""
    conn = lib.db.conn
    oldest, newest = log_oldest(conn, table), log_mark(conn, table)
    if oldest is None or oldest > newest - keep:
        return 0
    if lib.on_server:  # rows only this deletes: no need of the library's write lock
        return conn.execute(f"DELETE FROM {table} WHERE mark <= ?", [newest - keep]).rowcount
    with lib.not_waiting(), lib.atomic():
        return conn.execute(f"DELETE FROM {table} WHERE mark <= ?", [newest - keep]).rowcount
