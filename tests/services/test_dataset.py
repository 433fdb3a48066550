"""The library as arrays (what training and encoding read): labels, photos and their sources."""
from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np

from app.core.models import Item, Photo
from app.media.images import thumbnail_path
from app.media.preprocess import Preprocessing
from app.services.dataset import library_arrays, photo_path


def _photo(n: int, path: str) -> Photo:
    return Photo(path=path, sha256=hashlib.sha256(str(n).encode()).hexdigest(), size=10, width=8, height=8,
                 format="JPEG")


def _filled(library):
    ids = [library.items.add(Item("A-1", labels=["Dragon", "Robe"], photos=[_photo(1, "/abs/one.jpg")])),
           library.items.add(Item("A-2", title="无标签")),
           library.items.add(Item("A-3", labels=["Satin"], photos=[_photo(3, "photos/three.jpg"),
                                                                   _photo(4, "photos/four.jpg")])),
           library.items.add(Item("A-4", labels=["Phoenix", "Robe"]))]
    return ids


def test_labels_are_the_tags_of_each_row_in_scheme_order(library):
    ids = _filled(library)
    arrays = library_arrays(library)
    assert arrays.ids.tolist() == sorted(ids)
    expected = np.zeros_like(arrays.labels)
    column = {label_id: j for j, label_id in enumerate(arrays.label_ids)}
    for item_id, label_id in library.labels.pairs():
        expected[arrays.ids.tolist().index(item_id), column[label_id]] = 1.0
    assert np.array_equal(arrays.labels, expected) and expected.sum() > 6  # implied parents too
    assert not arrays.labels[1].any()
    some = library_arrays(library, [ids[3], ids[0]])
    assert some.ids.tolist() == [ids[0], ids[3]]
    assert np.array_equal(some.labels, arrays.labels[[0, 3]])


def test_items_by_label_lists_every_tag_once(library):
    _filled(library)
    grouped = library.labels.items_by_label()
    flat = sorted((int(i), label_id) for label_id, ids in grouped.items() for i in ids)
    assert flat == sorted(library.labels.pairs())
    assert all(np.all(np.diff(ids) > 0) for ids in grouped.values())


def test_photos_and_sources_resolve_as_stored(library):
    ids = _filled(library)
    arrays = library_arrays(library)
    assert arrays.photos[0] == Path("/abs/one.jpg") and arrays.photos[1] is None
    assert arrays.photos[2] == photo_path(library, "photos/three.jpg") == library.root / "photos/three.jpg"
    assert list(arrays.photos) == [arrays.photos[i] for i in range(len(ids))] and len(arrays.photos) == 4
    assert arrays.photos[1:3] == [None, library.root / "photos/three.jpg"]
    small = arrays.image_sources(library, Preprocessing(size=64))
    assert small[2] == [thumbnail_path(library.thumbnails_dir, arrays.photo_hashes[2]),
                        library.root / "photos/three.jpg"]
    assert small[1] == [] and small[3] == []
    large = arrays.image_sources(library, Preprocessing(size=512))  # larger than a thumbnail
    assert large[0] == [Path("/abs/one.jpg")] and len(large) == 4


def test_label_hashes_are_those_stored_codes_were_made_with(library):
    """The hash of each row's float32 bytes ('' without labels): a change would re-encode
    every item's label code once, for nothing."""
    _filled(library)
    arrays = library_arrays(library)
    assert arrays.label_hashes() == [hashlib.sha256(row.tobytes()).hexdigest() if row.any() else ""
                                     for row in arrays.labels]
    assert arrays.label_hashes()[1] == "" and len(set(arrays.label_hashes())) == 4
    assert library_arrays(library, []).label_hashes() == []
