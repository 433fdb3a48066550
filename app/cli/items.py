"""``wenyang ls``, ``show``, ``tag``, ``untag``."""
from __future__ import annotations

from dataclasses import asdict

from app.cli.common import command, emit_json, open_from_args, whole
from app.services import ops


def register(sub) -> None:
    p = command(sub, "ls", "List items (optionally of one label or collection).", run_ls)
    p.add_argument("--label", help="only items with this label (id, name or path)")
    p.add_argument("--collection", help="only items of this collection")
    p.add_argument("--limit", type=whole(0), default=50, help="how many to show (default 50, 0 = all)")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p = command(sub, "show", "Show one item with its photos, labels and collections.", run_show)
    p.add_argument("item", help="accession number or id")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    for name, verb in (("tag", "Add labels to items (ancestors are implied)."),
                       ("untag", "Remove labels from items (and the labels below them).")):
        p = command(sub, name, verb, run_tag if name == "tag" else run_untag)
        p.add_argument("items", nargs="+", metavar="ITEM", help="accession numbers or ids")
        p.add_argument("--label", "-l", action="append", required=True, dest="labels",
                       help="label id, name or path (repeatable)")


def run_ls(args) -> int:
    with open_from_args(args) as lib:
        label = lib.scheme.resolve(args.label).id if args.label else None
        coll = lib.collections.get(args.collection).id if args.collection else None
        ids = lib.items.ids(label=label, collection=coll, limit=args.limit or None)
        items = lib.items.many(ids)
        if args.json:
            emit_json([asdict(i) for i in items])
            return 0
        for item in items:
            print(f"{item.accession}\t{item.title or '-'}\t{len(item.photos)} photo(s)\t"
                  f"{', '.join(item.labels) or '-'}")
        total = len(lib.items.ids(label=label, collection=coll))
        print(f"({len(items)} of {total} items)")
    return 0


def run_show(args) -> int:
    with open_from_args(args) as lib:
        item = lib.items.resolve(args.item)
        if args.json:
            emit_json(asdict(item) | {"collections": lib.collections.of_item(item.id)})
            return 0
        scheme = lib.scheme
        print(f"{item.accession} (id {item.id})\nTitle: {item.title}\nDescription: {item.description}")
        for key, value in item.metadata.items():
            print(f"  {key}: {value}")
        print("Labels: " + ("; ".join(f"{scheme.keyword_path(l)} / {scheme.keyword_path(l, 'zh')}"
                                      for l in item.labels) or "-"))
        for photo in item.photos:
            note = f" [{photo.note}]" if photo.note else ""
            print(f"Photo: {photo.path} {photo.width}×{photo.height} {photo.format}{note}")
        print("Collections: " + (", ".join(lib.collections.of_item(item.id)) or "-"))
    return 0


def _tag(args, untag: bool) -> int:
    with open_from_args(args) as lib:
        ids = [lib.items.resolve(ref).id for ref in args.items]
        if untag:
            n = ops.Untag(ids, args.labels).run(lib).value
            print(f"Removed {n} tag(s) from {len(ids)} item(s).")
        else:
            n = ops.Tag(ids, args.labels).run(lib).value
            print(f"Added {n} tag(s) to {len(ids)} item(s).")
    return 0


def run_tag(args) -> int:
    return _tag(args, untag=False)


def run_untag(args) -> int:
    return _tag(args, untag=True)
