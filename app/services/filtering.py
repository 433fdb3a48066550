"""Which items pass the facet and collection filters (the classify-then-search idea):
AND across facets, OR within a facet; a label also admits items tagged below it."""
from __future__ import annotations

from typing import Iterable


def allowed_item_ids(lib, label_refs: Iterable[str] = (), collection=None) -> list[int]:
    """Ids of the items that pass; all items when no filter is set."""
    scheme = lib.scheme
    by_facet: dict[str, set[str]] = {}
    for ref in label_refs:
        label = scheme.resolve(ref)
        by_facet.setdefault(label.facet, set()).update([label.id, *scheme.descendants(label.id)])
    sql, args = "SELECT id FROM items WHERE 1", []
    for label_ids in by_facet.values():
        marks = ", ".join("?" * len(label_ids))
        sql += f" AND id IN (SELECT item_id FROM item_labels WHERE label_id IN ({marks}))"
        args += sorted(label_ids)
    if collection is not None:
        coll = lib.collections.get(collection)
        sql += " AND id IN (SELECT item_id FROM collection_items WHERE collection_id = ?)"
        args.append(coll.id)
    return [r[0] for r in lib.db.execute(sql + " ORDER BY id", args).fetchall()]
