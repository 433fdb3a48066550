"""Items as plain dictionaries: the one shape the JSON export and the ZIP package share.

A record keeps what makes an item lossless: accession, title, description, free metadata,
timestamps, the *explicit* labels with their source (implied ancestors are re-derived on
import from the scheme, so they are listed only for readers), photos and collections.
"""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from app.core.models import Item, Photo
from app.core.scheme import LabelScheme

if TYPE_CHECKING:
    from app.store import Library


@dataclass
class Gathered:
    """One exported item with what the exporters need beside it."""
    item: Item
    explicit: list[tuple[str, str]]   # (label id, source), scheme order
    implied: list[str]                # label ids, scheme order
    collections: list[str]
    distance: float | None = None


def label_order(scheme: LabelScheme) -> dict[str, int]:
    return {label.id: i for i, label in enumerate(scheme.ordered())}


def gather(lib: Library, selection, job=None) -> Iterator[Gathered]:
    """Load the selected items one by one (cheap on memory for large exports)."""
    scheme = lib.scheme
    order = label_order(scheme)
    total = len(selection.item_ids)
    for n, item_id in enumerate(selection.item_ids):
        if job is not None:
            job.step(n, total, "items")
        item = lib.items.get(item_id)
        rows = lib.labels.sources_of(item_id)
        rows.sort(key=lambda r: (order.get(r[0], len(order)), r[0]))
        explicit = [(r[0], r[1]) for r in rows if r[1] != "implied"]
        implied = [r[0] for r in rows if r[1] == "implied"]
        distance = selection.distances[n] if selection.distances is not None else None
        yield Gathered(item, explicit, implied, lib.collections.of_item(item_id), distance)


def label_entry(scheme: LabelScheme, label_id: str) -> dict:
    """A label in both languages: its id and its keyword paths."""
    if label_id not in scheme.labels:
        return {"id": label_id, "en": label_id, "zh": label_id}
    return {"id": label_id, "en": scheme.keyword_path(label_id, "en"),
            "zh": scheme.keyword_path(label_id, "zh")}


def photo_record(photo: Photo) -> dict:
    """The facts of one photo (where it lives is added by each exporter)."""
    return {"sha256": photo.sha256, "size": photo.size, "width": photo.width,
            "height": photo.height, "format": photo.format, "note": photo.note,
            "position": photo.position}


def item_record(g: Gathered, scheme: LabelScheme, photos: list[dict]) -> dict[str, Any]:
    """The exported form of one item; ``photos`` come from the exporter."""
    item = g.item
    record: dict[str, Any] = {
        "accession": item.accession, "title": item.title, "description": item.description,
        "metadata": item.metadata, "created": item.created, "modified": item.modified,
        "labels": [label_entry(scheme, lid) | {"source": src} for lid, src in g.explicit],
        "implied_labels": [label_entry(scheme, lid) for lid in g.implied],
        "collections": g.collections, "photos": photos,
    }
    if g.distance is not None:
        record["distance"] = g.distance
    return record


def collection_records(lib: Library, item_ids: list[int]) -> list[dict]:
    """Collections that hold any exported item, with only those members, in their order."""
    chosen = set(item_ids)
    accession = lib.items.accessions()
    out = []
    for coll in lib.collections.list():
        members = [accession[i] for i in lib.collections.member_ids(coll.id) if i in chosen]
        if members:
            out.append({"name": coll.name, "description": coll.description, "items": members})
    return out


def scheme_summary(scheme: LabelScheme) -> dict:
    return {"version": scheme.version, "fingerprint": scheme.fingerprint(),
            "labels": len(scheme.labels), "facets": len(scheme.facets)}
