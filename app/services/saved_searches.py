"""Saved searches: a typed search with the labels the curator chose for it and the filters it
ran under, named, kept in the library (its ``meta`` table) so that every window and every
copy of the library has them. Saving and forgetting are ops (``SaveSearch``, ``ForgetSearch``):
one undo step each."""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING

from app.core.errors import WenyangError

if TYPE_CHECKING:
    from app.store import Library

META_KEY = "saved_searches"
MAX_NAME = 200


@dataclass(frozen=True)
class SavedSearch:
    name: str
    text: str
    labels: list[str] | None = None        # the chips the curator kept (None: as the text reads)
    filter_labels: list[str] = field(default_factory=list)  # ticked facet labels it ran within
    collection: int | None = None          # the collection it ran within

    def __post_init__(self) -> None:
        if not self.name.strip() or len(self.name) > MAX_NAME:
            raise WenyangError(f"A saved search needs a name of 1 to {MAX_NAME} characters.")
        if not self.text.strip() and not self.labels:
            raise WenyangError("Only a typed search (words or labels) can be saved.")


def saved_searches(lib: Library) -> list[SavedSearch]:
    """The library's saved searches, by name. An entry this version cannot read is skipped."""
    try:
        raw = json.loads(lib.get_meta(META_KEY) or "[]")
    except ValueError:
        return []
    out = []
    for entry in raw if isinstance(raw, list) else []:
        try:
            out.append(SavedSearch(**entry))
        except (TypeError, WenyangError):
            continue
    return sorted(out, key=lambda s: s.name.casefold())


def write_saved(lib: Library, searches: list[SavedSearch]) -> None:
    lib.set_meta(META_KEY, json.dumps([asdict(s) for s in searches], ensure_ascii=False))


def find_saved(lib: Library, name: str) -> SavedSearch:
    for search in saved_searches(lib):
        if search.name == name:
            return search
    raise WenyangError(f"No saved search is named {name!r}.")
