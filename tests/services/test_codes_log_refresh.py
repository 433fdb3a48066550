"""A search index on an SQLite library follows codes written since it was read (by this
program, another one, a deletion or an undo) by reading those items' codes only, as the log of
code changes names them (migration 16); where the log cannot say, it reads them all."""
from __future__ import annotations

import numpy as np
import pytest

from app.core.models import Item
from app.search.index import HammingIndex
from app.services import search as search_module
from app.services.search import SearchService
from app.store import open_library
from app.store.codes import CodeRow
from app.store.snapshots import Scope

pytestmark = pytest.mark.backends("sqlite")


def _code(rng, scores: bool) -> tuple[bytes, bytes | None]:
    values = rng.standard_normal(16).astype(np.float32)
    return np.packbits(values > 0).tobytes(), values.tobytes() if scores else None


def _same_as_fresh(library, index, scores, rng):
    ids, codes, stored = library.codes.load("m-l", "image", scores=scores)
    assert index.ids.tolist() == ids.tolist()
    fresh = HammingIndex.from_codes(codes, ids=ids, scores=stored)
    queries = np.stack([np.frombuffer(_code(rng, False)[0], np.uint8) for _ in range(4)])
    for got, want in zip(index.search(queries, len(ids)), fresh.search(queries, len(ids))):
        assert (got == want).all()


@pytest.fixture
def coded(library):
    def make(scores: bool):
        rng = np.random.default_rng(6)
        ids = [library.items.add(Item(f"L-{n:02d}")) for n in range(30)]
        library.models.register("m-l", 16, "ssah", {})
        library.codes.put("m-l", "image", [CodeRow(i, *_code(rng, scores), "h") for i in ids])
        return ids, rng
    return make


@pytest.mark.parametrize("scores", [False, True])
def test_codes_written_since_are_read_for_those_items_only(library, coded, monkeypatch, scores):
    ids, rng = coded(scores)
    service = SearchService(library)
    first = service.index("image")
    read_whole = []
    real = library.codes.load
    monkeypatch.setattr(library.codes, "load", lambda *a, **k: read_whole.append(a) or real(*a, **k))
    new = library.items.add(Item("L-NEW"))
    library.codes.put("m-l", "image", [CodeRow(new, *_code(rng, scores), "h"), CodeRow(ids[3], *_code(rng, scores), "h2")])
    library.items.delete(ids[5])  # its codes go with it
    before = library.snapshots.take([Scope("codes", "item_id", (ids[7],))])
    library.codes.put("m-l", "image", [CodeRow(ids[7], *_code(rng, scores), "h3")])
    library.snapshots.put_back(before)  # an undo puts the old code back
    with open_library(library.location) as other:  # another program writes one
        other.codes.put("m-l", "image", [CodeRow(ids[9], *_code(rng, scores), "h4")])
    index = service.index("image")
    assert read_whole == [] and index is not first  # only the changed items were read
    assert ids[5] not in index.ids and new in index.ids
    _same_as_fresh(library, index, scores, rng)
    assert service.index("image") is index  # nothing written since: the same index
    library.labels.tag([ids[0]], ["dragon"])  # not the codes: the same index still
    assert service.index("image") is index


@pytest.mark.parametrize("case", ["pruned", "too many"])
def test_where_the_log_cannot_say_every_code_is_read(library, coded, monkeypatch, case):
    ids, rng = coded(False)
    service = SearchService(library)
    service.index("image")
    library.codes.put("m-l", "image", [CodeRow(i, *_code(rng, False), "h5") for i in ids[:4]])
    if case == "pruned":
        assert library.codes.prune_changes(keep=1) > 0
    else:
        monkeypatch.setattr(search_module, "REFRESH_MOST", 3)
    read_whole = []
    real = library.codes.load
    monkeypatch.setattr(library.codes, "load", lambda *a, **k: read_whole.append(a) or real(*a, **k))
    index = service.index("image")
    assert len(read_whole) == 1
    _same_as_fresh(library, index, False, rng)
