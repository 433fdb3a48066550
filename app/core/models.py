"""Plain records passed between the store, the services and the interfaces."""
from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field

# The longest title, description or metadata text an item may hold, in characters: far above
# any catalogue entry (a 10-page essay is ~50,000), and what sheets, the library and packages
# all accept, so that whatever the library holds it can also export and read back.
MAX_TEXT = 10_000_000


def now_iso() -> str:
    """Current UTC time as an ISO-8601 string (what the library stores)."""
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")


def item_text(title: str, description: str) -> str:
    """The text of an item as models and research exports see it: title, then description."""
    return "\n".join(part for part in (title.strip(), description.strip()) if part)


@dataclass
class Photo:
    path: str
    sha256: str
    size: int
    width: int
    height: int
    format: str
    note: str = ""
    position: int = 0
    id: int | None = None
    item_id: int | None = None


@dataclass
class Item:
    accession: str
    title: str = ""
    description: str = ""
    metadata: dict = field(default_factory=dict)
    photos: list[Photo] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)
    id: int | None = None
    created: str = ""
    modified: str = ""


@dataclass
class Collection:
    id: int
    name: str
    description: str = ""
    size: int = 0
    created: str = ""
