"""SQL statements a warm photo search runs, and those the window then needs to show its hits.

    python bench/count_search_sql.py [--items 120] [--k 50]

Builds a demo library in a temporary folder, trains a tiny model on it (one epoch, 32 px: the
count of statements does not depend on the model's quality), runs one photo search to warm
the indexes, then counts (sqlite3's trace callback) the statements of a second photo search
and of fetching what the window shows for its hits (accession, title, thumbnail).
"""
from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from app.services.dataset import photo_path
from app.services.demo import create_demo_library
from app.services.search import SearchService
from app.services.training import TrainOptions, train_library
from app.store import open_library

TINY = {"semantic_dim": 64, "label_hidden": (128,), "image_hidden": (128,), "text_hidden": (128,),
        "disc_hidden": (32,)}


def counted(lib, call):
    """(what ``call()`` returned, the SQL statements it ran)."""
    seen: list[str] = []
    lib.db.conn.set_trace_callback(seen.append)
    try:
        return call(), seen
    finally:
        lib.db.conn.set_trace_callback(None)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=120)
    parser.add_argument("--k", type=int, default=50)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "lib"
        with open_library(root, create=True) as lib:
            create_demo_library(lib, seed=0, count=args.items)
            train_library(lib, TrainOptions(bits=16, epochs=1, image_size=32, device="cpu", net_overrides=TINY,
                                            overrides={"warmup_epochs": 1}))
            photo = photo_path(lib, lib.items.get(lib.items.ids()[0]).photos[0].path)
            service = SearchService(lib)
            service.by_image(photo, k=args.k)  # warm: indexes loaded, model resolved
            results, search_sql = counted(lib, lambda: service.by_image(photo, k=args.k))
            shown = shown_records(lib, results)
            _, show_sql = counted(lib, lambda: shown_records(lib, results))
        print(f"photo search, warm, k={args.k}: {len(results.photos)} photo hits, "
              f"{len(results.descriptions)} description hits")
        print(f"  SQL statements in the search:            {len(search_sql)}")
        print(f"  SQL statements to show its photo hits:   {len(show_sql)}  ({len(shown)} records)")
        print(f"  together:                                {len(search_sql) + len(show_sql)}")
        for kind in sorted({s.split()[0].upper() for s in search_sql}):
            print(f"    {kind}: {sum(s.split()[0].upper() == kind for s in search_sql)}")
        active = sum("FROM models" in s for s in search_sql)
        print(f"  of the search's statements, reads of the models table: {active}")


def shown_records(lib, results):
    """What the window fetches for the hits it shows, or what the hits carry already."""
    if results.photos and getattr(results.photos[0], "accession", None) is not None:
        return {h.item_id: (h.accession, h.title, h.paths) for h in results.photos}
    from app.ui.queries import item_records  # the window's own second trip (no Qt in it)

    return item_records(lib, [h.item_id for h in results.photos])


if __name__ == "__main__":
    main()
