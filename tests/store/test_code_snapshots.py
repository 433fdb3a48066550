"""Packed code snapshots: the fast path of ``codes.load`` must never serve stale codes."""
from __future__ import annotations

import numpy as np
import pytest

from app.core.models import Item
from app.store.codes import CodeRow

pytestmark = pytest.mark.backends("sqlite", "postgresql")


def _fill(library, n: int, seed: int):
    rng = np.random.default_rng(seed)
    ids = [library.items.add(Item(f"A-{seed}-{i}")) for i in range(n)]
    codes = rng.integers(0, 256, (n, 4), dtype=np.uint8)
    library.codes.put("m", "image", [CodeRow(i, codes[j].tobytes(), None, "h") for j, i in enumerate(ids)])
    return ids, codes


def test_snapshot_serves_the_same_codes_as_the_rows(library):
    library.models.register("m", 32, "ssah", {})
    ids, codes = _fill(library, 50, 0)
    assert library.codes.write_snapshot("m", "image") == 50
    got_ids, got_codes, scores = library.codes.load("m", "image", scores=False)
    assert got_ids.tolist() == ids and np.array_equal(got_codes, codes) and scores is None
    assert library.db.execute("SELECT n FROM code_snapshots").fetchone()[0] == 50


def test_a_change_after_the_snapshot_makes_load_read_the_rows(library):
    library.models.register("m", 32, "ssah", {})
    ids, _ = _fill(library, 10, 1)
    library.codes.write_snapshot("m", "image")
    more, more_codes = _fill(library, 5, 2)
    got_ids, got_codes, _ = library.codes.load("m", "image", scores=False)
    assert got_ids.tolist() == ids + more
    assert np.array_equal(got_codes[-5:], more_codes)
    library.items.delete(ids[0])
    assert library.codes.load("m", "image", scores=False)[0].tolist() == ids[1:] + more
