"""Emptying the trash: forget trashed items for good and remove the files the library holds
for them (photos copied into the library, thumbnails) when no live item uses them."""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from app.media.images import thumbnail_path

if TYPE_CHECKING:
    from app.store import Library


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
    return before - lib.trash.count(), removed
