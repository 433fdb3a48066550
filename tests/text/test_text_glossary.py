"""Reading the glossary files: jieba user-dictionary lines, comments, word lists, expansions."""
from __future__ import annotations

import pytest

from app.text.glossary import Glossary, Term, close_expansions, read_expansions, read_terms, read_words


def write(path, text, bom=False):
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8"))
    return path


def test_terms_accept_the_jieba_line_forms_and_skip_comments(tmp_path):
    path = write(tmp_path / "t.txt", "# comment\n\n云肩 3000 nz\n补子 500\n盘金\n马面裙 nz\n白袍 0\n", bom=True)
    assert read_terms(path) == [
        Term("云肩", 3000, "nz"), Term("补子", 500, None), Term("盘金", None, None),
        Term("马面裙", None, "nz"), Term("白袍", 0, None),
    ]


@pytest.mark.parametrize("line", ["云肩 3000 nz extra", "云肩 nz 3000"])
def test_malformed_term_lines_name_the_line(tmp_path, line):
    path = write(tmp_path / "t.txt", f"# ok\n{line}\n")
    with pytest.raises(ValueError, match="line 2"):
        read_terms(path)


def test_word_lists_split_on_any_whitespace(tmp_path):
    path = write(tmp_path / "w.txt", "# stop words\nthe a  an\n的\n\tof\n")
    assert read_words(path) == ["the", "a", "an", "的", "of"]


def test_expansions_merge_repeated_lines_and_need_a_target(tmp_path):
    path = write(tmp_path / "e.txt", "龙袍 龙\n龙袍 袍\n")
    assert read_expansions(path) == {"龙袍": ("龙", "袍")}
    with pytest.raises(ValueError, match="line 1"):
        read_expansions(write(tmp_path / "bad.txt", "龙袍\n"))


def test_expansions_close_transitively_without_loops_or_repeats():
    closed = close_expansions({"平金绣": ("平金", "刺绣"), "平金": ("盘金",), "盘金": ("刺绣",),
                               "甲": ("乙",), "乙": ("甲",)})
    assert closed["平金绣"] == ("平金", "刺绣", "盘金")
    assert closed["甲"] == ("乙",) and closed["乙"] == ("甲",)


def test_shipped_glossary_is_substantial_and_consistent():
    glossary = Glossary.load()
    words = [t.word for t in glossary.terms]
    assert len([t for t in glossary.terms if t.freq != 0]) >= 120
    assert len(words) == len(set(words)), "a term is listed twice"
    for must in ("妆花缎", "缂丝", "云肩", "马面裙", "龙纹", "海水江崖纹", "立水", "马蹄袖", "通袖襕",
                 "膝襕", "石青", "盘金", "补子", "八宝", "回纹", "万字"):
        assert must in words
    assert not set(words) & glossary.zh_stopwords
    assert {"的", "和", "与"} <= glossary.zh_stopwords and {"the", "and", "of"} <= glossary.en_stopwords


def test_fingerprint_ignores_layout_but_not_content(tmp_path):
    def folder(name, terms):
        d = tmp_path / name
        d.mkdir()
        write(d / "costume_terms.txt", terms)
        for other in ("stopwords_zh.txt", "stopwords_en.txt", "term_expansions.txt"):
            write(d / other, "")
        return Glossary.load(d)

    base = folder("a", "云肩 3000 nz\n")
    assert folder("b", "# note\n\n云肩   3000 nz\n").fingerprint == base.fingerprint
    assert folder("c", "云肩 2000 nz\n").fingerprint != base.fingerprint
