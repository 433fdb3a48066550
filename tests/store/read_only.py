"""Making a folder truly read-only for a test: a read-only bind mount (root ignores file
permissions, so chmod would prove nothing), or chmod when not root."""
from __future__ import annotations

import contextlib
import os
import stat
import subprocess
from pathlib import Path

import pytest


@contextlib.contextmanager
def read_only_view(folder: Path, mount_point: Path):
    """Yield a read-only path showing ``folder``'s content; skip the test where none can be made."""
    mount_point.mkdir()
    if os.geteuid() == 0:
        bind = subprocess.run(["mount", "--bind", str(folder), str(mount_point)], capture_output=True)
        if bind.returncode != 0:
            pytest.skip(f"cannot bind-mount here ({bind.stderr.decode().strip()})")
        try:
            subprocess.run(["mount", "-o", "remount,bind,ro", str(mount_point)], check=True, capture_output=True)
            yield mount_point
        finally:
            subprocess.run(["umount", str(mount_point)], capture_output=True)
        return
    mount_point.rmdir()
    modes = {p: p.stat().st_mode for p in [folder, *folder.rglob("*")]}
    for path in modes:
        path.chmod(modes[path] & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))
    try:
        yield folder
    finally:
        for path, mode in modes.items():
            path.chmod(mode)


def listing(folder: Path) -> dict[str, tuple[int, float]]:
    return {str(p.relative_to(folder)): (p.stat().st_size, p.stat().st_mtime)
            for p in folder.rglob("*") if p.is_file()}
