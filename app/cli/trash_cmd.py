"""``wenyang delete`` and ``wenyang trash``: deleted items go to the trash, from which they can
be restored exactly as they were until it is emptied."""
from __future__ import annotations

from app.cli.common import action_group, command, open_from_args
from app.core.errors import WenyangError
from app.services import ops
from app.services.trash import empty_trash


def register(sub) -> None:
    p = command(sub, "delete", "Move items to the trash (wenyang trash restore brings them back).", run_delete)
    p.add_argument("items", nargs="+", metavar="ITEM", help="accession numbers or ids")
    p = command(sub, "delete-photo", "Move one photo of an item to the trash (the item stays).", run_delete_photo)
    p.add_argument("item", metavar="ITEM", help="accession number or id")
    p.add_argument("number", type=int, metavar="N", help="which photo: 1 is the item's first")
    action = action_group(sub, "trash", "List, restore or empty the trash of deleted items.")
    action("list", "List the items in the trash.", run_list)
    p = action("restore", "Restore items from the trash (all of them when none is named).", run_restore)
    p.add_argument("items", nargs="*", metavar="ITEM", help="accession numbers or ids in the trash")
    p.add_argument("--photo", type=int, action="append", default=[], metavar="ENTRY",
                   help="a single photo's entry (as `wenyang trash list` shows it); repeatable")
    p = action("empty", "Forget the trashed items for good, with their copied photos.", run_empty)
    p.add_argument("--yes", action="store_true", help="do it (without it, say what would go)")


def run_delete(args) -> int:
    with open_from_args(args) as lib:
        ids = [lib.items.resolve(ref).id for ref in args.items]
        n = ops.DeleteItems(ids).run(lib).value
    print(f"Moved {n} item(s) to the trash; `wenyang trash restore` brings them back.")
    return 0


def run_delete_photo(args) -> int:
    with open_from_args(args) as lib:
        item = lib.items.resolve(args.item)
        photos = lib.items.photos(item.id)
        if not 1 <= args.number <= len(photos):
            raise WenyangError(f"{item.accession} has {len(photos)} photo(s); there is no photo {args.number}.")
        ops.DeletePhotos([photos[args.number - 1].id]).run(lib)
    print(f"Moved photo {args.number} of {item.accession} to the trash; "
          "`wenyang trash restore --photo ENTRY` brings it back.")
    return 0


def run_list(args) -> int:
    with open_from_args(args) as lib:
        trashed = lib.trash.items()
        photos = lib.trash.lone_photos()
    for t in trashed:
        print(f"{t.accession}\t#{t.id}\t{t.title}\t{t.photos} photo(s)\ttrashed {t.trashed}")
    for p in photos:
        print(f"photo entry {p.id}\tof {p.accession or '(item in the trash)'}\t{p.path}\ttrashed {p.trashed}")
    print(f"({len(trashed)} item(s) and {len(photos)} single photo(s) in the trash)")
    return 0


def run_restore(args) -> int:
    with open_from_args(args) as lib:
        everything = not args.items and not args.photo
        ids = _trashed_ids(lib, args.items) if args.items else [t.id for t in lib.trash.items()] if everything else []
        restored = ops.RestoreItems(ids).run(lib).value if ids else []
        entries = args.photo or ([p.id for p in lib.trash.lone_photos() if p.accession] if everything else [])
        photos = ops.RestorePhotos(entries).run(lib).value if entries else []
    print(f"Restored {len(restored)} item(s) and {len(photos)} photo(s).")
    return 0


def run_empty(args) -> int:
    with open_from_args(args) as lib:
        if not args.yes:
            print(f"{lib.trash.count()} item(s) and {lib.trash.photo_count()} single photo(s) would be "
                  "forgotten for good; run again with --yes.")
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
