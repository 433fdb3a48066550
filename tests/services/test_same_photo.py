"""A photo search says "same photo" only for a copy of a library photo, never for a look-alike."""
from __future__ import annotations

import numpy as np
import pytest

from app.media.images import load_rgb
from app.media.signature import signature
from app.services import search_alike, similar
from app.services.backlog_queries import rephotograph
from app.services.dataset import photo_path
from app.services.demo import generate_demo
from app.services.importing import ImportOptions, import_paths
from app.services.search import SearchService
from app.store import open_library


@pytest.fixture(scope="module")
def panels(tmp_path_factory):
    """A library of the demo's first 16 photos (seed 7) with their signatures; the 17th photo, a
    crane panel like the 12th on the same backdrop, stays out of it."""
    folder = tmp_path_factory.mktemp("demo")
    generate_demo(folder, seed=7, count=17)
    files = sorted(folder.glob("*.jpg"))
    root = tmp_path_factory.mktemp("library")
    with open_library(root, create=True) as lib:
        import_paths(lib, files[:16], ImportOptions())
        lib.signatures.put([(item_id, sha, signature(load_rgb(photo_path(lib, stored))))
                            for item_id, (stored, sha) in lib.items.first_photos().items()])
    return root, files


def _same_photo(lib, photo):
    return search_alike._same_photo(SearchService(lib), photo, None, np.zeros(0, np.int64))


def test_a_look_alike_is_not_called_the_same_photo_and_a_copy_is(panels):
    """Both go first (the closest framing of all), only the copy is confirmed in fine detail."""
    root, files = panels
    with open_library(root) as lib:
        panel = lib.items.id_for_accession(files[11].stem)
        assert _same_photo(lib, load_rgb(files[16])) == (panel, False)
        for seed in range(3):
            assert _same_photo(lib, rephotograph(load_rgb(files[11]), seed)) == (panel, True)
        assert _same_photo(lib, load_rgb(files[11])) == (panel, True)


def test_the_first_hit_is_a_look_alike_unless_confirmed():
    ids = np.array([3, 5, 9], np.int64)
    sims = np.array([0.2, 0.4, 0.1], np.float32)
    score = similar.combine(ids, sims, {}, 0, same_photo=9)
    order = similar.best_first(score, ids, 3).tolist()
    unconfirmed = similar.scored(ids, sims, score, order, {}, 9, confirmed=False)
    assert [s.item_id for s in unconfirmed] == [9, 5, 3]
    assert (unconfirmed[0].same_photo, unconfirmed[0].look_alike) == (False, True)
    confirmed = similar.scored(ids, sims, score, order, {}, 9, confirmed=True)
    assert (confirmed[0].same_photo, confirmed[0].look_alike) == (True, False)
    assert not any(s.same_photo or s.look_alike for s in confirmed[1:] + unconfirmed[1:])
