"""``wenyang labels ...``: the label scheme."""
from __future__ import annotations

import json
import sys
from pathlib import Path

from app.cli.common import action_group, open_from_args
from app.core.errors import SchemeError
from app.core.scheme import LabelScheme, scheme_from_keyword_paths
from app.services import ops


def register(sub) -> None:
    action = action_group(sub, "labels", "Show and edit the label scheme.")

    p = action("list", "Show the scheme as a tree with item counts.", run_list)
    p.add_argument("--lang", choices=["en", "zh"], default="en")
    p = action("add", "Add a label under a parent label or at the top of a facet.", run_add)
    p.add_argument("name_en", help="English name")
    p.add_argument("--zh", default="", help="Chinese name")
    p.add_argument("--parent", help="parent label (id, name or path)")
    p.add_argument("--facet", help="facet, for a top-level label")
    p = action("rename", "Rename a label (its id, and so trained models, stay valid).", run_rename)
    p.add_argument("label")
    p.add_argument("--en", help="new English name")
    p.add_argument("--zh", help="new Chinese name")
    p = action("move", "Move a label (and its children) under another label or facet.", run_move)
    p.add_argument("label")
    p.add_argument("--parent", help="new parent label")
    p.add_argument("--facet", help="move to the top of this facet")
    p = action("merge", "Merge a label into another; its items are re-tagged.", run_merge)
    p.add_argument("source")
    p.add_argument("target")
    p = action("delete", "Delete a label (refused while items use it, unless --force).", run_delete)
    p.add_argument("label")
    p.add_argument("--force", action="store_true", help="untag the items that use it")
    p = action("export", "Export the scheme as JSON or keyword paths.", run_export)
    p.add_argument("output", type=Path, help="file to write ('-' for standard output)")
    p.add_argument("--format", choices=["json", "paths"], help="default: by file extension")
    p.add_argument("--lang", choices=["en", "zh"], default="en", help="language of keyword paths")
    p = action("import", "Merge a scheme from JSON or keyword paths (nothing is deleted).", run_import)
    p.add_argument("input", type=Path)
    p.add_argument("--format", choices=["json", "paths"], help="default: by file extension")
    p.add_argument("--lang", choices=["en", "zh"], default="en", help="language of keyword paths")


def run_list(args) -> int:
    with open_from_args(args) as lib:
        scheme, counts = lib.scheme, lib.labels.counts()
        for facet in scheme.facets.values():
            print(f"{facet.name(args.lang)} [{facet.id}]")
            _print_tree(scheme, counts, None, facet.id, 1, args.lang)
        print(f"({len(scheme.labels)} labels, scheme version {scheme.version}, "
              f"fingerprint {scheme.fingerprint()})")
    return 0


def _print_tree(scheme, counts, parent, facet, depth, lang) -> None:
    for label in scheme.children(parent, facet):
        other = label.name("en" if lang == "zh" else "zh")
        print(f"{'  ' * depth}{label.name(lang)} / {other} [{label.id}] ({counts.get(label.id, 0)})")
        _print_tree(scheme, counts, label.id, facet, depth + 1, lang)


def run_add(args) -> int:
    with open_from_args(args) as lib:
        label = ops.AddLabel(args.name_en, args.zh, parent=args.parent, facet=args.facet).run(lib).value
        print(f"Added {lib.scheme.keyword_path(label.id)} [{label.id}].")
    return 0


def run_rename(args) -> int:
    if not (args.en or args.zh):
        raise SchemeError("Give a new name with --en and/or --zh.")
    with open_from_args(args) as lib:
        label = ops.RenameLabel(args.label, args.en, args.zh).run(lib).value
        print(f"Renamed [{label.id}] to {label.name_en} / {label.name_zh}.")
    return 0


def run_move(args) -> int:
    if not (args.parent or args.facet):
        raise SchemeError("Say where to move it: --parent LABEL or --facet FACET.")
    with open_from_args(args) as lib:
        label = ops.MoveLabel(args.label, args.parent, args.facet).run(lib).value
        print(f"Moved to {lib.scheme.keyword_path(label.id)}.")
    return 0


def run_merge(args) -> int:
    with open_from_args(args) as lib:
        n = ops.MergeLabels(args.source, args.target).run(lib).value
        print(f"Merged; {n} item(s) re-tagged.")
    return 0


def run_delete(args) -> int:
    with open_from_args(args) as lib:
        gone = ops.DeleteLabel(args.label, force=args.force).run(lib).value
        print(f"Deleted {len(gone)} label(s): {', '.join(gone)}.")
    return 0


def _format(path: Path, given: str | None) -> str:
    return given or ("json" if path.suffix.lower() == ".json" else "paths")


def run_export(args) -> int:
    with open_from_args(args) as lib:
        scheme = lib.scheme
        if _format(args.output, args.format) == "json":
            text = json.dumps(scheme.to_dict(), ensure_ascii=False, indent=1) + "\n"
        else:
            text = scheme.to_keyword_paths(args.lang)
    if str(args.output) == "-":
        sys.stdout.write(text)
    else:
        from app.services.exchange import atomic_file

        # atomically, and never onto a device node or a pipe (atomic_file refuses those)
        with atomic_file(args.output) as tmp:
            tmp.write_text(text, encoding="utf-8")
        print(f"Wrote {len(scheme.labels)} labels to {args.output}.")
    return 0


def run_import(args) -> int:
    from app.services.exchange import decode_text
    try:
        text, _ = decode_text(args.input.read_bytes(), args.input.name)
    except OSError as exc:
        raise SchemeError(f"Cannot read {args.input}: {exc.strerror or exc}.") from None
    with open_from_args(args) as lib:
        if _format(args.input, args.format) == "json":
            try:
                incoming = LabelScheme.from_dict(json.loads(text))
            except json.JSONDecodeError as exc:
                raise SchemeError(f"{args.input.name} is not valid JSON ({exc.msg}, line {exc.lineno}).") from None
        else:
            incoming = scheme_from_keyword_paths(text, base=lib.scheme, lang=args.lang)
        _, added = lib.labels.merge_in(incoming)
        print(f"Imported; {len(added)} new label(s)" + (f": {', '.join(added)}" if added else "."))
    return 0
