"""jieba's prefix dictionary, cached by Wenyang in pieces so that loading it lets other threads run."""
from __future__ import annotations

import jieba
import pytest

from app.text import tokenizer
from app.text.tokenizer import PREFIX_CHUNK, prefix_dictionary


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """The dictionary built from jieba's own file, and the cache that building wrote."""
    folder = tmp_path_factory.mktemp("cache")
    freq, total = prefix_dictionary(jieba.Tokenizer(), folder)
    return folder, freq, total


def test_the_first_load_builds_jiebas_dictionary_and_caches_it_in_pieces(built):
    folder, freq, total = built
    with jieba.Tokenizer().get_dict_file() as source:
        expected = jieba.Tokenizer.gen_pfdict(source)
    assert (freq, total) == expected
    assert "龙袍" in freq or "龙" in freq
    cache = folder / "jieba-prefix.chunks"
    assert cache.is_file()
    import marshal
    with open(cache, "rb") as handle:
        header = marshal.load(handle)
        first = marshal.load(handle)
    assert header[1] == total and header[2] == -(-len(freq) // PREFIX_CHUNK)
    assert len(first) == PREFIX_CHUNK


def test_the_next_load_reads_the_cache_without_building(built, monkeypatch):
    folder, freq, total = built
    segmenter = jieba.Tokenizer()

    def no_build(_source):
        raise AssertionError("the dictionary was built again although the cache is current")
    monkeypatch.setattr(segmenter, "gen_pfdict", no_build)
    assert prefix_dictionary(segmenter, folder) == (freq, total)


@pytest.mark.parametrize("damage", ["truncated", "garbage", "other jieba"])
def test_a_damaged_or_stale_cache_is_rebuilt_and_replaced(built, tmp_path, damage, monkeypatch):
    _, freq, total = built
    cache = tmp_path / "jieba-prefix.chunks"
    good = (built[0] / "jieba-prefix.chunks").read_bytes()
    cache.write_bytes({"truncated": good[: len(good) // 2], "garbage": b"\x00not marshal",
                       "other jieba": good}[damage])
    if damage == "other jieba":
        monkeypatch.setattr(tokenizer, "_jieba_version", lambda: "0.0-other")
    assert prefix_dictionary(jieba.Tokenizer(), tmp_path) == (freq, total)
    assert cache.read_bytes() != {"truncated": good[: len(good) // 2], "garbage": b"\x00not marshal",
                                  "other jieba": good}[damage]


def test_a_cache_folder_that_cannot_be_written_still_gives_the_dictionary(built, tmp_path):
    _, freq, total = built
    blocked = tmp_path / "file-not-folder"
    blocked.write_text("in the way")
    assert prefix_dictionary(jieba.Tokenizer(), blocked / "Wenyang") == (freq, total)
    assert not list(tmp_path.glob(".jieba-prefix-*"))
