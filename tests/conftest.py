"""Shared test setup: no test touches the user's real library or needs a display."""
from __future__ import annotations

import os

import pytest

# Qt must pick its platform plugin before anything imports PySide6.
os.environ["QT_QPA_PLATFORM"] = "offscreen"
# One torch (OpenMP) thread in the whole suite, child processes included, set before anything
# imports torch: the test networks are tiny, and on a busy two-core machine two OpenMP threads
# fighting over the cores made tiny training runs about 5x slower.
os.environ["OMP_NUM_THREADS"] = "1"


@pytest.fixture(autouse=True)
def still_window(monkeypatch):
    """No test inherits another's scrolling: background loads would wait for it (app.core.pacing)."""
    from app.core import pacing

    monkeypatch.setattr(pacing, "_last_busy", float("-inf"))


@pytest.fixture(autouse=True)
def wenyang_home(tmp_path_factory, monkeypatch):
    """Point the default library ($WENYANG_HOME) at a fresh temporary folder."""
    home = tmp_path_factory.mktemp("wenyang-home")
    monkeypatch.setenv("WENYANG_HOME", str(home))
    return home


@pytest.fixture
def library(tmp_path):
    """A new library with the default scheme, in tmp_path/lib; closed after the test."""
    from app.store import open_library

    lib = open_library(tmp_path / "lib", create=True)
    yield lib
    lib.close()
