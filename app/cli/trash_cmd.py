"""``wenyang delete`` and ``wenyang trash``: deleted items go to the trash, from which they can
be restored exactly as they were until it is emptied."""
from __future__ import annotations

from app.cli.common import action_group, command, open_from_args
from app.services import ops
from app.services.trash import empty_trash


def register(sub) -> None:
    p = command(sub, "delete", "Move items to the trash (wenyang trash restore brings them back).", run_delete)
    p.add_argument("items", nargs="+", metavar="ITEM", help="accession numbers or ids")
    action = action_group(sub, "trash", "List, restore or empty the trash of deleted items.")
    action("list", "List the items in the trash.", run_list)
    p = action("restore", "Restore items from the trash (all of them when none is named).", run_restore)
    p.add_argument("items", nargs="*", metavar="ITEM", help="accession numbers or ids in the trash")
    p = action("empty", "Forget the trashed items for good, with their copied photos.", run_empty)
    p.add_argument("--yes", action="store_true", help="do it (without it, say what would go)")


def run_delete(args) -> int:
    with open_from_args(args) as lib:
        ids = [lib.items.resolve(ref).id for ref in args.items]
        n = ops.DeleteItems(ids).run(lib).value
    print(f"Moved {n} item(s) to the trash; `wenyang trash restore` brings them back.")
    return 0


def run_list(args) -> int:
    with open_from_args(args) as lib:
        trashed = lib.trash.items()
    for t in trashed:
        print(f"{t.accession}\t#{t.id}\t{t.title}\t{t.photos} photo(s)\ttrashed {t.trashed}")
    print(f"({len(trashed)} item(s) in the trash)")
    return 0


def run_restore(args) -> int:
    with open_from_args(args) as lib:
        ids = _trashed_ids(lib, args.items) if args.items else [t.id for t in lib.trash.items()]
        restored = ops.RestoreItems(ids).run(lib).value if ids else []
    print(f"Restored {len(restored)} item(s).")
    return 0


def run_empty(args) -> int:
    with open_from_args(args) as lib:
        if not args.yes:
            print(f"{lib.trash.count()} item(s) would be forgotten for good; run again with --yes.")
            return 0
        items, files = empty_trash(lib)
    print(f"Emptied the trash: {items} item(s) forgotten, {files} file(s) removed.")
    return 0


def _trashed_ids(lib, refs: list[str]) -> list[int]:
    """Trashed items by accession number or #id (they are no longer in the live tables)."""
    by_accession = {t.accession: t.id for t in lib.trash.items()}
    ids = []
    for ref in refs:
        text = ref.lstrip("#")
        ids.append(by_accession[ref] if ref in by_accession else int(text) if text.isdigit() else -1)
    return ids
