"""Items and their photos."""
from __future__ import annotations

import json
import threading
from collections.abc import Iterable
from dataclasses import asdict, replace
from typing import TYPE_CHECKING

from app.core.errors import NotFound, StaleEdit, WenyangError
from app.core.models import MAX_TEXT, Item, Photo, editor, now_iso
from app.core.scheme import clean_name
from app.store.sql import chunks, marks, passing_sql, rows_in

if TYPE_CHECKING:
    from app.store.library import Library


_PHOTO_COLUMNS = "id, item_id, path, sha256, size, width, height, format, note, position"
EDITABLE = ("accession", "title", "description", "metadata")


class ItemRepository:
    def __init__(self, lib: Library):
        self.lib = lib
        self.db = lib.db

    # -- writing ---------------------------------------------------------------------------
    def add(self, item: Item) -> int:
        """Insert an item with its photos and labels in one transaction; returns its id."""
        stamp = now_iso()
        item = replace(item, accession=clean_name(item.accession))
        _check_lengths({"title": item.title, "description": item.description, "metadata": item.metadata})
        self._refuse_duplicate(item.accession)
        with self.lib.atomic():
            cur = self.db.execute(
                "INSERT INTO items (accession, title, description, metadata, created, modified) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                [item.accession, item.title, item.description,
                 json.dumps(item.metadata, ensure_ascii=False), stamp, stamp])
            item_id = int(cur.lastrowid or 0)
            for position, photo in enumerate(item.photos):
                self.add_photo(item_id, photo, position)
            if item.labels:
                self.lib.labels.tag([item_id], item.labels)
        return item_id

    def add_photo(self, item_id: int, photo: Photo, position: int | None = None) -> int:
        if position is None:
            row = self.db.execute("SELECT COUNT(*) FROM photos WHERE item_id = ?", [item_id]).fetchone()
            position = row[0]
        fields = asdict(photo)
        fields.update(item_id=item_id, position=position, created=now_iso())
        fields.pop("id")
        cols = ", ".join(fields)
        cur = self.db.execute(f"INSERT INTO photos ({cols}) VALUES ({', '.join('?' * len(fields))})",
                              list(fields.values()))
        self._touch(item_id)
        return int(cur.lastrowid or 0)

    def update(self, item_id: int, expected_version: int | None = None, **changes) -> Item:
        """Change accession, title, description or metadata; returns the updated item. Each
        edit counts the item's version up and records who made it; with ``expected_version``
        (the version the edit was made from) an item changed since is refused with StaleEdit,
        naming who changed it and when, and nothing is written."""
        unknown = set(changes) - set(EDITABLE)
        if unknown:
            raise WenyangError(f"These item fields cannot be edited: {', '.join(sorted(unknown))}.")
        self.get(item_id)
        _check_lengths(changes)
        if "accession" in changes:
            changes["accession"] = clean_name(changes["accession"])
            self._refuse_duplicate(changes["accession"], item_id)
        if "metadata" in changes:
            changes["metadata"] = json.dumps(changes["metadata"], ensure_ascii=False)
        if changes:
            sets = ", ".join(f"{k} = ?" for k in changes)
            with self.lib.atomic():  # the check and the write under one write lock
                if expected_version is not None:
                    self._refuse_stale(item_id, expected_version)
                self.db.execute(f"UPDATE items SET {sets}, modified = ?, version = version + 1, changed_by = ? "
                                "WHERE id = ?", [*changes.values(), now_iso(), editor(), item_id])
        return self.get(item_id)

    def _refuse_stale(self, item_id: int, expected_version: int) -> None:
        row = self.db.execute("SELECT accession, version, changed_by, modified FROM items WHERE id = ?",
                              [item_id]).fetchone()
        if row is not None and int(row[1]) != int(expected_version):
            who = row[2] or "another program"
            # Short: the window's status bar shows it beside the library's address.
            raise StaleEdit(f"{row[0]} was changed by {who} at {row[3][11:16]} UTC: your edit was not saved. "
                            "Save again to replace theirs.")

    def delete(self, item_id: int) -> None:
        with self.lib.atomic():
            self.db.execute("DELETE FROM items WHERE id = ?", [item_id])
            self.lib.codes.bump()  # its codes went with it (cascade): indexes must reload

    def _refuse_duplicate(self, accession: str, item_id: int | None = None) -> None:
        """Accession numbers are unique: say so instead of a raw sqlite3.IntegrityError."""
        found = self.id_for_accession(accession)
        if found is not None and found != item_id:
            raise WenyangError(f"Accession number {accession!r} is already used by item {found}.")

    def _touch(self, item_id: int) -> None:
        self.db.execute("UPDATE items SET modified = ? WHERE id = ?", [now_iso(), item_id])

    # -- reading ---------------------------------------------------------------------------
    def get(self, item_id: int) -> Item:
        row = self.db.execute(
            "SELECT id, accession, title, description, metadata, created, modified, version, changed_by "
            "FROM items WHERE id = ?", [item_id]).fetchone()
        if row is None:
            raise NotFound(f"There is no item with id {item_id}.")
        return self._item(row)

    def get_by_accession(self, accession: str) -> Item:
        found = self.id_for_accession(accession)
        if found is None:
            raise NotFound(f"There is no item with accession number {accession!r}.")
        return self.get(found)

    def resolve(self, ref: str | int) -> Item:
        """An item by id (``12`` or ``#12``) or by accession number."""
        text = str(ref).strip()
        found = self.id_for_accession(text)
        if found is not None:
            return self.get(found)
        if text.lstrip("#").isdigit():
            return self.get(int(text.lstrip("#")))
        raise NotFound(f"There is no item {text!r} (neither an accession number nor an id).")

    def id_for_accession(self, accession: str) -> int | None:
        """The item of an accession number, typed in any Unicode form (stored as NFC; a library
        written before names were normalised may hold another form, tried second)."""
        clean = clean_name(accession)
        for form in dict.fromkeys((clean, accession)):
            row = self.db.execute("SELECT id FROM items WHERE accession = ?", [form]).fetchone()
            if row:
                return row[0]
        return None

    def item_for_photo_hash(self, sha256: str) -> int | None:
        row = self.db.execute("SELECT item_id FROM photos WHERE sha256 = ?", [sha256]).fetchone()
        return row[0] if row else None

    def photos(self, item_id: int) -> list[Photo]:
        rows = self.db.execute(f"SELECT {_PHOTO_COLUMNS} FROM photos WHERE item_id = ? "
                               "ORDER BY position, id", [item_id]).fetchall()
        return [Photo(id=r[0], item_id=r[1], path=r[2], sha256=r[3], size=r[4], width=r[5],
                      height=r[6], format=r[7], note=r[8], position=r[9]) for r in rows]

    def count(self) -> int:
        return self.db.execute("SELECT COUNT(*) FROM items").fetchone()[0]

    def tagged_counts(self) -> tuple[int, int]:
        """(items with at least one label, those of them with a photo too)."""
        row = self.db.execute(
            "SELECT COUNT(*), COALESCE(SUM(CASE WHEN EXISTS (SELECT 1 FROM photos p WHERE p.item_id = i.id) THEN 1 ELSE 0 END), 0) "
            "FROM items i WHERE EXISTS (SELECT 1 FROM item_labels l WHERE l.item_id = i.id)").fetchone()
        return int(row[0]), int(row[1])

    def ids(self, label: str | None = None, collection: int | None = None,
            limit: int | None = None, offset: int = 0, order: str = "accession") -> list[int]:
        """Item ids in ``order`` (``ORDERS``: accession number by default), optionally restricted
        to a label (and its descendants) or a collection."""
        if order == "collection":  # a collection's own order (an exhibition list)
            if collection is None:
                order = "accession"
            else:
                members = self.lib.collections.member_ids(collection)
                if label is not None:
                    allowed = set(self.ids(label=label, collection=collection))
                    members = [i for i in members if i in allowed]
                return members[offset:None if limit is None else offset + limit]
        if order not in ORDERS:
            raise ValueError(f"Unknown order {order!r}; choose one of {sorted(ORDERS)} or 'collection'.")
        sql = "SELECT i.id FROM items i"
        args: list[str | int] = []
        where = []
        if label is not None:
            ids = [label, *self.lib.scheme.descendants(label)]
            where.append(f"i.id IN (SELECT item_id FROM item_labels WHERE label_id IN "
                         f"({', '.join('?' * len(ids))}))")
            args += ids
        if collection is not None:
            where.append("i.id IN (SELECT item_id FROM collection_items WHERE collection_id = ?)")
            args.append(collection)
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY " + ORDERS[order]
        if limit is not None or offset:
            sql += " LIMIT ? OFFSET ?"  # an offset alone needs a LIMIT: one no library reaches
            args += [2 ** 62 if limit is None else limit, offset]
        return [r[0] for r in self.db.execute(sql, args).fetchall()]

    def passing(self, label_groups: Iterable[Iterable[str]] = (), collection: int | None = None) -> list[int]:
        """Ids (ascending) of the items that carry a label of every group (AND across groups,
        OR within one) and, when ``collection`` is given, belong to it."""
        sql, args = passing_sql(label_groups, collection)
        return [r[0] for r in self.db.execute(sql + " ORDER BY id", args).fetchall()]

    def summaries(self, item_ids: Iterable[int]) -> dict[int, dict]:
        """What the grid shows of each item, in three statements per 500 items instead of three
        per item (and without reading descriptions, which may be long): {id: {accession, title,
        date, modified, labels (sorted ids), photos (count), first (stored path, sha256) or None}}.
        Ids that are not items are left out."""
        out: dict[int, dict] = {}
        for chunk in chunks(list(item_ids)):
            args = list(chunk)
            for r in self.db.execute(
                    "SELECT id, accession, title, COALESCE(json_extract(metadata, '$.date'), ''), modified "
                    f"FROM items WHERE id IN ({marks(chunk)})", args):
                out[r[0]] = {"accession": r[1], "title": r[2], "date": str(r[3]), "modified": r[4],
                             "labels": [], "photos": 0, "first": None}
            for item_id, path, sha in self.db.execute(
                    f"SELECT item_id, path, sha256 FROM photos WHERE item_id IN ({marks(chunk)}) "
                    "ORDER BY item_id, position, id", args):
                entry = out.get(item_id)
                if entry is not None:
                    entry["photos"] += 1
                    if entry["first"] is None:
                        entry["first"] = (path, sha)
            for item_id, label_id in self.db.execute(
                    f"SELECT item_id, label_id FROM item_labels WHERE item_id IN ({marks(chunk)}) "
                    "ORDER BY item_id, label_id", args):
                entry = out.get(item_id)
                if entry is not None:
                    entry["labels"].append(label_id)
        return out

    def cards(self, item_ids: Iterable[int]) -> dict[int, tuple[str, str, str, str]]:
        """What a list of items shows: {id: (accession, title, first photo's stored path, its
        sha256)}; the photo fields are '' for an item without. One statement per 500 items, one
        on a server (a search's hits: there each statement is a round trip)."""
        if getattr(self.db, "dialect", "sqlite") == "postgresql":  # a third of the time as a lateral join there
            photo = ("LEFT JOIN LATERAL (SELECT f.path, f.sha256 FROM photos f WHERE f.item_id = i.id "
                     "ORDER BY f.position, f.id LIMIT 1) p ON TRUE")
        else:
            photo = ("LEFT JOIN photos p ON p.id = "
                     "(SELECT f.id FROM photos f WHERE f.item_id = i.id ORDER BY f.position, f.id LIMIT 1)")
        return {r[0]: (r[1], r[2], r[3] or "", r[4] or "") for r in rows_in(
            self.db, f"SELECT i.id, i.accession, i.title, p.path, p.sha256 FROM items i {photo} WHERE i.id",
            (int(i) for i in item_ids))}

    def texts(self, item_ids: Iterable[int] | None = None) -> list[tuple[int, str, str]]:
        """(id, title, description) of every item (or of those of ``item_ids`` that exist), by id."""
        if item_ids is None:
            return [tuple(r) for r in self.db.execute("SELECT id, title, description FROM items ORDER BY id")]
        return list(rows_in(self.db, "SELECT id, title, description FROM items WHERE id",
                            (int(i) for i in item_ids), tail="ORDER BY id"))

    def accessions(self) -> dict[int, str]:
        """Every item's accession number, by id."""
        return dict(self.db.execute("SELECT id, accession FROM items").fetchall())

    def existing(self, item_ids: Iterable[int]) -> set[int]:
        """Those of these ids that are items of the library (not deleted)."""
        wanted = sorted({int(i) for i in item_ids})
        found: set[int] = set()
        for chunk in chunks(wanted):
            found.update(r[0] for r in self.db.execute(f"SELECT id FROM items WHERE id IN ({marks(chunk)})", list(chunk)))
        return found

    def with_photo(self, item_ids: Iterable[int] | None = None) -> set[int]:
        """Ids of the items that have at least one photo (of ``item_ids`` only, when given)."""
        if item_ids is None:
            return {r[0] for r in self.db.execute("SELECT DISTINCT item_id FROM photos")}
        return {r[0] for r in rows_in(self.db, "SELECT DISTINCT item_id FROM photos WHERE item_id",
                                      (int(i) for i in item_ids))}

    def with_text(self, item_ids: Iterable[int] | None = None) -> set[int]:
        """Ids of the items with a title or a description (of ``item_ids`` only, when given)."""
        sql = "SELECT id FROM items WHERE trim(title || description) != ''"
        if item_ids is None:
            return {r[0] for r in self.db.execute(sql)}
        return {r[0] for r in rows_in(self.db, f"{sql} AND id", (int(i) for i in item_ids))}

    def first_photos(self, item_ids: Iterable[int] | None = None) -> dict[int, tuple[str, str]]:
        """Each item's first photo (lowest position, then oldest): {item id: (stored path, sha256)};
        of the items of ``item_ids`` only when given."""
        order = "ORDER BY item_id, position DESC, id DESC"  # the last row of an item wins the dict
        if item_ids is None:
            return {r[0]: (r[1], r[2]) for r in self.db.execute(f"SELECT item_id, path, sha256 FROM photos {order}")}
        return {r[0]: (r[1], r[2]) for r in rows_in(self.db, "SELECT item_id, path, sha256 FROM photos WHERE item_id",
                                                    (int(i) for i in item_ids), tail=order)}

    def photo_hashes(self) -> set[str]:
        """The sha256 of every photo in the library."""
        return {r[0] for r in self.db.execute("SELECT sha256 FROM photos")}

    def set_times(self, item_id: int, created: str = "", modified: str = "") -> None:
        """Put back an item's history (a package's own times); a blank time keeps the stored one."""
        with self.lib.atomic():
            self.db.execute("UPDATE items SET created = COALESCE(NULLIF(?, ''), created), "
                            "modified = COALESCE(NULLIF(?, ''), modified) WHERE id = ?",
                            [created, modified, item_id])

    def many(self, item_ids: Iterable[int]) -> list[Item]:
        return [self.get(i) for i in item_ids]

    def _item(self, row) -> Item:
        item = Item(id=row[0], accession=row[1], title=row[2], description=row[3],
                    metadata=json.loads(row[4] or "{}"), created=row[5], modified=row[6],
                    version=int(row[7]), changed_by=row[8])
        item.photos = self.photos(row[0])
        item.labels = self.lib.labels.labels_of(row[0])
        return item


# How the grid can sort: items without the value (no title, no date) come last, then accession.
ORDERS = {
    "accession": "i.accession, i.id",
    "title": "i.title = '', lower(i.title), i.accession, i.id",  # lower(): as SQLite's NOCASE, in both engines
    "date": "COALESCE(json_extract(i.metadata, '$.date'), '') = '', json_extract(i.metadata, '$.date'), "
            "i.accession, i.id",
    "modified": "i.modified DESC, i.id DESC",
    "imported": "i.id",
}


def _check_lengths(fields: dict) -> None:
    """No text longer than ``MAX_TEXT``: what the library stores, its packages carry back."""
    for name, value in fields.items():
        texts = [value] if isinstance(value, str) else \
            [v for v in value.values() if isinstance(v, str)] if isinstance(value, dict) else []
        for text in texts:
            if len(text) > MAX_TEXT:
                raise WenyangError(f"The {name} is {len(text):,} characters long; an item's texts are limited "
                                   f"to {MAX_TEXT:,} characters. Keep a longer document as a file beside it.")


class PhotoLookup:
    """Whether the library holds a photo with a given sha256, asked from worker threads (an
    import's decode threads): each thread reads through a read-only connection of its own, as
    the library's connection belongs to the thread that writes. Close it when done."""

    def __init__(self, lib: Library):
        self.lib = lib
        self._local = threading.local()
        self._conns: list = []
        self._lock = threading.Lock()

    def known(self, sha256: str) -> bool:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._local.conn = self.lib.reader()
            with self._lock:
                self._conns.append(conn)
        return conn.execute("SELECT 1 FROM photos WHERE sha256 = ?", [sha256]).fetchone() is not None

    def close(self) -> None:
        with self._lock:
            for conn in self._conns:
                conn.close()
            self._conns.clear()
