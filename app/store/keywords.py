"""Keyword search: an SQLite FTS5 index over accession, title, description, metadata and labels.

Triggers (migration 4) record every item whose indexed text may have changed in
``keyword_pending``, whoever changed it; :meth:`KeywordRepository.refresh` re-indexes those items
with the jieba tokenizer and runs lazily before each search, so importing stays fast.
"""
from __future__ import annotations

import json
import sqlite3
import threading
import time
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import groupby
from typing import TYPE_CHECKING

from app.store.sql import chunks, marks, rows_in
from app.text.keywords import FIELDS, KeywordTokenizer, QueryTerm, han_character

if TYPE_CHECKING:
    from app.store.library import Library

# bm25 column weights, in FIELDS order: an identifier or a title says more than a long text.
WEIGHTS = {"accession": 10.0, "title": 5.0, "description": 1.0, "metadata": 2.0, "labels": 3.0}
IDENTITY_KEY = "keyword_index_identity"
# A query whose phrases are each in at most COMMON items is ranked by bm25. bm25 needs the number
# of items holding each phrase, which FTS5 counts by reading every match: a word in a third of a
# 1,000,500-item library took 0.3-0.8 s a query. A query with a commoner phrase is ranked, among
# its first WINDOW matches in import order, by where its phrases are (WEIGHTS summed over the
# fields holding each phrase), then by import order; so a word in half the library still answers
# in tens of milliseconds (bench/bench_scale.py). On a PostgreSQL server ts_rank ranks a query's
# first COMMON matches, or its first WINDOW matches when a sample says it is in more than COMMON
# items (``KeywordRepository._tier_on_server``).
COMMON = 10_000
WINDOW = 2_000
# On a server, counting a query's matches reads every candidate row (the phrase check needs the
# positions, which are in the row), so whether a query is common is estimated from a repeatable
# page sample of about SAMPLE_ROWS rows of the index table. 2026-12-03, the 100,500-item server
# library, this 2-core AMD EPYC (psycopg, medians of 9, another job running): the sample 0.4-1.0 ms;
# ts_rank over the first 10,000 matches of 平针绣 (27,744 items) 23.8 ms, the first 2,000 10.4 ms;
# "dragon" (19 %) 17.6 against 6.0 ms. Rerun at 08:58 alone (server freshly started, then warm): the
# sample 0.7-1.9 ms; 平针绣 33.3 / 28.4 against 14.4 / 10.8 ms; "dragon" 23.9 / 23.0 against 6.8 / 8.3 ms.
SAMPLE_ROWS = 2_000
STATISTICS_TTL_S = 30.0  # what the server's statistics say of the index table is read again after this
# A filter of more items than this is applied on the workstation when searching a server:
# sending the server the ids costs about a microsecond each (50,000 ids: 50-100 ms).
ALLOWED_IN_SQL = 5_000
_BM25 = f"bm25(keyword_index, {', '.join(str(WEIGHTS[f]) for f in FIELDS)})"


@dataclass(frozen=True)
class KeywordHit:
    """One item found: ``field`` is where it matched best and ``term`` what matched there."""

    item_id: int
    score: float
    field: str
    term: str


class KeywordRepository:
    """The keyword index of one library: ``search`` it; ``refresh`` and ``rebuild`` maintain it."""

    def __init__(self, lib: Library, tokenizer: KeywordTokenizer | None = None):
        self.lib = lib
        self.db = lib.db
        self._tokens = tokenizer or KeywordTokenizer()
        self._identity: str | None = None
        self._lock = threading.Lock()  # one refresh at a time on this connection
        self._refreshed_at: tuple | None = None  # the write stamp after the last complete refresh
        self._statistics: tuple[float, tuple[float, dict[str, float], float]] | None = None  # on a server

    # -- searching -------------------------------------------------------------------------
    def search(self, text: str, limit: int | None = None,
               allowed: set[int] | None = None) -> list[KeywordHit]:
        """Items matching the words of ``text``, best first (bm25); an item whose accession
        number is exactly ``text`` (ignoring case) comes first. ``allowed`` restricts the
        items considered. Any text is accepted: terms are always quoted for the engine."""
        if limit is not None and limit <= 0:
            return []
        self._refresh_quietly()
        terms = self._tokens.query_terms(text)
        stored: dict[int, dict[str, str]] = {}  # hits' indexed fields, where ranking read them
        ranked = self._ranked(terms, allowed, limit, stored) if terms else []
        exact = [i for i in self._exact_ids(text) if allowed is None or i in allowed]
        top = max((score for _, score in ranked), default=0.0) + 1.0
        hits = [KeywordHit(i, top, "accession", self._accession(i)) for i in exact]
        rest = [(i, s) for i, s in ranked if i not in exact]
        hits += self._explain(rest if limit is None else rest[:max(0, limit - len(hits))], terms, stored)
        return hits if limit is None else hits[:limit]

    def _ranked(self, terms: list[QueryTerm], allowed: set[int] | None, limit: int | None,
                stored: dict[int, dict[str, str]]) -> list[tuple[int, float]]:
        """(item id, score) of every match, best first, higher scores better: the items that
        match every term, then those that match some (``_tier`` orders each group; on a
        server it puts the hits' indexed fields in ``stored``)."""
        main = leading_terms(terms)
        every, some = (ts_all_query, ts_query) if self.lib.on_server else (all_query, fts_query)
        tiers = [(every(main), [p for t in main for p in t.phrases])]
        if len(terms) > 1:  # one term: "every" and "some" are the same query
            tiers.append((some(terms), [p for t in terms for p in t.phrases]))
        ranked: list[tuple[int, float]] = []
        seen: set[int] = set()
        common: dict[tuple[str, ...], bool] = {}
        for query, phrases in tiers:
            want = None if limit is None else limit + 1 - len(ranked)  # one spare: an exact accession
            if want is not None and want <= 0:
                break
            tier = self._tier_on_server(query, phrases, allowed, want, seen, stored) if self.lib.on_server \
                else self._tier(query, phrases, allowed, want, seen, common)
            found = [(i, s) for i, s in tier if i not in seen]
            if ranked and found:  # the second group stays below the first
                floor, top = ranked[-1][1], max(s for _, s in found)
                if top >= floor:
                    found = [(i, s * floor / top * 0.999 if top > 0 else s) for i, s in found]
            ranked += found
            seen.update(i for i, _ in found)
        return ranked if limit is None else ranked[:limit + 1]

    def _tier(self, query: str, phrases: list[tuple[str, ...]], allowed: set[int] | None,
              want: int | None, seen: set[int], common: dict) -> list[tuple[int, float]]:
        """The matches of ``query`` not in ``seen``, best first: by bm25 while each phrase is in
        at most :data:`COMMON` items; otherwise by the fields holding them (see :data:`COMMON`).
        ``common`` remembers, for one search, which phrases are common."""
        for phrase in phrases:
            if phrase not in common:
                common[phrase] = self._common(phrase)
        if not any(common[p] for p in phrases):
            sql = (f"SELECT keyword_index.rowid, -{_BM25} AS score FROM keyword_index "
                   "JOIN items ON items.id = keyword_index.rowid "
                   "WHERE keyword_index MATCH ? ORDER BY score DESC, keyword_index.rowid")
            args: list = [query]
            if allowed is None and want is not None:
                sql += " LIMIT ?"  # with ``allowed`` the limit applies after filtering
                args.append(want + len(seen))
            return [(i, s) for i, s in self.db.execute(sql, args) if allowed is None or i in allowed]
        candidates: list[int] = []  # the first WINDOW matches (in import order) that may be shown
        for (item_id,) in self.db.execute("SELECT rowid FROM keyword_index WHERE keyword_index MATCH ? ORDER BY rowid",
                                          [query]):
            if item_id not in seen and (allowed is None or item_id in allowed):
                candidates.append(item_id)
                if len(candidates) >= WINDOW:
                    break
        score, needles = _field_score(phrases)
        scored: list[tuple[int, float]] = []
        for chunk in chunks(candidates):
            scored += self.db.execute(f"SELECT rowid, {score} FROM keyword_index WHERE rowid IN ({marks(chunk)})",
                                      [*needles, *chunk]).fetchall()
        return self._living(scored, want, seen)

    def _tier_on_server(self, query: str, phrases: list[tuple[str, ...]], allowed: set[int] | None, want: int | None,
                        seen: set[int], stored: dict[int, dict[str, str]]) -> list[tuple[int, float]]:
        """``_tier`` on a PostgreSQL server, where ranking costs a read of each matching row (the
        phrases' positions are in the row, not in the index) and counting the matches costs
        nearly as much as ranking them: so one statement ranks (ts_rank) the query's first
        :data:`COMMON` matches in the table's order (all of them when there are fewer, which
        is every query but the commonest words) and returns the best ``want`` of them; a query
        that a sample says is in more than COMMON items (``_common_on_server``) is ranked among
        its first :data:`WINDOW` matches, as SQLite ranks a common word. With ``allowed`` the
        first COMMON allowed matches are ranked, however far into the table. The same
        statement leaves out deleted items and reads the best ones' indexed fields (for
        ``_explain``): one round trip."""
        if allowed is not None and len(allowed) > ALLOWED_IN_SQL:
            return self._allowed_on_server(query, allowed, want, seen, stored)
        window = WINDOW if allowed is None and self._common_on_server(query, phrases) else COMMON
        firsts = f"SELECT rowid, {_TS_RANK} AS score FROM {_TS_TABLE} WHERE document @@ CAST(? AS tsquery)"
        args: list = [query, query]
        if allowed is not None:
            firsts += " AND rowid = ANY(?)"
            args.append(sorted(allowed))
        best = f"SELECT rowid, score FROM ({firsts} LIMIT ?) firsts ORDER BY score DESC, rowid"
        args.append(window)
        if want is not None:
            best += " LIMIT ?"
            args.append(want + len(seen))
        rows = self.db.execute(
            f"SELECT b.rowid, b.score, {_K_FIELDS} FROM ({best}) b "
            "JOIN items i ON i.id = b.rowid JOIN keyword_index k ON k.rowid = b.rowid "
            "ORDER BY b.score DESC, b.rowid", args).fetchall()
        stored.update({r[0]: _by_field(r[2:]) for r in rows})
        return [(int(r[0]), float(r[1])) for r in rows]

    def _common_on_server(self, query: str, phrases: list[tuple[str, ...]]) -> bool:
        """Whether ``query`` (any or all of ``phrases``) is probably in more than :data:`COMMON`
        items: its matches counted in a repeatable sample of the index table's pages holding
        about :data:`SAMPLE_ROWS` rows (all of them in a small table), scaled up. Not sampled
        when the table has at most COMMON rows (or the server has not counted them yet), nor
        when the server's statistics of its commonest words say the phrases are in at most
        COMMON items together: a phrase is in at most as many items as its rarest word, and a
        word missing from those statistics is in fewer than the least common one listed (the
        statistics come from a sample of 30,000 rows: a share is off by a fraction of a
        percentage point)."""
        rows, shares, floor = self._index_statistics()
        if rows <= COMMON:
            return False
        words = [server_words(p) for p in phrases]
        if shares and phrases and all(w is not None for w in words):
            bound = sum(min((shares.get(t, floor) for t in w or ()), default=0.0) for w in words) * rows
            if bound <= COMMON:
                return False
        share = min(100.0, 100.0 * SAMPLE_ROWS / rows)
        hits = self.db.execute(f"SELECT count(*) FROM {_TS_TABLE} TABLESAMPLE SYSTEM (CAST(? AS real)) REPEATABLE (0) "
                               "WHERE document @@ CAST(? AS tsquery)", [share, query]).fetchone()[0]
        return int(hits) * 100.0 / share > COMMON

    def _index_statistics(self) -> tuple[float, dict[str, float], float]:
        """What the server's statistics say of the index table, read again after
        :data:`STATISTICS_TTL_S`: its rows (the larger of the last ANALYZE's and the live
        count; 0 if unknown), the share of rows holding each of its commonest words, and the
        least share listed (empty and 1.0 before the server has analysed the table)."""
        now = time.monotonic()
        if self._statistics is None or now - self._statistics[0] > STATISTICS_TTL_S:
            row = self.db.execute("SELECT greatest(c.reltuples, s.n_live_tup, 0) FROM pg_class c "
                                  "LEFT JOIN pg_stat_all_tables s ON s.relid = c.oid "
                                  "WHERE c.oid = to_regclass(?)", [_TS_TABLE]).fetchone()
            words = self.db.execute("SELECT most_common_elems::text::text[], most_common_elem_freqs FROM pg_stats "
                                    "WHERE tablename = ? AND attname = 'document' "
                                    "AND schemaname = ANY(current_schemas(false))", [_TS_TABLE]).fetchone()
            shares: dict[str, float] = {}
            floor = 1.0
            if words and words[0] and words[1] and len(words[1]) >= len(words[0]) + 2:
                shares = {w: float(f) for w, f in zip(words[0], words[1])}
                floor = float(words[1][len(words[0])])  # after the words' shares: the least, the most
            self._statistics = (now, (float(row[0] or 0) if row else 0.0, shares, floor))
        return self._statistics[1]

    def _allowed_on_server(self, query: str, allowed: set[int], want: int | None, seen: set[int],
                           stored: dict[int, dict[str, str]]) -> list[tuple[int, float]]:
        """``_tier_on_server`` with a large filter: the matches come ranked in the table's order
        from a cursor and the allowed ones are kept here, up to :data:`COMMON` of them; then
        the best ones' fields are read (and deleted items left out) in one statement."""
        scored: list[tuple[int, float]] = []
        with self.db.conn.streamed(f"SELECT rowid, {_TS_RANK} FROM {_TS_TABLE} "
                                   "WHERE document @@ CAST(? AS tsquery)", [query, query]) as rows:
            for item_id, score in rows:
                if item_id in allowed:
                    scored.append((int(item_id), float(score)))
                    if len(scored) >= COMMON:
                        break
        scored.sort(key=lambda row: (-row[1], row[0]))
        best = scored if want is None else scored[:want + len(seen)]
        fields = {r[0]: r[1:] for r in rows_in(
            self.db, f"SELECT k.rowid, {_K_FIELDS} FROM keyword_index k "
                     "JOIN items i ON i.id = k.rowid WHERE k.rowid", (i for i, _ in best))}
        stored.update({i: _by_field(fields[i]) for i, _ in best if i in fields})
        return [(i, s) for i, s in best if i in fields]

    def _living(self, scored: list[tuple[int, float]], want: int | None,
                seen: set[int]) -> list[tuple[int, float]]:
        """``scored`` best first, leaving out deleted items (whose index rows wait for a refresh
        that another program's write lock held off), up to ``want`` of those not in ``seen``."""
        scored = sorted(((int(i), float(s)) for i, s in scored), key=lambda row: (-row[1], row[0]))
        kept: list[tuple[int, float]] = []
        at = 0
        while at < len(scored) and (want is None or sum(i not in seen for i, _ in kept) < want):
            part = scored[at:len(scored) if want is None else at + want + len(seen)]
            live = self.lib.items.existing(i for i, _ in part)
            kept += [row for row in part if row[0] in live]
            at += len(part)
        return kept

    def _common(self, phrase: tuple[str, ...]) -> bool:
        """Whether ``phrase`` is in more than :data:`COMMON` items (reads at most that many)."""
        return self.db.execute("SELECT 1 FROM keyword_index WHERE keyword_index MATCH ? LIMIT 1 OFFSET ?",
                               [_quoted(phrase), COMMON]).fetchone() is not None

    def _exact_ids(self, text: str) -> list[int]:
        """Items whose accession number is the whole query (as typed or NFKC), same case first."""
        typed = (text or "").strip()
        rows: dict[int, str] = {}
        # One query per spelling: SQLite 3.40 rewrites "a = ? COLLATE NOCASE OR a = ? COLLATE
        # NOCASE" into an IN over the case-sensitive index and misses "m-1" for "M-1".
        for wanted in dict.fromkeys([typed, unicodedata.normalize("NFKC", typed)]):
            if wanted and "\x00" not in wanted:  # no accession holds NUL (PostgreSQL's text cannot)
                same = "lower(accession) = lower(?)" if self.lib.on_server else "accession = ? COLLATE NOCASE"
                rows.update(self.db.execute(f"SELECT id, accession FROM items WHERE {same}", [wanted]).fetchall())
        return sorted(rows, key=lambda i: (rows[i] != typed, i))

    def _accession(self, item_id: int) -> str:
        return self.db.execute("SELECT accession FROM items WHERE id = ?", [item_id]).fetchone()[0]

    def _explain(self, ranked: list[tuple[int, float]], terms: list[QueryTerm],
                 stored: dict[int, dict[str, str]]) -> list[KeywordHit]:
        """Say for each hit which field matched best, and with which term (``stored``: the
        fields already read)."""
        stored = {**stored, **self._stored([i for i, _ in ranked if i not in stored])}
        reading = Explainer(terms)
        hits = []
        for item_id, score in ranked:
            field, term = reading.best_field(stored.get(item_id, {}))
            hits.append(KeywordHit(item_id, score, field, term))
        return hits

    def _stored(self, item_ids: list[int]) -> dict[int, dict[str, str]]:
        """The indexed tokens of each item, per field, as one string with a space before and
        after every token (so a phrase is found as " a b " inside it)."""
        stored = {}
        for chunk in chunks(item_ids):
            rows = self.db.execute(f"SELECT rowid, {', '.join(FIELDS)} FROM keyword_index "
                                   f"WHERE rowid IN ({marks(chunk)})", chunk).fetchall()
            stored.update({r[0]: _by_field(r[1:]) for r in rows})
        return stored

    # -- keeping the index in step ---------------------------------------------------------
    def refresh(self) -> int:
        """Re-index every item changed since the last refresh; returns how many were."""
        with self._lock:
            self._check_identity()
            last = self.db.execute("SELECT MAX(mark) FROM keyword_pending").fetchone()[0]
            if last is None:
                return 0
            ids = [r[0] for r in self.db.execute(
                "SELECT DISTINCT item_id FROM keyword_pending WHERE mark <= ?", [last])]
            for chunk in chunks(ids):
                self._reindex(list(chunk), last)
            return len(ids)

    def rebuild(self) -> int:
        """Index every item afresh (after a glossary change, or to repair); returns the count."""
        with self._lock:
            self._queue_all()
        return self.refresh()

    def pending(self) -> int:
        """How many items wait to be re-indexed."""
        return self.db.execute("SELECT COUNT(DISTINCT item_id) FROM keyword_pending").fetchone()[0]

    def _refresh_quietly(self) -> None:
        """Refresh before a search, unless nothing was written since the last one that left
        nothing waiting (two statements a search, round trips on a server); while another
        program holds the write lock, search the index as it is rather than fail (the changes
        stay queued)."""
        stamp = self.lib.write_stamp()
        if stamp == self._refreshed_at:
            return
        try:
            self.refresh()
        except sqlite3.OperationalError as exc:
            message = str(exc).lower()
            if "locked" not in message and "busy" not in message and "readonly" not in message:
                raise
            return
        self._refreshed_at = self.lib.write_stamp()

    def _check_identity(self) -> None:
        """A changed glossary or jieba changes the tokens: then everything is indexed again."""
        if self._identity is None:
            self._identity = self._tokens.identity()
        if self.lib.get_meta(IDENTITY_KEY) != self._identity:
            with self.lib.atomic():
                self._queue_all()
                self.lib.set_meta(IDENTITY_KEY, self._identity)

    def _queue_all(self) -> None:
        with self.lib.atomic():
            self.db.execute("DELETE FROM keyword_index WHERE rowid NOT IN (SELECT id FROM items)")
            if self.lib.on_server:
                self.db.execute(f"DELETE FROM {_TS_TABLE} WHERE rowid NOT IN (SELECT id FROM items)")
            self.db.execute("INSERT INTO keyword_pending (item_id) SELECT id FROM items")

    def _reindex(self, item_ids: list[int], last_mark: int) -> None:
        """Replace the index rows of ``item_ids``; drop their marks up to ``last_mark`` (a mark
        made meanwhile by another writer stays, so that change is indexed next time)."""
        documents = self._documents(item_ids)  # tokenised outside the write transaction
        rows = [(i, *(doc[f] for f in FIELDS)) for i, doc in documents.items()]
        with self.lib.atomic():
            self.db.execute(f"DELETE FROM keyword_index WHERE rowid IN ({marks(item_ids)})", item_ids)
            self.db.conn.executemany(f"INSERT INTO keyword_index (rowid, {', '.join(FIELDS)}) "
                                     f"VALUES (?, {marks(FIELDS)})", rows)
            if self.lib.on_server:
                self.db.execute(f"DELETE FROM {_TS_TABLE} WHERE rowid IN ({marks(item_ids)})", item_ids)
                self.db.conn.executemany(f"INSERT INTO {_TS_TABLE} (rowid, document) VALUES (?, CAST(? AS tsvector))",
                                         [(i, ts_document(doc)) for i, doc in documents.items()])
            self.db.execute(f"DELETE FROM keyword_pending WHERE mark <= ? AND item_id IN "
                            f"({marks(item_ids)})", [last_mark, *item_ids])

    def _documents(self, item_ids: list[int]) -> dict[int, dict[str, str]]:
        """Indexed text of the items that still exist (deleted ones simply have none)."""
        names = self._label_names(item_ids)
        rows = self.db.execute(f"SELECT id, accession, title, description, metadata FROM items "
                               f"WHERE id IN ({marks(item_ids)})", item_ids).fetchall()
        return {r[0]: self._tokens.document(r[1], r[2], r[3], _decode(r[4]), names.get(r[0], []))
                for r in rows}

    def _label_names(self, item_ids: list[int]) -> dict[int, list[str]]:
        rows = self.db.execute(
            "SELECT il.item_id, l.name_en, l.name_zh FROM item_labels il "
            f"JOIN labels l ON l.id = il.label_id WHERE il.item_id IN ({marks(item_ids)}) "
            "ORDER BY il.item_id, l.position, l.id", item_ids).fetchall()
        names: dict[int, list[str]] = {}
        for item_id, name_en, name_zh in rows:
            names.setdefault(item_id, []).extend(dict.fromkeys([name_en, name_zh]))
        return names


# On a PostgreSQL server the index is a tsvector that this module writes from the tokens (no
# text-search parser of the server's, whose idea of a word depends on its locale), each field
# weighted as bm25 weighs it here (A the accession, B title and labels, C metadata, D the
# description) and given positions of its own, so that no phrase runs from one field into the
# next. ts_rank's weights are, in the order D, C, B, A, those of WEIGHTS over the accession's.
# The tsvectors are a table of their own (migration 14): ranking reads each matching row, and
# beside the stored tokens a row takes more pages. ts_rank over a phrase in 3,920 of 100,500
# items (EXPLAIN ANALYZE, the 2-core Xeon): 34 against 17 ms at 15:58 on 2026-12-02, 75-89
# against 52-73 ms in a rerun at 17:46 on a busier machine.
_TS_TABLE = "keyword_index_documents"
_TS_WEIGHT = {"accession": "A", "title": "B", "labels": "B", "metadata": "C", "description": "D"}
_TS_RANK = ("ts_rank(ARRAY[0.1, 0.2, 0.5, 1.0]::float4[], document, CAST(? AS tsquery), 1)")
_TS_FIELD_SPAN = 3000  # positions per field; PostgreSQL keeps positions up to 16,383
_TS_MAX_LEXEME = 2000  # bytes; PostgreSQL refuses a word over 2,047
# On a server the characters of a Han run (``KeywordTokenizer.index_tokens``) are stored as their
# pairs, each marked with _PAIR and at its first character's position, then the run's last
# character (migration 17). The server's GIN index keeps no positions: a phrase of characters
# (龙 袍, how 龙袍 is found inside longer text) was checked row by row in every row holding both
# characters anywhere, 11,855 rows for the 3,920 items holding 龙袍 at 100,500 items; ranking its
# matches took 17.8 ms, 6.5 without that check (2026-12-03, the 2-core EPYC). A pair is one word
# the index answers exactly. ``search(…, limit=200)`` there, medians of 10, alternating with the
# code before: 龙袍 4.8-5.0 against 11.1-11.7 ms, 云纹 8.5 against 10.1, 明黄缎 3.4 against 4.9-5.0,
# "dragon" and "shirt" alike; the table 16 % larger. A character alone is found as the first of a
# pair (a prefix) or as a run's last: 龙 (in about a fifth of the items) 5.8-7.0 against 4.6-4.7 ms.
# No indexed token starts with _PAIR.
_PAIR = "~"


def _field_score(phrases: list[tuple[str, ...]]) -> tuple[str, list[str]]:
    """SQL scoring a keyword_index row by the fields that hold the phrases (WEIGHTS summed, from
    the stored tokens: the engine cannot say which column matched without reading every match of
    the phrase in every column), and its parameters, which come before the statement's own."""
    spaced = [f"' ' || {field} || ' '" for field in FIELDS]
    score = " + ".join(f"CASE WHEN instr({column}, ?) > 0 THEN {WEIGHTS[field]} ELSE 0 END"
                       for field, column in zip(FIELDS, spaced) for _ in phrases)
    return score, [" " + " ".join(p) + " " for _ in FIELDS for p in phrases]


def _lexeme(token: str) -> str:
    return "'" + token.replace("\\", "\\\\").replace("'", "''") + "'"


def _usable(token: str) -> bool:
    return bool(token) and "\x00" not in token and len(token.encode()) <= _TS_MAX_LEXEME


def server_tokens(tokens: list[str]) -> list[str]:
    """A field's tokens as a server stores them: each run of single Han characters as its
    character pairs (``_PAIR`` + the two) and its last character, as many tokens as before."""
    out: list[str] = []
    for han, group in groupby(tokens, key=han_character):
        run = list(group)
        out += [*_pairs(run), run[-1]] if han else run
    return out


def _pairs(run: list[str]) -> list[str]:
    """The stored words of a run of characters' pairs, in order."""
    return [_PAIR + a + b for a, b in zip(run, run[1:])]


def ts_document(fields: dict[str, str]) -> str:
    """An item's indexed tokens (``KeywordTokenizer.document``) as a tsvector literal."""
    where: dict[str, list[str]] = {}
    for number, field in enumerate(FIELDS):
        base = number * _TS_FIELD_SPAN + 1
        for at, token in enumerate(server_tokens((fields.get(field) or "").split())):
            if _usable(token):
                where.setdefault(token, []).append(f"{min(base + at, base + _TS_FIELD_SPAN - 2)}{_TS_WEIGHT[field]}")
    return " ".join(f"{_lexeme(token)}:{','.join(spots)}" for token, spots in where.items())


def ts_phrase(phrase: tuple[str, ...]) -> str:
    """A phrase as a tsquery literal: its tokens in a row, as ``server_tokens`` stores them (a
    run of characters as its pairs; one character as the first of a pair or a run's last).
    Every token is quoted, so nothing typed becomes an operator; an unusable token makes a
    query that matches nothing."""
    tokens = [t for t in phrase if t]
    if not tokens or not all(_usable(t) for t in tokens):
        return "'\x01'"  # a lexeme no document holds
    operands: list[tuple[str, int]] = []  # (operand, its token's place in the phrase)
    at = 0
    for han, group in groupby(tokens, key=han_character):
        run = list(group)
        if han and len(run) > 1:  # (a token after the run comes after its last character)
            operands += [(_lexeme(pair), at + n) for n, pair in enumerate(_pairs(run))]
        elif han:
            operands.append((f"({_lexeme(_PAIR + run[0])}:* | {_lexeme(run[0])})", at))
        else:
            operands += [(_lexeme(t), at + n) for n, t in enumerate(run)]
        at += len(run)
    text = operands[0][0]
    for (_, before), (operand, place) in zip(operands, operands[1:]):
        text += (" <-> " if place - before == 1 else f" <{place - before}> ") + operand
    return f"({text})"


def server_words(phrase: tuple[str, ...]) -> list[str] | None:
    """The stored words every match of ``phrase`` holds (``ts_phrase``), or None when one of
    its parts is a character alone (a prefix: no one word bounds it)."""
    words: list[str] = []
    for han, group in groupby((t for t in phrase if t), key=han_character):
        run = list(group)
        if han and len(run) == 1:
            return None
        words += _pairs(run) if han else run
    return words


def ts_query(terms: Iterable[QueryTerm]) -> str:
    """As ``fts_query``, for PostgreSQL: any phrase of any term."""
    return " | ".join(dict.fromkeys(ts_phrase(p) for term in terms for p in term.phrases))


def ts_all_query(terms: Iterable[QueryTerm]) -> str:
    """As ``all_query``, for PostgreSQL: every term, each as any of its phrases."""
    return " & ".join(dict.fromkeys(
        "(" + " | ".join(dict.fromkeys(ts_phrase(p) for p in term.phrases)) + ")" for term in terms))


def _quoted(phrase: tuple[str, ...]) -> str:
    return '"' + " ".join(phrase).replace('"', '""') + '"'


def fts_query(terms: Iterable[QueryTerm]) -> str:
    """An FTS5 expression OR-ing every phrase of every term, each one quoted: nothing the
    curator types can become an operator (AND, NEAR, *, -, column filters)."""
    return " OR ".join(dict.fromkeys(_quoted(p) for term in terms for p in term.phrases))


def all_query(terms: Iterable[QueryTerm]) -> str:
    """An FTS5 expression asking for every term (each as any of its phrases), quoted."""
    return " AND ".join(dict.fromkeys(
        "(" + " OR ".join(dict.fromkeys(_quoted(p) for p in term.phrases)) + ")" for term in terms))


def leading_terms(terms: list[QueryTerm]) -> list[QueryTerm]:
    """The terms that another term does not already imply: 平 and 针 are implied by 平针绣 (every
    way of finding 平针绣 contains them). Asking for the implied ones too finds the same items
    and makes bm25 weigh words as common as a single character."""
    def within(phrase: tuple[str, ...], longer: tuple[str, ...]) -> bool:
        return any(longer[at:at + len(phrase)] == phrase for at in range(len(longer) - len(phrase) + 1))

    def implied(term: QueryTerm, by: QueryTerm) -> bool:
        return all(any(within(p, longer) for p in term.phrases) for longer in by.phrases)

    kept: list[QueryTerm] = []  # the most specific first, so that of two alike one stays
    for term in sorted(terms, key=lambda t: -max(len(p) for p in t.phrases)):
        if not any(implied(term, other) for other in kept):
            kept.append(term)
    return [t for t in terms if t in kept]


_K_FIELDS = ", ".join(f"k.{field}" for field in FIELDS)  # keyword_index's fields, as ``k``


def _by_field(values) -> dict[str, str]:
    """A keyword_index row's fields (in FIELDS order) as ``_stored`` gives them."""
    return {field: padded(value) for field, value in zip(FIELDS, values)}


def padded(text: str | None) -> str:
    """Indexed tokens as " a b c ": a phrase (a tuple of tokens) occurs as a contiguous run
    exactly when " " + " ".join(phrase) + " " is inside it."""
    return " " + " ".join((text or "").split()) + " "


class Explainer:
    """Which field of an item matches ``terms`` most strongly (weight × terms matched),
    saying the terms as typed (平针绣) rather than the parts they imply (绣) where it can.
    The terms are read once for all the hits of a search."""

    def __init__(self, terms: list[QueryTerm]):
        def needles(group: list[QueryTerm]) -> list[tuple[str, list[str]]]:
            return [(t.surface, [" " + " ".join(p) + " " for p in t.phrases if p]) for t in group]
        self._first = needles(leading_terms(terms))
        self._all = needles(terms)
        self._fallback = terms[0].surface if terms else ""

    def best_field(self, fields: dict[str, str]) -> tuple[str, str]:
        found = _strongest(fields, self._first) or _strongest(fields, self._all)
        if found is None:  # the engine matched what Python cannot re-find: say something true enough
            return "description", self._fallback
        return found


def _strongest(fields: dict[str, str], terms: list[tuple[str, list[str]]]) -> tuple[str, str] | None:
    best: tuple[float, str, str] | None = None
    for field in FIELDS:
        text = fields.get(field)
        if not text:
            continue
        matched = [surface for surface, needles in terms if any(n in text for n in needles)]
        if matched and (best is None or WEIGHTS[field] * len(matched) > best[0]):
            best = (WEIGHTS[field] * len(matched), field, matched[0])
    return None if best is None else (best[1], best[2])


def _decode(metadata: str | None) -> object:
    try:
        return json.loads(metadata or "{}")
    except ValueError:
        return metadata  # not JSON after all: index it as text rather than lose it

