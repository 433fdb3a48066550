"""A library's rows, table by table, for tests that compare a library before and after."""
from __future__ import annotations

import re

_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d")


def content(lib) -> dict[str, list]:
    """Every table's rows, sorted, once the keyword index has caught up. Left out: SQLite's own
    bookkeeping, the index's shadow tables (the index is compared through its virtual table),
    its queue of pending marks, the log of items whose label evidence changed, and the change counters an undo advances on purpose."""
    lib.keywords.refresh()
    out = {}
    tables = ("SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()"
              if lib.on_server else "SELECT name FROM sqlite_master WHERE type = 'table'")
    for (name,) in lib.db.execute(tables).fetchall():
        if name in ("sqlite_sequence", "keyword_pending", "item_changes", "code_changes") \
                or name.startswith("keyword_index"):
            continue
        out[name] = sorted((tuple(r) for r in lib.db.execute(f"SELECT * FROM {name}")), key=repr)
    out["keyword_index"] = sorted(tuple(r) for r in lib.db.execute("SELECT rowid, * FROM keyword_index"))
    out["meta"] = [r for r in out["meta"] if r[0] not in ("scheme_version", "codes_version", "signatures_version")
                   and not r[0].startswith("codes_version:")]
    return out


def without_times(rows: dict[str, list]) -> dict[str, list]:
    """``content`` with every ISO time blanked, for comparing changes made at different moments."""
    return {name: sorted((tuple("<time>" if isinstance(v, str) and _TIME.match(v) else v for v in r) for r in table),
                         key=repr)
            for name, table in rows.items()}
