"""IIIF Presentation 3.0: valid against the schema, and what a viewer needs is really there."""
from __future__ import annotations

import copy
import hashlib
import json
from pathlib import Path
from urllib.parse import unquote

import jsonschema
import pytest
from PIL import Image

from app.exchange.common import ExportError, select_all, select_collection, select_items
from app.exchange.iiif import export_iiif
from tests.exchange.conftest import LOANS

SCHEMA = json.loads((Path(__file__).parent / "iiif_presentation_3.schema.json").read_text("utf-8"))
jsonschema.Draft202012Validator.check_schema(SCHEMA)
VALIDATOR = jsonschema.Draft202012Validator(SCHEMA)


def load(path: Path) -> dict:
    data = json.loads(path.read_text(encoding="utf-8"))
    errors = sorted(VALIDATOR.iter_errors(data), key=lambda e: e.path)
    assert not errors, f"{path.name}: {[e.message for e in errors[:3]]}"
    return data


def local(out: Path, base: str, uri: str) -> Path:
    assert uri.startswith(base)
    return out / unquote(uri[len(base):])


def test_every_document_validates_and_points_at_real_images(source, tmp_path):
    out = tmp_path / "site"
    result = export_iiif(source, select_all(source), out)
    base = out.resolve().as_uri() + "/"
    collection = load(out / "collection.json")
    assert collection["id"] == base + "collection.json" and len(collection["items"]) == 42
    canvas_ids = set()
    for ref in collection["items"]:
        manifest = load(local(out, base, ref["id"]))
        assert (manifest["id"], manifest["label"], manifest["type"]) == (ref["id"], ref["label"], "Manifest")
        accession = manifest["metadata"][0]["value"]["none"][0]
        photos = source.items.get_by_accession(accession).photos
        assert len(manifest["items"]) == len(photos)
        for canvas, photo in zip(manifest["items"], photos):
            annotation = canvas["items"][0]["items"][0]
            body = annotation["body"]
            assert annotation["target"] == canvas["id"] and canvas["id"] not in canvas_ids
            canvas_ids.add(canvas["id"])
            image_path = local(out, base, body["id"])
            with Image.open(image_path) as img:
                assert img.size == (body["width"], body["height"]) == (canvas["width"], canvas["height"])
            assert body["format"] == "image/jpeg"
            assert hashlib.sha256(image_path.read_bytes()).hexdigest() == photo.sha256
    assert result.photos == 43 and result.bytes > 0


def test_labels_and_metadata_are_bilingual_language_maps(source, tmp_path):
    first = source.items.get(source.items.ids()[0])
    export_iiif(source, select_items(source, [first.id]), tmp_path / "one")
    [manifest_file] = (tmp_path / "one" / "manifests").iterdir()
    manifest = load(manifest_file)
    assert manifest["label"] == {"zh": ["明黄缎绣龙纹袍"]}
    assert manifest["summary"]["zh"][0].startswith("石青缎绣云蝠纹女褂")
    entries = {json.dumps(e["label"], ensure_ascii=False): e["value"] for e in manifest["metadata"]}
    motif = entries[json.dumps({"en": ["Motif"], "zh": ["纹样"]}, ensure_ascii=False)]
    assert motif == {"en": ["Animal > Dragon"], "zh": ["动物纹 > 龙"]}
    assert entries['{"en": ["Accession number"], "zh": ["藏品编号"]}'] == {"none": [first.accession]}
    assert entries['{"zh": ["尺寸"]}'] == {"en": ["140cm"]}
    assert entries['{"en": ["Collections"], "zh": ["收藏集"]}'] == {"none": [LOANS]}
    assert [c["label"] for c in manifest["items"]] == [{"en": ["Photo 1"], "zh": ["照片 1"]},
                                                       {"en": ["Photo 2"], "zh": ["照片 2"]}]


def test_base_uri_and_resized_images(source, tmp_path):
    out = tmp_path / "loans"
    export_iiif(source, select_collection(source, LOANS), out,
                base_uri="https://museum.example/iiif/loans", max_side=100)
    base = "https://museum.example/iiif/loans/"
    collection = load(out / "collection.json")
    assert collection["label"] == {"en": [LOANS]} and collection["id"] == base + "collection.json"
    for ref in collection["items"]:
        manifest = load(local(out, base, ref["id"]))
        for canvas in manifest["items"]:
            body = canvas["items"][0]["items"][0]["body"]
            with Image.open(local(out, base, body["id"])) as img:
                assert max(img.size) <= 100 and img.size == (body["width"], body["height"])


def test_a_base_uri_without_a_scheme_is_refused(source, tmp_path):
    with pytest.raises(ExportError, match="needs a scheme"):
        export_iiif(source, select_all(source), tmp_path / "x", base_uri="museum.example/iiif")
    assert not (tmp_path / "x").exists()


@pytest.mark.parametrize("break_it", [
    lambda m: m.pop("@context"),
    lambda m: m.update(label="a plain string"),
    lambda m: m.update(items=[]),
    lambda m: m["items"][0].pop("width"),
    lambda m: m["items"][0]["items"][0]["items"][0].update(motivation="commenting"),
    lambda m: m["items"][0]["items"][0]["items"][0]["body"].pop("format"),
    lambda m: m["items"][0]["items"][0]["items"][0].update(target="not a uri"),
    lambda m: m["metadata"].append({"label": {"en": ["no value"]}}),
])
def test_the_schema_is_not_vacuous(source, tmp_path, break_it):
    export_iiif(source, select_items(source, source.items.ids()[:1]), tmp_path / "one")
    [manifest_file] = (tmp_path / "one" / "manifests").iterdir()
    broken = copy.deepcopy(load(manifest_file))
    break_it(broken)
    assert not VALIDATOR.is_valid(broken)
