"""Index and query tokens of the keyword search (no database here)."""
from __future__ import annotations

import pytest

from app.text.keywords import MAX_TERMS, KeywordTokenizer, contains_phrase, metadata_values


@pytest.fixture(scope="module")
def kw():
    return KeywordTokenizer()


def test_han_text_gives_words_and_every_character_in_order(kw):
    tokens = kw.index_tokens("明黄缎绣龙袍一件")
    assert "龙袍" in tokens and "明黄" in tokens
    assert contains_phrase(tokens, ("明", "黄", "缎", "绣", "龙", "袍", "一", "件"))
    assert "缎" in tokens and tokens.count("缎") == 1  # single characters once, in the sequence


def test_words_are_folded_and_digits_kept(kw):
    assert kw.index_tokens("Dragons, PEONIES & ＭＩＮＧ dress 1998.12.7 M-5") == [
        "dragon", "peony", "ming", "dress", "1998", "12", "7", "m", "5"]

def test_document_indexes_metadata_values_not_keys(kw):
    doc = kw.document("M-5", "Shoes", "", {"donor": "Li Wei", "n": [3, None, True]}, ["Cloud", "云纹"])
    assert doc == {"accession": "m 5", "title": "shoe", "description": "", "metadata": "li wei 3",
                   "labels": "cloud 云纹 云 纹"}


def test_metadata_values_walks_nested_json():
    value = {"a": {"b": ["x", 2.5, None, False]}, "c": "y"}
    assert list(metadata_values(value)) == ["x", "2.5", "y"]
    assert list(metadata_values("plain text")) == ["plain text"]


def test_query_terms_keep_identifiers_whole_and_offer_character_phrases(kw):
    terms = {t.surface: t.phrases for t in kw.query_terms("M-5 龙袍 dragons the")}
    assert terms == {"M-5": (("m", "5"),), "龙袍": (("龙袍",), ("龙", "袍")),
                     "dragons": (("dragon",),)}  # "the" is a stop word


def test_a_han_run_of_several_words_is_also_one_phrase(kw):
    terms = {t.surface: t.phrases for t in kw.query_terms("明黄龙袍")}
    assert terms["明黄龙袍"] == (("明", "黄", "龙", "袍"),)
    assert {"明黄", "龙袍"} <= set(terms)


@pytest.mark.parametrize("query", ["", "   ", "!!!", '"', "。，", None, "\x00"])
def test_queries_without_words_have_no_terms(kw, query):
    assert kw.query_terms(query) == []


def test_long_queries_are_capped(kw):
    assert len(kw.query_terms(" ".join(f"w{i}" for i in range(200)))) == MAX_TERMS


def test_contains_phrase_needs_adjacency():
    assert contains_phrase(["a", "b", "c"], ("b", "c"))
    assert not contains_phrase(["a", "b", "c"], ("a", "c"))
    assert not contains_phrase(["a"], ())
