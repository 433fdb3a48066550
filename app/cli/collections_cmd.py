"""``wenyang collections ...``: named sets of items."""
from __future__ import annotations

from app.cli.common import action_group, open_from_args
from app.services import ops


def register(sub) -> None:
    action = action_group(sub, "collections", "Create and fill collections.")

    action("list", "List collections with their sizes.", run_list)
    p = action("create", "Create a collection.", run_create)
    p.add_argument("name")
    p.add_argument("--description", default="")
    for name, help_text, func in (("add", "Add items to a collection.", run_add),
                                  ("remove", "Remove items from a collection.", run_remove)):
        p = action(name, help_text, func)
        p.add_argument("collection")
        p.add_argument("items", nargs="+", metavar="ITEM", help="accession numbers or ids")
    p = action("rename", "Rename a collection.", run_rename)
    p.add_argument("collection")
    p.add_argument("new_name")
    p = action("delete", "Delete a collection (its items stay in the library).", run_delete)
    p.add_argument("collection")


def run_list(args) -> int:
    with open_from_args(args) as lib:
        colls = lib.collections.list()
        for c in colls:
            print(f"{c.name}\t{c.size} item(s)\t{c.description}")
        print(f"({len(colls)} collections)")
    return 0


def run_create(args) -> int:
    with open_from_args(args) as lib:
        c = ops.CreateCollection(args.name, args.description).run(lib).value
        print(f"Created collection {c.name!r}.")
    return 0


def run_add(args) -> int:
    with open_from_args(args) as lib:
        ids = [lib.items.resolve(ref).id for ref in args.items]
        n = ops.AddToCollection(args.collection, ids).run(lib).value
        print(f"Added {n} item(s) to {args.collection!r}.")
    return 0


def run_remove(args) -> int:
    with open_from_args(args) as lib:
        ids = [lib.items.resolve(ref).id for ref in args.items]
        n = ops.RemoveFromCollection(args.collection, ids).run(lib).value
        print(f"Removed {n} item(s) from {args.collection!r}.")
    return 0


def run_rename(args) -> int:
    with open_from_args(args) as lib:
        c = ops.RenameCollection(args.collection, args.new_name).run(lib).value
        print(f"Renamed to {c.name!r}.")
    return 0


def run_delete(args) -> int:
    with open_from_args(args) as lib:
        ops.DeleteCollection(args.collection).run(lib)
        print(f"Deleted collection {args.collection!r}.")
    return 0
