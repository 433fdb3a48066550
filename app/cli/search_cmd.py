"""``wenyang search``: every query type from the command line."""
from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING

from app.cli.common import command, emit_json, open_from_args, share, whole
from app.core.errors import WenyangError
from app.services.search import bilingual, describe_all

if TYPE_CHECKING:
    from app.services.library import Library


def register(sub) -> None:
    p = command(sub, "search", "Search the library by photo, region, text, labels, item or edit.",
                run_search)
    kind = p.add_mutually_exclusive_group(required=True)
    kind.add_argument("--image", type=Path, help="a photo file")
    kind.add_argument("--text", help="a description (Chinese, English or mixed)")
    kind.add_argument("--labels", nargs="+", metavar="LABEL", help="labels (id, name or path)")
    kind.add_argument("--like", metavar="ITEM", help="items like this one (accession number or id)")
    p.add_argument("--region", nargs=4, type=whole(-1_000_000, 1_000_000), metavar=("X", "Y", "W", "H"),
                   help="with --image: search by this detail of the photo")
    p.add_argument("--add", nargs="+", default=[], metavar="LABEL",
                   help="with --like: attribute edit, the labels to have instead")
    p.add_argument("--remove", nargs="+", default=[], metavar="LABEL",
                   help="with --like: attribute edit, the labels to drop")
    p.add_argument("--weight", type=share, default=0.5, help="share of the edited labels (0..1)")
    p.add_argument("--understood", nargs="*", metavar="LABEL",
                   help="with --text: read the text as exactly these labels instead of what it was "
                        "understood as (ids, names or paths; none at all: search by words only)")
    p.add_argument("--filter-label", action="append", default=[], metavar="LABEL",
                   help="only items with this label (AND across facets, OR within one)")
    p.add_argument("--collection", help="only items of this collection")
    p.add_argument("-k", type=whole(1, 10_000), default=20, help="results per tab (default 20)")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument("--export", type=Path, metavar="OUT",
                   help="also export the matching photos' items (ranked) to OUT: the format follows "
                        "the suffix (.csv, .json, .zip) or --export-format")
    p.add_argument("--export-format", choices=["csv", "json", "zip", "iiif", "research"])


def run_search(args) -> int:
    from app.services.search import SearchFilters, SearchService

    if args.region and not args.image:
        raise WenyangError("--region needs --image.")
    if args.region and min(args.region[2:]) < 2:
        raise WenyangError(f"--region {' '.join(map(str, args.region))}: the width and height must be at least 2 pixels.")
    if (args.add or args.remove) and not args.like:
        raise WenyangError("--add/--remove edit an item: use them with --like ITEM.")
    if args.understood is not None and args.text is None:
        raise WenyangError("--understood corrects how a text was read: use it with --text.")
    with open_from_args(args) as lib:
        service = SearchService(lib)
        filters = SearchFilters(args.filter_label, args.collection)
        results = _query(service, lib, args, filters)
        if args.export:
            _export(lib, results, args)
        if args.json:
            emit_json(asdict(results))
            return 0
        _print(results, lib, args.text)
    return 0


def _query(service, lib: Library, args, filters):
    if args.image:
        return service.by_image(args.image, region=args.region, k=args.k, filters=filters)
    if args.text is not None:
        if args.understood is None:  # the service reads the text itself
            return service.by_text(args.text, k=args.k, filters=filters)
        labels = [lib.scheme.resolve(ref).id for ref in args.understood]
        return service.by_text(args.text, k=args.k, filters=filters, labels=labels)
    if args.labels:
        return service.by_labels(args.labels, k=args.k, filters=filters)
    item = lib.items.resolve(args.like)
    if args.add or args.remove:
        return service.edit(item.id, args.add, args.remove, args.weight, k=args.k, filters=filters)
    return service.like_item(item.id, k=args.k, filters=filters)


def _export(lib: Library, results, args) -> None:
    from app.cli.exchange_cmd import export
    from app.services.exchange import select_search

    fmt = args.export_format or args.export.suffix.lower().lstrip(".")
    query = args.text or (str(args.image) if args.image else " ".join(args.labels or [args.like or ""]))
    selection = select_search(lib, [h.item_id for h in results.photos],
                              [h.distance for h in results.photos], query=query)
    result = export(lib, selection, fmt, args.export)
    print(f"Exported {len(results.photos)} ranked result(s) to {args.export} ({fmt}).")
    if getattr(result, "partial", False):
        print("Some photos were missing; see the export's notes.")


def _print(results, lib: Library, text: str | None) -> None:
    if text is not None:
        print(understood_line(results.understood, lib.scheme))
    print(f"Query labels: {', '.join(results.query_labels) or '-'}   "
          f"({results.seconds * 1000:.0f} ms on {results.provider})")
    scheme = lib.scheme
    for title, hits in (("Matching photos", results.photos), ("Matching descriptions", results.descriptions)):
        print(f"\n{title}:")
        if not hits:
            print("  (none)")
        for rank, hit in enumerate(hits, 1):
            _print_hit(rank, hit, scheme)


def understood_line(label_ids, scheme) -> str:
    """"Understood: Robe 袍, Dragon 龙", or that the text named no label."""
    if not label_ids:
        return "Understood: nothing — searching by words only"
    return "Understood: " + ", ".join(bilingual(lid, scheme) for lid in label_ids)


def _print_hit(rank: int, hit, scheme) -> None:
    """One hit as a line (the hit carries its accession number and title)."""
    print(f"  {rank:3}. d={hit.distance:3} {hit.accession:20} {hit.title[:30]:30} [{hit.modality}]")
    reasons = getattr(hit, "reasons", None)
    if reasons:
        print(f"       why: {describe_all(reasons, scheme)}")
    elif hit.matched_labels:  # a service that gives no reasons yet: the labels it matched
        print(f"       matched: {', '.join(hit.matched_labels)}")
