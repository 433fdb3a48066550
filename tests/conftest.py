"""Shared test setup: no test touches the user's real library or needs a display.

A test that takes ``library`` gets a new library with the default scheme. A module that says
``pytestmark = pytest.mark.backends("sqlite", "postgresql")`` runs each such test twice: on an
SQLite library and on a library in a real PostgreSQL server (``tests/pgcluster.py``: a throw-away
cluster started for the session, only when a test asks for it). Where no server can be started
the PostgreSQL half is skipped with the reason; ``make test`` installs the server first, so CI
runs both. ``WENYANG_TEST_BACKENDS=sqlite,postgresql`` runs every test that takes ``library``
on both (a check, not part of ``make test``).
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

import pgcluster  # noqa: E402

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




def pytest_configure(config):
    config.addinivalue_line("markers", "backends(*names): run the module's library tests on these stores")


def pytest_generate_tests(metafunc):
    if "library" not in metafunc.fixturenames:
        return
    marker = metafunc.definition.get_closest_marker("backends")
    names = marker.args if marker else ("sqlite",)
    every = os.environ.get("WENYANG_TEST_BACKENDS")  # e.g. "sqlite,postgresql": every module on those
    if every:
        chosen = tuple(n.strip() for n in every.split(",") if n.strip())
        # a test marked for one store only (it tests that store's own behaviour) stays on it
        names = chosen if marker is None else tuple(n for n in chosen if n in marker.args) or marker.args
    metafunc.parametrize("library", names, indirect=True)


@pytest.fixture(scope="session")
def pg_server(tmp_path_factory):
    """A PostgreSQL cluster for the session, with a template database holding a new library."""
    cluster = pgcluster.start()
    if cluster is None:
        pytest.skip(f"PostgreSQL: {pgcluster.why_not}")
    import psycopg

    from app.store.library import open_server_library

    with psycopg.connect(cluster.dsn(), autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {pgcluster.TEMPLATE}")
    open_server_library(cluster.dsn(pgcluster.TEMPLATE), create=True,
                        files=tmp_path_factory.mktemp("pg-template-files")).close()
    yield cluster
    cluster.stop()


@pytest.fixture
def library(request, tmp_path):
    """A new library with the default scheme: an SQLite one in tmp_path/lib, or one in a
    database of the session's PostgreSQL server with its files in tmp_path/lib."""
    from app.store import open_library

    if request.param == "sqlite":
        lib = open_library(tmp_path / "lib", create=True)
        yield lib
        lib.close()
        return
    cluster = request.getfixturevalue("pg_server")
    dsn = pgcluster.server_library_dsn(cluster, tmp_path / "lib")
    lib = open_library(dsn)
    name = lib.db.conn.database
    yield lib
    lib.close()
    pgcluster.drop_database(cluster, name)
