"""Opening and creating library folders; schema versions; refusing what is not ours."""
from __future__ import annotations

import os
import sqlite3

import pytest

from app.core.errors import LibraryError, LibraryVersionError
from app.core.models import Item
from app.store import open_library
from app.store.library import DB_NAME
from app.store.migrations import MIGRATIONS, SCHEMA_VERSION
from tests.waiting import eventually

pytestmark = pytest.mark.backends("sqlite", "postgresql")


def test_create_makes_the_folder_layout_and_seeds_the_scheme(tmp_path):
    root = tmp_path / "new" / "lib"
    with open_library(root, create=True) as lib:
        assert (root / DB_NAME).is_file()
        assert (root / "thumbnails").is_dir() and (root / "models").is_dir()
        assert lib.thumbnails_dir == root / "thumbnails" and lib.models_dir == root / "models"
        assert len(lib.scheme.labels) >= 40 and len(lib.scheme.facets) == 7
        assert lib.get_meta("created") and lib.get_meta("created_by").startswith("wenyang ")
        assert lib.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert lib.db.execute("PRAGMA foreign_keys").fetchone()[0] == 1
        rows = lib.db.execute("SELECT id, name, applied FROM _migrations ORDER BY id").fetchall()
        assert [r[0] for r in rows] == [m[0] for m in MIGRATIONS]
        assert all(r[1] and r[2] for r in rows)


def test_reopening_keeps_data_and_does_not_reseed(tmp_path):
    root = tmp_path / "lib"
    with open_library(root, create=True) as lib:
        lib.items.add(Item("A-1", title="龙袍"))
        lib.labels.delete("hat")
        version = lib.labels.version()
    with open_library(root) as lib:  # create=False
        assert lib.items.get_by_accession("A-1").title == "龙袍"
        assert "hat" not in lib.scheme.labels  # the default was not seeded again
        assert lib.labels.version() == version
        assert lib.db.execute("SELECT COUNT(*) FROM _migrations").fetchone()[0] == len(MIGRATIONS)
    with open_library(root, create=True) as lib:  # create on an existing library just opens it
        assert lib.items.count() == 1


def test_missing_library_names_wenyang_init(tmp_path):
    with pytest.raises(LibraryError, match="wenyang init"):
        open_library(tmp_path / "nothing-here")
    assert not (tmp_path / "nothing-here").exists()
    (tmp_path / "empty").mkdir()
    with pytest.raises(LibraryError, match="wenyang init"):
        open_library(tmp_path / "empty")
    assert list((tmp_path / "empty").iterdir()) == []


def test_a_file_where_the_folder_should_be(tmp_path):
    (tmp_path / "afile").write_text("x")
    with pytest.raises(LibraryError):
        open_library(tmp_path / "afile", create=True)
    assert (tmp_path / "afile").read_text() == "x"


@pytest.mark.parametrize("content", [b"this is not a database at all\n" * 40,
                                     b"SQLite format 3\x00" + b"\xff" * 200])
def test_a_file_that_is_not_sqlite_is_refused_untouched(tmp_path, content):
    root = tmp_path / "lib"
    root.mkdir()
    (root / DB_NAME).write_bytes(content)
    with pytest.raises(LibraryError, match="not a readable Wenyang library"):
        open_library(root, create=True)
    assert (root / DB_NAME).read_bytes() == content
    assert sorted(p.name for p in root.iterdir()) == [DB_NAME]


def test_a_foreign_sqlite_database_is_refused_untouched(tmp_path):
    """Another program's database must not get Wenyang's tables written into it."""
    root = tmp_path / "lib"
    root.mkdir()
    conn = sqlite3.connect(root / DB_NAME)
    conn.execute("CREATE TABLE photos (id INTEGER PRIMARY KEY, blob BLOB)")
    conn.execute("INSERT INTO photos (blob) VALUES (x'00')")
    conn.commit()
    conn.close()
    before = (root / DB_NAME).read_bytes()
    with pytest.raises(LibraryError, match="not a Wenyang library"):
        open_library(root)
    assert (root / DB_NAME).read_bytes() == before
    assert not (root / (DB_NAME + "-wal")).exists()


def _stamp_newer(root, version):
    conn = sqlite3.connect(root / DB_NAME)
    conn.execute("INSERT INTO _migrations (id, name, applied) VALUES (?, 'from the future', 'x')",
                 [version])
    conn.commit()
    conn.close()


def _snapshot(root):
    return {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in sorted(root.rglob("*"))
            if p.is_file()}


@pytest.mark.parametrize("create", [False, True])
def test_a_newer_library_is_refused_and_nothing_changes(tmp_path, create):
    root = tmp_path / "lib"
    open_library(root, create=True).close()
    _stamp_newer(root, SCHEMA_VERSION + 1)
    assert not (root / (DB_NAME + "-wal")).exists()
    before = _snapshot(root)
    with pytest.raises(LibraryVersionError) as err:
        open_library(root, create=create)
    message = str(err.value)
    assert f"schema {SCHEMA_VERSION + 1}" in message and "newer version of Wenyang" in message
    assert "Nothing was changed" in message and str(root) in message
    assert _snapshot(root) == before  # same files, same bytes, same times: no -wal, no -shm
    assert isinstance(err.value, LibraryError)


def test_a_newer_library_with_a_live_wal_is_refused_and_the_wal_is_untouched(tmp_path):
    """While another (newer) Wenyang has the library open, its -wal file holds recent writes."""
    root = tmp_path / "lib"
    open_library(root, create=True).close()
    writer = sqlite3.connect(root / DB_NAME)
    writer.execute("PRAGMA wal_autocheckpoint = 0")
    writer.execute("INSERT INTO _migrations (id, name, applied) VALUES (?, 'newer', 'x')",
                   [SCHEMA_VERSION + 5])
    writer.commit()  # committed to the WAL only, not yet to the main file
    try:
        wal = root / (DB_NAME + "-wal")
        assert wal.stat().st_size > 0
        main_before = (root / DB_NAME).read_bytes()
        wal_before = (wal.read_bytes(), wal.stat().st_mtime_ns)
        with pytest.raises(LibraryVersionError, match=f"schema {SCHEMA_VERSION + 5}"):
            open_library(root)
        assert (root / DB_NAME).read_bytes() == main_before
        assert (wal.read_bytes(), wal.stat().st_mtime_ns) == wal_before
    finally:
        writer.close()


def test_pending_migrations_are_applied_and_recorded_on_open(tmp_path, monkeypatch):
    """A library made before a later migration existed gets it on open, exactly once."""
    from app.store import migrations

    root = tmp_path / "lib"
    open_library(root, create=True).close()
    calls = []

    def add_column(conn):
        calls.append(1)
        conn.execute("ALTER TABLE items ADD COLUMN condition TEXT NOT NULL DEFAULT ''")

    monkeypatch.setattr(migrations, "MIGRATIONS", [*MIGRATIONS, (SCHEMA_VERSION + 1, "condition", add_column)])
    monkeypatch.setattr(migrations, "SCHEMA_VERSION", SCHEMA_VERSION + 1)
    for _ in range(2):
        with open_library(root) as lib:
            columns = {c[1] for c in lib.db.execute("PRAGMA table_info(items)").fetchall()}
            ids = [r[0] for r in lib.db.execute("SELECT id FROM _migrations ORDER BY id").fetchall()]
    assert "condition" in columns and calls == [1]
    assert ids == list(range(1, SCHEMA_VERSION + 2))


def test_a_failing_migration_leaves_the_library_as_it_was(tmp_path, monkeypatch):
    from app.store import migrations

    root = tmp_path / "lib"
    with open_library(root, create=True) as lib:
        lib.items.add(Item("K-1"))

    def half_done(conn):
        conn.execute("CREATE TABLE half (x)")
        raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr(migrations, "MIGRATIONS", [*MIGRATIONS, (SCHEMA_VERSION + 1, "half", half_done)])
    monkeypatch.setattr(migrations, "SCHEMA_VERSION", SCHEMA_VERSION + 1)
    with pytest.raises(LibraryError, match="disk I/O error"):
        open_library(root)
    monkeypatch.undo()
    with open_library(root) as lib:
        assert lib.db.execute("SELECT MAX(id) FROM _migrations").fetchone()[0] == SCHEMA_VERSION
        assert not lib.db.execute("SELECT 1 FROM sqlite_master WHERE name = 'half'").fetchone()
        assert lib.items.count() == 1


def test_atomic_rolls_back_everything_on_error(library):
    with pytest.raises(RuntimeError):
        with library.atomic():
            library.items.add(Item("R-1"))
            with library.atomic():  # nested: a savepoint
                library.items.add(Item("R-2"))
            raise RuntimeError("boom")
    assert library.items.count() == 0


def test_meta_round_trip(library):
    library.set_meta("k", "值")
    library.set_meta("k", "值2")
    assert library.get_meta("k") == "值2"
    assert library.get_meta("missing", "d") == "d"


def test_default_library_dir_follows_wenyang_home(wenyang_home):
    from app.paths import default_library_dir
    assert default_library_dir() == wenyang_home
    assert os.environ["QT_QPA_PLATFORM"] == "offscreen"


def test_what_a_search_keeps_is_read_again_after_anyone_writes(library):
    """``unchanged`` keeps a read until anything is written: by this library's connection at
    once, by another program (codes, settings, photo signatures, items) once it is announced."""
    import numpy as np

    reads = []

    def codes_version():
        reads.append(1)
        return library.codes.version()

    first = library.unchanged("codes", codes_version)
    assert library.unchanged("codes", codes_version) == first and len(reads) == 1  # nothing written
    with open_library(library.location) as other:
        other.codes.bump()
        assert eventually(lambda: library.unchanged("codes", codes_version) == first + 1)
        for write in (lambda: other.set_meta("anything", "1"),
                      lambda: other.items.add(Item("ELSEWHERE-1")),
                      lambda: other.signatures.put([(library.items.add(Item("SIG-1")), "0" * 64,
                                                     np.zeros((3, 8), np.float16))])):
            stamp = library.write_stamp()
            write()
            assert eventually(lambda stamp=stamp: library.write_stamp() != stamp)
    stamp = library.write_stamp()
    library.items.add(Item("HERE-1"))
    assert library.write_stamp() != stamp  # its own write: at once


@pytest.mark.backends("postgresql")
def test_on_a_server_the_write_stamp_asks_the_server_nothing(library, monkeypatch):
    """A search checks the stamp several times; on a server each check was a round trip."""
    library.write_stamp()  # the first call starts listening
    sent = []
    real = type(library.db.conn).execute
    monkeypatch.setattr(type(library.db.conn), "execute", lambda self, sql, params=None: (sent.append(sql),
                                                                                          real(self, sql, params))[1])
    library.write_stamp()
    library.unchanged("x", lambda: 1)
    assert sent == []


def _end_connection(library) -> None:
    """What a server restart or a network cut does to the library's connection."""
    import psycopg

    pid = library.db.conn.raw.info.backend_pid
    with psycopg.connect(library.location, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", [pid])


@pytest.mark.backends("postgresql")
def test_a_lost_connection_fails_one_change_and_the_next_connects_again(library):
    """The statement that finds the connection gone fails; a change under way is undone whole
    (its later statements fail too, and nothing of it is kept); the next one reconnects."""
    from app.store.pg import ServerError

    before = library.items.count()
    _end_connection(library)
    with pytest.raises(ServerError):
        library.items.count()
    assert library.items.count() == before  # connected again
    with pytest.raises(ServerError):
        with library.atomic():
            library.items.add(Item("LOST-1"))
            _end_connection(library)
            library.items.add(Item("LOST-2"))
    assert library.items.id_for_accession("LOST-1") is None and library.items.count() == before
    library.items.add(Item("AFTER-1"))  # and writes work again
    assert library.items.count() == before + 1 and not library.db.conn.in_transaction
    conn = library.db.conn  # a change begun by hand: it stays failed until its ROLLBACK
    conn.execute("BEGIN")
    _end_connection(library)
    for _ in range(2):
        with pytest.raises(ServerError):
            conn.execute("SELECT 1")
    assert conn.in_transaction
    conn.execute("ROLLBACK")
    assert conn.execute("SELECT 1").fetchone() == (1,) and not conn.in_transaction


def test_migration_17_stores_a_servers_characters_as_pairs(pg_server, tmp_path):
    """A server library whose tsvectors hold each character alone (before migration 17) has
    them written again as pairs when opened: a phrase of characters is then one stored word."""
    from app.store.keywords import FIELDS, _lexeme
    from tests import pgcluster

    dsn = pgcluster.server_library_dsn(pg_server, tmp_path / "lib")
    words = "SELECT array_to_string(tsvector_to_array(document), ' ') FROM keyword_index_documents"
    with open_library(dsn) as lib:
        item = lib.items.add(Item(accession="P-1", title="云龙袍", description="hand-stitched"))
        assert [h.item_id for h in lib.keywords.search("龙袍")] == [item]
        assert "~龙袍" in lib.db.execute(words).fetchone()[0].split()
        fields = dict(zip(FIELDS, lib.db.execute(f"SELECT {', '.join(FIELDS)} FROM keyword_index").fetchone()))
        # as migration 16 left it: every token as it is, at its place in its field
        old = " ".join(f"{_lexeme(t)}:{n * 3000 + 1 + at}" for n, field in enumerate(FIELDS)
                       for at, t in enumerate((fields[field] or "").split()))
        with lib.atomic():
            lib.db.execute("UPDATE keyword_index_documents SET document = CAST(? AS tsvector)", [old])
            lib.db.execute("DELETE FROM _migrations WHERE id = 17")
        assert "~龙袍" not in lib.db.execute(words).fetchone()[0]
        name = lib.db.conn.database
    try:
        with open_library(dsn) as again:
            assert again.db.execute("SELECT MAX(id) FROM _migrations").fetchone()[0] == SCHEMA_VERSION
            assert "~龙袍" in again.db.execute(words).fetchone()[0].split()
            assert [h.item_id for h in again.keywords.search("龙袍")] == [item]
            assert [h.item_id for h in again.keywords.search("stitched")] == [item]
    finally:
        pgcluster.drop_database(pg_server, name)
