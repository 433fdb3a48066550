"""Keep the JSON translation catalogues complete: find every marked string in ``app/ui``.

Marked strings are ``self.tr("…")`` (context: the enclosing class),
``QCoreApplication.translate("Context", "…")``, ``tr("Context", "…")`` and a module's
``_tr("…")`` helper (context: the one its definition passes to ``translate``).

    python -m app.ui.i18n_catalogue            # list strings missing from zh_CN.json
    python -m app.ui.i18n_catalogue --update   # add them (empty) and drop obsolete ones
"""
from __future__ import annotations

import ast
import json
import sys
from pathlib import Path

from app.paths import resource

UI_DIR = Path(__file__).resolve().parent


def _const(node) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _helper_context(tree: ast.Module) -> str | None:
    """The context a module's ``_tr`` helper passes to ``translate``, if it has one."""
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name == "_tr":
            for call in ast.walk(node):
                if isinstance(call, ast.Call) and call.args and _const(call.args[0]):
                    return _const(call.args[0])
    return None


class _Finder(ast.NodeVisitor):
    def __init__(self, helper_context: str | None):
        self.helper_context = helper_context
        self.classes: list[str] = []
        self.found: dict[str, set[str]] = {}

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        self.classes.append(node.name)
        self.generic_visit(node)
        self.classes.pop()

    def visit_Call(self, node: ast.Call) -> None:
        func, args = node.func, node.args
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        if name == "tr" and isinstance(func, ast.Attribute) and len(args) == 1 and self.classes:
            self._add(self.classes[-1], _const(args[0]))
        elif name in ("translate", "tr") and len(args) >= 2:
            self._add(_const(args[0]), _const(args[1]))
        elif name == "_tr" and len(args) == 1 and self.helper_context:
            self._add(self.helper_context, _const(args[0]))
        self.generic_visit(node)

    def _add(self, context: str | None, text: str | None) -> None:
        if context and text:
            self.found.setdefault(context, set()).add(text)


def extract(ui_dir: Path = UI_DIR) -> dict[str, set[str]]:
    """``{context: {source strings}}`` marked for translation in the package."""
    found: dict[str, set[str]] = {}
    for path in sorted(ui_dir.glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        finder = _Finder(_helper_context(tree))
        finder.visit(tree)
        for context, texts in finder.found.items():
            found.setdefault(context, set()).update(texts)
    return found


def missing(code: str = "zh_CN") -> list[tuple[str, str]]:
    """(context, source) pairs without a translation in the catalogue."""
    data = json.loads(resource("i18n", f"{code}.json").read_text(encoding="utf-8"))
    contexts = data.get("contexts", {})
    return sorted((ctx, text) for ctx, texts in extract().items() for text in texts
                  if not contexts.get(ctx, {}).get(text))


def update(code: str = "zh_CN") -> Path:
    """Add marked strings (untranslated) and drop ones no longer used; keeps translations."""
    path = resource("i18n", f"{code}.json")
    data = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    old = data.get("contexts", {})
    data = {"language": code, "format": "wenyang-i18n-1",
            "contexts": {ctx: {text: old.get(ctx, {}).get(text, "") for text in sorted(texts)}
                         for ctx, texts in sorted(extract().items())}}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return path


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if "--update" in argv:
        print(f"updated {update()}")
    gaps = missing()
    for context, text in gaps:
        print(f"{context}: {text!r}")
    return 1 if gaps else 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
