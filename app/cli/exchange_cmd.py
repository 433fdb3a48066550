"""``wenyang export``, and ZIP packages for ``wenyang import`` (which calls ``import_packages``)."""
from __future__ import annotations

import sys
import threading
from pathlib import Path

from app.cli import EXIT_OK, EXIT_PARTIAL
from app.cli.common import command, open_from_args, whole
from app.core.errors import WenyangError
from app.core.jobs import Progress
from app.services.exchange import (
    FORMATS,
    ExportOptions,
    format_for,
    select_all,
    select_collection,
    select_items,
)


def register(sub) -> None:
    p = command(sub, "export", "Export a collection, some items or the whole library as CSV, "
                "JSON, a ZIP package, an IIIF site or a research data set.", run_export_cmd)
    p.add_argument("--format", "-f", choices=FORMATS,
                   help="csv, json, zip (photos + metadata, imports back losslessly), iiif "
                        "(a folder: IIIF Presentation 3.0 manifests + photos), research (a "
                        "folder: label matrix, bag-of-words, split as .npz); default: by -o's "
                        "extension")
    which = p.add_mutually_exclusive_group(required=True)
    which.add_argument("--collection", "-c", metavar="NAME", help="export this collection")
    which.add_argument("--items", nargs="+", metavar="ITEM", help="accession numbers or ids")
    which.add_argument("--all", action="store_true", help="export every item")
    p.add_argument("-o", "--output", type=Path, required=True,
                   help="file to write (csv, json, zip) or new folder (iiif, research)")
    p.add_argument("--resize", type=whole(16, 100_000), metavar="N",
                   help="zip/iiif/research: scale photos so the longer side is at most N px "
                        "(JPEG); default: original files")
    p.add_argument("--base-uri", metavar="URI",
                   help="iiif: the URL the folder will be published at (default: its file:// URI)")
    p.add_argument("--query", type=whole(1), metavar="N", help="research: query set size (default 10%%)")
    p.add_argument("--train", type=whole(1), metavar="N",
                   help="research: training set size, drawn from the database (default 50%%)")
    p.add_argument("--seed", type=whole(0, 2**31 - 1), default=0, help="research: split seed (default 0)")
    p.add_argument("--vocabulary", type=whole(1, 1_000_000), default=1000, metavar="N",
                   help="research: bag-of-words vocabulary size (default 1000)")
    p.add_argument("--quiet", "-q", action="store_true", help="no progress line")
    _extend_import(sub)


def _extend_import(sub) -> None:
    """``wenyang import`` hands .zip packages to this module; their one extra option lives
    here with the rest of the package code (the import command is registered earlier)."""
    importer = sub.choices.get("import")
    if importer is not None:
        importer.add_argument("--take-label-names", action="store_true",
                              help="packages: adopt the package's names for labels this library "
                                   "already has (default: keep this library's names)")


def run_export_cmd(args) -> int:
    """``wenyang export``: choose the items, write atomically, print a summary."""
    fmt = format_for(args.output, args.format)
    with open_from_args(args) as lib:
        if args.collection:
            selection = select_collection(lib, args.collection)
        elif args.items:
            selection = select_items(lib, args.items)
        else:
            selection = select_all(lib)
        options = ExportOptions(max_side=args.resize, base_uri=args.base_uri,
                                split=_split(args) if fmt == "research" else None)
        result = export(lib, selection, fmt, args.output, options, _progress_printer(args.quiet))
    _end_progress(args.quiet)
    print(f"Exported {result.items} item(s) ({result.photos} photo(s)) from "
          f"{selection.description} to {result.path} as {fmt}: "
          f"{result.bytes / 1e6:.1f} MB in {result.seconds:.1f} s.")
    for note in result.notes:
        print(f"Note: {note}")
    if result.missing_photos:
        print(f"Left out {len(result.missing_photos)} photo(s) that could not be read:")
        for line in result.missing_photos:
            print(f"  {line}")
    return EXIT_PARTIAL if result.partial else EXIT_OK


def export(lib, selection, fmt: str, out, options=None, progress=None):
    """The ``Export`` op, as the window runs it; the command line never undoes, so the file an
    export replaced is let go at once (as a plain overwrite would)."""
    from app.services.exchange import Export, ExportOptions

    done = Export(selection, fmt, Path(out), options or ExportOptions(), progress, threading.Event()).run(lib)
    done.undo.discard()
    return done.value


def _split(args):
    from app.services.exchange import SplitSizes

    return SplitSizes(query=args.query, train=args.train, seed=args.seed,
                      vocabulary=args.vocabulary)


def _progress_printer(quiet: bool):
    if quiet or not sys.stderr.isatty():
        return None

    def show(event: Progress) -> None:
        if event.done % 25 == 0 or event.done == event.total:
            print(f"\r{event.stage}: {event.done}/{event.total} {event.detail[:40]:40}", end="",
                  file=sys.stderr, flush=True)
    return show


def _end_progress(quiet: bool) -> None:
    if not quiet and sys.stderr.isatty():
        print(file=sys.stderr)


def import_packages(args, packages: list[Path]) -> int:
    """``wenyang import LIBRARY package.zip ...``: check every package, then import them."""
    from app.services.exchange import ImportPackages, PackageImportOptions

    others = [p for p in args.paths if p not in packages]
    if others:
        raise WenyangError("Import ZIP packages on their own, not together with photos or "
                           f"folders ({others[0]}).")
    if getattr(args, "metadata", None):
        raise WenyangError("A package carries its own metadata; --metadata cannot be used with it.")
    options = PackageImportOptions(take_label_names=getattr(args, "take_label_names", False))
    with open_from_args(args) as lib:
        reports = ImportPackages(packages, options, _progress_printer(args.quiet), threading.Event()).run(lib).value
        _end_progress(args.quiet)
        for report in reports:
            print_package_report(report)
    return EXIT_PARTIAL if any(r.partial for r in reports) else EXIT_OK


def print_package_report(report) -> None:
    """What a package import did, in sentences."""
    print(f"Imported {report.added_items} of {report.items} item(s) ({report.added_photos} "
          f"photo(s)) from {report.package} in {report.seconds:.1f} s.")
    if report.skipped:
        print(f"Skipped {len(report.skipped)} item(s):")
        for accession, why in report.skipped:
            print(f"  {accession}: {why}")
    if report.added_labels:
        print("New labels: " + ", ".join(report.added_labels))
    if report.created_collections:
        print("Collections created: " + ", ".join(report.created_collections))
    if report.extended_collections:
        print("Added to existing collections: " + ", ".join(report.extended_collections))
    for note in report.notes:
        print(f"Note: {note}")
