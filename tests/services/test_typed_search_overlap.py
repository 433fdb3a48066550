"""A typed search on a server sends its keyword query from a thread of its own while it ranks
labels and codes in memory; the results are the ones the same search gives in turn, and a
failing keyword query fails the search. On SQLite the query runs in turn."""
from __future__ import annotations

import threading

import pytest

from app.core.errors import WenyangError
from app.core.models import Item
from app.services.search import SearchService

pytestmark = pytest.mark.backends("sqlite", "postgresql")


@pytest.fixture
def texts(library):
    rows = [("Dragon robe", "云纹龙袍，石青缎绣"), ("Phoenix skirt", "凤纹马面裙"), ("Plain jacket", "蓝布袄"),
            ("Dragon hat", "龙纹帽"), ("Cloud collar", "云肩，彩绣")]
    ids = [library.items.add(Item(f"T-{n:02d}", title=t, description=d)) for n, (t, d) in enumerate(rows)]
    library.labels.tag(ids[:1], ["dragon", "robe"])
    library.labels.tag(ids[1:2], ["phoenix"])
    return ids


def _ids(results):
    return [h.item_id for h in results.photos], [h.item_id for h in results.descriptions]


def test_the_keyword_query_runs_beside_the_ranking_and_gives_the_same_results(library, texts, monkeypatch):
    where = []
    search = library.keywords.search
    monkeypatch.setattr(library.keywords, "search",
                        lambda *a, **k: where.append(threading.current_thread().name) or search(*a, **k))
    service = SearchService(library)
    found = {q: _ids(service.by_text(q)) for q in ("龙袍", "dragon", "云", "T-03")}
    assert where and all(name.startswith("keywords") == library.on_server for name in where)
    monkeypatch.setattr(SearchService, "_keywords_meanwhile",
                        lambda self, text, limit, allowed: self.lib.keywords.search(text, limit=limit, allowed=allowed))
    in_turn = {q: _ids(service.by_text(q)) for q in found}
    assert found == in_turn and texts[0] in found["龙袍"][1] and found["T-03"][1][0] == texts[3]


def test_a_failing_keyword_query_fails_the_search(library, texts, monkeypatch):
    def broken(*_args, **_kwargs):
        raise WenyangError("the library's server stopped answering")
    monkeypatch.setattr(library.keywords, "search", broken)
    with pytest.raises(WenyangError, match="stopped answering"):
        SearchService(library).by_text("dragon")
