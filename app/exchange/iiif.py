"""Export a selection as IIIF Presentation 3.0: one Manifest per item, one Canvas per photo,
and a Collection listing the manifests, with the photos beside them.

The output folder is a static IIIF site::

    collection.json            the Collection (open this in a viewer)
    manifests/ACC.json         one Manifest per item
    images/ACC.jpg             the photos (originals, or resized)

Every ``id`` is ``base_uri`` + the file's path in the folder, so the folder can be copied to a
web server at ``base_uri`` as it is. Without a base URI the folder's own ``file://`` URI is
used, which desktop viewers can open directly.
"""
from __future__ import annotations

import json
import re
import threading
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote

from app.core.jobs import ProgressFn
from app.core.safe_text import iiif_label, iiif_text
from app.core.scheme import LabelScheme
from app.exchange.common import (
    ExportError,
    ExportResult,
    Job,
    Selection,
    atomic_dir,
    safe_name,
    unique_name,
)
from app.exchange.photos import MIME, PhotoOut, write_all, write_photo

if TYPE_CHECKING:
    from app.store import Library

CONTEXT = "http://iiif.io/api/presentation/3/context.json"
IMAGES, MANIFESTS, COLLECTION = "images/", "manifests/", "collection.json"
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_URI = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:")


def lang_of(text: str) -> str:
    """'zh' for text with Chinese characters, 'en' otherwise (titles carry no language tag)."""
    return "zh" if _CJK.search(text) else "en"


def text_map(text: str) -> dict:
    """A language map for a value a viewer may render (summary, metadata values): curators'
    text stays text, never markup (``app.core.safe_text``)."""
    return {lang_of(text): [iiif_text(text)]}


def label_map(text: str) -> dict:
    """A language map for a ``label``, which may hold no markup at all."""
    return {lang_of(text): [iiif_label(text)]}


def both(en: str, zh: str) -> dict:
    return {"en": [en], "zh": [zh]}


def export_iiif(lib: Library, selection: Selection, out: str | Path, base_uri: str | None = None,
                max_side: int | None = None, progress: ProgressFn | None = None,
                cancel: threading.Event | None = None, workers: int = 2) -> ExportResult:
    """Write the static IIIF site into the new folder ``out`` (atomically)."""
    job, out = Job(progress, cancel), Path(out)
    result = ExportResult(out, "iiif")
    base = normalise_base(base_uri, out)
    scheme = lib.scheme
    with atomic_dir(out) as tmp:
        (tmp / IMAGES).mkdir()
        (tmp / MANIFESTS).mkdir()

        def writer(photo: PhotoOut):
            with open(tmp / IMAGES / photo.name, "wb") as handle:
                return write_photo(photo, handle)

        records = write_all(lib, selection, job, result, writer, max_side, IMAGES, workers)
        refs = write_manifests(tmp, records, scheme, base, job, result)
        _write_json(tmp / COLLECTION, build_collection(selection, base, refs))
    result.bytes = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    result.seconds = job.seconds()
    return result


def write_manifests(folder: Path, records: list[dict], scheme: LabelScheme, base: str, job: Job,
                    result: ExportResult) -> list[dict]:
    """One manifest file per item; returns the references the Collection lists."""
    refs: list[dict] = []
    taken: set[str] = set()
    for n, record in enumerate(records):
        job.step(n, len(records), "writing", record["accession"])
        if not record["photos"]:  # a Manifest must have a Canvas; without a photo it has none
            result.notes.append(f"{record['accession']} has no readable photo; no manifest.")
            continue
        name = unique_name(safe_name(record["accession"]) + ".json", taken)
        manifest = build_manifest(record, scheme, base, MANIFESTS + name)
        _write_json(folder / MANIFESTS / name, manifest)
        refs.append({"id": manifest["id"], "type": "Manifest", "label": manifest["label"]})
    return refs


def valid_base_uri(base: str) -> bool:
    """True when ``base`` starts with a URI scheme (https:, file: …), as every IIIF id must."""
    return bool(_URI.match(base))


def normalise_base(base_uri: str | None, out: Path) -> str:
    """The base every id starts with; always ends in '/'."""
    base = base_uri if base_uri else out.resolve().as_uri()
    if not valid_base_uri(base):
        raise ExportError(f"The base URI {base!r} needs a scheme, e.g. https://museum.example/iiif/ "
                          "or file:///exports/site/.")
    return base if base.endswith("/") else base + "/"


def build_manifest(record: dict, scheme: LabelScheme, base: str, path: str) -> dict:
    """A Presentation 3.0 Manifest for one exported item record."""
    manifest_id = base + quote(path)
    canvas_base = manifest_id.removesuffix(".json")
    title = record["title"].strip()
    manifest = {
        "@context": CONTEXT, "id": manifest_id, "type": "Manifest",
        "label": label_map(title) if title else {"none": [iiif_label(record["accession"])]},
        "metadata": manifest_metadata(record, scheme),
        "items": [build_canvas(photo, base, f"{canvas_base}/canvas/{k}", k)
                  for k, photo in enumerate(record["photos"], start=1)],
    }
    if record["description"].strip():
        manifest["summary"] = text_map(record["description"].strip())
    if record["photos"]:
        manifest["thumbnail"] = [image_body(record["photos"][0], base)]
    return manifest


def build_canvas(photo: dict, base: str, canvas_id: str, k: int) -> dict:
    """A Canvas the size of the photo, painted by the photo."""
    annotation = {"id": f"{canvas_id}/annotation/1", "type": "Annotation",
                  "motivation": "painting", "body": image_body(photo, base), "target": canvas_id}
    return {"id": canvas_id, "type": "Canvas", "label": both(f"Photo {k}", f"照片 {k}"),
            "width": photo["width"], "height": photo["height"],
            "items": [{"id": f"{canvas_id}/page/1", "type": "AnnotationPage",
                       "items": [annotation]}]}


def image_body(photo: dict, base: str) -> dict:
    return {"id": base + quote(photo["file"]), "type": "Image",
            "format": MIME.get(photo["format"], "image/jpeg"),
            "width": photo["width"], "height": photo["height"]}


def manifest_metadata(record: dict, scheme: LabelScheme) -> list[dict]:
    """Label/value pairs a viewer shows beside the photos, in English and Chinese."""
    entries = [{"label": both("Accession number", "藏品编号"), "value": {"none": [iiif_text(record["accession"])]}}]
    if record["title"].strip():
        entries.append({"label": both("Title", "标题"), "value": text_map(record["title"].strip())})
    entries += facet_entries(record, scheme)
    for key, value in record["metadata"].items():
        text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
        if text.strip():
            entries.append({"label": label_map(str(key)), "value": text_map(text)})
    if record["collections"]:
        entries.append({"label": both("Collections", "收藏集"),
                        "value": {"none": [iiif_text(c) for c in record["collections"]]}})
    if "distance" in record:
        entries.append({"label": both("Hamming distance", "汉明距离"),
                        "value": {"none": [f"{record['distance']:g}"]}})
    return entries


def facet_entries(record: dict, scheme: LabelScheme) -> list[dict]:
    """One entry per facet: the item's explicit labels (below the facet) in both languages."""
    by_facet: dict[str, list[str]] = {}
    for label in record["labels"]:
        if label["id"] in scheme.labels:
            by_facet.setdefault(scheme.labels[label["id"]].facet, []).append(label["id"])
    entries = []
    for facet in scheme.facets.values():
        ids = by_facet.get(facet.id)
        if ids:
            value = {lang: [iiif_text(" > ".join(scheme.path(i, lang)[1:])) for i in ids] for lang in ("en", "zh")}
            entries.append({"label": both(facet.name_en, facet.name_zh), "value": value})
    return entries


def build_collection(selection: Selection, base: str, refs: list[dict]) -> dict:
    """The Collection that lists every manifest of the export."""
    return {"@context": CONTEXT, "id": base + COLLECTION, "type": "Collection",
            "label": label_map(selection.name), "items": refs}


def _write_json(path: Path, data: dict) -> None:
    path.write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
