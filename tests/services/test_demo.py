"""The demo collection: reproducible files, labels on the default scheme, both languages,
a clean import, and pictures whose pixels carry their labels."""
from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw

from app.cli import main as cli
from app.core.scheme import LabelScheme
from app.exchange.sheets import read_sheet
from app.media.demo.art import CANVAS, CUTS, DemoArt, _cut, render
from app.media.demo.motifs import Palette
from app.media.demo.place import draw_motifs
from app.paths import resource
from app.services.demo import SHEET_NAME, create_demo_library, generate_demo

COUNT = 40
CJK = re.compile(r"[\u4e00-\u9fff]")
LATIN = re.compile(r"[A-Za-z]{3,}")
MOTIFS = ["dragon", "phoenix", "crane", "bat", "butterfly", "peony", "lotus", "plum-blossom", "cloud",
          "sea-wave", "key-fret", "longevity"]


@pytest.fixture(scope="module")
def demos(tmp_path_factory):
    """The same seed twice and another seed once, COUNT items each."""
    root = tmp_path_factory.mktemp("demos")
    return {name: generate_demo(root / name, seed=seed, count=count)
            for name, seed, count in (("a", 0, COUNT), ("b", 0, COUNT), ("other", 1, 10))}


def hashes(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def default_scheme() -> LabelScheme:
    return LabelScheme.from_dict(json.loads(resource("scheme", "default.json").read_text(encoding="utf-8")))


def test_same_seed_gives_byte_identical_files(demos):
    first, second = hashes(demos["a"].parent), hashes(demos["b"].parent)
    assert first == second
    assert len(first) == COUNT + 1 and SHEET_NAME in first
    assert len([n for n in first if n.endswith(".jpg")]) == COUNT


def test_another_seed_gives_another_collection(demos):
    same, other = hashes(demos["a"].parent), hashes(demos["other"].parent)
    assert not set(same.values()) & set(other.values())
    rows = read_sheet(demos["other"]).rows
    assert rows[0].accession == "DEMO-S1-0001"  # never collides with seed 0's DEMO-0001


def test_every_row_has_consistent_labels_on_the_default_scheme(demos):
    scheme = default_scheme()
    rows = read_sheet(demos["a"]).rows
    assert [r.accession for r in rows] == [f"DEMO-{i:04d}" for i in range(1, COUNT + 1)]
    for row in rows:
        facets = [scheme.resolve(ref).facet for ref in row.labels]
        assert all(scheme.resolve(ref).id == ref for ref in row.labels)
        assert 1 <= facets.count("motif") <= 3, row.labels
        for facet in ("category", "technique", "material", "colour", "era", "region"):
            assert facets.count(facet) == 1, (facet, row.labels)
        assert (Path(demos["a"]).parent / row.file).is_file()
        assert row.title and {"dimensions", "date", "provenance"} <= set(row.metadata)
        if "batik" in row.labels:
            assert "miao" in row.labels and {"blue", "dark-blue"} & set(row.labels)


def test_descriptions_are_bilingual_with_some_in_one_language(demos):
    descriptions = [r.description for r in read_sheet(demos["a"]).rows]
    both = [d for d in descriptions if CJK.search(d) and LATIN.search(d)]
    zh_only = [d for d in descriptions if CJK.search(d) and not LATIN.search(d)]
    en_only = [d for d in descriptions if LATIN.search(d) and not CJK.search(d)]
    assert len(both) + len(zh_only) + len(en_only) == COUNT
    assert len(both) > COUNT // 3 and zh_only and en_only
    assert len(set(descriptions)) == COUNT


def test_importer_takes_the_demo_without_skips_and_makes_collections(tmp_path):
    result = create_demo_library(tmp_path / "lib", seed=0, count=24)
    report = result.report
    assert report.added_items == 24 and not report.partial
    assert not report.skipped and not report.unknown_labels and not report.unmatched_rows
    assert (tmp_path / "lib" / "demo-source" / SHEET_NAME).is_file()
    assert set(result.collections) == {"Dragon robes 龙袍", "Blue and white 青白"}
    assert all(size > 0 for size in result.collections.values())
    again = create_demo_library(tmp_path / "lib", seed=0, count=24)
    assert again.report.added_items == 0 and len(again.report.duplicates) == 24
    assert again.collections == result.collections


def test_cli_writes_the_files_and_has_help(tmp_path, capsys):
    assert cli(["demo", str(tmp_path / "d"), "--seed", "2", "--count", "3", "-q"]) == 0
    assert len(list((tmp_path / "d").glob("*.jpg"))) == 3
    with pytest.raises(SystemExit) as exit_info:
        cli(["demo", "--help"])
    assert exit_info.value.code == 0 and "--library" in capsys.readouterr().out


def _art(garment="robe", colour="red", motifs=("cloud",), era="qing", region="han") -> DemoArt:
    return DemoArt(garment, motifs, "embroidery", "satin", colour, era, region)


def _photo(art: DemoArt, seed: int) -> np.ndarray:
    return np.asarray(render(art, np.random.default_rng(seed)), dtype=np.float32)


def _garment_rgb(art: DemoArt, seed: int) -> np.ndarray:
    """The median colour of the middle of the photo, where the garment lies (motifs are a minority)."""
    img = _photo(art, seed)
    h, w, _ = img.shape
    return np.median(img[int(h * 0.35):int(h * 0.65), int(w * 0.35):int(w * 0.65)].reshape(-1, 3), axis=0)


def test_colour_labels_show_in_the_garment_colour():
    colours = ["red", "yellow", "blue", "green", "black", "white"]
    means = {c: [_garment_rgb(_art(g, c), s) for s, g in enumerate(["robe", "jacket", "skirt", "hat"])]
             for c in colours}
    red, yellow, blue, green = (np.mean(means[c], axis=0) for c in ("red", "yellow", "blue", "green"))
    assert red[0] - red[2] > 60 and blue[2] - blue[0] > 60
    assert yellow[:2].mean() - yellow[2] > 60 and green[1] > max(green[0], green[2]) + 20
    assert np.mean(means["white"]) - np.mean(means["black"]) > 100
    centroids = {c: np.mean(v[:2], axis=0) for c, v in means.items()}  # nearest centroid on held-out items
    guesses = [min(centroids, key=lambda k: np.linalg.norm(m - centroids[k])) == c
               for c, v in means.items() for m in v[2:]]
    assert np.mean(guesses) >= 0.9


def _silhouette(art: DemoArt, seed: int) -> np.ndarray:
    """The footprint of a red garment (strong chroma; the backdrops are near grey) on a 16×16 grid."""
    img = _photo(art, seed)
    fg = (img.max(axis=2) - img.min(axis=2)) > 60
    small = Image.fromarray(fg.astype(np.uint8) * 255).resize((16, 16), Image.BOX)
    return np.asarray(small, dtype=np.float32) / 255


def test_garment_labels_show_in_the_silhouette():
    garments = ["robe", "horse-face-skirt", "trousers", "cloud-collar", "rank-badge", "hat", "shoes"]
    shapes = {g: [_silhouette(_art(g, colour="red"), s) for s in range(5)] for g in garments}
    centroids = {g: np.mean(v[:3], axis=0) for g, v in shapes.items()}
    guesses = [min(centroids, key=lambda k: np.abs(m - centroids[k]).sum()) == g
               for g, v in shapes.items() for m in v[3:]]
    assert np.mean(guesses) >= 0.8


@pytest.mark.parametrize("garment", sorted(CUTS))
def test_every_motif_is_drawn_on_every_garment(garment):
    pal = Palette((200, 40, 40), (40, 90, 170), (230, 150, 40), (240, 230, 200), (30, 25, 30))
    for motif in MOTIFS:
        rng = np.random.default_rng(0)
        cut = _cut(_art(garment), rng).scaled(CANVAS)
        mask = Image.new("L", (CANVAS, CANVAS), 0)
        for poly in cut.outline:
            ImageDraw.Draw(mask).polygon(poly, fill=255)
        mask_arr = np.asarray(mask, dtype=np.float32) / 255
        layer = Image.new("RGBA", (CANVAS, CANVAS), (0, 0, 0, 0))
        draw_motifs(ImageDraw.Draw(layer), cut, (motif,), pal, (20, 20, 40), mask_arr, rng)
        on_cloth = (np.asarray(layer)[..., 3] > 0) & (mask_arr > 0.5)
        assert on_cloth.mean() > 0.002, (garment, motif)
