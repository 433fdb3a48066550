"""``wenyang init``: create a library."""
from __future__ import annotations

import sys

from app.cli.common import command, library_path, location_of, open_from_args
from app.core.errors import WenyangError
from app.services.library import grant_curators, open_server_library, server_has_library, shown_location


def register(sub) -> None:
    c = command(sub, "copy", "Copy a library between a folder (SQLite) and a PostgreSQL server, either way: every "
                "row, the models and the library's own photo copies; run it again to resume a stopped copy.",
                run_copy, library=False)
    c.add_argument("source", help="the library to copy: a folder, or postgresql://…")
    c.add_argument("target", help="a new library: a folder, or an empty database postgresql://…")
    c.add_argument("--files", help="a server target: its shared folder for photos, thumbnails and models")
    c.add_argument("--quiet", "-q", action="store_true", help="no progress line")
    p = command(sub, "init", "Create a library folder (library.sqlite, thumbnails/, models/), or a library in a "
                "database on a PostgreSQL server.", run_init)
    p.add_argument("--files", help="on a server: the shared folder (the same path on every workstation) for the "
                                   "library's photos, thumbnails and models")
    p.add_argument("--grant", nargs="+", metavar="ROLE", default=[],
                   help="on a server: let these roles read and write the library (not change its tables)")


def run_init(args) -> int:
    path = library_path(args)
    if isinstance(path, str):  # a server's connection string
        state = "already a library" if server_has_library(path) else "created"
        with open_server_library(path, create=True, files=args.files) as lib:
            grant_curators(lib, args.grant)
            if args.grant:
                print(f"Granted {', '.join(args.grant)} reading and writing the library (not its tables).")
            print(f"{shown_location(lib)}: {state}, files in {lib.root}; {lib.items.count()} items, "
                  f"{len(lib.scheme.labels)} labels in {len(lib.scheme.facets)} facets.")
        return 0
    if args.grant:
        raise WenyangError("--grant names roles of a PostgreSQL server; an SQLite library has none.")
    existed = (path / "library.sqlite").exists()
    with open_from_args(args, create=True) as lib:
        scheme = lib.scheme
        state = "already a library" if existed else "created"
        print(f"{path}: {state}; {lib.items.count()} items, {len(scheme.labels)} labels "
              f"in {len(scheme.facets)} facets.")
    return 0


def run_copy(args) -> int:
    from app.services.copying import copy_library

    def shown(table: str, done: int, total: int) -> None:
        if not args.quiet:
            print(f"\r{table}: {done:,} of {total:,}\033[K", end="", file=sys.stderr, flush=True)

    report = copy_library(location_of(args.source), location_of(args.target), files=args.files, progress=shown)
    if not args.quiet:
        print(file=sys.stderr)
    rows = sum(report.rows.values())
    print(f"Copied {report.source} to {report.target}: {rows:,} rows ({report.rows.get('items', 0):,} items, "
          f"{report.rows.get('codes', 0):,} codes, {report.rows.get('models', 0)} model(s)), {report.files} file(s).")
    return 0
