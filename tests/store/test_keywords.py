"""Keyword search over the library: ranking, every path that changes indexed text, odd input."""
from __future__ import annotations

import datetime as dt
import sqlite3

import pytest

from app.core.models import Item
from app.exchange.common import select_all
from app.exchange.package import export_package
from app.exchange.package_import import import_packages
from app.services.importing import ImportOptions, import_paths
from app.store import keywords, open_library
from app.store.keywords import IDENTITY_KEY, fts_query, leading_terms
from app.store.migrations import MIGRATIONS, SCHEMA_VERSION
from app.text.keywords import QueryTerm
from tests import samples

pytestmark = pytest.mark.backends("sqlite", "postgresql")


def add(lib, accession: str, **fields) -> int:
    return lib.items.add(Item(accession=accession, **fields))


def found(lib, query: str, **kw) -> list[int]:
    return [hit.item_id for hit in lib.keywords.search(query, **kw)]


@pytest.fixture
def catalogue(library):
    """Five items that share words, so that a rank-1 answer means something."""
    ids = {
        "robe": add(library, "1998.12.7", title="Imperial robe", labels=["dragon"],
                    description="明黄缎绣龙袍一件，下摆海水江崖纹。Yellow satin.",
                    metadata={"donor": "Margaret Whitfield", "尺寸": "140cm"}),
        "skirt": add(library, "2001.3.1", title="马面裙", labels=["satin"],
                     description="red satin skirt with bands of 云纹 and a robe-like waist"),
        "jacket": add(library, "2001.3.2", title="Woman's jacket", labels=["phoenix"],
                      description="石青缎绣云蝠纹女褂, yellow lining", metadata={"donor": "Li Wei"}),
        "badge": add(library, "1998.12.70", title="Rank badge 1998.12.7 copy",
                     description="a copy of the badge on the imperial robe"),
        "shoes": add(library, "M-5", title="Shoes", description="embroidered shoes, robe colours",
                     metadata={"provenance": {"dealers": ["Spink & Son", None], "year": 1920}}),
    }
    return library, ids


@pytest.mark.parametrize("query, name, field, term", [
    ("1998.12.7", "robe", "accession", "1998.12.7"),     # exact, though "badge" repeats it
    ("imperial", "robe", "title", "imperial"),           # title beats the badge's description
    ("龙袍", "robe", "description", "龙袍"),               # a word inside longer Chinese text
    ("龙", "robe", "labels", "龙"),                        # the dragon label's Chinese name
    ("黄缎", "robe", "description", "黄缎"),                 # characters across jieba's words
    ("海水江崖", "robe", "description", "海水江崖"),
    ("Whitfield", "robe", "metadata", "Whitfield"),       # a donor's name (a metadata value)
    ("spink", "shoes", "metadata", "spink"),              # nested metadata values count
    ("云纹", "skirt", "description", "云纹"),               # not the jacket's 云蝠纹
    ("Phoenix", "jacket", "labels", "Phoenix"),            # a label's English name
    ("凤", "jacket", "labels", "凤"),                      # and its Chinese one
    ("skirts", "skirt", "description", "skirts"),          # plural folded
    ("m-5", "shoes", "accession", "M-5"),                 # exact accession ignores case
])
def test_each_field_finds_its_item_first(catalogue, query, name, field, term):
    lib, ids = catalogue
    [first, *_] = lib.keywords.search(query)
    assert (first.item_id, first.field, first.term) == (ids[name], field, term)


def test_title_and_accession_outweigh_description(catalogue):
    lib, ids = catalogue
    assert found(lib, "robe")[0] == ids["robe"]  # title; three others have it in descriptions
    assert found(lib, "badge")[0] == ids["badge"]
    hits = lib.keywords.search("1998.12.7")
    assert [h.item_id for h in hits[:2]] == [ids["robe"], ids["badge"]]
    assert hits[0].score > hits[1].score > 0


def test_limit_and_allowed_restrict_the_hits(catalogue):
    lib, ids = catalogue
    assert len(lib.keywords.search("robe")) == 4 and len(lib.keywords.search("robe", limit=2)) == 2
    assert found(lib, "robe", allowed={ids["shoes"], ids["jacket"]}) == [ids["shoes"]]
    assert found(lib, "1998.12.7", allowed={ids["badge"]}, limit=1) == [ids["badge"]]
    assert lib.keywords.search("robe", limit=0) == []


@pytest.mark.parametrize("query", [
    '"', '""', "'", "AND", "OR", "NOT", "NEAR(", "NEAR(a b, 2)", "*", "a*", "-", "-robe",
    "^robe", "title:robe", "{title}: robe", "(", ")", "", "   ", "!!!", "。，、", "\x00", "🐉",
    "'; DROP TABLE items; --", 'robe" OR "1"="1', "robe AND OR NOT", "rank", "+", "&", "ǅ",
    "\u3400\U00030000", "龙" * 3000, " ".join(f"w{i}" for i in range(500)),
])
def test_hostile_queries_never_raise(catalogue, query):
    lib, ids = catalogue
    hits = lib.keywords.search(query)
    assert all(h.field in {"accession", "title", "description", "metadata", "labels"} for h in hits)
    assert lib.items.count() == 5


def test_operators_are_searched_as_words(catalogue):
    lib, ids = catalogue
    assert found(lib, '"robe" NOT')[0] == ids["robe"]  # NOT is a stop word, robe still counts
    assert found(lib, "title:imperial") == [ids["robe"], ids["badge"]]
    assert fts_query([QueryTerm('a"b', (('a"b',),))]) == '"a""b"'


def test_edits_and_undo_through_the_repository(catalogue):
    lib, ids = catalogue
    robe = ids["robe"]
    lib.items.update(robe, title="Court robe", description="蓝色缂丝", metadata={"donor": "Ada Lovelace"})
    assert found(lib, "court") == [robe] and found(lib, "缂丝") == [robe]
    assert found(lib, "lovelace") == [robe] and found(lib, "whitfield") == []
    assert robe not in found(lib, "imperial") and robe not in found(lib, "龙袍")
    lib.items.update(robe, title="Imperial robe")  # what the window's undo of a title edit calls
    assert found(lib, "imperial")[0] == robe and found(lib, "court") == []
    lib.items.update(robe, accession="X-99")
    assert found(lib, "x-99") == [robe] and robe not in found(lib, "1998.12.7")


def test_tagging_untagging_rename_merge_and_delete_of_labels(catalogue):
    lib, ids = catalogue
    skirt = ids["skirt"]
    lib.labels.tag([skirt], ["crane"])
    assert found(lib, "crane") == [skirt] and found(lib, "鹤") == [skirt]
    assert skirt in found(lib, "动物纹")  # the implied ancestor's name too
    lib.labels.untag([skirt], ["crane"])
    assert found(lib, "crane") == [] and skirt not in found(lib, "动物纹")
    lib.labels.rename("phoenix", name_en="Fenghuang", name_zh="鳳凰")
    assert found(lib, "fenghuang") == [ids["jacket"]] and found(lib, "鳳凰") == [ids["jacket"]]
    assert found(lib, "phoenix") == []
    lib.labels.merge("satin", "gauze")
    assert found(lib, "gauze") == [skirt] and found(lib, "缎") != [skirt]
    lib.labels.delete("dragon", force=True)
    assert found(lib, "dragon") == [] and "labels" not in {h.field for h in lib.keywords.search("龙")}


def test_deleting_items_removes_them_from_the_index(catalogue):
    lib, ids = catalogue
    lib.items.delete(ids["robe"])
    assert ids["robe"] not in found(lib, "龙袍 imperial")
    lib.db.execute("DELETE FROM items WHERE id = ?", [ids["jacket"]])  # a plain SQL delete
    assert found(lib, "phoenix") == [] and found(lib, "lining") == []
    stored = {r[0] for r in lib.db.execute("SELECT rowid FROM keyword_index").fetchall()}
    assert stored == {ids["skirt"], ids["badge"], ids["shoes"]}


def test_writes_by_another_connection_are_indexed(catalogue):
    lib, ids = catalogue
    writes = [("UPDATE items SET description = '粉色纱衫' WHERE id = ?", [ids["shoes"]]),
              ("INSERT INTO item_labels (item_id, label_id) VALUES (?, 'lotus')", [ids["badge"]]),
              ("UPDATE labels SET name_en = 'Sacred lotus' WHERE id = 'lotus'", [])]
    if lib.on_server:  # another connection to the server, with no Wenyang code in between
        import psycopg

        with psycopg.connect(lib.dsn, autocommit=True) as other:
            for sql, args in writes:
                other.execute(sql.replace("?", "%s"), args)
    else:
        other = sqlite3.connect(lib.db_path)  # no Python functions registered: plain SQL triggers
        other.execute("PRAGMA foreign_keys = ON")
        with other:
            for sql, args in writes:
                other.execute(sql, args)
        other.close()
    assert found(lib, "粉色") == [ids["shoes"]] and found(lib, "sacred") == [ids["badge"]]


def test_the_index_is_updated_lazily_and_rebuilt_when_tokens_change(catalogue):
    lib, ids = catalogue
    assert lib.db.execute("SELECT COUNT(*) FROM keyword_index").fetchone()[0] == 0
    assert lib.keywords.pending() == 5  # adding items only recorded them
    assert lib.keywords.refresh() == 5 and lib.keywords.refresh() == 0
    lib.labels.tag(list(ids.values()), ["cotton"])
    assert lib.keywords.pending() == 5  # recorded by the triggers, not yet tokenised
    assert lib.keywords.refresh() == 5 and lib.keywords.pending() == 0
    lib.set_meta(IDENTITY_KEY, "another glossary")
    assert lib.keywords.refresh() == 5


def test_import_and_zip_package_import_are_searchable(library, tmp_path):
    for n in range(3):
        samples.photo(tmp_path / "in" / f"IMG_{n}.jpg", n, fmt="JPEG")
    sheet = tmp_path / "sheet.csv"
    sheet.write_text("文件名,编号,标题,描述,标签,捐赠人\n"
                     "IMG_0.jpg,K-1,云肩,四合如意云肩,纹样>动物纹>蝙蝠,Whitfield\n"
                     "IMG_1.jpg,K-2,Lotus skirt,莲纹马面裙,Lotus,Li Wei\n", encoding="utf-8")
    import_paths(library, [tmp_path / "in"], ImportOptions(metadata=sheet))
    by_accession = {library.items.get(i).accession: i for i in library.items.ids()}
    assert found(library, "如意")[0] == by_accession["K-1"]
    assert found(library, "蝙蝠")[0] == by_accession["K-1"]
    assert found(library, "whitfield") == [by_accession["K-1"]]
    assert found(library, "IMG_2") == [by_accession["IMG_2"]]
    export_package(library, select_all(library), tmp_path / "all.zip")
    with open_library(tmp_path / "target", create=True) as target:
        import_packages(target, [tmp_path / "all.zip"])
        k2 = target.items.get_by_accession("K-2").id
        assert found(target, "莲") == [k2] and found(target, "Wei") == [k2]
        assert target.keywords.search("bat")[0].field == "labels"


def test_a_library_from_before_the_index_is_backfilled_on_open(tmp_path):
    root = tmp_path / "old"
    root.mkdir()
    conn = sqlite3.connect(root / "library.sqlite", isolation_level=None)
    conn.execute("CREATE TABLE _migrations (id INTEGER PRIMARY KEY, name TEXT NOT NULL, "
                 "applied TEXT NOT NULL)")
    for number, name, step in MIGRATIONS[:3]:
        step(conn)
        conn.execute("INSERT INTO _migrations VALUES (?, ?, ?)", [number, name, dt.datetime.now().isoformat()])
    conn.execute("INSERT INTO facets VALUES ('motif', 'Motif', '纹样', 0)")
    conn.execute("INSERT INTO labels (id, facet, name_en, name_zh) VALUES ('dragon', 'motif', 'Dragon', '龙')")
    for n, (title, text) in enumerate([("Dragon robe", "明黄缎绣龙袍"), ("Skirt", "蓝色马面裙")]):
        conn.execute("INSERT INTO items (accession, title, description, created, modified) "
                     "VALUES (?, ?, ?, 'x', 'x')", [f"OLD-{n}", title, text])
    conn.execute("INSERT INTO item_labels (item_id, label_id) VALUES (1, 'dragon')")
    conn.close()
    with open_library(root) as lib:
        assert lib.db.execute("SELECT MAX(id) FROM _migrations").fetchone()[0] == SCHEMA_VERSION >= 4
        assert lib.keywords.pending() == 2
        assert found(lib, "龙袍") == [1] and found(lib, "马面裙") == [2] and found(lib, "old-1") == [2]
        assert lib.keywords.search("龙")[0].item_id == 1


def test_items_with_every_word_come_before_those_with_some(library):
    """bm25 over "any word" put a title holding one word above a description holding both."""
    one = add(library, "T-1", title="Dragon robe", description="dragon dragon")
    both = add(library, "T-2", title="Jacket", description="a dragon chasing a phoenix")
    assert found(library, "dragon phoenix") == [both, one]
    hits = library.keywords.search("dragon phoenix")
    assert hits[0].score > hits[1].score > 0


def test_characters_implied_by_a_typed_word_are_not_asked_for_alone(library):
    terms = library.keywords._tokens.query_terms("平针绣")
    assert {t.surface for t in terms} > {"平针绣"}  # the characters are searched too, as a fallback
    assert [t.surface for t in leading_terms(terms)] == ["平针绣"]
    item = add(library, "C-1", title="绣鞋", description="平针绣花卉")
    other = add(library, "C-2", title="绣片")
    hits = library.keywords.search("平针绣")
    assert [h.item_id for h in hits] == [item, other]
    assert (hits[0].field, hits[0].term) == ("description", "平针绣")  # not "title: 绣"


@pytest.mark.backends("sqlite")
def test_a_common_word_is_ranked_by_its_fields_among_the_first_matches(library, monkeypatch):
    """In SQLite, past COMMON items a word is ranked by the fields holding it, within the first
    WINDOW matches; a filter still finds allowed items beyond that window, and deleted ones never
    show. (A server ranks differently: the next test.)"""
    monkeypatch.setattr(keywords, "COMMON", 2)
    monkeypatch.setattr(keywords, "WINDOW", 4)
    body = [add(library, f"B-{n}", description="silk lining") for n in range(3)]
    titled = add(library, "B-3", title="Silk coat")
    late = add(library, "B-4", title="Silk hat")  # past the window of four
    gone = add(library, "B-5", title="Silk fan")
    library.items.delete(gone)
    assert found(library, "silk") == [titled, *body]
    assert found(library, "silk", limit=2) == [titled, body[0]]
    assert found(library, "silk", allowed={late, gone, body[1]}) == [late, body[1]]
    assert [h.field for h in library.keywords.search("silk")][:2] == ["title", "description"]
    monkeypatch.setattr(keywords, "COMMON", 10_000)  # rare again: bm25 sees every match
    assert set(found(library, "silk")) == {titled, late, *body}


@pytest.mark.backends("postgresql")
def test_on_a_server_a_word_a_sample_finds_common_is_ranked_among_its_first_matches(library, monkeypatch):
    """A word that a sample of the index table finds in more than COMMON items is ranked among
    its first WINDOW matches, as SQLite ranks a common word; at COMMON items or fewer, among all
    of them. Whether the server's statistics list a word, and how common, is read from them."""
    body = [add(library, f"C-{n}", description="silk lining") for n in range(4)]
    titled = add(library, "C-4", title="Silk coat")  # the best match, past a window of two
    hat = add(library, "C-5", title="Velvet hat")
    assert found(library, "silk")[0] == titled  # the index is made
    library.db.execute(f"ANALYZE {keywords._TS_TABLE}")
    repository = keywords.KeywordRepository(library)  # nothing remembered from before ANALYZE
    rows, shares, _ = repository._index_statistics()
    assert rows == 6 and shares["silk"] == pytest.approx(5 / 6, abs=0.01) and "wool" not in shares
    monkeypatch.setattr(keywords, "WINDOW", 2)
    monkeypatch.setattr(keywords, "COMMON", 4)  # silk is in five items: common
    assert [h.item_id for h in repository.search("silk")] == body[:2]
    monkeypatch.setattr(keywords, "COMMON", 5)  # in five: not more than COMMON
    assert [h.item_id for h in repository.search("silk")] == [titled, *body]
    monkeypatch.setattr(keywords, "COMMON", 4)
    assert [h.item_id for h in repository.search("silk", allowed={titled, body[0]})] == [titled, body[0]]
    assert [h.item_id for h in repository.search("velvet")] == [hat]


@pytest.mark.backends("postgresql")
def test_on_a_server_the_first_common_matches_are_ranked(library, monkeypatch):
    """On a server ts_rank ranks a word's first COMMON matches, best first; a filter ranks the
    first COMMON allowed ones, however far into the table; deleted items never show."""
    gone = add(library, "S-0", title="Silk fan")
    body = [add(library, f"S-{n}", description="silk lining") for n in range(1, 4)]
    titled = [add(library, f"S-{n}", title="Silk coat") for n in range(4, 6)]
    library.items.delete(gone)
    assert found(library, "silk") == [*titled, *body]  # few matches: every one, titles first
    monkeypatch.setattr(keywords, "COMMON", 3)
    first = found(library, "silk")
    assert len(first) == 3 and set(first) < {*titled, *body}
    fields = [h.field for h in library.keywords.search("silk")]
    assert fields == sorted(fields, key=lambda f: f != "title")  # the better field first
    assert found(library, "silk", limit=1) == first[:1]
    beyond = [i for i in (*titled, *body) if i not in first]
    expected = sorted(beyond, key=lambda i: (i not in titled, i))
    assert found(library, "silk", allowed={*beyond, gone}) == expected
    # a filter too large to send is applied on the workstation, to the same effect
    monkeypatch.setattr(keywords, "ALLOWED_IN_SQL", 1)
    assert found(library, "silk", allowed={*beyond, gone}) == expected
    assert [h.field for h in library.keywords.search("silk", allowed={*beyond, gone})] == \
        ["title" if i in titled else "description" for i in expected]
    assert found(library, "silk", allowed={*beyond, gone}, limit=1) == expected[:1]
    monkeypatch.setattr(keywords, "COMMON", 10_000)
    assert found(library, "silk", allowed={*titled, gone}) == titled


def test_characters_are_found_where_they_stand_together_and_not_apart(library):
    """A typed word is found as characters in a row inside longer text, whatever jieba made of
    it there; characters apart do not match it; one character is found at any place in a run
    (on a server the characters are stored as pairs, so each of these is a different lookup)."""
    inside = add(library, "H-1", description="绣云龙袍")
    apart = add(library, "H-2", description="龙纹袍")
    last = add(library, "H-3", description="云龙")
    first = add(library, "H-4", description="龙凤")
    across = add(library, "H-5", description="龙，袍")  # two runs in a row, as before: still a phrase
    assert set(found(library, "龙袍")) == {inside, across}
    assert set(found(library, "龙")) == {inside, apart, last, first, across}
    assert found(library, "纹袍")[0] == apart  # (then those with some of its words)
    assert found(library, "云龙袍")[0] == inside
    assert set(found(library, "凤")) == {first}


def test_server_tokens_store_a_run_of_characters_as_its_pairs_and_queries_ask_for_them():
    """The server's form (``keywords.server_tokens``): as many tokens as before, so the
    positions of the words around a run do not move; a phrase asks for the pairs in a row."""
    tokens = "明黄 龙袍 明 黄 缎 龙 袍 satin 凤".split()
    assert keywords.server_tokens(tokens) == ["明黄", "龙袍", "~明黄", "~黄缎", "~缎龙", "~龙袍", "袍", "satin", "凤"]
    assert keywords.ts_phrase(("龙", "袍")) == "('~龙袍')"
    assert keywords.ts_phrase(("平", "针", "绣")) == "('~平针' <-> '~针绣')"
    assert keywords.ts_phrase(("龙",)) == "(('~龙':* | '龙'))"
    assert keywords.ts_phrase(("a", "龙", "袍", "b")) == "('a' <-> '~龙袍' <2> 'b')"  # b follows the last character
    assert keywords.ts_phrase(("m", "5")) == "('m' <-> '5')"
    assert keywords.server_words(("平", "针", "绣")) == ["~平针", "~针绣"]
    assert keywords.server_words(("龙",)) is None  # a prefix: no one word bounds how common it is
