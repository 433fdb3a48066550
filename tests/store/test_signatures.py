"""Stored photo signatures: round trip, versioning, and they go with their item."""
from __future__ import annotations

import numpy as np
import pytest

from app.core.models import Item
from app.store import open_library

pytestmark = pytest.mark.backends("sqlite", "postgresql")


def test_signatures_round_trip_change_the_version_and_follow_deletes(tmp_path):
    with open_library(tmp_path / "lib", create=True) as lib:
        a = lib.items.add(Item(accession="A-1", title="robe"))
        b = lib.items.add(Item(accession="B-2", title="skirt"))
        before = lib.signatures.version()
        sig = np.arange(12, dtype=np.float16).reshape(3, 4)
        lib.signatures.put([(a, "aa", sig), (b, "bb", sig + 1)])
        assert lib.signatures.version() != before
        parts = list(lib.signatures.slices((3, 4), size=1))
        assert [p[0].tolist() for p in parts] == [[a], [b]] and np.array_equal(parts[1][1][0], sig + 1)
        ids, sigs = lib.signatures.of([b, 999, b], (3, 4))
        assert ids.tolist() == [b] and np.array_equal(sigs[0], sig + 1)
        assert lib.signatures.hashes() == {a: "aa", b: "bb"}
        assert lib.signatures.hashes_of([b, 999]) == {b: "bb"}
        ids, sigs = lib.signatures.of([a, 999, b], (3, 4))
        assert ids.tolist() == [a, b] and np.array_equal(sigs[1], sig + 1)
        replaced = lib.signatures.version()
        lib.signatures.put([(a, "cc", sig)])
        assert lib.signatures.version() != replaced and lib.signatures.hashes()[a] == "cc"
        lib.items.delete(b)
        assert lib.signatures.hashes() == {a: "cc"}
