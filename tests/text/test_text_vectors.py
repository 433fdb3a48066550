"""Bag-of-words and tf-idf vectors: shapes, weights, zero rows and speed."""
from __future__ import annotations

import math
import time

import numpy as np
import pytest

from app.text import MODES, Vocabulary, default_tokenizer, tokenize_all

DOCS = [["龙", "袍", "龙"], ["龙", "凤"], ["袍", "鹤"], ["凤", "袍"]]


@pytest.fixture(scope="module")
def vocab():
    return Vocabulary.build_from_tokens(DOCS, size=10, min_df=1, max_df=1.0)


def test_bow_counts_binary_marks_and_shape(vocab):
    bow = vocab.transform_tokens(DOCS, "bow")
    binary = vocab.transform_tokens(DOCS, "binary")
    assert bow.shape == binary.shape == (4, len(vocab)) and bow.dtype == binary.dtype == np.float32
    assert bow[0, vocab.index("龙")] == 2 and bow[0, vocab.index("袍")] == 1 and bow[0].sum() == 3
    assert np.array_equal(binary, (bow > 0).astype(np.float32))


def test_tfidf_matches_a_hand_computation(vocab):
    n = len(DOCS)
    df = {"龙": 2, "袍": 3, "凤": 2, "鹤": 1}
    idf = {t: math.log((1 + n) / (1 + f)) + 1 for t, f in df.items()}
    raw = {"龙": 2 * idf["龙"], "袍": 1 * idf["袍"]}
    norm = math.sqrt(sum(v * v for v in raw.values()))
    row = vocab.transform_tokens(DOCS[:1], "tfidf")[0]
    assert row[vocab.index("龙")] == pytest.approx(raw["龙"] / norm, rel=1e-6)
    assert row[vocab.index("袍")] == pytest.approx(raw["袍"] / norm, rel=1e-6)
    assert row[vocab.index("鹤")] == 0
    assert vocab.idf[vocab.index("鹤")] > vocab.idf[vocab.index("袍")]  # rarer weighs more


def test_tfidf_rows_are_unit_length_and_unknown_words_ignored():
    texts = ["石青缎绣云蝠纹女褂", "明黄妆花缎龙袍，下摆海水江崖纹", "红色马面裙配云肩",
             "明黄缎绣龙纹吉服袍", "红色缎绣牡丹纹马面裙", "石青缎盘金绣补子", "dragon robe", "red dragon"]
    vocab = Vocabulary.build(texts, size=100, min_df=2)
    x = vocab.transform(texts + ["明黄龙袍 zzzunknownword 鸵鸟"], mode="tfidf")
    norms = np.linalg.norm(x, axis=1)
    assert np.allclose(norms[norms > 0], 1.0, atol=1e-6) and (norms > 0).sum() == len(texts) + 1
    assert np.array_equal(vocab.transform(["明黄龙袍 zzzunknownword 鸵鸟"]), vocab.transform(["明黄龙袍"]))
    assert not vocab.transform(["zzzunknownword 鸵鸟"]).any()


@pytest.mark.parametrize("mode", MODES)
def test_empty_and_missing_texts_give_zero_rows(mode):
    vocab = Vocabulary.build(["红色马面裙", "红色云肩", "马面裙"], size=10, min_df=1, max_df=1.0)
    x = vocab.transform([None, "", "  \t\n", "，。", "红色马面裙"], mode=mode)
    assert x.shape == (5, len(vocab)) and np.isfinite(x).all()
    assert not x[:4].any() and x[4].any()
    assert vocab.transform([], mode=mode).shape == (0, len(vocab))


def test_non_strings_and_a_lone_string_raise_type_errors(vocab):
    with pytest.raises(TypeError, match="str or None, not int"):
        vocab.transform(["龙袍", 42])
    with pytest.raises(TypeError, match="single string"):
        vocab.transform("龙袍")


def test_unknown_mode_is_refused(vocab):
    with pytest.raises(ValueError, match="tfidf"):
        vocab.transform_tokens(DOCS, "counts")


def test_five_thousand_descriptions_vectorise_well_under_a_second():
    rng = np.random.default_rng(0)
    words = ["明黄", "妆花缎", "龙袍", "海水江崖纹", "石青", "缎", "绣", "云蝠纹", "女褂", "红色", "马面裙",
             "云肩", "dragon", "robe", "silk", "peony", "盘金", "补子", "回纹", "万字", "蝴蝶", "清代"]
    texts = ["".join(rng.choice(words, size=rng.integers(4, 12))) for _ in range(5000)]
    docs = tokenize_all(texts, default_tokenizer())
    vocab = Vocabulary.build_from_tokens(docs, size=1000, labels=rng.random((5000, 40)) < 0.1)
    start = time.perf_counter()
    for mode in MODES:
        x = vocab.transform_tokens(docs, mode)
    elapsed = time.perf_counter() - start
    assert x.shape == (5000, len(vocab)) and len(vocab) > 20
    assert elapsed < 1.0, f"three vectorisations took {elapsed:.2f} s"
