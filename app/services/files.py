"""Finding the files an import should look at."""
from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

# Files that operating systems and cameras leave in folders; never worth a report line.
_IGNORED_NAMES = {"thumbs.db", "desktop.ini", ".ds_store"}


def collect_files(paths: Iterable[Path], suffixes: set[str]) -> tuple[list[Path], list[tuple[Path, str]]]:
    """Expand files and folders (recursively, sorted) into candidate photo files.

    Returns (candidates, ignored) where ignored lists (path, reason) for files inside folders
    that do not look like photos, and for paths that do not exist. Named files are always
    candidates: their content, not their name, decides.
    """
    found: list[Path] = []
    ignored: list[tuple[Path, str]] = []
    for path in paths:
        if path.is_dir():
            for root, dirs, files in os.walk(path):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                for name in sorted(files):
                    candidate = Path(root) / name
                    if name.startswith(".") or name.lower() in _IGNORED_NAMES:
                        continue
                    if candidate.suffix.lower() in suffixes:
                        found.append(candidate)
                    else:
                        ignored.append((candidate, "not a photo file type"))
        elif path.exists():
            found.append(path)
        else:
            ignored.append((path, "not found"))
    return found, ignored
