"""Stored photo signatures: round trip, versioning, and they go with their item."""
from __future__ import annotations

import numpy as np

from app.core.models import Item
from app.store import open_library


def test_signatures_round_trip_change_the_version_and_follow_deletes(tmp_path):
    with open_library(tmp_path / "lib", create=True) as lib:
        a = lib.items.add(Item(accession="A-1", title="robe"))
        b = lib.items.add(Item(accession="B-2", title="skirt"))
        before = lib.signatures.version()
        sig = np.arange(12, dtype=np.float16).reshape(3, 4)
        lib.signatures.put([(a, "aa", sig), (b, "bb", sig + 1)])
        assert lib.signatures.version() != before
        ids, sigs = lib.signatures.load((3, 4))
        assert ids.tolist() == [a, b] and np.array_equal(sigs[1], sig + 1)
        assert lib.signatures.hashes() == {a: "aa", b: "bb"}
        replaced = lib.signatures.version()
        lib.signatures.put([(a, "cc", sig)])
        assert lib.signatures.version() != replaced and lib.signatures.hashes()[a] == "cc"
        lib.items.delete(b)
        assert lib.signatures.hashes() == {a: "cc"}
