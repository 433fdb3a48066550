"""What the explore_*.py scripts share: an explore library (explore_backlog_library.py) opened
with its backlog split out as the backlog benchmark would see it."""
from __future__ import annotations

import json
from contextlib import contextmanager
from pathlib import Path

from app.services.backlog_setup import BACKLOG, BacklogSet
from app.services.dataset import photo_path
from app.store import open_library


@contextmanager
def explore_library(root: str | Path):
    """(lib, bset): catalogue items are those truth.json does not name; the backlog photos
    are put in the "backlog" collection the benchmark's filters search within."""
    root = Path(root)
    truth = json.loads((root / "truth.json").read_text())
    with open_library(root) as lib:
        ids = lib.items.ids()
        accession = {i: lib.items.get(i).accession for i in ids}
        back = [i for i in ids if accession[i] in truth]
        catalogue = [i for i in ids if accession[i] not in truth]
        photos = {i: photo_path(lib, lib.items.get(i).photos[0].path) for i in back}
        if BACKLOG not in [c.name for c in lib.collections.list()]:
            lib.collections.create(BACKLOG, "Uncatalogued photos (explore library)")
            lib.collections.add(BACKLOG, back)
        yield lib, BacklogSet(root, "demo", catalogue, back, [truth[accession[i]] for i in back], photos)
