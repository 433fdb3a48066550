"""Every edit of the library as an op: ``op.run(lib)`` applies it in one transaction and returns
an ``OpResult`` that names what changed (``Changes``, for the views to reload) and carries the op
that undoes it exactly. The window runs ops through one runner with one undo command; the CLI
runs the same ops. The long jobs are ops too, each beside its service and run on a worker's
own connection (``run_on``): ``ImportFiles`` (app.services.importing), ``ImportPackages`` and
``Export`` (app.services.exchange), ``Train`` (app.services.training), ``Encode``
(app.services.encoding); they record the rows they touch as they go (``Recorder``).

The undo is exact by construction: before an op runs, the rows it may touch (its scopes) are
read, and its undo puts them back (``app.store.snapshots``). Undoing is itself an op whose
undo is the redo. Anki's ``CollectionOp``/``OpChanges`` is the model.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING, Any

from app.core.errors import WenyangError
from app.store.snapshots import Rows, Scope

if TYPE_CHECKING:
    from app.store import Library


@dataclass(frozen=True)
class Changes:
    """What an op changed, for the views to reload only that."""

    items: frozenset[int] = frozenset()  # these items' fields or tags
    item_set: bool = False               # items added or removed
    tags: bool = False                   # some tags: facet counts
    scheme: bool = False                 # the label scheme itself
    collections: bool = False
    suggestions: bool = False
    models: bool = False
    files: bool = False                  # files outside the library (an export)
    searches: bool = False               # the saved searches
    photos: bool = False                 # photos of ``items`` (their first photo may be another)

    def __or__(self, other: Changes) -> Changes:
        return Changes(self.items | other.items, *(getattr(self, f.name) or getattr(other, f.name)
                                                   for f in fields(self)[1:]))

    def __bool__(self) -> bool:
        return bool(self.items) or any(getattr(self, f.name) for f in fields(self)[1:])


EVERYTHING = Changes(item_set=True, tags=True, scheme=True, collections=True, suggestions=True, models=True)


@dataclass(frozen=True)
class OpResult:
    """What ``Op.run`` did: its description, the changes, the undo, and the op's own value."""

    description: str
    changes: Changes
    undo: Op
    value: Any = None


class Op:
    """One edit. Subclasses say which rows they may touch and apply themselves."""

    @property
    def description(self) -> str:
        """What the op does, in a few words (the CLI's and the log's; the window names its own)."""
        return "Edit"

    def scopes(self, lib: Library) -> list[Scope]:
        """The rows this op may change, read before it runs."""
        raise NotImplementedError

    def apply(self, lib: Library) -> tuple[Changes, Any]:
        """Make the change (inside the op's transaction); return what changed and a value."""
        raise NotImplementedError

    def run(self, lib: Library) -> OpResult:
        with lib.atomic():
            before = lib.snapshots.take(self.scopes(lib))
            changes, value = self.apply(lib)
        return OpResult(self.description, changes, Restore(before, self.description, changes), value)

    def discard(self) -> None:
        """This op will never run (its step left the undo stack, or the window closed): let go
        of what it keeps on disk for the run (an export's set-aside file). Most keep nothing."""


def run_on(root, op: Op) -> OpResult:
    """Run ``op`` on a connection of its own to the library at ``root`` (a worker thread's, so
    that the window's library queue goes on meanwhile)."""
    from app.store import open_library

    lib = open_library(root)
    try:
        return op.run(lib)
    finally:
        lib.close()


@dataclass
class Restore(Op):
    """Put rows back as they were: the undo of an op (and, taken again, its redo)."""

    rows: tuple[Rows, ...]
    what: str = "Edit"
    changes: Changes = field(default_factory=Changes)

    @property
    def description(self) -> str:
        return self.what

    def scopes(self, lib: Library) -> list[Scope]:
        return [r.scope for r in self.rows]

    def apply(self, lib: Library) -> tuple[Changes, Any]:
        lib.snapshots.put_back(self.rows)
        return self.changes, None


def _items(ids: Iterable[int]) -> tuple[int, ...]:
    return tuple(sorted(set(int(i) for i in ids)))


def _tagging_scopes(item_ids: Sequence[int]) -> list[Scope]:
    return [Scope("items", "id", tuple(item_ids)), Scope("item_labels", "item_id", tuple(item_ids))]


# -- tags and fields ---------------------------------------------------------------------------
@dataclass
class Tag(Op):
    """Tag items with labels (their ancestors come implied)."""

    item_ids: Sequence[int]
    labels: Sequence[str]
    source: str = "user"

    @property
    def description(self) -> str:
        return f"Tag {len(self.item_ids)} item(s) with {', '.join(self.labels)}"

    def scopes(self, lib: Library) -> list[Scope]:
        return _tagging_scopes(_items(self.item_ids))

    def apply(self, lib: Library) -> tuple[Changes, Any]:
        ids = _items(self.item_ids)
        added = lib.labels.tag(ids, self.labels, source=self.source)
        return Changes(items=frozenset(ids), tags=True), added


@dataclass
class Untag(Op):
    """Remove labels (and the labels below them) from items."""

    item_ids: Sequence[int]
    labels: Sequence[str]

    @property
    def description(self) -> str:
        return f"Remove {', '.join(self.labels)} from {len(self.item_ids)} item(s)"

    def scopes(self, lib: Library) -> list[Scope]:
        return _tagging_scopes(_items(self.item_ids))

    def apply(self, lib: Library) -> tuple[Changes, Any]:
        ids = _items(self.item_ids)
        removed = lib.labels.untag(ids, self.labels)
        return Changes(items=frozenset(ids), tags=True), removed


@dataclass
class EditItem(Op):
    """Change an item's accession number, title, description or metadata."""

    item_id: int
    changes: dict
    expected_version: int | None = None  # the item's version the edit was made from (None: any)

    @property
    def description(self) -> str:
        return "Edit " + ", ".join(sorted(self.changes)) if self.changes else "Edit item"

    def scopes(self, lib: Library) -> list[Scope]:
        return [Scope("items", "id", (int(self.item_id),))]

    def apply(self, lib: Library) -> tuple[Changes, Any]:
        item = lib.items.update(int(self.item_id), self.expected_version, **self.changes)
        return Changes(items=frozenset([int(self.item_id)])), item


@dataclass
class EditItems(Op):
    """Batch edit: give many items the same title and/or the same value of metadata fields
    (``metadata``: field → value; an empty value removes the field). Other fields stay."""

    item_ids: list[int]
    title: str | None = None
    metadata: dict = field(default_factory=dict)

    @property
    def description(self) -> str:
        return f"Edit {len(self.item_ids)} item(s)"

    def scopes(self, lib: Library) -> list[Scope]:
        return [Scope("items", "id", tuple(int(i) for i in self.item_ids))]

    def apply(self, lib: Library) -> tuple[Changes, Any]:
        for item_id in self.item_ids:
            changes: dict[str, Any] = {}
            if self.title is not None:
                changes["title"] = self.title
            if self.metadata:
                merged = dict(lib.items.get(int(item_id)).metadata)
                for key, value in self.metadata.items():
                    if str(value).strip():
                        merged[str(key)] = str(value)
                    else:
                        merged.pop(str(key), None)
                changes["metadata"] = merged
            if changes:
                lib.items.update(int(item_id), **changes)
        return Changes(items=frozenset(int(i) for i in self.item_ids)), len(self.item_ids)


@dataclass
class DecideSuggestions(Op):
    """Accept (tag, and mark accepted) or reject (mark rejected) suggested labels."""

    decisions: Sequence[tuple[int, str]]  # (item id, label id)
    accept: bool

    @property
    def description(self) -> str:
        return f"{'Accept' if self.accept else 'Reject'} {len(self.decisions)} suggestion(s)"

    def scopes(self, lib: Library) -> list[Scope]:
        ids = _items(i for i, _ in self.decisions)
        return [*_tagging_scopes(ids), Scope("suggestions", "item_id", ids)]

    def apply(self, lib: Library) -> tuple[Changes, Any]:
        model = lib.models.active()
        if model is None:
            raise WenyangError("There are no suggestions: no model is active.")
        tagged = 0
        for item_id, label_id in self.decisions:
            if self.accept and label_id not in lib.labels.labels_of(item_id):
                tagged += lib.labels.tag([item_id], [label_id])
            lib.suggestions.set_status(item_id, label_id, "accepted" if self.accept else "rejected",
                                            model.id)
        ids = frozenset(i for i, _ in self.decisions)
        return Changes(items=ids, tags=self.accept, suggestions=True), tagged


# -- collections -------------------------------------------------------------------------------
@dataclass
class CreateCollection(Op):
    name: str
    description_text: str = ""
    item_ids: Sequence[int] = ()

    @property
    def description(self) -> str:
        return f"Create collection {self.name}"

    def scopes(self, lib: Library) -> list[Scope]:
        return [Scope("collections"), Scope("collection_items", "item_id", _items(self.item_ids))]

    def apply(self, lib: Library) -> tuple[Changes, Any]:
        coll = lib.collections.create(self.name, self.description_text)
        if self.item_ids:
            lib.collections.add(coll.id, list(self.item_ids))
        return Changes(items=frozenset(_items(self.item_ids)), collections=True), lib.collections.get(coll.id)


@dataclass
class DescribeCollection(Op):
    ref: str | int
    text: str

    @property
    def description(self) -> str:
        return f"Describe collection {self.ref}"

    def scopes(self, lib: Library) -> list[Scope]:
        return [Scope("collections", "id", (lib.collections.get(self.ref).id,))]

    def apply(self, lib: Library) -> tuple[Changes, Any]:
        return Changes(collections=True), lib.collections.describe(self.ref, self.text)


@dataclass
class PlaceInCollection(Op):
    """Move members within a collection's own order ("start", "end", "up", "down")."""

    ref: str | int
    item_ids: Sequence[int]
    to: str

    @property
    def description(self) -> str:
        return f"Move {len(self.item_ids)} item(s) in collection {self.ref}"

    def scopes(self, lib: Library) -> list[Scope]:
        return [Scope("collection_items", "collection_id", (lib.collections.get(self.ref).id,))]

    def apply(self, lib: Library) -> tuple[Changes, Any]:
        lib.collections.place(self.ref, list(self.item_ids), self.to)
        return Changes(collections=True, items=frozenset(_items(self.item_ids))), None


@dataclass
class RenameCollection(Op):
    ref: str | int
    new_name: str

    @property
    def description(self) -> str:
        return f"Rename collection to {self.new_name}"

    def scopes(self, lib: Library) -> list[Scope]:
        return [Scope("collections")]

    def apply(self, lib: Library) -> tuple[Changes, Any]:
        return Changes(collections=True), lib.collections.rename(self.ref, self.new_name)


@dataclass
class DeleteCollection(Op):
    """Delete a collection; its items stay in the library."""

    ref: str | int

    @property
    def description(self) -> str:
        return f"Delete collection {self.ref}"

    def scopes(self, lib: Library) -> list[Scope]:
        return [Scope("collections"), Scope("collection_items", "collection_id", (lib.collections.get(self.ref).id,))]

    def apply(self, lib: Library) -> tuple[Changes, Any]:
        members = lib.collections.members(self.ref)
        lib.collections.delete(self.ref)
        return Changes(items=frozenset(members), collections=True), None


@dataclass
class _Membership(Op):
    """Add items to a collection or take them out: the collection's member rows change."""

    ref: str | int
    item_ids: Sequence[int]

    def scopes(self, lib: Library) -> list[Scope]:
        return [Scope("collection_items", "collection_id", (lib.collections.get(self.ref).id,))]

    def apply(self, lib: Library) -> tuple[Changes, Any]:
        n = self.change(lib, list(self.item_ids))
        return Changes(items=frozenset(_items(self.item_ids)), collections=True), n

    def change(self, lib: Library, item_ids: list[int]) -> int:
        raise NotImplementedError


class AddToCollection(_Membership):
    @property
    def description(self) -> str:
        return f"Add {len(self.item_ids)} item(s) to {self.ref}"

    def change(self, lib: Library, item_ids: list[int]) -> int:
        return lib.collections.add(self.ref, item_ids)


class RemoveFromCollection(_Membership):
    @property
    def description(self) -> str:
        return f"Remove {len(self.item_ids)} item(s) from {self.ref}"

    def change(self, lib: Library, item_ids: list[int]) -> int:
        return lib.collections.remove(self.ref, item_ids)


# -- the label scheme --------------------------------------------------------------------------
class SchemeOp(Op):
    """A change to the label scheme: the scheme's tables, and the tags, items and suggestions
    of every item that carries a label of the subtrees it touches."""

    def touched_labels(self, lib: Library) -> set[str]:
        return set()

    def scopes(self, lib: Library) -> list[Scope]:
        scheme = lib.scheme
        labels = set()
        for ref in self.touched_labels(lib):
            label = scheme.resolve(ref)
            labels.update([label.id, *scheme.descendants(label.id)])
        items = _items(i for i, _ in lib.labels.pairs(label_ids=sorted(labels))) if labels else ()
        return [Scope("facets"), Scope("labels"), *_tagging_scopes(items),
                Scope("suggestions", "label_id", tuple(sorted(labels)))]

    def changed(self, lib: Library) -> Changes:
        return Changes(scheme=True, tags=True, suggestions=True)


@dataclass
class AddLabel(SchemeOp):
    name_en: str
    name_zh: str = ""
    parent: str | None = None
    facet: str | None = None

    @property
    def description(self) -> str:
        return f"Add label {self.name_en}"

    def apply(self, lib: Library) -> tuple[Changes, Any]:
        label = lib.labels.add(self.name_en, self.name_zh, parent=self.parent, facet=self.facet)
        return Changes(scheme=True), label


@dataclass
class RenameLabel(SchemeOp):
    ref: str
    name_en: str | None = None
    name_zh: str | None = None
    expected_version: int | None = None  # the label's version the curator saw (None: no check)

    @property
    def description(self) -> str:
        return f"Rename label {self.ref}"

    def touched_labels(self, lib: Library) -> set[str]:
        return {self.ref}

    def apply(self, lib: Library) -> tuple[Changes, Any]:
        return Changes(scheme=True), lib.labels.rename(self.ref, self.name_en, self.name_zh,
                                                        expected_version=self.expected_version)


@dataclass
class MoveLabel(SchemeOp):
    ref: str
    new_parent: str | None = None
    facet: str | None = None
    expected_version: int | None = None

    @property
    def description(self) -> str:
        return f"Move label {self.ref}"

    def touched_labels(self, lib: Library) -> set[str]:
        return {self.ref}

    def apply(self, lib: Library) -> tuple[Changes, Any]:
        return self.changed(lib), lib.labels.move(self.ref, self.new_parent, self.facet,
                                                          expected_version=self.expected_version)


@dataclass
class MergeLabels(SchemeOp):
    source: str
    target: str
    expected_version: int | None = None  # the source's

    @property
    def description(self) -> str:
        return f"Merge label {self.source} into {self.target}"

    def touched_labels(self, lib: Library) -> set[str]:
        return {self.source, self.target}

    def apply(self, lib: Library) -> tuple[Changes, Any]:
        return self.changed(lib), lib.labels.merge(self.source, self.target,
                                                           expected_version=self.expected_version)


@dataclass
class DeleteLabel(SchemeOp):
    ref: str
    force: bool = False
    expected_version: int | None = None

    @property
    def description(self) -> str:
        return f"Delete label {self.ref}"

    def touched_labels(self, lib: Library) -> set[str]:
        return {self.ref}

    def apply(self, lib: Library) -> tuple[Changes, Any]:
        return self.changed(lib), lib.labels.delete(self.ref, force=self.force,
                                                            expected_version=self.expected_version)


# -- saved searches ----------------------------------------------------------------------------
@dataclass
class SaveSearch(Op):
    """Save a typed search under its name (replacing one of the same name)."""

    search: Any  # app.services.saved_searches.SavedSearch

    @property
    def description(self) -> str:
        return f"Save search {self.search.name}"

    def scopes(self, lib: Library) -> list[Scope]:
        from app.services.saved_searches import META_KEY

        return [Scope("meta", "key", (META_KEY,))]

    def apply(self, lib: Library) -> tuple[Changes, Any]:
        from app.services.saved_searches import saved_searches, write_saved

        others = [s for s in saved_searches(lib) if s.name != self.search.name]
        write_saved(lib, [*others, self.search])
        return Changes(searches=True), self.search


@dataclass
class ForgetSearch(Op):
    name: str

    @property
    def description(self) -> str:
        return f"Forget saved search {self.name}"

    def scopes(self, lib: Library) -> list[Scope]:
        from app.services.saved_searches import META_KEY

        return [Scope("meta", "key", (META_KEY,))]

    def apply(self, lib: Library) -> tuple[Changes, Any]:
        from app.services.saved_searches import find_saved, saved_searches, write_saved

        find_saved(lib, self.name)  # says so when there is none
        write_saved(lib, [s for s in saved_searches(lib) if s.name != self.name])
        return Changes(searches=True), self.name


# -- deleting items ----------------------------------------------------------------------------
@dataclass
class DeleteItems(Op):
    """Move items to the trash (with their photos' records, tags, collection places, codes and
    suggestions); the undo restores them exactly. The photo files stay until the trash is emptied."""

    item_ids: Sequence[int]

    @property
    def description(self) -> str:
        return f"Move {len(self.item_ids)} item(s) to the trash"

    def run(self, lib: Library) -> OpResult:
        ids = _items(self.item_ids)
        moved = lib.trash.move(ids)
        return OpResult(self.description, _set_changed(ids), RestoreItems(ids), moved)


@dataclass
class RestoreItems(Op):
    """Put trashed items back as they were (an id a newer item took is replaced by a free one)."""

    item_ids: Sequence[int]

    @property
    def description(self) -> str:
        return f"Restore {len(self.item_ids)} item(s) from the trash"

    def run(self, lib: Library) -> OpResult:
        ids = lib.trash.restore(_items(self.item_ids))
        return OpResult(self.description, _set_changed(ids), DeleteItems(ids), ids)


@dataclass
class DeletePhotos(Op):
    """Move single photos to the trash; their items stay (an item may be left with none)."""

    photo_ids: Sequence[int]

    @property
    def description(self) -> str:
        return f"Move {len(self.photo_ids)} photo(s) to the trash"

    def run(self, lib: Library) -> OpResult:
        entries, items = lib.trash.move_photos(self.photo_ids)
        if not entries:
            raise WenyangError("None of these photos is in the library.")
        return OpResult(self.description, Changes(items=frozenset(items), photos=True), RestorePhotos(entries),
                        len(entries))


@dataclass
class RestorePhotos(Op):
    """Put single photos back from the trash onto their items (``entries``: trash entries)."""

    entries: Sequence[int]

    @property
    def description(self) -> str:
        return f"Restore {len(self.entries)} photo(s) from the trash"

    def run(self, lib: Library) -> OpResult:
        photo_ids, items = lib.trash.restore_photos(self.entries)
        return OpResult(self.description, Changes(items=frozenset(items), photos=True), DeletePhotos(photo_ids),
                        photo_ids)


@dataclass
class DeleteModel(Op):
    """Forget a model with its codes and suggestions (search falls back to no model when it was
    the one in use). The undo puts every row back; the model's files stay on disk until the
    trash is emptied, so that the undo finds them."""

    model_id: str

    @property
    def description(self) -> str:
        return f"Delete model {self.model_id}"

    def scopes(self, lib: Library) -> list[Scope]:
        one = (self.model_id,)
        return [Scope("models"), *(Scope(table, "model_id", one) for table in ("suggestions", "codes", "code_snapshots"))]

    def apply(self, lib: Library) -> tuple[Changes, Any]:
        lib.models.get(self.model_id)  # a clear NotFound for a model that is not there
        lib.models.delete(self.model_id)
        return Changes(models=True, suggestions=True), self.model_id


def _set_changed(ids) -> Changes:
    """Items left or came back: the grid, counts, collections and suggestions all change."""
    return Changes(items=frozenset(ids), item_set=True, tags=True, collections=True, suggestions=True)


# -- models ------------------------------------------------------------------------------------
@dataclass
class ActivateModel(Op):
    """Make a model the one search and suggestions use."""

    model_id: str

    @property
    def description(self) -> str:
        return f"Activate model {self.model_id}"

    def scopes(self, lib: Library) -> list[Scope]:
        return [Scope("models")]

    def apply(self, lib: Library) -> tuple[Changes, Any]:
        lib.models.activate(self.model_id)
        return Changes(models=True, suggestions=True), lib.models.get(self.model_id)
