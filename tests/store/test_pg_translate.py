"""The store's SQLite statements as PostgreSQL reads them (``app.store.pg.translate``); no server."""
from __future__ import annotations

import pytest

from app.store.pg import explicit_number, is_dsn, translate, without_password


def test_placeholders_become_psycopgs_outside_quotes_only():
    assert translate("SELECT id FROM items WHERE title = ? AND note = 'why?'") == \
        ("SELECT id FROM items WHERE title = %s AND note = 'why?'", False)
    assert translate("SELECT '100%' FROM meta WHERE key LIKE ?")[0] == "SELECT '100%%' FROM meta WHERE key LIKE %s"
    assert translate("INSERT INTO labels (id, facet) VALUES (:id, :facet)")[0] == \
        "INSERT INTO labels (id, facet) VALUES (%(id)s, %(facet)s)"
    assert translate("SELECT CAST(x AS TEXT)::text FROM t")[0] == "SELECT CAST(x AS TEXT)::text FROM t"  # a cast


def test_sqlites_conflict_clauses_become_postgresqls():
    assert translate("INSERT OR IGNORE INTO item_labels (item_id, label_id, source) VALUES (?, ?, ?)")[0] == \
        "INSERT INTO item_labels (item_id, label_id, source) VALUES (%s, %s, %s) ON CONFLICT DO NOTHING"
    assert translate("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)")[0] == \
        "INSERT INTO meta (key, value) VALUES (%s, %s) ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value"
    with pytest.raises(ValueError):
        translate("INSERT OR REPLACE INTO unknown_table (a) VALUES (?)")


def test_an_insert_that_makes_a_number_returns_it():
    assert translate("INSERT INTO items (accession, title) VALUES (?, ?)") == \
        ("INSERT INTO items (accession, title) VALUES (%s, %s) RETURNING id", True)
    assert translate("INSERT INTO meta (key, value) VALUES (?, ?)")[1] is False
    assert translate("SELECT group_concat(item_id) FROM item_labels")[0] == \
        "SELECT string_agg(CAST(item_id AS TEXT), ',') FROM item_labels"


def test_rows_inserted_with_their_own_numbers_are_noticed():
    assert explicit_number("INSERT INTO items (id, accession) SELECT id, accession FROM trash_items") == ("items", "id")
    assert explicit_number("INSERT INTO items (accession) VALUES (?)") is None
    assert explicit_number("INSERT INTO codes (item_id, code) VALUES (?, ?)") is None


def test_addresses_and_passwords():
    assert is_dsn("postgresql://u@h/db") and is_dsn("postgres://h/db") and not is_dsn("/srv/lib")
    assert without_password("postgresql://bob:s3cr3t@host/db") == "postgresql://bob:***@host/db"
    assert without_password("postgresql://bob@host/db?password=s3cr3t&port=5") == \
        "postgresql://bob@host/db?password=***&port=5"


def test_a_servers_error_is_told_by_what_happened():
    """A full disk is not a lost connection, and a cancelled statement is neither."""
    from psycopg import OperationalError, errors

    from app.store.pg import trouble

    full = trouble(errors.DiskFull('could not extend file "base/1/2": No space left on device'))
    assert full.startswith("the library's server has no space left on its disk. What was saved before that is kept")
    assert "free space on the server" in full and "connection" not in full
    assert full.endswith('Details: could not extend file "base/1/2": No space left on device')
    for gone in (errors.AdminShutdown("terminating connection due to administrator command"),
                 OperationalError("server closed the connection unexpectedly")):
        assert trouble(gone).startswith("the connection to the library's server was lost. What was saved before")
        assert trouble(gone).endswith(f"Details: {gone}")
    cancelled = trouble(errors.QueryCanceled("canceling statement due to statement timeout"))
    assert cancelled == ("the library's server reported an error: canceling statement due to statement timeout. "
                         "Nothing more was written.")
