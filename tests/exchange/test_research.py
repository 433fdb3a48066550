"""Research data sets: arrays agree with the library and with each other; the split is seeded."""
from __future__ import annotations

import hashlib

import numpy as np
import pytest

from app.exchange.common import ExportError, select_all, select_search
from app.exchange.research import SplitSizes, default_sizes, export_research, split


@pytest.fixture(scope="module")
def dataset(source_root, tmp_path_factory):
    from app.store import open_library

    out = tmp_path_factory.mktemp("research") / "set"
    with open_library(source_root) as lib:
        export_research(lib, select_all(lib), out)
    return out


def test_arrays_have_consistent_shapes(dataset):
    d = np.load(dataset / "dataset.npz")  # no allow_pickle: nothing in it is an object array
    n, c = d["labels"].shape
    assert n == 42 and c == len(d["label_ids"]) == len(d["label_paths_en"]) == len(d["label_paths_zh"])
    for name in ("accessions", "item_ids", "images", "texts"):
        assert d[name].shape == (n,)
    assert d["bow"].shape == (n, len(d["vocabulary"])) and d["bow"].dtype == np.float32
    readme = (dataset / "README.txt").read_text(encoding="utf-8")
    for name in d.files:
        assert f"  {name} " in readme  # every array is described


def test_labels_follow_the_scheme_order_and_the_library(dataset, source):
    d = np.load(dataset / "dataset.npz")
    scheme = source.scheme
    assert list(d["label_ids"]) == [l.id for l in scheme.ordered()]
    assert str(d["scheme_fingerprint"]) == scheme.fingerprint()
    column = {label_id: j for j, label_id in enumerate(d["label_ids"])}
    for row, item_id in enumerate(d["item_ids"]):
        item = source.items.get(int(item_id))
        assert d["accessions"][row] == item.accession
        assert set(np.flatnonzero(d["labels"][row])) == {column[l] for l in item.labels}


def test_split_is_disjoint_covering_and_nested(dataset):
    d = np.load(dataset / "dataset.npz")
    query, database, train = d["query_idx"], d["database_idx"], d["train_idx"]
    assert (len(query), len(database), len(train)) == (4, 38, 21)
    assert not set(query) & set(database)
    assert sorted([*query, *database]) == list(range(42))
    assert set(train) <= set(database)


def test_images_are_the_first_photos(dataset, source):
    d = np.load(dataset / "dataset.npz")
    for row in (0, 17, 41):
        item = source.items.get(int(d["item_ids"][row]))
        data = (dataset / str(d["images"][row])).read_bytes()
        assert hashlib.sha256(data).hexdigest() == item.photos[0].sha256
    assert len(list((dataset / "images").iterdir())) == 42


def test_bag_of_words_counts_the_texts(dataset):
    from collections import Counter

    from app.text import tokenize

    d = np.load(dataset / "dataset.npz")
    vocabulary = list(d["vocabulary"])
    assert len(vocabulary) == len(set(vocabulary)) and "satin" in vocabulary
    for row, text in enumerate(d["texts"]):
        counts = Counter(tokenize(str(text)))
        assert list(d["bow"][row]) == [counts[term] for term in vocabulary]
    assert (d["bow"].sum(axis=1) > 0).sum() >= 10  # the items with descriptions


def test_split_is_reproducible_and_sizes_are_checked():
    a, b = split(100, SplitSizes(seed=7)), split(100, SplitSizes(seed=7))
    assert all(np.array_equal(a[k], b[k]) for k in a)
    assert not np.array_equal(a["query_idx"], split(100, SplitSizes(seed=8))["query_idx"])
    assert default_sizes(20015) == (2000, 10000)  # the MIRFLICKR-25K protocol
    custom = split(50, SplitSizes(query=5, train=45))
    assert (len(custom["query_idx"]), len(custom["train_idx"])) == (5, 45)
    with pytest.raises(ExportError, match="between 1 and 45"):
        split(50, SplitSizes(query=5, train=46))
    with pytest.raises(ExportError, match="at least 2 items"):
        split(1, SplitSizes())


def test_search_result_keeps_distances_and_resizes(source, tmp_path):
    ids = source.items.ids()[:6]
    export_research(source, select_search(source, ids, [0, 1, 1, 2, 3, 5]), tmp_path / "r",
                    SplitSizes(query=2, train=3, seed=1, vocabulary=50), max_side=64)
    d = np.load(tmp_path / "r" / "dataset.npz")
    assert list(d["distances"]) == [0, 1, 1, 2, 3, 5] and list(d["item_ids"]) == ids
    assert int(d["split_seed"]) == 1 and len(d["train_idx"]) == 3
    from PIL import Image
    with Image.open(tmp_path / "r" / str(d["images"][0])) as img:
        assert max(img.size) == 64
