"""The architecture rule: PySide6 only in app/ui, torch (and torchvision) only in app/ml."""
from __future__ import annotations

import ast
from pathlib import Path

APP = Path(__file__).resolve().parent.parent / "app"
RULES = {"PySide6": "ui", "shiboken6": "ui", "torch": "ml", "torchvision": "ml"}


def imported_roots(source: str) -> set[str]:
    roots = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
        elif isinstance(node, ast.Call) and getattr(node.func, "id", "") == "__import__" and node.args:
            if isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str):
                roots.add(node.args[0].value.split(".")[0])
    return roots


def violations(app_dir: Path = APP) -> list[str]:
    found = []
    for path in sorted(app_dir.rglob("*.py")):
        package = path.relative_to(app_dir).parts[0]
        for root in imported_roots(path.read_text(encoding="utf-8")):
            allowed = RULES.get(root)
            if allowed is not None and package != allowed:
                found.append(f"{path.relative_to(app_dir.parent)} imports {root} (only app/{allowed} may)")
    return found


def test_no_package_breaks_the_layering_rule():
    assert violations() == []


def test_the_check_catches_a_violation(tmp_path):
    (tmp_path / "search").mkdir()
    (tmp_path / "search" / "bad.py").write_text("import numpy\nfrom torch import nn\n")
    (tmp_path / "core").mkdir()
    (tmp_path / "core" / "worse.py").write_text("from PySide6.QtCore import QObject\n")
    (tmp_path / "ui").mkdir()
    (tmp_path / "ui" / "fine.py").write_text("from PySide6.QtCore import QObject\n")
    found = violations(tmp_path)
    assert len(found) == 2
    assert any("bad.py imports torch" in v for v in found)
    assert any("worse.py imports PySide6" in v for v in found)


def test_core_uses_the_standard_library_only():
    third_party = {"numpy", "PIL", "sqlite_utils", "onnxruntime", "jieba", "PySide6", "torch"}
    for path in (APP / "core").rglob("*.py"):
        assert not imported_roots(path.read_text(encoding="utf-8")) & third_party, path
