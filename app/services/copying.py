"""``wenyang copy SRC DST``: a library copied between SQLite and a PostgreSQL server, either way.

Every row is copied (``app.store.copying``), then the library's own files that the target
cannot see where they are: the trained models (their ONNX files), the photos the library keeps
a copy of and the thumbnails, byte for byte, skipping those already there. Photos imported in
place (absolute paths) stay where they are: the target names the same files. The target must be
new (made by the copy, or by ``wenyang init`` with nothing added), or an earlier, stopped copy of
the same source: running the command again resumes it.
"""
from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from app.core.errors import WenyangError
from app.services.library import as_location, open_library, open_server_library, shown_location
from app.store.copying import COPY_KEY, clear_seeded_scheme, copy_rows, row_counts

FOLDERS = ("models", "photos", "thumbnails")


@dataclass
class CopyReport:
    source: str
    target: str
    rows: dict[str, int]
    files: int


def copy_library(source, target, files: str | Path | None = None,
                 progress: Callable[[str, int, int], None] | None = None) -> CopyReport:
    """Copy the library at ``source`` to ``target`` (folders or connection strings); ``files``:
    the shared folder of a new server library."""
    source, target = as_location(source), as_location(target)
    if str(source) == str(target):
        raise WenyangError("The source and the target are the same library.")
    with open_library(source) as src:
        origin = shown_location(src)
        dst = open_server_library(target, create=True, files=files) if isinstance(target, str) \
            else open_library(target, create=True)
        try:
            begun = dst.get_meta(COPY_KEY)
            if begun is None:
                if dst.items.count() or dst.collections.list() or dst.models.all():
                    raise WenyangError(f"{shown_location(dst)} already holds a library with items; copy into a new "
                                       "library (nothing was changed).")
                clear_seeded_scheme(dst)
                dst.set_meta(COPY_KEY, origin)
            elif begun != origin:
                raise WenyangError(f"{shown_location(dst)} is a copy of {begun}, not of {origin}; nothing was changed.")
            rows = copy_rows(src, dst, progress)
            files_copied = _copy_files(src.root, dst.root, progress)
            _check(src, dst)
            return CopyReport(origin, shown_location(dst), rows, files_copied)
        finally:
            dst.close()


def _copy_files(source: Path, target: Path, progress) -> int:
    if source.resolve() == target.resolve():
        return 0
    copied = 0
    for folder in FOLDERS:
        for path in sorted((source / folder).rglob("*")) if (source / folder).is_dir() else []:
            if not path.is_file():
                continue
            dest = target / path.relative_to(source)
            if dest.exists() and dest.stat().st_size == path.stat().st_size:
                continue
            dest.parent.mkdir(parents=True, exist_ok=True)
            partial = dest.with_name(dest.name + ".part")
            shutil.copyfile(path, partial)
            partial.replace(dest)  # never a half-written file under the real name
            copied += 1
        if progress:
            progress(folder, copied, copied)
    return copied


def _check(src, dst) -> None:
    """Every table holds as many rows in the target as in the source (``meta`` aside: each
    library keeps some facts of its own there)."""
    have, want = row_counts(dst), row_counts(src)
    for table, count in want.items():
        if table != "meta" and have[table] != count:
            raise WenyangError(f"The copy's {table} holds {have[table]} rows, the source's {count}: run the copy again.")
