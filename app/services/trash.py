"""Emptying the trash: forget trashed items for good and remove the files the library holds
for them (photos copied into the library, thumbnails) when no live item uses them; with them go
the files of undone work that nothing names any more (photos copied in and thumbnails made by an
import that was undone, the folder of a model whose training was undone)."""
from __future__ import annotations

import shutil
import time
from pathlib import Path
from typing import TYPE_CHECKING

from app.media.images import thumbnail_path

if TYPE_CHECKING:
    from app.store import Library

# A file younger than this may belong to a job running now that has not written its row yet
# (an import copies and thumbnails a photo before the item's transaction; a training exports
# its model before registering it): it is left for the next emptying.
UNNAMED_GRACE_S = 3600.0


def empty_trash(lib: Library, item_ids=None) -> tuple[int, int]:
    """Empty the trash (or only ``item_ids`` of it); returns (items forgotten, files removed).

    Photos that stayed where they were imported from (not copied) are the curator's own files
    and are never touched."""
    before = lib.trash.count()
    photos = lib.trash.empty(item_ids)
    live = lib.items.photo_hashes()
    removed = 0
    for stored, sha in photos:
        if sha in live:  # imported again meanwhile: its files are in use
            continue
        candidates = [thumbnail_path(lib.thumbnails_dir, sha)]
        if not Path(stored).is_absolute():  # copied into the library folder
            candidates.append(lib.root / stored)
        for path in candidates:
            try:
                path.unlink()
                removed += 1
            except FileNotFoundError:
                pass
    if item_ids is None:
        removed += remove_unnamed_files(lib)
    return before - lib.trash.count(), removed


def remove_unnamed_files(lib: Library, grace_s: float = UNNAMED_GRACE_S) -> int:
    """Remove thumbnails and copied photos of no photo (live or trashed) and model folders of no
    model, older than ``grace_s``; returns how many were removed."""
    named = lib.items.photo_hashes() | lib.trash.photo_hashes()
    models = {m.id for m in lib.models.all()}
    cutoff = time.time() - grace_s
    removed = 0
    for folder in (lib.thumbnails_dir, lib.photos_dir):
        for path in folder.glob("*/*"):
            if path.is_file() and not path.name.startswith(".") and path.stem not in named \
                    and _older(path, cutoff):
                path.unlink(missing_ok=True)
                removed += 1
    if lib.models_dir.is_dir():
        for path in lib.models_dir.iterdir():
            if path.is_dir() and not path.name.startswith(".") and path.name not in models \
                    and _older(path, cutoff):
                shutil.rmtree(path, ignore_errors=True)
                removed += 1
    return removed


def _older(path: Path, cutoff: float) -> bool:
    try:
        return path.stat().st_mtime < cutoff
    except OSError:  # gone meanwhile
        return False
