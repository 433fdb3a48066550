"""The same commands on a library in a PostgreSQL server as on an SQLite library: a curator's
session of commands runs on both, and every command says the same (the library's location aside)
and writes the same export."""
from __future__ import annotations

import difflib
import re
import sys
from pathlib import Path

import pytest
from psycopg.conninfo import conninfo_to_dict

from app.services.demo import generate_demo
from tests.ui.helpers import make_photos

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from pgcluster import database, drop_database, server_library_dsn, small_disk_database  # noqa: E402


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    folder = tmp_path_factory.mktemp("demo")
    generate_demo(folder, seed=3, count=12)
    return folder


def session(cli, where, demo: Path, out: Path) -> list[tuple[int, str]]:
    """A curator's commands on the library at ``where``; each command's exit code and output."""
    steps = [tuple(where if a is LIB else a for a in step) for step in STEPS]
    filled = {id(DEMO): demo, id(SHEET): demo / "demo-metadata.csv", id(OUT): out}
    steps = [tuple(filled.get(id(a), a) for a in step) for step in steps]
    said = []
    for step in steps:
        r = cli(*step)
        said.append((r.code, (r.out + r.err).replace(str(where), "<library>").replace(str(out), "<export>")))
    return said


LIB, DEMO, SHEET, OUT = object(), object(), object(), object()  # filled in per store
STEPS = [
    ("import", LIB, DEMO, "--metadata", SHEET, "--quiet"),
    ("ls", LIB),
    ("show", LIB, "DEMO-S3-0003"),
    ("tag", LIB, "DEMO-S3-0003", "DEMO-S3-0004", "-l", "Phoenix"),
    ("untag", LIB, "DEMO-S3-0004", "-l", "Phoenix"),
    ("ls", LIB, "--label", "Phoenix"),
    ("search", LIB, "--text", "龙", "-k", "5"),
    ("search", LIB, "--text", "DEMO-S3-0007", "-k", "3"),
    ("search", LIB, "--labels", "Peony", "-k", "5"),
    ("collections", "create", LIB, "春季展览", "--description", "Spring"),
    ("collections", "add", LIB, "春季展览", "DEMO-S3-0005", "DEMO-S3-0001"),
    ("collections", "list", LIB),
    ("labels", "rename", LIB, "Peony", "--en", "Tree peony"),
    ("search", LIB, "--text", "tree peony", "-k", "5"),
    ("delete", LIB, "DEMO-S3-0002"),
    ("trash", "list", LIB),
    ("trash", "restore", LIB),
    ("export", LIB, "--all", "--format", "csv", "-o", OUT, "--quiet"),
    ("ls", LIB, "--collection", "春季展览"),
]


def normal(text: str) -> str:
    """Output with what differs by machine and moment blanked: times of day, and durations."""
    text = re.sub(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[.\d]*(\+00:00)?", "<time>", text)
    text = re.sub(r"in [\d.]+ s \([\d.]+ files/s\)", "in <s>", text)
    text = re.sub(r"[\d.]+ MB in [\d.]+ s", "<MB> in <s>", text)
    return re.sub(r"\(\d+ ms on ", "(<ms> on ", text)


def test_a_curators_commands_say_the_same_on_both_stores(cli, demo, tmp_path, pg_server):
    assert cli("init", tmp_path / "lib").code == 0
    sqlite_said = session(cli, tmp_path / "lib", demo, tmp_path / "sqlite.csv")
    dsn = server_library_dsn(pg_server, tmp_path / "files")
    try:
        server_said = session(cli, dsn, demo, tmp_path / "server.csv")
    finally:
        drop_database(pg_server, conninfo_to_dict(dsn)["dbname"])
    assert [code for code, _ in sqlite_said] == [0] * len(sqlite_said), [(c, o[:200]) for c, o in sqlite_said if c]
    for step, (code_a, out_a), (code_b, out_b) in zip(STEPS, sqlite_said, server_said):
        assert code_b == code_a, (out_a, out_b)
        if step[0] == "search" and step[2] == "--text":
            # Keyword hits equally relevant may come in another order: bm25 (SQLite) and ts_rank
            # (PostgreSQL) weigh a field's length differently. The hits and the reasons agree.
            out_a, out_b = (re.sub(r"^ +\d+\. ", "", o, flags=re.M) for o in (out_a, out_b))
            out_a, out_b = ("\n".join(sorted(o.splitlines())) for o in (out_a, out_b))
        assert normal(out_b) == normal(out_a), "\n".join(difflib.unified_diff(
            normal(out_a).splitlines(), normal(out_b).splitlines(), "sqlite", "postgresql", lineterm=""))
    assert "DEMO-S3-0003" in sqlite_said[5][1] and "DEMO-S3-0004" not in sqlite_said[5][1]  # the tag, the untag
    assert normal((tmp_path / "server.csv").read_text(encoding="utf-8-sig")) == \
        normal((tmp_path / "sqlite.csv").read_text(encoding="utf-8-sig"))


def test_init_on_a_server_makes_the_library_and_its_shared_folder(cli, tmp_path, pg_server):
    with database(pg_server, "wenyang_init_test") as dsn:
        r = cli("init", dsn, "--files", tmp_path / "shared")
        assert r.code == 0 and "created" in r.out and "7 facets" in r.out and str(tmp_path / "shared") in r.out
        assert (tmp_path / "shared" / "thumbnails").is_dir()
        again = cli("init", dsn)
        assert again.code == 0 and "already a library" in again.out


def test_a_server_that_cannot_be_reached_is_a_clear_error(cli, tmp_path):
    r = cli("ls", f"postgresql://nobody:secret@/nowhere?host={tmp_path}&port=1")
    assert r.code != 0 and "Cannot connect to the library's server" in r.err
    assert "secret" not in r.err  # the password is never shown


def test_a_database_that_holds_something_else_is_refused_untouched(cli, pg_server):
    import psycopg

    with database(pg_server, "wenyang_other_test") as dsn:
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute("CREATE TABLE invoices (id INTEGER)")
        r = cli("init", dsn)
        assert r.code != 0 and "not a Wenyang library" in r.err
        with psycopg.connect(dsn, autocommit=True) as conn:
            tables = conn.execute("SELECT table_name FROM information_schema.tables "
                                  "WHERE table_schema = 'public'").fetchall()
        assert tables == [("invoices",)]


def test_a_granted_role_writes_rows_but_cannot_change_the_tables(cli, tmp_path, pg_server, monkeypatch):
    """The administrator's role makes the library; the curators' role may read and write it
    and nothing more; a library that needs new tables tells that role who can make them."""
    import psycopg

    with psycopg.connect(pg_server.dsn(), autocommit=True) as conn:
        conn.execute("CREATE DATABASE wenyang_roles_test")
        conn.execute("DROP ROLE IF EXISTS curator")
        conn.execute("CREATE ROLE curator LOGIN")
    owner, curator = pg_server.dsn("wenyang_roles_test"), pg_server.dsn("wenyang_roles_test", user="curator")
    try:
        assert cli("init", curator).code != 0  # a curator cannot make the tables
        r = cli("init", owner, "--files", tmp_path / "shared", "--grant", "curator")
        assert r.code == 0 and "Granted curator" in r.out
        photos = make_photos(tmp_path / "photos", 3)
        assert cli("import", curator, *photos, "--quiet").code == 0
        assert cli("collections", "create", curator, "Spring").code == 0
        assert cli("labels", "add", curator, "Qilin", "--zh", "麒麟", "--parent", "Animal").code == 0
        with psycopg.connect(curator, autocommit=True) as conn:
            for statement in ("CREATE TABLE mine (id INTEGER)", "DROP TABLE items", "ALTER TABLE items ADD COLUMN x INTEGER"):
                with pytest.raises(psycopg.errors.InsufficientPrivilege):
                    conn.execute(statement)
        # This Wenyang's next version brings a migration: the curator's window cannot apply it.
        from app.store import migrations, schema_pg

        number = migrations.SCHEMA_VERSION + 1
        steps = schema_pg.steps
        monkeypatch.setattr(migrations, "MIGRATIONS", [*migrations.MIGRATIONS, (number, "next", lambda conn: None)])
        monkeypatch.setattr(migrations, "SCHEMA_VERSION", number)
        monkeypatch.setattr(schema_pg, "steps", lambda trashed: {
            **steps(trashed), number: lambda conn: conn.execute("CREATE TABLE next_thing (id INTEGER)")})
        r = cli("ls", curator)
        assert r.code != 0 and "may not change them" in r.err and "as the role that owns the library" in r.err
        assert cli("init", owner).code == 0 and cli("ls", curator).code == 0  # the owner brought it up to date
    finally:
        drop_database(pg_server, "wenyang_roles_test")
        with psycopg.connect(pg_server.dsn(), autocommit=True) as conn:
            conn.execute("DROP OWNED BY curator")
            conn.execute("DROP ROLE curator")


def test_grant_names_server_roles_only(cli, tmp_path):
    r = cli("init", tmp_path / "lib", "--grant", "curator")
    assert r.code != 0 and "PostgreSQL" in r.err


def test_a_server_library_of_a_newer_wenyang_is_refused_untouched(cli, tmp_path, pg_server):
    import psycopg

    from app.store.migrations import SCHEMA_VERSION

    with database(pg_server, "wenyang_newer_test") as dsn:
        assert cli("init", dsn, "--files", tmp_path / "shared").code == 0
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute("INSERT INTO _migrations (id, name, applied) VALUES (%s, 'from the future', 'x')",
                         [SCHEMA_VERSION + 1])
            tables = conn.execute("SELECT table_name, column_name FROM information_schema.columns "
                                  "WHERE table_schema = 'public' ORDER BY 1, 2").fetchall()
            counts = conn.execute("SELECT (SELECT COUNT(*) FROM labels), (SELECT COUNT(*) FROM meta)").fetchone()
        for argv in (("ls", dsn), ("init", dsn), ("import", dsn, tmp_path)):
            r = cli(*argv)
            assert r.code != 0 and f"schema {SCHEMA_VERSION + 1}" in r.err and "newer version of Wenyang" in r.err
            assert "Nothing was changed" in r.err
        with psycopg.connect(dsn, autocommit=True) as conn:
            assert conn.execute("SELECT table_name, column_name FROM information_schema.columns "
                                "WHERE table_schema = 'public' ORDER BY 1, 2").fetchall() == tables
            assert conn.execute("SELECT (SELECT COUNT(*) FROM labels), (SELECT COUNT(*) FROM meta)").fetchone() == counts


def test_a_server_gone_in_the_middle_of_an_import_is_one_sentence_and_loses_nothing(cli, tmp_path, pg_server,
                                                                                    monkeypatch):
    """The server ends the connection while the third photo is being imported: the command says
    so in one sentence; what was imported before stays whole, and the same import run again
    completes the rest without a photo twice."""
    import psycopg

    from app.store.items import ItemRepository

    photos = make_photos(tmp_path / "in", 6)
    with database(pg_server, "wenyang_gone_test") as dsn:
        assert cli("init", dsn, "--files", tmp_path / "shared").code == 0
        real, added = ItemRepository.add, []

        def add_then_lose_the_server(self, item):
            if len(added) == 2:  # a third item: the server goes away before it is written
                with psycopg.connect(pg_server.dsn(), autocommit=True) as admin:
                    admin.execute("SELECT pg_terminate_backend(%s)", [self.lib.db.conn.raw.info.backend_pid])
            added.append(item.accession)
            return real(self, item)

        monkeypatch.setattr(ItemRepository, "add", add_then_lose_the_server)
        r = cli("import", dsn, tmp_path / "in", "--quiet")
        monkeypatch.undo()
        assert r.code != 0 and r.err.count("\n") == 1
        assert "connection to the library's server was lost." in r.err
        assert "Details: terminating connection due to administrator command" in r.err
        assert "run the command again" in r.err
        with psycopg.connect(dsn, autocommit=True) as conn:
            kept = conn.execute("SELECT COUNT(*), COUNT(DISTINCT sha256) FROM photos").fetchone()
            bare = conn.execute("SELECT COUNT(*) FROM items WHERE id NOT IN (SELECT item_id FROM photos)").fetchone()[0]
        assert kept[0] == kept[1] and kept[0] < len(photos) and bare == 0  # nothing half-written
        again = cli("import", dsn, tmp_path / "in", "--quiet")
        assert again.code == 0
        with psycopg.connect(dsn, autocommit=True) as conn:
            assert conn.execute("SELECT COUNT(*), COUNT(DISTINCT sha256) FROM photos").fetchone() == (6, 6)
            assert conn.execute("SELECT COUNT(*) FROM items").fetchone()[0] == 6


def test_a_full_disk_on_the_server_is_named_and_loses_nothing(cli, tmp_path, pg_server):
    """The server's disk fills up: an import stops with a message that says so (not that the
    connection was lost), the items before it whole; another change is one sentence saying the
    same; once there is room the same import completes without a photo twice."""
    import psycopg

    make_photos(tmp_path / "first", 3)
    make_photos(tmp_path / "then", 60, start=3)  # more than the pages already made hold
    with small_disk_database(pg_server, "wenyang_full_test", tmp_path / "shared") as small:
        if small is None:
            pytest.skip("mounting a small filesystem to fill needs root, which this run is not")
        dsn, fill, free = small
        assert cli("import", dsn, tmp_path / "first", "--quiet").code == 0
        fill()
        r = cli("import", dsn, tmp_path / "then", "--quiet")
        said = r.out + r.err
        assert r.code != 0 and "server has no space left on its disk" in said and "connection" not in said
        assert "every item written so far is complete" in said
        r = cli("collections", "create", dsn, "Kept")
        assert r.code != 0 and r.err.count("\n") == 1
        assert "server has no space left on its disk. What was saved before that is kept, whole; free space on the " \
            "server, then run the command again to finish. Details: could not extend file" in r.err
        with psycopg.connect(dsn, autocommit=True) as conn:
            kept = conn.execute("SELECT COUNT(*), COUNT(DISTINCT sha256) FROM photos").fetchone()
            assert kept[0] == kept[1] and 3 <= kept[0] < 63
            assert conn.execute("SELECT COUNT(*) FROM items WHERE id NOT IN (SELECT item_id FROM photos)"
                                ).fetchone()[0] == 0
            assert conn.execute("SELECT COUNT(*) FROM collections").fetchone()[0] == 0
        free()
        assert cli("import", dsn, tmp_path / "then", "--quiet").code == 0
        with psycopg.connect(dsn, autocommit=True) as conn:
            assert conn.execute("SELECT COUNT(*), COUNT(DISTINCT sha256) FROM photos").fetchone() == (63, 63)
