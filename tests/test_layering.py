"""The architecture as checks that fail: import-linter's contracts (``.importlinter``: the layers,
the window and the CLI only through app.services, PySide6 only in app.ui, torch only through
app.ml, followed transitively), all SQL inside app/store, and app/core on the standard library.
"""
from __future__ import annotations

import ast
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
APP = ROOT / "app"
CONFIG = ROOT / ".importlinter"

# What SQL looks like in a string, as opposed to English ("Create a collection", "Delete").
SQL = re.compile(r"\b(SELECT\s[\s\S]*\sFROM\s|INSERT\s+(OR\s+[A-Z]+\s+)?INTO\s|UPDATE\s+\w+\s+SET\s|"
                 r"DELETE\s+FROM\s|CREATE\s+(TABLE|INDEX|VIRTUAL|TRIGGER)\s|PRAGMA\s)")


def lint(root: Path) -> subprocess.CompletedProcess:
    """Run import-linter on the ``app`` package under ``root``, in its own interpreter (it
    finds the package by importing it, so a copy must come first on the path)."""
    code = ("import sys; from importlinter.cli import lint_imports; "
            f"sys.exit(lint_imports(config_filename={str(CONFIG)!r}, no_cache=True, no_logo=True))")
    return subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True,
                          env={"PYTHONPATH": str(root), "PATH": "/usr/bin:/bin"}, timeout=300)


def copy_app(dest: Path) -> Path:
    """The app package's Python files, alone, under ``dest``."""
    shutil.copytree(APP, dest / "app", ignore=lambda d, names: [n for n in names if n == "__pycache__" or (
        not n.endswith(".py") and not (Path(d) / n).is_dir())])
    return dest


def test_every_contract_is_kept():
    result = lint(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@pytest.mark.parametrize("path, source, broken", [
    ("app/search/bad.py", "import torch\n", "torch only through app.ml"),
    ("app/evaluate/bad.py", "from app.ml import train\n", "Layers"),
    ("app/ui/bad.py", "from app.store import open_library\n", "only through app.services"),
    ("app/services/bad.py", "from PySide6.QtCore import QObject\n", "PySide6 only in app.ui"),
    # transitive: evaluate reaches torch through a module that imports it
    ("app/evaluate/sneaky.py", "from app.evaluate import sneakier\n", "torch only through app.ml"),
])
def test_a_violation_breaks_its_contract(tmp_path, path, source, broken):
    root = copy_app(tmp_path)
    (root / path).write_text(source, encoding="utf-8")
    if path.endswith("sneaky.py"):
        (root / "app/evaluate/sneakier.py").write_text("import torch\n", encoding="utf-8")
    result = lint(root)
    assert result.returncode == 1, result.stdout + result.stderr
    verdicts = " ".join(result.stdout.split())  # contract names wrap at the terminal's width
    assert re.search(re.escape(broken) + r"(?:(?!KEPT).)*?BROKEN", verdicts), result.stdout


def sql_outside_store(app_dir: Path = APP) -> list[str]:
    """Places outside app/store that reach the database connection or hold SQL text."""
    found = []
    for path in sorted(app_dir.rglob("*.py")):
        if path.relative_to(app_dir).parts[0] == "store":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            where = f"{path.relative_to(app_dir.parent)}:{getattr(node, 'lineno', '?')}"
            if isinstance(node, ast.Attribute) and node.attr == "db":
                found.append(f"{where} uses .db")
            elif isinstance(node, ast.Constant) and isinstance(node.value, str) and SQL.search(node.value):
                found.append(f"{where} holds SQL: {node.value[:40]!r}")
    return found


def test_all_sql_lives_in_the_store():
    assert sql_outside_store() == []


def test_the_sql_check_catches_a_query(tmp_path):
    (tmp_path / "services").mkdir()
    (tmp_path / "services" / "bad.py").write_text(
        'def f(lib):\n    return lib.db.execute("SELECT id FROM items").fetchall()\n')
    (tmp_path / "ui").mkdir()
    (tmp_path / "ui" / "fine.py").write_text('LABEL = "Select all"\nHINT = "Delete the collection"\n')
    (tmp_path / "store").mkdir()
    (tmp_path / "store" / "ok.py").write_text('Q = "SELECT id FROM items"\n')
    found = sql_outside_store(tmp_path)
    assert len(found) == 2 and all("services/bad.py:2" in f for f in found), found


def test_core_uses_the_standard_library_only():
    third_party = {"numpy", "PIL", "sqlite_utils", "onnxruntime", "jieba", "PySide6", "torch"}
    for path in (APP / "core").rglob("*.py"):
        roots = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                roots.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                roots.add(node.module.split(".")[0])
        assert not roots & third_party, path
