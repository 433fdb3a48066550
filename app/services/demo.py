"""The demo collection: a few hundred procedurally drawn garments with bilingual catalogue
records, generated deterministically from a seed, and a demo library built from them.

Same seed ⇒ byte-identical images and sheet (fixed JPEG settings, no timestamps); another
seed ⇒ another collection. Labels come in plausible combinations (dragons on robes and rank
badges, batik on Miao cotton) so what a network learns from the demo makes sense to a curator.
"""
from __future__ import annotations

import csv
import json
import shutil
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from app.core.errors import WenyangError
from app.core.jobs import Cancelled, Progress, ProgressFn
from app.core.tempfiles import owner_tag
from app.media.demo.art import DemoArt, render
from app.media.demo.captions import caption
from app.paths import SHIPPED_MODELS

if TYPE_CHECKING:
    from app.services.importing import ImportReport
    from app.store import Library

SHEET_NAME = "demo-metadata.csv"
DEMO_COUNT = 300                          # what a first run draws
DEMO_TRAINING = {"bits": 32, "epochs": 20}  # what a first run trains (TrainOptions fields)
DEMO_MODEL_DIR = SHIPPED_MODELS / "demo"  # the shipped demo model (installer/demo_model.py)
DEMO_MODEL_MANIFEST = "demo.json"
COLUMNS = ["file", "accession", "title", "description", "labels", "dimensions", "date", "provenance"]
JPEG_SAVE: dict[str, Any] = {"format": "JPEG", "quality": 88, "optimize": True, "subsampling": 2, "progressive": False}
HEMLESS = {"hat", "shoes", "cloud-collar", "trousers", "shirt"}  # no hem for sea-wave-and-cliff
BORDERLESS = {"cloud-collar", "shoes"}  # no straight border for key-fret


def _w(spec: str) -> dict[str, float]:
    """'robe:8 surcoat:2' → {'robe': 8.0, 'surcoat': 2.0} (a bare name weighs 1)."""
    pairs = (part.partition(":") for part in spec.split())
    return {name: float(weight or 1) for name, _, weight in pairs}


@dataclass(frozen=True)
class Archetype:
    """A kind of object a costume collection holds, with weighted choices for each facet."""
    weight: float
    garments: dict
    lead: dict
    extra: dict
    techniques: dict
    materials: dict
    colours: dict
    eras: dict
    regions: dict


def _a(weight, garments, lead, extra, techniques, materials, colours, eras, regions) -> Archetype:
    return Archetype(weight, *(_w(s) for s in (garments, lead, extra, techniques, materials, colours,
                                               eras, regions)))


ARCHETYPES = [
    _a(14, "robe:8 surcoat:2", "dragon", "cloud:6 sea-wave:6 bat:2",
       "embroidery:4 couched-gold:3 kesi:3 zhuanghua:2", "satin:5 silk:2 gauze:2",
       "yellow:4 dark-blue:3 blue:3 red:1", "qing:8 ming:2", "manchu:7 han:3"),
    _a(9, "rank-badge", "crane:6 dragon:2", "cloud:6 sea-wave:6 bat:1", "embroidery:4 couched-gold:3 kesi:3",
       "satin:4 silk:3", "dark-blue:5 black:3 red:2", "qing:6 ming:4", "han:6 manchu:3"),
    _a(16, "jacket:5 surcoat:3 shirt:3", "peony:4 butterfly:3 plum-blossom:3 phoenix:2 lotus:1 crane:1",
       "butterfly:3 bat:2 cloud:2 key-fret:3 longevity:1 peony:1",
       "embroidery:6 brocade:2 zhuanghua:1 kesi:1 couched-gold:1", "satin:5 silk:3 gauze:2",
       "red:3 dark-blue:3 green:2 blue:2 black:2 white:2 yellow:1", "qing:6 republican:4", "han:8 manchu:3"),
    _a(10, "horse-face-skirt", "peony:3 lotus:2 phoenix:2 dragon:1 butterfly:2",
       "cloud:3 sea-wave:2 butterfly:2 key-fret:1 plum-blossom:1", "embroidery:4 zhuanghua:3 brocade:2 couched-gold:1",
       "satin:5 silk:3", "red:5 green:2 dark-blue:2 blue:1 black:1 yellow:1", "qing:5 ming:3 republican:2", "han"),
    _a(9, "skirt:4 jacket:3 trousers:2", "butterfly:5 plum-blossom:2 lotus:1 key-fret:2", "key-fret:4 butterfly:1 cloud:1",
       "batik", "cotton:6 hemp:3", "blue:6 dark-blue:4", "republican:6 qing:4", "miao"),
    _a(7, "jacket:4 skirt:3 hat:1", "butterfly:4 dragon:3 phoenix:2", "key-fret:3 plum-blossom:1 butterfly:1",
       "embroidery", "cotton:3 silk:3 hemp:1", "black:5 dark-blue:3 red:2", "republican:6 qing:4", "miao"),
    _a(8, "cloud-collar", "peony:3 phoenix:2 butterfly:2 lotus:2 bat:1", "cloud:3 butterfly:2 plum-blossom:1 bat:1",
       "embroidery:6 couched-gold:1", "satin:6 silk:3", "red:3 black:3 dark-blue:2 green:2 yellow:1 blue:1",
       "qing:7 republican:3", "han:8 manchu:2"),
    _a(7, "hat", "cloud:3 bat:3 longevity:3 dragon:1", "bat:2 cloud:2 key-fret:2 longevity:1",
       "embroidery:4 couched-gold:2 brocade:2", "satin:6 silk:2 cotton:1", "black:4 dark-blue:3 red:3",
       "qing:6 republican:4", "manchu:4 han:5 miao:1"),
    _a(8, "shoes", "peony:3 butterfly:3 lotus:2 plum-blossom:2 bat:1", "butterfly:2 plum-blossom:1 cloud:1 bat:1",
       "embroidery", "satin:5 silk:3 cotton:2", "red:3 green:2 blue:2 black:2 white:2 yellow:1 dark-blue:1",
       "qing:6 republican:4", "manchu:3 han:5 miao:1"),
    _a(6, "shirt:4 robe:2 trousers:2", "crane:2 lotus:3 plum-blossom:3 cloud:2", "cloud:2 key-fret:2 longevity:1 bat:1",
       "brocade:3 kesi:2 printing:2 embroidery:2", "gauze:4 hemp:4 silk:1", "white:5 blue:3 green:3",
       "ming:4 qing:4 republican:2", "han"),
    _a(6, "robe:3 surcoat:3 jacket:3 skirt:1", "phoenix", "peony:5 cloud:3 bat:2 butterfly:1",
       "embroidery:5 couched-gold:4", "satin:8 silk:2", "red:9 green:1", "qing:5 republican:5", "han"),
    _a(6, "robe:2 shirt:3 trousers:3 jacket:2", "longevity:3 plum-blossom:2 lotus:2 butterfly:1 peony:2 bat:1",
       "key-fret:3 cloud:2 bat:2 longevity:1", "printing", "cotton:8 hemp:2", "blue:7 dark-blue:3",
       "republican:6 qing:4", "han:9 miao:1"),
]


def _choose(rng: np.random.Generator, weights: dict) -> str:
    names = list(weights)
    p = np.array([weights[n] for n in names], dtype=float)
    return names[int(rng.choice(len(names), p=p / p.sum()))]


def sample_art(rng: np.random.Generator) -> DemoArt:
    """One object: an archetype, then a consistent choice in every facet."""
    arch = ARCHETYPES[int(rng.choice(len(ARCHETYPES), p=_archetype_p()))]
    garment = _choose(rng, arch.garments)
    era = _choose(rng, arch.eras)
    region = _choose(rng, arch.regions)
    if era == "ming" and region == "manchu":
        region = "han"  # Manchu dress belongs to the Qing and after
    return DemoArt(garment, _motifs(rng, arch, garment), _choose(rng, arch.techniques),
                   _choose(rng, arch.materials), _choose(rng, arch.colours), era, region)


def _archetype_p() -> np.ndarray:
    w = np.array([a.weight for a in ARCHETYPES], dtype=float)
    return w / w.sum()


def _motifs(rng: np.random.Generator, arch: Archetype, garment: str) -> tuple[str, ...]:
    """The lead motif and up to two more, without motifs the garment has no place for."""
    lead = _choose(rng, arch.lead)
    pool = {m: w for m, w in arch.extra.items() if m != lead
            and not (m == "sea-wave" and garment in HEMLESS) and not (m == "key-fret" and garment in BORDERLESS)}
    wanted = min(len(pool), int(rng.choice(3, p=[0.25, 0.45, 0.3])))
    extra = []
    for _ in range(wanted):
        pick = _choose(rng, pool)
        extra.append(pick)
        del pool[pick]
    return (lead, *extra)


# -- catalogue records -------------------------------------------------------------------------
SIZES = {  # (what is measured, low, high) in cm, per garment
    "robe": ("L × sleeve span", (128, 148), (176, 212)), "surcoat": ("L × sleeve span", (104, 126), (148, 176)),
    "jacket": ("L × sleeve span", (64, 82), (138, 170)), "shirt": ("L × sleeve span", (98, 126), (128, 152)),
    "skirt": ("L × waist", (84, 100), (96, 124)), "horse-face-skirt": ("L × waist", (86, 100), (100, 126)),
    "trousers": ("L × waist", (88, 102), (40, 52)), "cloud-collar": ("W × H", (52, 72), (48, 66)),
    "rank-badge": ("W × H", (28, 33), (28, 33)), "hat": ("D × H", (24, 31), (14, 21)),
    "shoes": ("L × H", (13, 25), (8, 16)),
}
YEARS = {"ming": (1550, 1640), "qing": (1760, 1908), "republican": (1914, 1946)}
PROVENANCE = ["Gift of the Liu family, 1987", "Purchased in Beijing, 1956", "Transferred from the municipal museum, 1961",
              "Bequest of Mrs. Helen Wu, 2002", "Purchased at auction, Hong Kong, 1995",
              "Gift of Professor Zhang Wei, 2010", "Old collection; accession records lost"]
PROVENANCE_MIAO = ["Field collection, Taijiang, Guizhou, 1984", "Field collection, Kaili, Guizhou, 1991",
                   "Field collection, Qiandongnan, Guizhou, 1983"]


@dataclass
class DemoRecord:
    """One row of the demo sheet."""
    file: str
    accession: str
    title: str
    description: str
    labels: list[str]
    dimensions: str
    date: str
    provenance: str
    language: str = ""

    def row(self) -> list[str]:
        return [self.file, self.accession, self.title, self.description, "|".join(self.labels),
                self.dimensions, self.date, self.provenance]


def accession_number(seed: int, index: int) -> str:
    """DEMO-0001 … for seed 0; other seeds get their own range so two demos never collide."""
    return f"DEMO-{index + 1:04d}" if seed == 0 else f"DEMO-S{seed}-{index + 1:04d}"


def _record(art: DemoArt, accession: str, rng: np.random.Generator) -> DemoRecord:
    title, description, language = caption(art, rng)
    what, first, second = SIZES[art.garment]
    dims = f"{what}: {int(rng.integers(*first))} × {int(rng.integers(*second))} cm"
    lo, hi = YEARS[art.era]
    date = f"c. {int(rng.integers(lo, hi)) // 10 * 10}"
    places = PROVENANCE_MIAO if art.region == "miao" and rng.random() < 0.7 else PROVENANCE
    labels = [art.garment, *art.motifs, art.technique, art.material, art.colour, art.era, art.region]
    return DemoRecord(f"{accession}.jpg", accession, title, description, labels, dims, date,
                      places[int(rng.integers(len(places)))], language)


def plan_demo(seed: int = 0, count: int = 300) -> list[tuple[DemoArt, DemoRecord, np.random.SeedSequence]]:
    """What the demo holds, item by item: the picture's content, its record, its drawing seed.

    Each item has its own seed sequence, so items can be drawn in any order or in parallel."""
    if seed < 0 or count < 1:
        raise WenyangError("The demo needs a seed of 0 or more and a count of at least 1.")
    plan = []
    for index, child in enumerate(np.random.SeedSequence(seed).spawn(count)):
        catalogue, drawing = child.spawn(2)
        rng = np.random.default_rng(catalogue)
        art = sample_art(rng)
        plan.append((art, _record(art, accession_number(seed, index), rng), drawing))
    return plan


# -- files and library -------------------------------------------------------------------------
def _draw(folder: Path, art: DemoArt, record: DemoRecord, seed: np.random.SeedSequence) -> None:
    """Render one picture and write it with fixed settings (no metadata, no timestamps)."""
    image = render(art, np.random.default_rng(seed))
    tmp = folder / f".{record.file}{owner_tag()}.part"
    image.save(tmp, **JPEG_SAVE)
    tmp.replace(folder / record.file)


def write_sheet(path: Path, records: list[DemoRecord]) -> None:
    """The metadata sheet (UTF-8 CSV, labels as ids separated by '|'), byte-stable."""
    with open(path, "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(COLUMNS)
        writer.writerows(r.row() for r in records)


def generate_demo(folder: str | Path, seed: int = 0, count: int = 300,
                  progress: ProgressFn | None = None, workers: int = 2,
                  cancel: threading.Event | None = None) -> Path:
    """Write ``count`` demo photos and their metadata sheet into ``folder``; returns the sheet.

    ``progress`` gets Progress('generate', done, total) as pictures are finished; ``cancel``
    stops early (the sheet is then not written, so a half demo is never imported by mistake)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    plan = plan_demo(seed, count)
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        futures = [pool.submit(_draw, folder, art, record, drawing) for art, record, drawing in plan]
        for done, future in enumerate(futures, 1):
            if cancel is not None and cancel.is_set():
                for f in futures:
                    f.cancel()
                raise Cancelled("Generating the demo collection was cancelled.")
            future.result()
            if progress:
                progress(Progress("generate", done, count))
    sheet = folder / SHEET_NAME
    write_sheet(sheet, [record for _, record, _ in plan])
    return sheet


DEMO_COLLECTIONS = {
    "Dragon robes 龙袍": ("Robes with dragons: the Qing court's signature garment.",
                        lambda labels: {"robe", "dragon"} <= labels),
    "Blue and white 青白": ("Resist-dyed and printed textiles: pale designs on indigo.",
                          lambda labels: bool({"blue", "dark-blue"} & labels and {"batik", "printing"} & labels)),
}


@dataclass
class DemoLibrary:
    """What ``create_demo_library`` did."""
    root: Path
    sheet: Path
    report: ImportReport
    collections: dict[str, int] = field(default_factory=dict)


def create_demo_library(library, seed: int = 0, count: int = 300,
                        progress: ProgressFn | None = None,
                        source: str | Path | None = None, cancel: threading.Event | None = None) -> DemoLibrary:
    """Generate the demo into ``<library>/demo-source/`` (or ``source``), import it without
    copying, and fill two demo collections. ``library`` is a folder or an open Library.

    ``progress`` gets the stages 'generate', then 'import'."""
    from app.store import open_library

    own = not hasattr(library, "items")
    lib = open_library(library, create=True) if own else library
    try:
        folder = Path(source) if source is not None else lib.root / "demo-source"
        sheet = generate_demo(folder, seed, count, progress=progress, cancel=cancel)
        report = _import(lib, folder, sheet, seed, count, progress, cancel)
        return DemoLibrary(lib.root, sheet, report, _fill_collections(lib, seed, count))
    finally:
        if own:
            lib.close()


def _import(lib: Library, folder: Path, sheet: Path, seed: int, count: int, progress, cancel):
    from app.services.importing import Importer, ImportOptions

    files = [folder / f"{accession_number(seed, i)}.jpg" for i in range(count)]  # not the sheet itself
    importer = Importer(lib, files, ImportOptions(metadata=sheet, copy=False), cancel)
    for event in importer.run():
        if progress:
            progress(event)
    return importer.report


def _fill_collections(lib: Library, seed: int, count: int) -> dict[str, int]:
    """Create (or top up) the demo collections with the demo's matching items."""
    ids = [lib.items.id_for_accession(accession_number(seed, i)) for i in range(count)]
    sizes = {}
    for name, (description, wanted) in DEMO_COLLECTIONS.items():
        try:
            lib.collections.get(name)
        except WenyangError:
            lib.collections.create(name, description)
        members = [i for i in ids if i is not None and wanted(set(lib.labels.labels_of(i)))]
        lib.collections.add(name, members)
        sizes[name] = lib.collections.get(name).size
    return sizes


# -- the shipped demo model --------------------------------------------------------------------
# An installation without PyTorch (the viewer bundle) cannot train the demo's model on first
# run, so the build trains it once (installer/demo_model.py, the same options, seed 0) and
# ships the ONNX model folder in models/demo/ with a manifest saying which demo it fits.
@dataclass
class DemoModelInstall:
    """What ``install_demo_model`` did (``model_id`` None when it was cancelled)."""
    model_id: str | None
    cancelled: bool = False
    encode: object | None = None  # app.services.encoding.EncodeReport


def shipped_demo_model(seed: int = 0, count: int = DEMO_COUNT, folder: str | Path | None = None) -> Path | None:
    """The shipped model folder for the demo of ``seed`` and ``count``, or None."""
    folder = Path(folder) if folder is not None else DEMO_MODEL_DIR
    try:
        manifest = json.loads((folder / DEMO_MODEL_MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if manifest.get("seed") != seed or manifest.get("count") != count or not (folder / "card.json").is_file():
        return None
    return folder


def install_demo_model(library, folder: str | Path, progress: ProgressFn | None = None,
                       cancel: threading.Event | None = None) -> DemoModelInstall:
    """Copy a shipped demo model into ``library`` (a folder or an open Library), register it
    and encode the library with it; ONNX Runtime only, no PyTorch. It becomes the active
    model once the library is encoded; cancelled, it is removed again.

    The model must fit the library's label scheme; its held-out items are matched to this
    library's items by accession number."""
    from app.runtime.model import CARD, read_card
    from app.services.encoding import encode_library
    from app.store import open_library

    folder = Path(folder)
    own = not hasattr(library, "items")
    lib = open_library(library) if own else library
    try:
        card = read_card(folder)
        manifest = json.loads((folder / DEMO_MODEL_MANIFEST).read_text(encoding="utf-8"))
        if card.get("scheme_fingerprint") != lib.scheme.fingerprint():
            raise WenyangError("The shipped demo model was trained on another label scheme than this "
                               "library's; it cannot be used here.")
        model_id = str(card["id"])
        held_out = (lib.items.id_for_accession(a) for a in manifest.get("holdout_accessions", []))
        card["holdout_items"] = sorted(i for i in held_out if i is not None)
        card["library"] = str(lib.root)
        target = lib.models_dir / model_id
        part = lib.models_dir / f".{model_id}{owner_tag()}.part"
        shutil.rmtree(part, ignore_errors=True)
        shutil.copytree(folder, part, ignore=shutil.ignore_patterns(DEMO_MODEL_MANIFEST))
        (part / CARD).write_text(json.dumps(card, ensure_ascii=False, indent=1), encoding="utf-8")
        shutil.rmtree(target, ignore_errors=True)
        part.replace(target)
        lib.models.register(model_id, int(card["bits"]), str(card["mode"]), card, activate=False)
        report = encode_library(lib, model_id, progress=progress, cancel=cancel)
        if report.cancelled:
            lib.models.delete(model_id)
            shutil.rmtree(target, ignore_errors=True)
            return DemoModelInstall(None, True, report)
        lib.models.activate(model_id)
        return DemoModelInstall(model_id, False, report)
    finally:
        if own:
            lib.close()
