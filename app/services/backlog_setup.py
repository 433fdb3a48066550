"""Building a library with a catalogue and an uncatalogued backlog for the backlog benchmark.

The catalogue is imported as a curator would (photos with their sheet); the backlog's photos
are imported with no sheet at all — no labels, no titles, no descriptions — and put in a
collection named "backlog". Their true labels are kept aside here, for scoring only.
"""
from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from app.services.dataset import photo_path
from app.services.importing import ImportOptions, import_paths

if TYPE_CHECKING:
    from app.store import Library

BACKLOG = "backlog"
BACKLOG_SEED_OFFSET = 100  # the backlog is another demo draw: seed S + 100
STRANGER_SEED_OFFSET = 200  # photos kept out of the library altogether: seed S + 200
UNCLEAR = {"Not sure", "Skip", "Other"}


@dataclass
class BacklogSet:
    """A library ready to measure, and the truth kept out of it."""
    root: Path
    dataset: str
    catalogue_ids: list[int]
    backlog_ids: list[int]
    backlog_labels: list[list[str]]          # the backlog's true labels (kept aside), row order
    photos: dict[int, Path] = field(default_factory=dict)  # every item's first photo
    notes: list[str] = field(default_factory=list)
    strangers: list[Path] = field(default_factory=list)  # photos of other garments, not in the library


def build_demo_set(root: Path, seed: int, catalogue: int = 300, backlog: int = 200, strangers: int = 0) -> BacklogSet:
    """Demo of ``seed`` as the catalogue, demo of ``seed + 100`` as the unlabelled backlog, and
    ``strangers`` photos of ``seed + 200`` left out of the library."""
    from app.services.demo import accession_number, create_demo_library, generate_demo, plan_demo
    from app.store import open_library

    with open_library(root, create=True) as lib:
        create_demo_library(lib, seed=seed, count=catalogue)
        cat_ids = [lib.items.id_for_accession(accession_number(seed, i)) for i in range(catalogue)]
        back_seed = seed + BACKLOG_SEED_OFFSET
        folder = root / "backlog-source"
        generate_demo(folder, back_seed, backlog)
        truth = {r.accession: list(r.labels) for _, r, _ in plan_demo(back_seed, backlog)}
        files = [folder / f"{accession_number(back_seed, i)}.jpg" for i in range(backlog)]
        bset = _finish(lib, root, "demo", cat_ids, files, truth)
    if strangers:
        outside = root.parent / f"{root.name}-strangers"
        generate_demo(outside, seed + STRANGER_SEED_OFFSET, strangers)
        bset.strangers = [outside / f"{accession_number(seed + STRANGER_SEED_OFFSET, i)}.jpg" for i in range(strangers)]
    return bset


def build_clothing_set(root: Path, data_dir: Path, seed: int, catalogue: int = 2000,
                       backlog: int = 500, strangers: int = 0) -> BacklogSet:
    """A seeded part of clothing-cc0 with its labels, a disjoint part without them, and
    ``strangers`` more photos left out of the library."""
    from app.store import open_library

    rows = [r for r in csv.DictReader((data_dir / "images.csv").open(encoding="utf-8"))
            if r["label"] not in UNCLEAR and (data_dir / "images" / f"{r['image']}.jpg").is_file()]
    order = np.random.default_rng(seed).permutation(len(rows))
    cat_rows = [rows[i] for i in order[:catalogue]]
    back_rows = [rows[i] for i in order[catalogue:catalogue + backlog]]
    file_of = lambda r: data_dir / "images" / f"{r['image']}.jpg"  # noqa: E731
    with open_library(root, create=True) as lib:
        import_paths(lib, [file_of(r) for r in cat_rows],
                     ImportOptions(metadata=data_dir / "images.csv", create_labels=True))
        cat_ids = [i for i in (lib.items.id_for_accession(r["image"]) for r in cat_rows) if i is not None]
        truth = {r["image"]: [_resolve(lib.scheme, r["label"])] for r in back_rows}
        bset = _finish(lib, root, "clothing", cat_ids, [file_of(r) for r in back_rows], truth)
    end = catalogue + backlog
    bset.strangers = [file_of(rows[i]) for i in order[end:end + strangers]]
    return bset


def _resolve(scheme, name: str) -> str:
    from app.core.errors import SchemeError

    try:
        return scheme.resolve(name).id
    except SchemeError:
        return ""  # a class the catalogue never showed: no label can be asked for it


def _finish(lib: Library, root: Path, dataset: str, cat_ids, files: list[Path], truth: dict) -> BacklogSet:
    """Import the backlog photos bare, collect them, and record the truth in row order."""
    report = import_paths(lib, files, ImportOptions())
    ids, labels = [], []
    for path in files:
        item_id = lib.items.id_for_accession(path.stem)
        if item_id is not None and item_id not in ids:
            ids.append(item_id)
            labels.append([l for l in truth[path.stem] if l])
    lib.collections.create(BACKLOG, "Uncatalogued photos (backlog benchmark)")
    lib.collections.add(BACKLOG, ids)
    notes = [f"{len(files) - len(ids)} backlog photo(s) not imported (duplicates or unreadable)"] \
        if len(ids) < len(files) else []
    cat = [i for i in cat_ids if i is not None]
    photos = {i: photo_path(lib, lib.items.get(i).photos[0].path) for i in cat + ids}
    if report.skipped:
        notes.append(f"{len(report.skipped)} backlog file(s) skipped on import")
    return BacklogSet(root, dataset, cat, ids, labels, photos, notes)


def library_truth(lib: Library, bset: BacklogSet) -> dict[int, list[str]]:
    """Every item's labels: the catalogue's tags from the library, the backlog's kept aside."""
    out = {i: lib.labels.labels_of(i) for i in bset.catalogue_ids}
    out.update(zip(bset.backlog_ids, bset.backlog_labels))
    return out
