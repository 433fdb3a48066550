"""Choosing, storing and identifying the vocabulary."""
from __future__ import annotations

import json
import random

import numpy as np
import pytest

from app.text import Vocabulary, VocabularyError, tokenizer_identity

DESCRIPTIONS = [
    "石青缎绣云蝠纹女褂", "明黄妆花缎龙袍，下摆海水江崖纹", "红色马面裙配云肩", "清代缂丝八宝纹马蹄袖吉服袍",
    "石青缎盘金绣补子", "红色缎绣牡丹纹马面裙", "明黄缎绣龙纹吉服袍", "苗族蜡染百褶裙",
    "Qing dragon robe in yellow silk", "red silk skirt with peonies", None, "   ",
]


def letters_corpus(seed=0, n=60):
    """Token lists over 26 one-letter terms with clearly different document frequencies."""
    rng = random.Random(seed)
    alphabet = [chr(ord("a") + i) for i in range(26)]
    return [[t for i, t in enumerate(alphabet) if rng.random() < 0.9 / (i + 1)] for _ in range(n)]


def test_size_limit_and_min_df():
    docs = letters_corpus()
    vocab = Vocabulary.build_from_tokens(docs, size=5, min_df=1, max_df=1.0)
    assert len(vocab) == 5
    df = {t: sum(t in d for d in docs) for t in "abcdefghijklmnopqrstuvwxyz"}
    strict = Vocabulary.build_from_tokens(docs, size=1000, min_df=3, max_df=1.0)
    assert set(strict.terms) == {t for t, f in df.items() if f >= 3}
    assert all(f >= 3 for f in strict.df)


def test_df_ranking_with_ties_broken_by_term_and_max_df_cut():
    docs = [["b", "a", "x"], ["b", "c", "x"], ["b", "a", "c", "x"], ["x", "d"]]
    vocab = Vocabulary.build_from_tokens(docs, size=10, min_df=2, max_df=0.8)
    assert vocab.terms == ("b", "a", "c")  # x is in every document; d in only one
    assert vocab.df == (3, 2, 2) and vocab.selection == "document-frequency"


def test_building_is_deterministic_and_independent_of_document_order():
    docs = letters_corpus(seed=3)
    first = Vocabulary.build_from_tokens(docs, size=12, min_df=2)
    shuffled = docs[:]
    random.Random(1).shuffle(shuffled)
    assert Vocabulary.build_from_tokens(docs, size=12, min_df=2) == first
    assert Vocabulary.build_from_tokens(shuffled, size=12, min_df=2).terms == first.terms


def labelled_corpus():
    """龙 marks exactly the label-0 documents; 'noise' is commoner but unrelated to labels."""
    rng = np.random.default_rng(7)
    n = 80
    labels = np.zeros((n, 3), dtype=np.uint8)
    labels[:20, 0] = 1
    labels[:, 1] = rng.random(n) < 0.3
    labels[:, 2] = 1 - labels[:, 0]
    docs = []
    for i in range(n):
        doc = ["noise"] if rng.random() < 0.6 else []
        doc += ["龙"] if labels[i, 0] else ["袍"] if rng.random() < 0.2 else []
        docs.append(doc)
    return docs, labels


def test_labels_rank_informative_terms_above_frequent_ones():
    docs, labels = labelled_corpus()
    by_df = Vocabulary.build_from_tokens(docs, size=1)
    by_mi = Vocabulary.build_from_tokens(docs, size=1, labels=labels)
    assert by_df.terms == ("noise",)
    assert by_mi.terms == ("龙",) and by_mi.selection == "mutual-information"
    # Label-informed selection stays deterministic under a consistent shuffle.
    order = np.random.default_rng(0).permutation(len(docs))
    again = Vocabulary.build_from_tokens([docs[i] for i in order], size=3, labels=labels[order])
    assert again.terms == Vocabulary.build_from_tokens(docs, size=3, labels=labels).terms


def test_unlabelled_documents_fall_back_to_document_frequency():
    docs, labels = labelled_corpus()
    vocab = Vocabulary.build_from_tokens(docs, size=1, labels=np.zeros_like(labels))
    assert vocab.terms == ("noise",) and vocab.selection == "document-frequency"


@pytest.mark.parametrize("kwargs, match", [
    ({"labels": np.zeros((3, 2))}, "one row per text"),
    ({"labels": np.zeros(12)}, "n×c"),
    ({"size": 0}, "at least 1"),
    ({"max_df": 0.0}, "max_df"),
])
def test_bad_build_arguments_are_refused(kwargs, match):
    with pytest.raises(ValueError, match=match):
        Vocabulary.build(DESCRIPTIONS, **kwargs)


def test_build_from_texts_uses_the_glossary_and_records_the_tokenizer():
    vocab = Vocabulary.build(DESCRIPTIONS, size=50, min_df=2)
    assert {"石青", "马面裙", "吉服袍", "明黄"} <= set(vocab.terms)
    assert "silk" in vocab and "云" not in vocab
    assert vocab.n_docs == len(DESCRIPTIONS) and vocab.tokenizer == tokenizer_identity()


def test_build_refuses_a_single_string():
    with pytest.raises(TypeError, match="single string"):
        Vocabulary.build("石青缎绣云蝠纹女褂")


def test_save_load_round_trip_is_utf8_json(tmp_path):
    vocab = Vocabulary.build(DESCRIPTIONS, size=50, min_df=2)
    path = vocab.save(tmp_path / "vocab.json")
    raw = path.read_bytes()
    assert "马面裙".encode() in raw  # readable in an editor, not \\u-escaped
    loaded = Vocabulary.load(path)
    assert loaded == vocab and loaded.fingerprint == vocab.fingerprint
    assert loaded.idf == vocab.idf and loaded.selection == vocab.selection
    assert np.array_equal(loaded.transform(DESCRIPTIONS), vocab.transform(DESCRIPTIONS))
    assert not list(tmp_path.glob("*.tmp"))
    assert Vocabulary.from_dict(json.loads(raw.decode("utf-8"))) == vocab


def test_fingerprint_follows_the_terms_and_their_order():
    a = Vocabulary(("龙", "凤"), (2, 2), (1.0, 1.0), 4)
    assert Vocabulary(("龙", "凤"), (3, 3), (1.5, 1.5), 9).fingerprint == a.fingerprint
    assert Vocabulary(("凤", "龙"), (2, 2), (1.0, 1.0), 4).fingerprint != a.fingerprint
    assert Vocabulary(("龙", "鹤"), (2, 2), (1.0, 1.0), 4).fingerprint != a.fingerprint
    assert len(a.fingerprint) == 16 and int(a.fingerprint, 16) >= 0


def test_tampered_or_foreign_files_are_refused(tmp_path):
    data = Vocabulary.build(DESCRIPTIONS, size=50, min_df=2).to_dict()
    tampered = dict(data, terms=list(reversed(data["terms"])))
    with pytest.raises(VocabularyError, match="fingerprint"):
        Vocabulary.from_dict(tampered)
    with pytest.raises(VocabularyError, match="not a Wenyang vocabulary"):
        Vocabulary.from_dict({"format": "something-else"})
    with pytest.raises(VocabularyError, match="version"):
        Vocabulary.from_dict(dict(data, version=99))
    with pytest.raises(VocabularyError, match="malformed"):
        Vocabulary.from_dict({k: v for k, v in data.items() if k != "idf"})
    with pytest.raises(VocabularyError, match="differ in length"):
        Vocabulary.from_dict(dict(data, df=data["df"][:-1]))
    (tmp_path / "junk.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(VocabularyError, match="junk.json"):
        Vocabulary.load(tmp_path / "junk.json")


def test_duplicate_terms_are_refused():
    with pytest.raises(VocabularyError, match="twice"):
        Vocabulary(("龙", "龙"), (2, 2), (1.0, 1.0), 4)


def test_empty_collection_gives_an_empty_vocabulary():
    vocab = Vocabulary.build([None, "", "   "], size=10)
    assert len(vocab) == 0
    assert vocab.transform(["龙袍"]).shape == (1, 0)
