"""``wenyang init``: create a library."""
from __future__ import annotations

from app.cli.common import command, library_path, open_from_args


def register(sub) -> None:
    command(sub, "init", "Create a library folder (library.sqlite, thumbnails/, models/).", run_init)


def run_init(args) -> int:
    path = library_path(args)
    existed = (path / "library.sqlite").exists()
    with open_from_args(args, create=True) as lib:
        scheme = lib.scheme
        state = "already a library" if existed else "created"
        print(f"{path}: {state}; {lib.items.count()} items, {len(scheme.labels)} labels "
              f"in {len(scheme.facets)} facets.")
    return 0
