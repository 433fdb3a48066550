"""Temporary files that say whose they are, so leftovers of a killed process can be removed
without ever touching a file another live process is still writing.

Every temporary Wenyang writes on its way to an atomic rename carries an owner tag in its
name, ``~wy-HOST-PID~``. ``clean_stale`` removes a tagged entry when its process no longer
runs on this host, and, for a tag from another host (a library on a shared folder) or an
untagged entry left by an older version, only when it has not changed for a day.
"""
from __future__ import annotations

import os
import re
import shutil
import socket
import tempfile
import time
from pathlib import Path

_TAG = re.compile(r"~wy-(?P<host>.+)-(?P<pid>\d+)~")
FOREIGN_AGE_S = 24 * 3600


def _host() -> str:
    return re.sub(r"[^A-Za-z0-9.\-]", "_", socket.gethostname()) or "host"


def owner_tag() -> str:
    """This process's tag (computed each time: a forked worker has its own pid)."""
    return f"~wy-{_host()}-{os.getpid()}~"


def temp_file(folder: Path, prefix: str = "", suffix: str = ".part") -> tuple[int, Path]:
    """``mkstemp`` in ``folder`` with this process's tag in the name: (fd, path)."""
    fd, path = tempfile.mkstemp(dir=folder, prefix=f"{prefix}{owner_tag()}", suffix=suffix)
    return fd, Path(path)


def temp_dir(folder: Path, prefix: str = "", suffix: str = ".part") -> Path:
    """``mkdtemp`` in ``folder`` with this process's tag in the name."""
    return Path(tempfile.mkdtemp(dir=folder, prefix=f"{prefix}{owner_tag()}", suffix=suffix))


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True  # it exists but is not ours, or we cannot tell: leave it
    return True


def is_stale(path: Path, now: float | None = None) -> bool:
    """True when ``path`` is a leftover nobody is writing any more (see the module doc)."""
    try:
        age = (now or time.time()) - path.lstat().st_mtime
    except OSError:
        return False
    found = _TAG.search(path.name)
    if found and found["host"] == _host():
        return not _alive(int(found["pid"]))
    return age > FOREIGN_AGE_S


def clean_stale(folder: Path, patterns: tuple[str, ...]) -> list[Path]:
    """Remove the stale entries of ``folder`` that match ``patterns`` (globs); return them.
    Never raises: a read-only or vanished folder simply has nothing removed."""
    removed: list[Path] = []
    try:
        candidates = {p for pattern in patterns for p in folder.glob(pattern)}
    except OSError:
        return removed
    for path in sorted(candidates):
        if not is_stale(path):
            continue
        try:
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path)
            else:
                path.unlink()
            removed.append(path)
        except OSError:
            continue
    return removed
