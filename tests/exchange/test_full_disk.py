"""On a full disk an export says that writing the export failed, naming it, and never blames
the library's photo (issue 16, item 13). The disk is a real 256 kB tmpfs where one can be
mounted (root, as on CI), else the test is skipped."""
from __future__ import annotations

import os
import subprocess

import numpy as np
import pytest
from PIL import Image

from app.exchange.common import ExportError, select_all
from app.exchange.export import run_export
from app.services.importing import ImportOptions, import_paths


@pytest.fixture
def small_disk(tmp_path):
    mount = tmp_path / "disk"
    mount.mkdir()
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs needs root")
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(mount)], capture_output=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({done.stderr.decode().strip()})")
    yield mount
    subprocess.run(["umount", str(mount)], capture_output=True)


@pytest.fixture
def noisy_library(library, tmp_path):
    rng = np.random.default_rng(0)
    files = []
    for i in range(4):  # noise does not compress: each JPEG is ~150 kB
        path = tmp_path / f"n{i}.jpg"
        Image.fromarray(rng.integers(0, 255, (400, 400, 3), dtype=np.uint8)).save(path, quality=95)
        files.append(path)
    import_paths(library, files, ImportOptions(copy=True))
    return library


@pytest.mark.parametrize("fmt", ["iiif", "research", "zip"])
def test_a_full_disk_is_blamed_on_the_export(noisy_library, small_disk, fmt):
    out = small_disk / ("out.zip" if fmt == "zip" else "out")
    with pytest.raises(ExportError) as failure:
        run_export(noisy_library, select_all(noisy_library), fmt, out)
    message = str(failure.value)
    assert "No space left on device" in message
    assert "Reading" not in message
    assert str(small_disk) in message or "into the export" in message
    assert not any(small_disk.iterdir())  # nothing half-written is left
