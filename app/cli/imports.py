"""``wenyang import``: photos, folders and metadata sheets (ZIP packages when supported)."""
from __future__ import annotations

import argparse
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from app.cli import EXIT_OK, EXIT_PARTIAL
from app.cli.common import command, open_from_args
from app.services.importing import ImportFiles, ImportOptions, ImportReport

if TYPE_CHECKING:
    from app.services.library import Library


def register(sub) -> None:
    p = command(sub, "import", "Import photos, folders (recursively) and a metadata sheet.", run_import)
    p.add_argument("paths", nargs="+", type=Path, help="photo files and folders")
    p.add_argument("--metadata", type=Path, help="CSV (any common encoding) or JSON sheet matched "
                                                 "to photos by file name or accession number")
    p.add_argument("--map", action="append", default=[], metavar="COLUMN=FIELD", type=column_mapping,
                   help="map a sheet column to file/accession/title/description/labels")
    p.add_argument("--create-labels", action="store_true",
                   help="create labels the scheme lacks instead of reporting them")
    p.add_argument("--label-facet", default="category",
                   help="facet for labels created from bare names (default: category)")
    p.add_argument("--copy", action="store_true", help="copy photos into the library folder")
    p.add_argument("--quiet", "-q", action="store_true", help="no progress line")


def column_mapping(text: str) -> tuple[str, str]:
    """``--map COLUMN=FIELD`` as a pair, with a one-line message for anything else."""
    column, sep, field = text.partition("=")
    if not sep or not column.strip() or not field.strip():
        raise argparse.ArgumentTypeError(f"{text!r} is not COLUMN=FIELD (e.g. --map 藏品号=accession)")
    return column.strip(), field.strip()


def run_import(args) -> int:
    packages = [p for p in args.paths if p.suffix.lower() == ".zip"]
    if packages:
        from app.cli import exchange_cmd  # ZIP packages are handled by the exchange commands
        return exchange_cmd.import_packages(args, packages)
    mapping = dict(args.map) if args.map else None
    options = ImportOptions(metadata=args.metadata, mapping=mapping, create_labels=args.create_labels,
                            new_label_facet=args.label_facet, copy=args.copy)
    show = not args.quiet and sys.stderr.isatty()

    def progress(event) -> None:
        if show and (event.done % 25 == 0 or event.done == event.total):
            print(f"\r{event.done}/{event.total} {Path(event.detail).name[:40]:40}", end="",
                  file=sys.stderr, flush=True)

    with open_from_args(args) as lib:
        report = ImportFiles(args.paths, options, progress, threading.Event()).run(lib).value
        if show:
            print(file=sys.stderr)
        print_report(report, lib)
        return EXIT_PARTIAL if report.partial else EXIT_OK


def print_report(report: ImportReport, lib: Library) -> None:
    rate = report.total_files / report.seconds if report.seconds else 0.0
    print(f"Imported {report.added_items} new items ({report.added_photos} photos) from "
          f"{report.total_files} files in {report.seconds:.1f} s ({rate:.0f} files/s).")
    if report.duplicates:
        print(f"Already in the library (same content): {len(report.duplicates)} — nothing added for them.")
    for note in report.notes:
        print(f"Note: {note}")
    if report.skipped:
        print(f"Skipped {len(report.skipped)} file(s):")
        for s in report.skipped:
            print(f"  {s.path}: {s.reason}" + (f" ({s.detail})" if s.detail else ""))
    if report.unknown_labels:
        print("Unknown labels (not created; use --create-labels to add them):")
        for name, n in sorted(report.unknown_labels.items(), key=lambda kv: -kv[1]):
            print(f"  {name}: {n} row(s)")
    if report.created_labels:
        print("Created labels: " + ", ".join(report.created_labels))
    if report.unmatched_rows:
        print(f"Sheet rows that matched no photo: {len(report.unmatched_rows)} "
              f"(lines {', '.join(map(str, report.unmatched_rows[:10]))}{' …' if len(report.unmatched_rows) > 10 else ''})")
    print_label_counts(lib)
    if report.cancelled:
        print("Cancelled: items written so far are complete; run the import again to add the rest.")
    if report.error:  # the reason the command fails, where every command's failure is said
        print(f"wenyang: {report.error}", file=sys.stderr)


def print_label_counts(lib: Library) -> None:
    scheme = lib.scheme
    counts = {k: v for k, v in lib.labels.counts().items() if v}
    print(f"Items per label ({lib.items.count()} items in the library):")
    if not counts:
        print("  (no labelled items)")
    for label in scheme.ordered():
        if label.id in counts:
            print(f"  {scheme.keyword_path(label.id)}: {counts[label.id]}")
