"""Which items pass the facet and collection filters (the classify-then-search idea):
AND across facets, OR within a facet; a label also admits items tagged below it."""
from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from app.store import Library


def allowed_item_ids(lib: Library, label_refs: Iterable[str] = (), collection=None) -> list[int]:
    """Ids of the items that pass; all items when no filter is set."""
    scheme = lib.scheme
    by_facet: dict[str, set[str]] = {}
    for ref in label_refs:
        label = scheme.resolve(ref)
        by_facet.setdefault(label.facet, set()).update([label.id, *scheme.descendants(label.id)])
    coll = lib.collections.get(collection).id if collection is not None else None
    return lib.items.passing(by_facet.values(), coll)
