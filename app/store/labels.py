"""Label scheme storage and its operations: add, rename, move, merge, delete, tag, untag.

Every structural change bumps ``scheme_version`` in the meta table; models record the
scheme fingerprint they were trained on (see ``LabelScheme.fingerprint``).
"""
from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import asdict, replace
from typing import TYPE_CHECKING

import numpy as np

from app.core.errors import SchemeError, StaleEdit
from app.core.models import editor, now_iso
from app.core.scheme import PATH_SEP, Facet, Label, LabelScheme, clean_name, name_key
from app.store.sql import chunks, marks, passing_sql

if TYPE_CHECKING:
    from app.store.library import Library


def _whole(method):
    """Run a scheme or tagging change as one transaction from its first read: the scheme it
    starts from is the one it writes over, even with another process changing labels too."""
    @functools.wraps(method)
    def run(self, *args, **kwargs):
        with self.lib.atomic():
            return method(self, *args, **kwargs)
    return run


class LabelRepository:
    def __init__(self, lib: Library):
        self.lib = lib
        self.db = lib.db
        self._cache: tuple[int, LabelScheme] | None = None

    # -- the scheme ------------------------------------------------------------------------
    def version(self) -> int:
        return int(self.lib.get_meta("scheme_version", "0"))

    def scheme(self) -> LabelScheme:
        """The current scheme (cached until the next change)."""
        version = self.version()
        if self._cache and self._cache[0] == version:
            return self._cache[1]
        facets = [Facet(*r) for r in self.db.execute(
            "SELECT id, name_en, name_zh, position FROM facets").fetchall()]
        rows = self.db.execute("SELECT id, facet, parent, name_en, name_zh, position, version FROM labels").fetchall()
        labels = [Label(id=r[0], facet=r[1], parent=r[2], name_en=r[3], name_zh=r[4], position=r[5]) for r in rows]
        scheme = LabelScheme(facets, labels, version, {r[0]: int(r[6]) for r in rows})
        self._cache = (version, scheme)
        return scheme

    def _write(self, scheme: LabelScheme) -> LabelScheme:
        """Store facets and labels of ``scheme`` (upsert, then drop labels no longer present)."""
        with self.lib.atomic():
            for facet in scheme.facets.values():
                self.db.execute("INSERT OR REPLACE INTO facets (id, name_en, name_zh, position) "
                                "VALUES (?, ?, ?, ?)", [facet.id, facet.name_en, facet.name_zh,
                                                        facet.position])
            stored = {r[0]: tuple(r[1:]) for r in self.db.execute(
                "SELECT id, facet, parent, name_en, name_zh, position FROM labels").fetchall()}
            who, when = editor(), now_iso()
            for label in scheme.ordered():  # parents first, so the parent reference exists
                row = {**asdict(label), "who": who, "at": when}
                was = stored.get(label.id)
                if was is None:
                    self.db.execute(
                        "INSERT INTO labels (id, facet, parent, name_en, name_zh, position, changed_by, changed_at) "
                        "VALUES (:id, :facet, :parent, :name_en, :name_zh, :position, :who, :at)", row)
                elif was[:4] != (label.facet, label.parent, label.name_en, label.name_zh):
                    # its names or place changed: a new version, and who made it
                    self.db.execute(
                        "UPDATE labels SET facet = :facet, parent = :parent, name_en = :name_en, name_zh = :name_zh, "
                        "position = :position, version = version + 1, changed_by = :who, changed_at = :at "
                        "WHERE id = :id", row)
                elif was[4] != label.position:  # only renumbered: the same label to a curator
                    self.db.execute("UPDATE labels SET position = ? WHERE id = ?", [label.position, label.id])
            keep = list(scheme.labels)
            stale = [r[0] for r in self.db.execute("SELECT id FROM labels").fetchall() if r[0] not in keep]
            for label_id in sorted(stale, key=lambda i: -len(self._depth_chain(i))):
                self.db.execute("DELETE FROM item_labels WHERE label_id = ?", [label_id])
                self.db.execute("DELETE FROM labels WHERE id = ?", [label_id])
            self.lib.set_meta("scheme_version", str(self.version() + 1))
        return self.scheme()

    def _depth_chain(self, label_id: str) -> list[str]:
        chain: list[str] = []
        current: str | None = label_id
        while current is not None:
            chain.append(current)
            row = self.db.execute("SELECT parent FROM labels WHERE id = ?", [current]).fetchone()
            current = row[0] if row else None
        return chain

    def _unchanged_since(self, label: Label, expected_version: int | None) -> None:
        """Refuse a change made from ``expected_version`` of ``label`` when it has changed since
        (another curator renamed, moved or merged into it), naming who and when."""
        if expected_version is None:
            return
        row = self.db.execute("SELECT version, changed_by, changed_at FROM labels WHERE id = ?", [label.id]).fetchone()
        if row is not None and int(row[0]) != int(expected_version):
            # Short, as an item's: the window's status bar shows it beside the library's address.
            raise StaleEdit(f"Label {label.name_en} was changed by {row[1] or 'another program'} at "
                            f"{row[2][11:16]} UTC: yours was not made. Try again to replace theirs.")

    @_whole
    def replace_all(self, scheme: LabelScheme) -> LabelScheme:
        """Make the stored scheme exactly ``scheme`` (labels not in it are removed and untagged)."""
        return self._write(scheme)

    @_whole
    def merge_in(self, incoming: LabelScheme) -> tuple[LabelScheme, list[str]]:
        """Add facets and labels of ``incoming``; labels with a known id take its names and
        place. Nothing is deleted. Returns the new scheme and the ids that were added."""
        current = self.scheme()
        facets = {**current.facets, **incoming.facets}
        labels = {**current.labels, **incoming.labels}
        added = [i for i in incoming.labels if i not in current.labels]
        merged = LabelScheme(facets.values(), labels.values(), current.version)
        moved = {i for i, l in incoming.labels.items()
                 if i in current.labels and current.labels[i].parent != l.parent}
        with self.lib.atomic():
            written = self._write(merged)
            if moved:  # items below a moved label gain and lose implied ancestors
                self._reimply({d for i in moved for d in (i, *written.descendants(i))}, written)
        return written, added

    # -- curator operations ----------------------------------------------------------------
    @_whole
    def add(self, name_en: str, name_zh: str = "", parent: str | None = None,
            facet: str | None = None, label_id: str | None = None) -> Label:
        """Add a label under ``parent`` (a label ref) or at the top of ``facet`` (a facet ref)."""
        name_en, name_zh = clean_name(name_en or ""), clean_name(name_zh or "")
        scheme = self.scheme()
        if not (name_en or name_zh):
            raise SchemeError("A label needs a name in at least one language.")
        parent_label = scheme.resolve(parent) if parent else None
        if parent_label is None and facet is None:
            raise SchemeError("Say where the new label goes: a parent label or a facet.")
        facet_id = parent_label.facet if parent_label else scheme.resolve_facet(facet or "").id
        _check_names(scheme, [name_en, name_zh], facet_id, parent_label.id if parent_label else None)
        new_id = label_id or scheme.new_id(name_en or name_zh)
        if new_id in scheme.labels:
            raise SchemeError(f"A label with id {new_id!r} already exists.")
        label = Label(new_id, facet_id, name_en or name_zh, name_zh or name_en,
                      parent_label.id if parent_label else None, len(scheme.labels))
        self._write(scheme.with_labels([*scheme.labels.values(), label]))
        return label

    @_whole
    def rename(self, ref: str, name_en: str | None = None, name_zh: str | None = None,
               expected_version: int | None = None) -> Label:
        """New names for a label; with ``expected_version`` (the version the curator saw) a
        label changed since is refused with StaleEdit and nothing is written."""
        name_en = clean_name(name_en) if name_en else name_en
        name_zh = clean_name(name_zh) if name_zh else name_zh
        scheme = self.scheme()
        label = scheme.resolve(ref)
        self._unchanged_since(label, expected_version)
        _check_names(scheme, [name_en or "", name_zh or ""], label.facet, label.parent, label.id)
        changed = replace(label, name_en=name_en or label.name_en, name_zh=name_zh or label.name_zh)
        self._write(scheme.with_labels([changed if l.id == label.id else l
                                        for l in scheme.labels.values()]))
        return changed

    @_whole
    def move(self, ref: str, new_parent: str | None = None, facet: str | None = None,
             expected_version: int | None = None) -> Label:
        """Move a label (with its subtree) under another label, or to the top of a facet.
        Items tagged below it gain the new ancestors. ``expected_version``: as ``rename``."""
        scheme = self.scheme()
        label = scheme.resolve(ref)
        self._unchanged_since(label, expected_version)
        target = scheme.resolve(new_parent) if new_parent else None
        if target and (target.id == label.id or target.id in scheme.descendants(label.id)):
            raise SchemeError(f"Cannot move {scheme.keyword_path(label.id)} below itself.")
        facet_id = target.facet if target else (scheme.resolve_facet(facet).id if facet else label.facet)
        _check_names(scheme, [label.name_en, label.name_zh], facet_id, target.id if target else None,
                     label.id)
        moved_ids = {label.id, *scheme.descendants(label.id)}
        labels = [replace(l, facet=facet_id) if l.id in moved_ids else l for l in scheme.labels.values()]
        labels = [replace(l, parent=target.id if target else None) if l.id == label.id else l
                  for l in labels]
        with self.lib.atomic():
            new_scheme = self._write(scheme.with_labels(labels))
            self._reimply(moved_ids, new_scheme)
        return new_scheme.get(label.id)

    @_whole
    def merge(self, source_ref: str, target_ref: str, expected_version: int | None = None) -> int:
        """Merge ``source`` into ``target``: its items are re-tagged with the target, its
        children move under the target, and the source disappears. Returns items re-tagged.
        ``expected_version``: the source's, as ``rename``."""
        scheme = self.scheme()
        source, target = scheme.resolve(source_ref), scheme.resolve(target_ref)
        self._unchanged_since(source, expected_version)
        if source.id == target.id or target.id in scheme.descendants(source.id):
            raise SchemeError("A label can only be merged into a label outside its own subtree.")
        tagged = self.db.execute("SELECT item_id, source FROM item_labels WHERE label_id = ?",
                                 [source.id]).fetchall()
        subtree = set(scheme.descendants(source.id))  # all of it changes facet, not just children
        labels = [replace(l, parent=target.id if l.parent == source.id else l.parent,
                          facet=target.facet if l.id in subtree else l.facet)
                  for l in scheme.labels.values() if l.id != source.id]
        by_source: dict[str, list[int]] = {}
        for item_id, src in tagged:  # implied source tags stay implied (via the moved children)
            if src != "implied":
                by_source.setdefault(src, []).append(item_id)
        with self.lib.atomic():
            for src, items in by_source.items():
                self.tag(items, [target.id], source=src)
            self.db.execute("DELETE FROM item_labels WHERE label_id = ?", [source.id])
            self.db.execute("UPDATE labels SET parent = NULL WHERE parent = ?", [source.id])
            new_scheme = self._write(scheme.with_labels(labels))
            self._reimply({target.id, *new_scheme.descendants(target.id)}, new_scheme)
        return len(tagged)

    @_whole
    def delete(self, ref: str, force: bool = False, expected_version: int | None = None) -> list[str]:
        """Delete a label and its subtree. Refused while items use them unless ``force``
        (which untags those items). Returns the ids deleted. ``expected_version``: as ``rename``."""
        scheme = self.scheme()
        label = scheme.resolve(ref)
        self._unchanged_since(label, expected_version)
        doomed = [label.id, *scheme.descendants(label.id)]
        used = self.usage(doomed)
        if used and not force:
            raise SchemeError(f"{scheme.keyword_path(label.id)} (or a label below it) is used by "
                              f"{used} item(s). Untag them first or delete with force.")
        with self.lib.atomic():
            if used:  # untag first, so ancestors only the doomed labels implied go too
                marks = ", ".join("?" * len(doomed))
                items = [r[0] for r in self.db.execute(
                    f"SELECT DISTINCT item_id FROM item_labels WHERE label_id IN ({marks})", doomed)]
                self.untag(items, [label.id])
            self._write(scheme.with_labels([l for l in scheme.labels.values() if l.id not in doomed]))
        return doomed

    # -- tagging ---------------------------------------------------------------------------
    @_whole
    def tag(self, item_ids: Iterable[int], refs: Iterable[str], source: str = "user") -> int:
        """Tag items with labels; their ancestors are added as 'implied'. Returns new tags."""
        scheme = self.scheme()
        explicit = {scheme.resolve(r).id for r in refs}
        implied = scheme.closure(explicit) - explicit
        rows = [(lid, source) for lid in sorted(explicit)] + [(lid, "implied") for lid in sorted(implied)]
        added = 0
        with self.lib.atomic():
            for item_id in item_ids:
                for label_id, src in rows:
                    cur = self.db.execute("INSERT OR IGNORE INTO item_labels (item_id, label_id, source) "
                                          "VALUES (?, ?, ?)", [item_id, label_id, src])
                    if cur.rowcount == 0 and src != "implied":  # an implied tag becomes explicit
                        self.db.execute("UPDATE item_labels SET source = ? WHERE item_id = ? AND "
                                        "label_id = ? AND source = 'implied'", [src, item_id, label_id])
                    added += cur.rowcount
                self.lib.items._touch(item_id)
        return added

    @_whole
    def untag(self, item_ids: Iterable[int], refs: Iterable[str]) -> int:
        """Remove labels (and their descendants, which imply them) from items; ancestors that
        only they implied go too."""
        scheme = self.scheme()
        item_ids = list(item_ids)
        label_ids: set[str] = set()
        for ref in refs:
            label = scheme.resolve(ref)
            label_ids.update([label.id, *scheme.descendants(label.id)])
        removed = 0
        marks = ", ".join("?" * len(label_ids))
        with self.lib.atomic():
            for item_id in item_ids:
                cur = self.db.execute(f"DELETE FROM item_labels WHERE item_id = ? AND label_id IN ({marks})",
                                      [item_id, *label_ids])
                removed += cur.rowcount
                self.lib.items._touch(item_id)
            self._normalise(item_ids, scheme)
        return removed

    def _reimply(self, label_ids: set[str], scheme: LabelScheme) -> None:
        """After a move or merge, implied ancestor tags follow the new tree."""
        self._normalise({i for label_id in label_ids for i in self.items_with(label_id)}, scheme)

    def _normalise(self, items: Iterable[int], scheme: LabelScheme) -> None:
        """Implied tags are exactly the ancestors of each item's explicit tags."""
        for item_id in items:
            explicit = [r[0] for r in self.db.execute(
                "SELECT label_id FROM item_labels WHERE item_id = ? AND source != 'implied'",
                [item_id]).fetchall()]
            self.db.execute("DELETE FROM item_labels WHERE item_id = ? AND source = 'implied'", [item_id])
            implied = scheme.closure(explicit) - set(explicit)
            for label_id in implied:
                self.db.execute("INSERT OR IGNORE INTO item_labels (item_id, label_id, source) "
                                "VALUES (?, ?, 'implied')", [item_id, label_id])

    def labels_of(self, item_id: int) -> list[str]:
        rows = self.db.execute("SELECT label_id FROM item_labels WHERE item_id = ? ORDER BY label_id",
                               [item_id]).fetchall()
        return [r[0] for r in rows]

    def sources_of(self, item_id: int) -> list[tuple[str, str]]:
        """(label id, source) of every label an item carries: 'user', 'import', 'implied', ..."""
        return [tuple(r) for r in self.db.execute(
            "SELECT label_id, source FROM item_labels WHERE item_id = ?", [item_id]).fetchall()]

    def items_by_label(self) -> dict[str, np.ndarray]:
        """For each label carried by any item, the ids of those items (int64, ascending). One
        statement per label, its ids joined by SQLite: turning a million items' 12 million
        tags into Python tuples took ~20 s."""
        out: dict[str, np.ndarray] = {}
        for (label_id,) in self.db.execute("SELECT DISTINCT label_id FROM item_labels").fetchall():
            joined = self.db.execute("SELECT group_concat(item_id) FROM item_labels WHERE label_id = ?",
                                     [label_id]).fetchone()[0]
            out[label_id] = np.sort(np.array(joined.split(","), np.int64)) if joined else np.zeros(0, np.int64)
        return out

    def pairs(self, item_ids: Iterable[int] | None = None,
              label_ids: Iterable[str] | None = None) -> list[tuple[int, str]]:
        """(item id, label id) of every tag, or of those on ``item_ids`` or of ``label_ids``."""
        if item_ids is None and label_ids is None:
            return [tuple(r) for r in self.db.execute("SELECT item_id, label_id FROM item_labels")]
        column, values = ("item_id", list(item_ids)) if item_ids is not None else ("label_id", list(label_ids or ()))
        out = []
        for chunk in chunks(values):
            out += [tuple(r) for r in self.db.execute(
                f"SELECT item_id, label_id FROM item_labels WHERE {column} IN ({marks(chunk)})", list(chunk))]
        return out

    def items_with(self, label_id: str) -> list[int]:
        return [r[0] for r in self.db.execute(
            "SELECT item_id FROM item_labels WHERE label_id = ? ORDER BY item_id", [label_id]).fetchall()]

    def usage(self, label_ids: Iterable[str]) -> int:
        ids = list(label_ids)
        marks = ", ".join("?" * len(ids))
        return self.db.execute(f"SELECT COUNT(DISTINCT item_id) FROM item_labels WHERE label_id IN ({marks})",
                               ids).fetchone()[0]

    def counts(self, label_groups: Iterable[Iterable[str]] = (), collection: int | None = None) -> dict[str, int]:
        """Number of items carrying each label (ancestors are stored, so counts roll up), among
        the items that pass ``label_groups`` and ``collection`` (``ItemRepository.passing``)."""
        groups = [list(g) for g in label_groups]
        if not groups and collection is None:
            rows = self.db.execute("SELECT label_id, COUNT(*) FROM item_labels GROUP BY label_id").fetchall()
        else:
            within, args = passing_sql(groups, collection)
            rows = self.db.execute(f"SELECT label_id, COUNT(*) FROM item_labels WHERE item_id IN ({within}) "
                                   "GROUP BY label_id", args).fetchall()
        return {label_id: 0 for label_id in self.scheme().labels} | dict(rows)


def _check_names(scheme: LabelScheme, names: list[str], facet: str, parent: str | None,
                 label_id: str | None = None) -> None:
    """Names may not contain the path separator, nor repeat a sibling's name (in either
    language, and up to case, width, spacing and Unicode form: ``name_key``): both would make
    keyword paths and name look-ups ambiguous."""
    for name in names:
        if PATH_SEP in name:
            raise SchemeError(f"A label name cannot contain {PATH_SEP!r} (it separates keyword "
                              f"paths): {name!r}.")
    wanted = {name_key(n): n for n in names if n.strip()}
    for sibling in scheme.children(parent, facet):
        clash = [wanted[k] for k in (name_key(sibling.name_en), name_key(sibling.name_zh)) if k in wanted]
        if sibling.id != label_id and clash:
            same = clash[0] in (sibling.name_en, sibling.name_zh)
            raise SchemeError(f"{scheme.keyword_path(sibling.id)} already exists there"
                              + ("" if same else f" ({clash[0]!r} differs from it only in case, width, "
                                 "spacing or Unicode form)")
                              + "; choose another name (or merge the labels).")
