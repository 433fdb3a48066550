"""Photo signatures (``app.media.signature``) stored per item, with the photo they came from."""
from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

import numpy as np

from app.core.pacing import give_way
from app.store.sql import rows_in

if TYPE_CHECKING:
    from app.store.library import Library


VERSION_KEY = "signatures_version"


class SignatureRepository:
    """Read and write ``photo_signatures``; rows of items deleted go with them (cascade)."""

    def __init__(self, lib: Library):
        self.lib = lib

    def hashes(self) -> dict[int, str]:
        """item id → sha256 of the photo its stored signature was made from."""
        return dict(self.lib.db.execute("SELECT item_id, sha256 FROM photo_signatures").fetchall())

    def hashes_of(self, item_ids: Iterable[int]) -> dict[int, str]:
        """``hashes`` of these items only."""
        return dict(rows_in(self.lib.db.conn, "SELECT item_id, sha256 FROM photo_signatures WHERE item_id",
                            (int(i) for i in item_ids)))

    def put(self, rows: Iterable[tuple[int, str, np.ndarray]]) -> None:
        """Store (item id, photo sha256, float16 signature) rows, replacing older ones."""
        with self.lib.atomic():
            self.lib.db.table("photo_signatures").insert_all(
                ({"item_id": int(i), "sha256": sha, "signature": np.ascontiguousarray(sig, np.float16).tobytes()}
                 for i, sha, sig in rows), replace=True)
            self.bump()

    def delete(self, item_ids: Iterable[int]) -> None:
        ids = [int(i) for i in item_ids]
        with self.lib.atomic():
            for item_id in ids:
                self.lib.db.table("photo_signatures").delete_where("item_id = ?", [item_id])
            self.bump()

    def slices(self, shape: tuple[int, int], size: int = 20_000):
        """Every signature, in slices of ``size`` rows: (item ids int64, float16 signatures
        (rows, *shape)), in item order."""
        cur = self.lib.db.conn.execute("SELECT item_id, signature FROM photo_signatures ORDER BY item_id")
        while rows := cur.fetchmany(size):
            if not self.lib.db.conn.in_transaction:  # never while holding the write lock
                give_way()  # while the window scrolls, this waits (app.core.pacing)
            yield (np.array([r[0] for r in rows], np.int64),
                   np.frombuffer(b"".join(r[1] for r in rows), np.float16).reshape(len(rows), *shape))

    def of(self, item_ids: Iterable[int], shape: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
        """(ids, float16 signatures) of ``item_ids`` that have one, in item order."""
        rows = sorted(rows_in(self.lib.db.conn, "SELECT item_id, signature FROM photo_signatures WHERE item_id",
                              (int(i) for i in item_ids)))
        return (np.array([r[0] for r in rows], np.int64),
                np.frombuffer(b"".join(r[1] for r in rows), np.float16).reshape(len(rows), *shape))

    def version(self) -> tuple[int, str]:
        """Changes whenever signatures are written or removed (and when items go: the count)."""
        count = self.lib.db.execute("SELECT COUNT(*) FROM photo_signatures").fetchone()[0]
        return int(count), self.lib.get_meta(VERSION_KEY, "0")

    def bump(self) -> None:
        current = int(self.lib.get_meta(VERSION_KEY, "0"))
        self.lib.db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", [VERSION_KEY, str(current + 1)])
