"""The store's tests on both backends: a module that says ``pytestmark =
pytest.mark.backends("sqlite", "postgresql")`` runs each test that takes ``library`` once on an
SQLite library and once on a library in a real PostgreSQL server (``tests/pgcluster.py``: a
throw-away cluster started for the session). Where no server can be started the PostgreSQL
half is skipped with the reason; ``make test`` installs the server first, so CI runs both.
"""
from __future__ import annotations

import itertools
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import pgcluster  # noqa: E402

TEMPLATE = "wenyang_template"
_numbers = itertools.count(1)


def pytest_configure(config):
    config.addinivalue_line("markers", "backends(*names): run the module's library tests on these stores")


def pytest_generate_tests(metafunc):
    if "library" not in metafunc.fixturenames:
        return
    marker = metafunc.definition.get_closest_marker("backends")
    names = marker.args if marker else ("sqlite",)
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
        conn.execute(f"CREATE DATABASE {TEMPLATE}")
    open_server_library(cluster.dsn(TEMPLATE), create=True,
                        files=tmp_path_factory.mktemp("pg-template-files")).close()
    yield cluster
    cluster.stop()


def server_library_dsn(cluster, files: Path) -> str:
    """A new database made from the template (a migrated, seeded library) with its shared
    folder at ``files``; its connection string."""
    import psycopg

    name = f"wenyang_test_{next(_numbers)}"
    with psycopg.connect(cluster.dsn(), autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name} TEMPLATE {TEMPLATE}")
    with psycopg.connect(cluster.dsn(name), autocommit=True) as conn:
        conn.execute("UPDATE meta SET value = %s WHERE key = 'files_root'", [str(files)])
    return cluster.dsn(name)


def drop_database(cluster, name: str) -> None:
    import psycopg

    with psycopg.connect(cluster.dsn(), autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


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
    dsn = server_library_dsn(cluster, tmp_path / "lib")
    lib = open_library(dsn)
    yield lib
    name = lib.db.conn.database
    lib.close()
    drop_database(cluster, name)
