"""``wenyang init``: create a library."""
from __future__ import annotations

from app.cli.common import command, library_path, open_from_args
from app.services.library import open_server_library, server_has_library, shown_location


def register(sub) -> None:
    p = command(sub, "init", "Create a library folder (library.sqlite, thumbnails/, models/), or a library in a "
                "database on a PostgreSQL server.", run_init)
    p.add_argument("--files", help="on a server: the shared folder (the same path on every workstation) for the "
                                   "library's photos, thumbnails and models")


def run_init(args) -> int:
    path = library_path(args)
    if isinstance(path, str):  # a server's connection string
        state = "already a library" if server_has_library(path) else "created"
        with open_server_library(path, create=True, files=args.files) as lib:
            print(f"{shown_location(lib)}: {state}, files in {lib.root}; {lib.items.count()} items, "
                  f"{len(lib.scheme.labels)} labels in {len(lib.scheme.facets)} facets.")
        return 0
    existed = (path / "library.sqlite").exists()
    with open_from_args(args, create=True) as lib:
        scheme = lib.scheme
        state = "already a library" if existed else "created"
        print(f"{path}: {state}; {lib.items.count()} items, {len(scheme.labels)} labels "
              f"in {len(scheme.facets)} facets.")
    return 0
