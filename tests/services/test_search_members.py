"""Which items each search tab can show (a photo for the photo tab, a title or description for
the text tab) follows every change that moves an item in or out of a tab, read again only for
the items the change log names; a change that moves none (a tag) keeps the very same set."""
from __future__ import annotations

import pytest

from app.core.models import Item, Photo
from app.services.search import SearchService
from app.store import open_library
from tests.waiting import eventually

pytestmark = pytest.mark.backends("sqlite", "postgresql")


def photo(n: int) -> Photo:
    return Photo(path=f"photos/{n}.jpg", sha256=f"{n:064x}", size=1, width=8, height=8, format="JPEG")


def current(service, lib) -> bool:
    for tab, everyone in (("image", lib.items.with_photo()), ("text", lib.items.with_text())):
        ids, array = service._members(tab)
        if ids != everyone or array.tolist() != sorted(everyone):
            return False
    return True


def assert_current(service, lib):
    assert current(service, lib)


def test_the_tabs_members_follow_the_library_and_a_tag_keeps_them(library):
    lib = library
    a = lib.items.add(Item("A-1", title="Dragon robe", photos=[photo(1)]))
    b = lib.items.add(Item("A-2", title="Skirt"))
    c = lib.items.add(Item("A-3", photos=[photo(3)]))
    d = lib.items.add(Item("A-4"))
    service = SearchService(lib)
    assert_current(service, lib)
    before = {tab: service._members(tab) for tab in ("image", "text")}
    lib.labels.tag([a, c], ["dragon"])  # in the change log, in no tab's way
    assert all(service._members(tab) is before[tab] for tab in before)
    lib.items.add_photo(b, photo(2))
    assert_current(service, lib)
    assert service._members("text") is before["text"] and b in service._members("image")[0]
    lib.items.update(c, title="Cloud collar")
    lib.items.update(a, title="", description="")
    assert_current(service, lib)
    assert c in service._members("text")[0] and a not in service._members("text")[0]
    lib.trash.move([b])
    assert_current(service, lib)
    lib.trash.restore([b])
    assert_current(service, lib)
    with open_library(lib.location) as other:  # another program's changes come through the log too
        other.items.update(d, description="Plain gauze")
        other.items.delete(c)
    # (on a server, seen once the write's announcement arrives: within milliseconds of the commit)
    assert eventually(lambda: current(service, lib), 3.0)
    assert d in service._members("text")[0] and c not in service._members("image")[0]


def test_a_reader_the_log_no_longer_reaches_reads_every_item(library, monkeypatch):
    lib = library
    a = lib.items.add(Item("B-1", title="Robe", photos=[photo(1)]))
    service = SearchService(lib)
    assert_current(service, lib)
    b = lib.items.add(Item("B-2", title="Hat", photos=[photo(2)]))
    monkeypatch.setattr(lib.evidence, "oldest", lambda: lib.evidence.mark() + 1)  # pruned past what it saw
    changed = []
    monkeypatch.setattr(lib.evidence, "changed_since", lambda *args: changed.append(args) or [])
    assert_current(service, lib)
    assert not changed and {a, b} <= service._members("image")[0]
