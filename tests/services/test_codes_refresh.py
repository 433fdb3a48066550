"""A search index on a server library follows codes written on another workstation by reading
those items' codes only, as the server's announcements name them (issue 18: search stays in
memory on each workstation, loaded once and refreshed incrementally)."""
from __future__ import annotations

import numpy as np
import pytest

from app.core.models import Item
from app.search.index import HammingIndex
from app.services.search import SearchService
from app.store import open_library
from app.store.codes import CodeRow
from tests.waiting import eventually

pytestmark = pytest.mark.backends("postgresql")


def _heard_version(lib, since: int, seconds: float = 3.0) -> None:
    """Wait until the announcement of the codes' current version has arrived."""
    said = f"codes_version {lib.codes.version()}"
    assert eventually(lambda: said in [payload for _, payload in lib.announced_since(since) or []], seconds), \
        "the codes' version was never announced"


def _code(rng, scores: bool) -> tuple[bytes, bytes | None]:
    values = rng.standard_normal(16).astype(np.float32)
    return np.packbits(values > 0).tobytes(), values.tobytes() if scores else None


@pytest.mark.parametrize("scores", [False, True])
def test_codes_written_elsewhere_are_read_for_those_items_only(library, monkeypatch, scores):
    rng = np.random.default_rng(4)
    ids = [library.items.add(Item(f"R-{n:02d}")) for n in range(40)]
    library.models.register("m-r", 16, "ssah", {})
    library.codes.put("m-r", "image", [CodeRow(i, *_code(rng, scores), "h") for i in ids])
    service = SearchService(library)
    assert len(service.index("image")) == 40 and service.index("image").has_scores == scores
    start = library.heard_so_far()
    read_whole = []
    real = library.codes.load
    monkeypatch.setattr(library.codes, "load", lambda *a, **k: read_whole.append(a) or real(*a, **k))
    with open_library(library.location) as other:  # another workstation encodes, re-encodes, deletes
        new = other.items.add(Item("R-NEW"))
        other.codes.put("m-r", "image", [CodeRow(new, *_code(rng, scores), "h"),
                                         CodeRow(ids[3], *_code(rng, scores), "h2")])
        other.items.delete(ids[5])  # its codes go with it
    _heard_version(library, start)
    index = service.index("image")
    assert read_whole == []  # only the three items were read
    ids_now, codes_now, scores_now = real("m-r", "image", scores=scores)
    assert index.ids.tolist() == ids_now.tolist() == sorted({*ids, new} - {ids[5]})
    fresh = HammingIndex.from_codes(codes_now, ids=ids_now, scores=scores_now)
    queries = np.stack([np.frombuffer(_code(rng, False)[0], np.uint8) for _ in range(4)])
    for got, want in zip(index.search(queries, 41), fresh.search(queries, 41)):
        assert (got == want).all()
    assert service.index("image") is index  # nothing written since: the same index


def test_a_change_not_yet_announced_is_read_whole(library, monkeypatch):
    """Where the announcements do not say which items changed (here: none heard at all), the
    index is read whole again, so it is never out of date."""
    rng = np.random.default_rng(5)
    ids = [library.items.add(Item(f"Q-{n:02d}")) for n in range(10)]
    library.models.register("m-q", 16, "ssah", {})
    library.codes.put("m-q", "image", [CodeRow(i, *_code(rng, False), "h") for i in ids])
    service = SearchService(library)
    service.index("image")
    monkeypatch.setattr(library, "announced_since", lambda heard: None)
    with open_library(library.location) as other:
        other.codes.put("m-q", "image", [CodeRow(ids[0], b"\x00\x00", None, "h0")])
    library.codes.put("m-q", "image", [CodeRow(ids[1], b"\xff\xff", None, "h1")])  # and here: the version moves
    index = service.index("image")
    codes = dict(zip(index.ids.tolist(), real_codes(index)))
    assert codes[ids[0]] == b"\x00\x00" and codes[ids[1]] == b"\xff\xff"


def real_codes(index: HammingIndex) -> list[bytes]:
    """The packed codes an index holds, in its row order."""
    return [bytes(np.asarray(row, "<u8").view(np.uint8)[:index.n_bytes]) for row in index._words.T]


def test_more_announcements_than_are_kept_make_a_whole_read(library, monkeypatch):
    """Only so many announcements about the codes are kept: past that, the index is read whole."""
    from app.store import library as library_module

    monkeypatch.setattr(library_module, "HEARD_KEPT", 3)
    rng = np.random.default_rng(6)
    ids = [library.items.add(Item(f"K-{n:02d}")) for n in range(8)]
    library.models.register("m-k", 16, "ssah", {})
    with open_library(library.location) as lib:  # a library opened with room for three
        lib.codes.put("m-k", "image", [CodeRow(i, *_code(rng, False), "h") for i in ids[:4]])
        service = SearchService(lib)
        assert len(service.index("image")) == 4
        start = lib.heard_so_far()
        for i in ids[4:]:  # four writes: eight announcements about the codes
            library.codes.put("m-k", "image", [CodeRow(i, *_code(rng, False), "h")])
        assert eventually(lambda: lib.announced_since(start) is None)  # the first of them forgotten
        assert sorted(service.index("image").ids.tolist()) == sorted(ids)
