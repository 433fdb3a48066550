"""The trash: deleted items, with every row that named them (photos, tags, collection places,
suggestions, codes, signatures), kept aside until restored exactly as they were or emptied.

The live tables never see a trashed item, so browsing, search and export need no filter.
Restoring puts back what still fits: tags of labels since deleted, places in collections since
deleted, and codes or suggestions of models since deleted are dropped; an accession number or
a photo that another item took meanwhile refuses the restore with a clear message.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from app.core.errors import WenyangError
from app.core.models import now_iso
from app.store.migrations import TRASHED_TABLES
from app.store.sql import chunks, marks, table_shape

if TYPE_CHECKING:
    from app.store.library import Library

# the live table each dependent row must still find its parent in, to come back
_PARENTS = {"item_labels": ("label_id", "labels"), "collection_items": ("collection_id", "collections"),
            "suggestions": ("model_id", "models"), "codes": ("model_id", "models")}


@dataclass(frozen=True)
class TrashedItem:
    id: int
    accession: str
    title: str
    trashed: str  # when (ISO time)
    photos: int


@dataclass(frozen=True)
class TrashedPhoto:
    """One photo deleted from an item that stayed in the library."""
    id: int        # its entry in the trash
    photo_id: int  # its id when it was in the library
    item_id: int
    accession: str  # its item's ('' when the item is gone too)
    path: str
    trashed: str
    position: int


class TrashRepository:
    def __init__(self, lib: Library):
        self.lib = lib
        self.db = lib.db

    def move(self, item_ids: Iterable[int]) -> int:
        """Move items (and every row naming them) to the trash; returns how many moved."""
        ids = sorted({int(i) for i in item_ids})
        moved = 0
        with self.lib.atomic():
            for chunk in chunks(ids):
                found = [r[0] for r in self.db.execute(f"SELECT id FROM items WHERE id IN ({marks(chunk)})", list(chunk))]
                if not found:
                    continue
                stamp = now_iso()
                for table in TRASHED_TABLES:
                    column = "id" if table == "items" else "item_id"
                    named = ", ".join(self._columns(table))  # by name: a later column comes last in the trash
                    extra = ", trashed" if table == "items" else ""
                    self.db.execute(f"INSERT INTO trash_{table} ({named}{extra}) SELECT {named}{', ?' if extra else ''} "
                                    f"FROM {table} WHERE {column} IN ({marks(found)})", ([stamp] if extra else []) + found)
                self.db.execute(f"DELETE FROM items WHERE id IN ({marks(found)})", found)  # the rest cascades
                moved += len(found)
            if moved:
                self.lib.codes.bump()       # search indexes reload without them
                self.lib.signatures.bump()
        return moved

    def restore(self, item_ids: Iterable[int] | None = None) -> list[int]:
        """Put trashed items back as they were (all of them when ``item_ids`` is None)."""
        ids = self._trashed_ids(item_ids)
        if not ids:
            return []
        with self.lib.atomic():
            self._refuse_taken(ids)
            ids = self._free_ids(ids)
            for table in TRASHED_TABLES:
                column = "id" if table == "items" else "item_id"
                columns = self._columns(table)
                where = f"{column} IN ({marks(ids)})"
                if table in _PARENTS:
                    ref, parent = _PARENTS[table]
                    where += f" AND {ref} IN (SELECT id FROM {parent})"
                self.db.execute(f"INSERT INTO {table} ({', '.join(columns)}) SELECT {', '.join(columns)} "
                                f"FROM trash_{table} WHERE {where}", ids)
            self._forget(ids)
            self.lib.codes.bump()
            self.lib.signatures.bump()
        return ids

    def empty(self, item_ids: Iterable[int] | None = None) -> list[tuple[str, str]]:
        """Forget trashed items for good; returns their photos' (stored path, sha256), so that
        the caller can remove the files the library holds for them."""
        ids = self._trashed_ids(item_ids)
        photos = []
        with self.lib.atomic():
            for chunk in chunks(ids):
                photos += [(r[0], r[1]) for r in self.db.execute(
                    f"SELECT path, sha256 FROM trash_photos WHERE item_id IN ({marks(chunk)})", list(chunk))]
                # single photos deleted earlier from these items go with them
                lone = [r[0] for r in self.db.execute(
                    f"SELECT rowid FROM trash_lone_photos WHERE item_id IN ({marks(chunk)})", list(chunk))]
                photos += self.empty_photos(lone) if lone else []
            self._forget(ids)
            if item_ids is None:
                photos += self.empty_photos()
        return photos

    # -- single photos ---------------------------------------------------------------------
    def move_photos(self, photo_ids: Iterable[int]) -> tuple[list[int], list[int]]:
        """Move single photos to the trash (their items stay); returns their trash entries
        (``TrashedPhoto.id``) and the items they left. An item's codes and signature follow its
        new first photo at the next encoding (they are kept by the hash of their photo)."""
        ids = sorted({int(i) for i in photo_ids})
        entries: list[int] = []
        items: set[int] = set()
        with self.lib.atomic():
            stamp = now_iso()
            for photo_id in ids:
                row = self.db.execute("SELECT item_id FROM photos WHERE id = ?", [photo_id]).fetchone()
                if row is None:
                    continue
                items.add(row[0])
                cursor = self.db.execute("INSERT INTO trash_lone_photos SELECT *, ? FROM photos WHERE id = ?",
                                         [stamp, photo_id])
                entries.append(int(cursor.lastrowid or 0))
                self.db.execute("DELETE FROM photos WHERE id = ?", [photo_id])
        return entries, sorted(items)

    def restore_photos(self, entries: Iterable[int] | None = None) -> tuple[list[int], list[int]]:
        """Put trashed single photos back on their items (all when None); returns the photos'
        ids and their items. Refused, restoring none, when an item is gone or a photo was
        imported again meanwhile."""
        wanted = None if entries is None else sorted({int(i) for i in entries})
        rows = [p for p in self.lone_photos() if wanted is None or p.id in wanted]
        missing = sorted(set(wanted or ()) - {p.id for p in rows})
        if missing:
            raise WenyangError(f"Not in the trash: photo entr(ies) {', '.join(map(str, missing[:5]))}.")
        gone = [p for p in rows if not p.accession]
        if gone:
            raise WenyangError(f"Cannot restore the photo {gone[0].path}: its item is not in the library "
                               "(restore the item from the trash first).")
        columns = self._columns("photos")
        photo_ids = []
        with self.lib.atomic():
            for entry in rows:
                taken = self.db.execute("SELECT 1 FROM photos p JOIN trash_lone_photos t ON p.sha256 = t.sha256 "
                                        "WHERE t.rowid = ?", [entry.id]).fetchone()
                if taken:
                    raise WenyangError(f"Cannot restore: the photo {entry.path} was imported again meanwhile. "
                                       "Delete that copy first.")
                free = self.db.execute("SELECT 1 FROM photos WHERE id = ?", [entry.photo_id]).fetchone() is None
                picked = ", ".join(columns if free else [c for c in columns if c != "id"])
                cursor = self.db.execute(f"INSERT INTO photos ({picked}) SELECT {picked} FROM trash_lone_photos "
                                         "WHERE rowid = ?", [entry.id])
                photo_ids.append(entry.photo_id if free else int(cursor.lastrowid or 0))
                self.db.execute("DELETE FROM trash_lone_photos WHERE rowid = ?", [entry.id])
        return photo_ids, sorted({p.item_id for p in rows})

    def lone_photos(self) -> list[TrashedPhoto]:
        """Single photos in the trash, most recently trashed first."""
        rows = self.db.execute(
            "SELECT t.rowid, t.id, t.item_id, COALESCE(i.accession, ''), t.path, t.trashed, t.position "
            "FROM trash_lone_photos t LEFT JOIN items i ON i.id = t.item_id "
            "ORDER BY t.trashed DESC, t.rowid DESC").fetchall()
        return [TrashedPhoto(*r) for r in rows]

    def empty_photos(self, entries: Iterable[int] | None = None) -> list[tuple[str, str]]:
        """Forget trashed single photos for good (all when None); returns their (path, sha256)."""
        if entries is None:
            where, args = "1 = 1", []
        else:
            args = sorted({int(i) for i in entries})
            where = f"rowid IN ({marks(args)})"
        with self.lib.atomic():
            out = [(r[0], r[1]) for r in self.db.execute(f"SELECT path, sha256 FROM trash_lone_photos WHERE {where}", args)]
            self.db.execute(f"DELETE FROM trash_lone_photos WHERE {where}", args)
        return out

    def items(self) -> list[TrashedItem]:
        """What the trash holds, most recently trashed first."""
        rows = self.db.execute(
            "SELECT t.id, t.accession, t.title, t.trashed, "
            "(SELECT COUNT(*) FROM trash_photos p WHERE p.item_id = t.id) "
            "FROM trash_items t ORDER BY t.trashed DESC, t.accession").fetchall()
        return [TrashedItem(*r) for r in rows]

    def photo_hashes(self) -> set[str]:
        """The content hashes of every trashed photo (their files are still the library's)."""
        return {r[0] for r in self.db.execute("SELECT sha256 FROM trash_photos UNION SELECT sha256 FROM trash_lone_photos")}

    def count(self) -> int:
        return int(self.db.execute("SELECT COUNT(*) FROM trash_items").fetchone()[0])

    def photo_count(self) -> int:
        """Single photos in the trash (an item's own photos are counted with it)."""
        return int(self.db.execute("SELECT COUNT(*) FROM trash_lone_photos").fetchone()[0])

    # -- helpers ---------------------------------------------------------------------------
    def _trashed_ids(self, item_ids: Iterable[int] | None) -> list[int]:
        if item_ids is None:
            return [r[0] for r in self.db.execute("SELECT id FROM trash_items ORDER BY id")]
        wanted = sorted({int(i) for i in item_ids})
        found = []
        for chunk in chunks(wanted):
            found += [r[0] for r in self.db.execute(
                f"SELECT id FROM trash_items WHERE id IN ({marks(chunk)}) ORDER BY id", list(chunk))]
        missing = sorted(set(wanted) - set(found))
        if missing:
            raise WenyangError(f"Not in the trash: item(s) {', '.join(map(str, missing[:5]))}.")
        return found

    def _refuse_taken(self, ids: list[int]) -> None:
        """An accession number or photo another item took meanwhile: say which, restore none."""
        where = f"IN ({marks(ids)})"
        taken = self.db.execute(f"SELECT t.accession FROM trash_items t JOIN items i ON i.accession = t.accession "
                                f"WHERE t.id {where} LIMIT 3", ids).fetchall()
        if taken:
            raise WenyangError("Cannot restore: another item now has the accession number "
                               + ", ".join(r[0] for r in taken) + ". Rename one of them first.")
        photo = self.db.execute(f"SELECT t.path FROM trash_photos t JOIN photos p ON p.sha256 = t.sha256 "
                                f"WHERE t.item_id {where} LIMIT 1", ids).fetchone()
        if photo:
            raise WenyangError(f"Cannot restore: the photo {photo[0]} was imported again meanwhile, as "
                               "another item. Delete that item first.")

    def _free_ids(self, ids: list[int]) -> list[int]:
        """The items' ids, each kept unless a newer item took it meanwhile (SQLite reuses the
        highest id), then moved to a free one; a photo id taken meanwhile is left to SQLite."""
        out = []
        for old in ids:
            if self.db.execute("SELECT 1 FROM items WHERE id = ?", [old]).fetchone() is None:
                out.append(old)
                continue
            new = int(self.db.execute("SELECT MAX(m) + 1 FROM (SELECT MAX(id) AS m FROM items UNION ALL "
                                      "SELECT MAX(id) FROM trash_items) AS taken").fetchone()[0])
            for table in TRASHED_TABLES:
                column = "id" if table == "items" else "item_id"
                self.db.execute(f"UPDATE trash_{table} SET {column} = ? WHERE {column} = ?", [new, old])
            out.append(new)
        self.db.execute(f"UPDATE trash_photos SET id = NULL WHERE item_id IN ({marks(out)}) "
                        "AND id IN (SELECT id FROM photos)", out)
        return out

    def _forget(self, ids: list[int]) -> None:
        for chunk in chunks(ids):
            for table in TRASHED_TABLES:
                column = "id" if table == "items" else "item_id"
                self.db.execute(f"DELETE FROM trash_{table} WHERE {column} IN ({marks(chunk)})", list(chunk))

    def _columns(self, table: str) -> list[str]:
        return list(table_shape(self.db, table)[0])
