"""``wenyang suggestions``: the labels the active model suggests for items, and the curator's
decisions on them (the same ops as the window's Accept and Reject)."""
from __future__ import annotations

from app.cli.common import action_group, open_from_args
from app.core.errors import WenyangError
from app.services import ops


def register(sub) -> None:
    action = action_group(sub, "suggestions", "List, accept or reject the labels the model suggests.")
    p = action("list", "List the open suggestions of items, most confident first.", run_list)
    p.add_argument("items", nargs="+", metavar="ITEM", help="accession numbers or ids")
    for name, help_text in (("accept", "Accept suggestions: the item is tagged with them."),
                            ("reject", "Reject suggestions: they are not offered again.")):
        p = action(name, help_text, run_accept if name == "accept" else run_reject)
        p.add_argument("item", metavar="ITEM", help="accession number or id")
        p.add_argument("labels", nargs="+", metavar="LABEL", help="suggested labels (name, path or id)")


def run_list(args) -> int:
    with open_from_args(args) as lib:
        scheme = lib.scheme
        for ref in args.items:
            item = lib.items.resolve(ref)
            shown = lib.suggestions.of_item(item.id)
            print(f"{item.accession}: " + ("; ".join(f"{scheme.keyword_path(label)} {p:.0%}" for label, p, _ in shown)
                                           or "no open suggestions"))
    return 0


def _decide(args, accept: bool) -> int:
    with open_from_args(args) as lib:
        if lib.models.active() is None:
            raise WenyangError("No model is active, so there are no suggestions to decide on.")
        item = lib.items.resolve(args.item)
        offered = {label for label, _, _ in lib.suggestions.of_item(item.id, include_decided=True)}
        labels = [lib.scheme.resolve(ref).id for ref in args.labels]
        missing = [lib.scheme.keyword_path(label) for label in labels if label not in offered]
        if missing:
            raise WenyangError(f"The model does not suggest {', '.join(missing)} for {item.accession}"
                               " (or the item already carries it).")
        result = ops.DecideSuggestions([(item.id, label) for label in labels], accept).run(lib)
    verb = "Accepted" if accept else "Rejected"
    print(f"{verb} {len(labels)} suggestion(s) for {item.accession}"
          + (f"; {result.value} tag(s) added." if accept else "."))
    return 0


def run_accept(args) -> int:
    return _decide(args, accept=True)


def run_reject(args) -> int:
    return _decide(args, accept=False)
