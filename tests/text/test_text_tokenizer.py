"""Tokenising real costume descriptions: glossary terms whole, stop words gone, mixed scripts."""
from __future__ import annotations

import json
import threading

import pytest

from app import paths
from app.text import Glossary, TextTokenizer, strip_plural, tokenize
from app.text import tokenizer as tokenizer_module

GLOSSARY = Glossary.load()
WHOLE_TERMS = [t.word for t in GLOSSARY.terms if t.freq != 0]
SPLIT_WORDS = [t.word for t in GLOSSARY.terms if t.freq == 0]


def plain(text):
    return tokenize(text, expand=False)


@pytest.mark.parametrize("sentence, whole", [
    ("石青缎绣云蝠纹女褂", ["石青", "云蝠纹", "女褂"]),
    ("明黄妆花缎龙袍，下摆海水江崖纹", ["明黄", "妆花缎", "龙袍", "海水江崖纹"]),
    ("红色马面裙配云肩", ["马面裙", "云肩"]),
    ("清代缂丝八宝纹马蹄袖吉服袍", ["缂丝", "八宝纹", "马蹄袖", "吉服袍"]),
    ("通袖襕与膝襕饰行龙，盘金绣补子，回纹万字边", ["通袖襕", "膝襕", "盘金绣", "补子", "回纹", "万字"]),
    ("下摆饰立水，石青地盘金龙纹", ["立水", "石青", "盘金", "龙纹"]),
])
def test_glossary_terms_stay_whole_in_real_sentences(sentence, whole):
    tokens = plain(sentence)
    for term in whole:
        assert term in tokens, (term, tokens)
    # No character is lost or duplicated apart from punctuation and stop words.
    kept = "".join(ch for ch in sentence if ch not in "，。与")
    assert "".join(tokens) == kept


@pytest.mark.parametrize("sentence, visible", [
    ("大红纱地平金绣凤穿牡丹纹女袄", ["纱", "袄"]),
    ("蓝缎地绣花蝶纹氅衣", ["蓝", "缎"]),
    ("酱色团鹤纹暗花绸袍", ["袍"]),
])
def test_unknown_compounds_fall_apart_so_label_characters_stay_visible(sentence, visible):
    # jieba's HMM would glue 纱地, 女袄, 蓝缎, 绸袍 into guessed words that hide the labels.
    tokens = plain(sentence)
    for label in visible:
        assert label in tokens, (label, tokens)


@pytest.mark.parametrize("term", WHOLE_TERMS)
def test_every_glossary_term_survives_alone_and_in_context(term):
    assert plain(term) == [term]
    assert term in plain(f"一件{term}，")
    assert term in plain(f"饰{term}与")


def test_jieba_compounds_marked_zero_are_split():
    assert SPLIT_WORDS, "the glossary should list compounds to split"
    for word in SPLIT_WORDS:
        tokens = plain(word)
        assert tokens != [word] and "".join(tokens) == word, (word, tokens)


def test_every_label_name_of_the_default_scheme_is_one_token():
    scheme = json.loads(paths.resource("scheme", "default.json").read_text(encoding="utf-8"))
    names = [label["name_zh"] for label in scheme["labels"]]
    assert len(names) > 40
    for name in names:
        assert plain(name) == [name], name
        assert name in plain(f"一件{name}，"), name


def test_expansions_add_broader_label_terms_after_the_term():
    assert tokenize("龙纹") == ["龙纹", "龙"]
    assert tokenize("蟒袍")[:1] == ["蟒袍"] and {"蟒", "龙", "袍"} <= set(tokenize("蟒袍"))
    # transitive: 平金绣 → 平金 → 盘金 → 刺绣
    assert {"平金", "盘金", "刺绣"} <= set(tokenize("平金绣"))
    assert plain("龙纹") == ["龙纹"]


def test_every_expansion_term_is_itself_a_token():
    # Otherwise an expansion could never be met by the tokens of a description.
    for source, broader in GLOSSARY.expansions.items():
        for word in (source, *broader):
            assert plain(word) == [word], (source, word)


def test_chinese_stop_words_are_dropped():
    tokens = plain("龙袍的纹样和云肩，及补子之类，在清代为官服")
    for stop in ("的", "和", "及", "之", "在", "为"):
        assert stop not in tokens
    assert {"龙袍", "云肩", "补子", "清代"} <= set(tokens)


def test_english_is_lower_cased_without_stop_words():
    assert plain("The Dragons of the Robe are IN Silk") == ["dragon", "robe", "silk"]
    assert plain("peonies, butterflies; dresses and boxes") == ["peony", "butterfly", "dress", "box"]


@pytest.mark.parametrize("word, stem", [
    ("lotus", "lotus"), ("dress", "dress"), ("chrysalis", "chrysalis"), ("hats", "hat"),
    ("sleeves", "sleeve"), ("bus", "bus"), ("robes", "robe"),
])
def test_plural_strip_leaves_non_plurals_alone(word, stem):
    assert strip_plural(word) == stem


def test_mixed_chinese_and_english():
    assert plain("明黄 satin 龙袍 with dragons") == ["明黄", "satin", "龙袍", "dragon"]
    assert plain("dragon龙纹robe") == ["dragon", "龙纹", "robe"]
    # full-width Latin letters are normalised before lower-casing
    assert plain("ＤＲＡＧＯＮ　龙袍") == ["dragon", "龙袍"]


def test_digits_punctuation_and_whitespace_disappear():
    assert plain("1880 18th c. 3 — 120cm, １２！？") == []
    assert plain("光绪 1880 年，红色") == ["光绪", "年", "红色"]


@pytest.mark.parametrize("empty", [None, "", "   \n\t ", "，。！？、（）", "123 456"])
def test_empty_text_gives_no_tokens(empty):
    assert tokenize(empty) == []


@pytest.mark.parametrize("bad", [123, 4.5, b"bytes", ["龙袍"], {"text": "龙袍"}])
def test_non_string_raises_a_clear_type_error(bad):
    with pytest.raises(TypeError, match="str"):
        tokenize(bad)


def test_english_only_text_does_not_load_jieba():
    fresh = TextTokenizer(GLOSSARY)
    assert fresh.tokenize("red silk robe") == ["red", "silk", "robe"]
    assert not fresh.is_warm


def test_private_jieba_loads_once_across_threads_and_leaves_global_jieba_alone(tmp_path, monkeypatch):
    import jieba

    folder = tmp_path / "glossary"
    folder.mkdir()
    for name in ("stopwords_zh.txt", "stopwords_en.txt", "term_expansions.txt"):
        (folder / name).write_text("# empty\n", encoding="utf-8")
    (folder / "costume_terms.txt").write_text("# test\n飞鱼纹蟒 5000 nz\n", encoding="utf-8")
    loads = []
    real_load = tokenizer_module._load_jieba
    monkeypatch.setattr(tokenizer_module, "_load_jieba", lambda g: loads.append(1) or real_load(g))

    fresh = TextTokenizer(Glossary.load(folder))
    barrier, results = threading.Barrier(8), []

    def work():
        barrier.wait()
        results.append(fresh.tokenize("石青缎飞鱼纹蟒袍"))

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(loads) == 1 and fresh.is_warm
    assert len(results) == 8 and all(r == results[0] for r in results)
    assert "飞鱼纹蟒" in results[0]
    assert "飞鱼纹蟒" not in plain("石青缎飞鱼纹蟒袍")  # the shipped tokenizer lacks that term
    assert "飞鱼纹蟒" not in jieba.dt.FREQ and "云蝠纹" not in jieba.dt.FREQ


def test_identity_follows_the_glossary(tmp_path):
    folder = tmp_path / "g"
    folder.mkdir()
    for name in ("costume_terms.txt", "stopwords_zh.txt", "stopwords_en.txt", "term_expansions.txt"):
        (folder / name).write_text("龙纹 3000 nz\n" if name == "costume_terms.txt" else "", encoding="utf-8")
    first = TextTokenizer(Glossary.load(folder)).identity()
    (folder / "costume_terms.txt").write_text("# a comment changes nothing\n龙纹 3000 nz\n", encoding="utf-8")
    assert TextTokenizer(Glossary.load(folder)).identity() == first
    (folder / "costume_terms.txt").write_text("龙纹 3000 nz\n凤纹 3000 nz\n", encoding="utf-8")
    assert TextTokenizer(Glossary.load(folder)).identity() != first
    assert first.startswith("jieba-")
