"""Arrays a search process built from the library, saved in its ``cache`` folder so that the
next process maps them instead of reading every row again (at a million items, reading every
tag, suggestion and photo signature from SQLite takes about a minute).

A cache is ``NAME.json`` (what the arrays were built from: the change-log mark, the scheme's
version, the model, ...) and one ``NAME.TOKEN.ARRAY.npy`` per array, written before the JSON
that names their token, so a reader sees a whole cache or the previous one. The reader
checks what the JSON says against the library and brings the arrays up to date from the
change log. Anything missing, unreadable or of another shape counts as no cache; a read-only
library or a full disk just goes without one.
"""
from __future__ import annotations

import contextlib
import json
import os
import secrets
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from app.store.library import Library

FORMAT = 1


def save(lib: Library, name: str, arrays: dict[str, np.ndarray], meta: dict[str, Any]) -> bool:
    """Save ``arrays`` with ``meta`` under ``name``; False when it could not be written."""
    if lib.read_only:
        return False
    folder = lib.cache_dir
    token = secrets.token_hex(6)
    written: list[Path] = []
    try:
        folder.mkdir(exist_ok=True)
        for key, array in arrays.items():
            path = folder / f"{name}.{token}.{key}.npy"
            np.save(path, np.ascontiguousarray(array), allow_pickle=False)
            written.append(path)
        note = folder / f"{name}.{token}.json.part"
        note.write_text(json.dumps({"format": FORMAT, "token": token, "arrays": sorted(arrays), **meta}),
                        encoding="utf-8")
        os.replace(note, folder / f"{name}.json")
    except OSError:
        for path in written:
            with contextlib.suppress(OSError):
                path.unlink()
        return False
    for old in folder.glob(f"{name}.*.npy"):  # earlier caches' arrays (a reader's maps stay valid)
        if old.name.split(".")[1] != token:
            with contextlib.suppress(OSError):
                old.unlink()
    return True


def load(lib: Library, name: str) -> tuple[dict[str, np.ndarray], dict[str, Any]] | None:
    """(arrays, mapped copy-on-write: the file is never written, and meta) saved under ``name``, or None."""
    try:
        meta = json.loads((lib.cache_dir / f"{name}.json").read_text(encoding="utf-8"))
        if meta.get("format") != FORMAT:
            return None
        token = str(meta["token"])
        arrays = {key: np.load(lib.cache_dir / f"{name}.{token}.{key}.npy", mmap_mode="c", allow_pickle=False)
                  for key in meta["arrays"]}
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return arrays, meta
