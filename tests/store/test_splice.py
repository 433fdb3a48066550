"""Arrays in id order brought up to date by one copy each equal what taking the kept rows,
joining the new ones and reordering gives, however many rows change and wherever they are."""
from __future__ import annotations

import numpy as np
import pytest

from app.store import splice as sp
from app.store.splice import Splice


def reference(ids, keep, added, mine, theirs, axis=0):
    every = np.concatenate([ids[keep], added])
    order = np.argsort(every, kind="stable")
    joined = np.concatenate([np.compress(keep, mine, axis=axis), theirs], axis=axis)
    return every[order], np.take(joined, order, axis=axis)


@pytest.mark.parametrize("dropped, added, runs", [
    (0, 0, "few"), (3, 0, "few"), (0, 5, "few"), (7, 4, "few"),
    (300, 200, "many"),  # more runs than MAX_RUNS below: the gather
    (1000, 0, "few"),    # every row dropped
])
def test_a_splice_equals_keep_join_and_reorder(monkeypatch, dropped, added, runs):
    monkeypatch.setattr(sp, "MAX_RUNS", 50 if runs == "many" else 2000)
    rng = np.random.default_rng(dropped * 31 + added)
    ids = np.sort(rng.choice(10_000, 1000, replace=False)).astype(np.int64)
    keep = np.ones(len(ids), bool)
    keep[rng.choice(len(ids), dropped, replace=False)] = False
    fresh = np.setdiff1d(np.arange(12_000), ids[keep])
    new_ids = rng.choice(fresh, added, replace=False).astype(np.int64)  # some where rows left, some new
    rows = rng.standard_normal((len(ids), 3, 4)).astype(np.float32)
    new_rows = rng.standard_normal((added, 3, 4)).astype(np.float32)
    splice = Splice(ids, keep, new_ids)
    assert (splice._runs is None) == (runs == "many" and dropped > 0)
    want_ids, want = reference(ids, keep, new_ids, rows, new_rows)
    got = splice(rows, new_rows)
    assert np.array_equal(splice.ids, want_ids) and np.array_equal(got, want) and got.flags.c_contiguous
    words, new_words = rows[:, 0, :].T.copy(), new_rows[:, 0, :].T.copy()  # rows as columns
    _, want_words = reference(ids, keep, new_ids, words, new_words, axis=1)
    got_words = splice(words, new_words, axis=1)
    assert np.array_equal(got_words, want_words) and got_words.flags.c_contiguous


def test_unsorted_ids_come_out_in_id_order():
    ids = np.array([5, 1, 9, 3, 7], np.int64)
    keep = np.array([True, True, False, True, True])
    splice = Splice(ids, keep, np.array([4, 0], np.int64))
    got = splice(ids * 10, np.array([40, 0]))
    assert splice.ids.tolist() == [0, 1, 3, 4, 5, 7] and got.tolist() == [0, 10, 30, 40, 50, 70]
