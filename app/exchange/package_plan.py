"""Deciding what a package adds to a library, and writing it (inside the caller's transaction)."""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import PurePosixPath
from typing import TYPE_CHECKING

from app.core.errors import SchemeError
from app.core.models import Item, Photo
from app.core.scheme import LabelScheme
from app.exchange.package_format import PackageError
from app.exchange.photos import FORMAT_SUFFIX
from app.media.images import IMAGE_SUFFIXES

if TYPE_CHECKING:
    from app.store import Library


@dataclass
class Plan:
    new: list[dict] = field(default_factory=list)              # package items to add
    ids: dict[str, int] = field(default_factory=dict)          # accession → id in this library
    photo_paths: dict[str, str] = field(default_factory=dict)  # member → library-relative path
    imported_photos: list[tuple[str, str]] = field(default_factory=list)  # (sha256, path) written


def library_path(member: str, sha256: str, fmt: str) -> str:
    """Where a package photo lives in the library: ``photos/ab/<sha256>.<ext>``, the layout
    ``import --copy`` uses. Built from the hash alone, never from the member's name."""
    suffix = PurePosixPath(member).suffix.lower()
    if suffix not in IMAGE_SUFFIXES:
        suffix = FORMAT_SUFFIX.get(fmt, ".img")
    return f"photos/{sha256[:2]}/{sha256}{suffix}"


def plan_items(lib: Library, checked, report) -> Plan:
    """Split the package's items into new ones and ones the library already has."""
    plan = Plan()
    for item in checked.items:
        accession = item["accession"]
        existing = lib.items.id_for_accession(accession)
        if existing is not None:
            plan.ids[accession] = existing
            report.skipped.append((accession, "this library already has an item with this "
                                              "accession number (left unchanged)"))
            continue
        owner = next((o for o in (lib.items.item_for_photo_hash(p["sha256"])
                                  for p in item.get("photos", [])) if o is not None), None)
        if owner is not None:
            plan.ids[accession] = owner
            report.skipped.append((accession, f"its photo is already in this library as item "
                                              f"{lib.items.get(owner).accession!r}"))
            continue
        plan.new.append(item)
        for photo in item.get("photos", []):
            facts = checked.photos[photo["file"]]
            plan.photo_paths[photo["file"]] = library_path(photo["file"], facts.sha256, facts.format)
    return plan


def merged_scheme(current: LabelScheme, incoming: LabelScheme, take_names: bool,
                  report) -> LabelScheme | None:
    """This library's scheme plus the package's labels it lacks; None when nothing changes.

    Labels are matched by their stable id. A label both schemes have keeps this library's
    names and place (the curator's scheme wins) unless ``take_names``.
    """
    facets = dict(current.facets)
    labels = dict(current.labels)
    added = [l for l in incoming.labels.values() if l.id not in labels]
    facets.update({f.id: f for f in incoming.facets.values() if f.id not in facets})
    labels.update({l.id: l for l in added})
    renamed = _names(current, incoming, labels, facets, take_names, report)
    moved = [l.id for l in incoming.labels.values() if l.id in current.labels
             and (current.labels[l.id].parent, current.labels[l.id].facet) != (l.parent, l.facet)]
    if moved:
        report.notes.append(f"{len(moved)} label(s) sit elsewhere in this library's scheme "
                            f"(e.g. {moved[0]}); this library's places were kept.")
    if not (added or renamed or len(facets) != len(current.facets)):
        return None
    try:
        merged = LabelScheme(facets.values(), labels.values(), current.version)
    except SchemeError as exc:
        raise PackageError(f"The package's label scheme cannot be merged into this library's: "
                           f"{exc}") from None
    report.added_labels = [merged.keyword_path(l.id) for l in added]
    return merged


def _names(current, incoming, labels, facets, take_names: bool, report) -> list[str]:
    """Labels and facets named differently in the package: adopt or note. Returns those adopted."""
    differ = [l for l in incoming.labels.values() if l.id in current.labels
              and (l.name_en, l.name_zh) != (current.labels[l.id].name_en, current.labels[l.id].name_zh)]
    differ_facets = [f for f in incoming.facets.values() if f.id in current.facets
                     and (f.name_en, f.name_zh) != (current.facets[f.id].name_en, current.facets[f.id].name_zh)]
    if not take_names:
        if differ or differ_facets:
            report.notes.append(f"{len(differ) + len(differ_facets)} label/facet name(s) differ in the "
                                "package; this library's names were kept (to adopt the package's "
                                "names, import it again with --take-label-names).")
        return []
    for l in differ:
        labels[l.id] = replace(labels[l.id], name_en=l.name_en, name_zh=l.name_zh)
    for f in differ_facets:
        facets[f.id] = replace(facets[f.id], name_en=f.name_en, name_zh=f.name_zh)
    return [l.id for l in differ] + [f.id for f in differ_facets]


def write_items(lib: Library, checked, plan: Plan, report) -> None:
    """Add the planned items with their photos, labels (with their source) and timestamps."""
    for item in plan.new:
        item_id = lib.items.add(Item(accession=item["accession"], title=item.get("title", ""),
                                     description=item.get("description", ""),
                                     metadata=item.get("metadata", {})))
        for k, photo in enumerate(item.get("photos", [])):
            facts = checked.photos[photo["file"]]
            rel = plan.photo_paths[photo["file"]]
            lib.items.add_photo(item_id, Photo(
                path=rel, sha256=facts.sha256, size=facts.size, width=facts.width,
                height=facts.height, format=facts.format, note=photo.get("note", "")),
                position=photo.get("position", k))
            plan.imported_photos.append((facts.sha256, rel))
            report.added_photos += 1
        by_source: dict[str, list[str]] = {}
        for label in item.get("labels", []):
            by_source.setdefault(label.get("source", "import"), []).append(label["id"])
        for source, label_ids in by_source.items():
            lib.labels.tag([item_id], label_ids, source=source)
        # tagging touched 'modified'; the package's own times are the true history
        lib.items.set_times(item_id, item.get("created", ""), item.get("modified", ""))
        plan.ids[item["accession"]] = item_id
        report.added_items += 1


def write_collections(lib: Library, doc: dict, plan: Plan, report) -> None:
    """Create the package's collections (or add to same-named ones) in the package's order."""
    for coll in doc.get("collections", []):
        name = coll["name"].strip()
        members = [plan.ids[a] for a in coll["items"] if a in plan.ids]
        if lib.collections.exists(name):
            report.extended_collections.append(name)
        else:
            lib.collections.create(name, coll.get("description", ""))
            report.created_collections.append(name)
        lib.collections.add(name, members)
