"""``wenyang demo DIR``: generate the demo collection, and with ``--library`` import it."""
from __future__ import annotations

import sys
from pathlib import Path

from app.cli import EXIT_OK, EXIT_PARTIAL
from app.cli.common import command, library_path, whole
from app.core.jobs import Progress


def register(sub) -> None:
    p = command(sub, "demo", "Generate a demo collection: drawn traditional garments with bilingual "
                             "records and labels on the default scheme (same seed, same files).",
                run_demo, library=False)
    p.add_argument("folder", type=Path, help="folder for the demo photos and their metadata sheet")
    p.add_argument("--seed", type=whole(0, 2**31 - 1), default=0, help="which demo collection (default 0)")
    p.add_argument("--count", type=whole(1, 1_000_000), default=300, help="number of items (default 300)")
    p.add_argument("--library", type=Path,
                   help="also import the demo into this library (created when missing) and make "
                        "the demo collections; '' or '.default' for $WENYANG_HOME")
    p.add_argument("--quiet", "-q", action="store_true", help="no progress line")


def run_demo(args) -> int:
    from app.services.demo import create_demo_library, generate_demo

    progress = _progress_printer(not args.quiet and sys.stderr.isatty())
    if args.library is None:
        sheet = generate_demo(args.folder, args.seed, args.count, progress=progress)
        _end_progress(progress)
        print(f"Wrote {args.count} demo photos and the sheet {sheet}.")
        print(f"Import them with: wenyang demo {args.folder} --seed {args.seed} --count {args.count} "
              f"--library LIBRARY (the same seed writes the same files again)")
        return EXIT_OK
    result = create_demo_library(library_path(args), args.seed, args.count, progress=progress,
                                 source=args.folder)
    _end_progress(progress)
    _print_result(result)
    return EXIT_PARTIAL if result.report.partial else EXIT_OK


class _progress_printer:
    """A progress line on stderr (when ``shown``), ended by ``_end_progress``."""

    def __init__(self, shown: bool):
        self.shown = shown

    def __call__(self, event: Progress) -> None:
        if self.shown and (event.done % 10 == 0 or event.finished_stage):
            print(f"\r{event.stage}: {event.done}/{event.total}", end="", file=sys.stderr, flush=True)


def _end_progress(progress: _progress_printer) -> None:
    if progress.shown:
        print(file=sys.stderr)


def _print_result(result) -> None:
    from app.cli.imports import print_report
    from app.services.library import open_library

    print(f"Demo photos and sheet: {result.sheet.parent}")
    with open_library(result.root) as lib:
        print_report(result.report, lib)
    for name, size in result.collections.items():
        print(f"Collection {name!r}: {size} item(s).")
