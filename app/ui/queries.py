"""What the window asks of the library. Plain functions of ``lib``, run on the LibraryQueue
worker thread (never on the GUI thread), returning plain data; no Qt here."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from app.core.errors import NotFound
from app.services.dataset import photo_path
from app.services.filtering import allowed_item_ids
from app.services.photos import thumbnail_path

if TYPE_CHECKING:
    from app.services.library import Library


@dataclass(frozen=True)
class Record:
    """What the grid shows for one item."""

    item_id: int
    accession: str
    title: str
    paths: tuple[str, ...] = ()  # thumbnail first, then the photo itself (fallback)
    date: str = ""               # the "date" metadata field, as catalogued
    modified: str = ""           # ISO time of the last edit
    labels: tuple[str, ...] = ()  # label ids the item carries
    photos: int = 0


@dataclass
class Detail:
    """Everything the detail pane shows for one item."""

    item_id: int
    accession: str
    title: str
    description: str
    metadata: dict
    labels: list[str]
    photo: str | None
    collections: list[str] = field(default_factory=list)
    photos: list[tuple[int, str, str]] = field(default_factory=list)  # (photo id, photo path, thumbnail path)
    version: int = 0  # the item's version shown: an edit made from it is refused if the item changed since


def ordered_ids(lib: Library, labels: list[str] | tuple = (), collection: int | None = None,
                order: str = "accession") -> list[int]:
    """Item ids in ``order`` passing the filters (AND across facets, OR within one)."""
    ids = lib.items.ids(collection=collection, order=order)
    if not labels:
        return ids
    allowed = set(allowed_item_ids(lib, labels, collection))
    return [i for i in ids if i in allowed]


def first_page(lib: Library, collection: int | None, order: str, n: int) -> tuple[list[int], dict[int, Record]]:
    """The first ``n`` items in ``order`` (of ``collection``, if given) and their records."""
    ids = lib.items.ids(collection=collection, order=order, limit=n)
    return ids, item_records(lib, ids)


def still_there(lib: Library, item_ids: list[int]) -> list[int]:
    """These items in this order, without those deleted since."""
    live = set(lib.items.existing(item_ids))
    return [i for i in item_ids if i in live]


def item_records(lib: Library, item_ids: list[int]) -> dict[int, Record]:
    """Grid records of the given items (deleted ones are left out)."""
    out: dict[int, Record] = {}
    for item_id, row in lib.items.summaries(item_ids).items():
        paths: tuple[str, ...] = ()
        if row["first"] is not None:
            path, sha256 = row["first"]
            paths = (str(thumbnail_path(lib.thumbnails_dir, sha256)), str(photo_path(lib, path)))
        out[item_id] = Record(item_id, row["accession"], row["title"], paths, row["date"],
                              row["modified"], tuple(row["labels"]), row["photos"])
    return out


def item_detail(lib: Library, item_id: int) -> Detail:
    """The detail pane's view of one item."""
    item = lib.items.get(item_id)
    photo = str(photo_path(lib, item.photos[0].path)) if item.photos else None
    photos = [(int(p.id or 0), str(photo_path(lib, p.path)), str(thumbnail_path(lib.thumbnails_dir, p.sha256)))
              for p in item.photos]
    return Detail(item_id, item.accession, item.title, item.description, dict(item.metadata),
                  list(item.labels), photo, lib.collections.of_item(item_id), photos, item.version)


def label_usage(lib: Library, item_ids: list[int]) -> dict[str, int]:
    """For a selection: how many of the items carry each label."""
    counts: dict[str, int] = {}
    for item_id in item_ids:
        for label_id in lib.labels.labels_of(item_id):
            counts[label_id] = counts.get(label_id, 0) + 1
    return counts


def items_carrying(lib: Library, label_ids: list[str]) -> int:
    """How many items of the whole library carry any of these labels (what a scheme edit touches)."""
    return lib.labels.usage(label_ids) if label_ids else 0


def scheme_and_counts(lib: Library, label_ids=(), collection: int | None = None):
    """The label scheme and, for each label, how many items would show if it were ticked too:
    counted among the items that pass the collection and the ticked labels of the *other*
    facets (within a facet, ticked labels add up: OR), as faceted search does."""
    scheme = lib.labels.scheme()
    by_facet: dict[str, set[str]] = {}
    for label_id in label_ids:
        if label_id in scheme.labels:
            by_facet.setdefault(scheme.labels[label_id].facet, set()).update(
                [label_id, *scheme.descendants(label_id)])
    counts = lib.labels.counts(by_facet.values(), collection)
    for facet in by_facet:  # a facet's own choices do not narrow its counts
        others = [group for f, group in by_facet.items() if f != facet]
        own = lib.labels.counts(others, collection)
        counts.update({l: n for l, n in own.items() if l in scheme.labels and scheme.labels[l].facet == facet})
    return scheme, counts


def collections_list(lib: Library):
    """All collections (with sizes), by name."""
    return lib.collections.list()


def suggestions_of(lib: Library, item_id: int) -> list[tuple[str, float, str]]:
    """Open tag suggestions of an item (none without an active model)."""
    return list(lib.suggestions.of_item(item_id))


def library_summary(lib: Library) -> dict:
    """Status-bar facts: item count and the active model (id, card)."""
    model = lib.models.active()
    return {"items": lib.items.count(),
            "model": model.id if model else None,
            "card": dict(model.card) if model else {}}


def descriptions_of(lib: Library, item_ids: list[int]) -> dict[int, str]:
    """Each item's description (deleted items left out), for the descriptions tab's passages."""
    out: dict[int, str] = {}
    for item_id in item_ids:
        try:
            out[item_id] = lib.items.get(item_id).description
        except NotFound:
            continue
    return out


def passage(text: str, terms: list[str], width: int = 90) -> str:
    """The part of ``text`` around the first of ``terms`` it holds (case-insensitive), with "…"
    where it was cut; the beginning of ``text`` when it holds none. One line."""
    flat = " ".join(text.split())
    if not flat:
        return ""
    lower = flat.lower()
    found = [(lower.find(t.lower()), t) for t in terms if t and lower.find(t.lower()) >= 0]
    start = 0
    if found:
        at, term = min(found)
        start = max(0, at - (width - len(term)) // 2)
    piece = flat[start:start + width]
    return ("…" if start > 0 else "") + piece + ("…" if start + width < len(flat) else "")
