"""The search index of the whole record: every line (paragraph) any version ever had, once,
in an FTS5 trigram index (English and Chinese alike: trigrams need no word breaks; on
PostgreSQL a pg_trgm GIN index, asked with ILIKE), and for
each source the spans of versions in which the line stood (`line_spans`: from v3 to v7).

A new version extends the spans of the lines it kept from the version before and opens
one for each line it brings, in the check's own transaction, so a search never reads a
text blob: a hit is a line, and its spans say in which versions it stood, when it first
appeared and where it ended. Consecutive versions share almost every line, so the index
grows with what changes, not with the number of versions.

On SQLite the trigram index (`line_search`) is brought up to date by the first search after
new lines came, not by the check that brought them (schema 8): trigrams of a page's ~50 lines
cost 15-25 ms a version when inserted by its check, ~8 ms a version in one statement for many, and
a cold cycle is mostly new pages. `text_lines` and the spans are committed with the check (the
record); `line_search` is derived from `text_lines` (external content), and `meta.search_indexed`
is the last line id it holds, so a crash in between only leaves more lines to index next time. A
search that cannot write the index (read-only archive) reads the lines after that id one by one.

Since schema 9 the trigram index keeps no positions (`detail=none`): it is asked with LIKE, whose
trigrams it answers, and SQLite checks each candidate line against the pattern. Positions made
the index 4x as dear to build (12 s instead of 3 s for the 17 MB of lines of a cold cycle of 1,000
pages, bench/bench_checks.py), for phrase queries that a LIKE over the candidates answers alike.
"""
from __future__ import annotations

import hashlib
import sqlite3

from redline.core.errors import ArchiveError

SEARCH_MIGRATION = (
    "CREATE TABLE IF NOT EXISTS text_lines (id INTEGER PRIMARY KEY, sha256 TEXT NOT NULL UNIQUE, text TEXT NOT NULL)",
    "CREATE VIRTUAL TABLE IF NOT EXISTS line_search USING fts5(text, content='text_lines', content_rowid='id', "
    "tokenize='trigram')",
    "CREATE TRIGGER IF NOT EXISTS text_lines_search AFTER INSERT ON text_lines BEGIN "
    "INSERT INTO line_search(rowid, text) VALUES (new.id, new.text); END",
    """CREATE TABLE IF NOT EXISTS line_spans (
        line_id INTEGER NOT NULL REFERENCES text_lines(id), source TEXT NOT NULL REFERENCES sources(name),
        from_seq INTEGER NOT NULL, to_seq INTEGER NOT NULL, PRIMARY KEY (line_id, source, from_seq))""",
    "CREATE INDEX IF NOT EXISTS line_spans_open ON line_spans(source, to_seq)",
    "INSERT OR REPLACE INTO meta VALUES ('search_backfill', 'pending')",   # Archive.__init__ fills it
)
SEARCH_DEFERRED = (  # schema 8: the trigram index is filled by searches (SearchRecords._index_new_lines)
    "DROP TRIGGER IF EXISTS text_lines_search",
    "INSERT OR REPLACE INTO meta VALUES ('search_indexed', (SELECT coalesce(max(id), 0) FROM text_lines))",
)
SEARCH_LEAN = (  # schema 9: a trigram index without positions, asked with LIKE; indexed again by the next search
    "DROP TABLE IF EXISTS line_search",
    "CREATE VIRTUAL TABLE line_search USING fts5(text, content='text_lines', content_rowid='id', "
    "tokenize='trigram', detail=none)",
    "INSERT OR REPLACE INTO meta VALUES ('search_indexed', '0')",
)
IDS_ASKED = 500     # digests per SELECT … IN (…) (SQLite allows 32,766 parameters, PostgreSQL 65,535)
INDEX_CHUNK = 20_000  # lines indexed per transaction, so that a large backlog does not hold the index for long
MIN_INDEXED = 3   # a query shorter than a trigram is looked for line by line (instr), not in the index
LINES_READ = 20   # lines read per hit asked for: a word in every paragraph stops early (the hits are capped)


def text_lines(text: str) -> list[str]:
    """The distinct non-empty lines of a version's text, in order."""
    return list(dict.fromkeys(line.strip() for line in text.splitlines() if line.strip()))


def index_version_lines(db: sqlite3.Connection, source: str, seq: int, text: str) -> None:
    """Record version `seq` of `source` in the search index (inside the caller's transaction): a
    few statements a version, not a few a line."""
    lines = {hashlib.sha256(line.encode("utf-8")).hexdigest(): line for line in text_lines(text)}
    if not lines:
        return
    db.executemany("INSERT OR IGNORE INTO text_lines (sha256, text) VALUES (?,?)", list(lines.items()))
    digests, ids = list(lines), []
    for start in range(0, len(digests), IDS_ASKED):
        part = digests[start:start + IDS_ASKED]
        ids += [r[0] for r in db.execute(f"SELECT id FROM text_lines WHERE sha256 IN ({','.join('?' * len(part))})",
                                         part)]
    open_spans = {r[0]: r[1] for r in db.execute(
        "SELECT line_id, from_seq FROM line_spans WHERE source=? AND to_seq=?", (source, seq - 1))}
    db.executemany("UPDATE line_spans SET to_seq=? WHERE line_id=? AND source=? AND from_seq=?",
                   [(seq, i, source, open_spans[i]) for i in ids if i in open_spans])
    db.executemany("INSERT OR IGNORE INTO line_spans (line_id, source, from_seq, to_seq) VALUES (?,?,?,?)",
                   [(i, source, seq, seq) for i in ids if i not in open_spans])


def fts_like(query: str) -> str:
    """The query as the LIKE pattern the trigram index answers: its % and _ left as they are (the
    index takes no ESCAPE), so it finds a superset of the lines holding the query, which instr()
    then keeps to the exact ones."""
    return "%" + query + "%"


def like_pattern(query: str) -> str:
    """The query as an ILIKE pattern matching it as a substring (its %, _ and ! escaped by !)."""
    return "%" + query.replace("!", "!!").replace("%", "!%").replace("_", "!_") + "%"


# A hit: the line, the span, the versions at its two ends and the one after it (where it ended). The
# spans are chosen (and cut to the limit) first, so a word in every paragraph joins only those.
_HITS = """SELECT l.id AS line_id, l.text, sp.source, s.title AS source_title, sp.from_seq, sp.to_seq,
                  f.first_seen AS from_seen, t.first_seen AS to_seen, n.seq AS ended_seq, n.first_seen AS ended_seen,
                  s.state
           FROM (SELECT sp.* FROM ({lines}) hit JOIN line_spans sp ON sp.line_id = hit.id
                 {span_where} ORDER BY sp.source, sp.from_seq, sp.line_id LIMIT ?) sp
           JOIN text_lines l ON l.id = sp.line_id
           JOIN sources s ON s.name = sp.source
           JOIN versions f ON f.source = sp.source AND f.seq = sp.from_seq
           JOIN versions t ON t.source = sp.source AND t.seq = sp.to_seq
           LEFT JOIN versions n ON n.source = sp.source AND n.seq = sp.to_seq + 1
           ORDER BY sp.source, sp.from_seq, l.id"""


class SearchRecords:
    """Archive's part for the search index (mixed into Archive: uses its _tx/_query)."""

    def search_lines(self, query: str, *, source: str | None = None, since: str | None = None,
                     limit: int = 200) -> list[sqlite3.Row]:
        """Every span of versions in which a line holding `query` (case-insensitive, as a substring)
        stood: one row per (line, source, span), with the versions at both ends and the one that
        dropped it (NULL while it stands). `since` (ISO date) keeps spans that still stood then."""
        query = " ".join(query.split())
        if not query:
            return []
        if getattr(self, "_pg", None) is not None:  # pg_trgm's GIN index answers ILIKE (redline.store.postgres)
            lines, params = ("SELECT id FROM text_lines WHERE text ILIKE ? ESCAPE '!' ORDER BY id DESC LIMIT ?"),\
                [like_pattern(query), limit * LINES_READ]
        elif len(query) >= MIN_INDEXED:
            indexed = self._index_new_lines()
            # the newest lines first from the index (it stops at the limit), then the ones not in it yet
            lines, params = ("SELECT id FROM (SELECT rowid AS id FROM line_search WHERE text LIKE ? AND "
                             "instr(lower(text), lower(?)) > 0 ORDER BY rowid DESC LIMIT ?) UNION ALL "
                             "SELECT id FROM text_lines WHERE id > ? AND instr(lower(text), lower(?)) > 0 "
                             "ORDER BY id DESC LIMIT ?"), [fts_like(query), query, limit * LINES_READ, indexed, query,
                                                           limit * LINES_READ]
        else:
            lines, params = ("SELECT id FROM text_lines WHERE instr(lower(text), lower(?)) > 0 ORDER BY id DESC "
                             "LIMIT ?"), [query, limit * LINES_READ]
        where, extra = [], []
        if source:
            where.append("sp.source = ?")
            extra.append(source)
        if since:   # the version after the span (if any) came at or after `since`
            where.append("NOT EXISTS (SELECT 1 FROM versions n WHERE n.source = sp.source AND n.seq = sp.to_seq + 1 "
                         "AND n.first_seen < ?)")
            extra.append(since)
        sql = _HITS.format(lines=lines, span_where=("WHERE " + " AND ".join(where)) if where else "")
        return self._query(sql, (*params, *extra, limit))

    def index_search(self) -> int:
        """Bring the trigram index up to the lines committed so far (the end of a run does this, so
        that searches find it current); the last line id it holds. PostgreSQL indexes as it writes."""
        return 0 if getattr(self, "_pg", None) is not None else self._index_new_lines()

    def _index_new_lines(self) -> int:
        """Add the lines committed since the last search to the trigram index (SQLite only); return
        the last line id it holds. When the index cannot be written now (a read-only archive, or
        busy past the wait), the lines after that id are left to the search to read one by one."""
        while True:
            row = self._query("SELECT (SELECT CAST(value AS INTEGER) FROM meta WHERE key='search_indexed') AS done, "
                              "(SELECT coalesce(max(id), 0) FROM text_lines) AS last")[0]
            done = row["done"] or 0   # no mark (an index made by a copy, say): none of its lines indexed
            if done >= row["last"]:
                return done
            try:
                with self._tx() as db:   # re-read inside: another process may have indexed them meanwhile
                    mark = db.execute("SELECT value FROM meta WHERE key='search_indexed'").fetchone()
                    done = int(mark[0]) if mark else 0
                    upto = db.execute("SELECT max(id) FROM (SELECT id FROM text_lines WHERE id > ? ORDER BY id "
                                      "LIMIT ?)", (done, INDEX_CHUNK)).fetchone()[0]
                    if upto is not None:
                        db.execute("INSERT INTO line_search(rowid, text) SELECT id, text FROM text_lines "
                                   "WHERE id > ? AND id <= ? ORDER BY id", (done, upto))
                        db.execute("INSERT OR REPLACE INTO meta VALUES ('search_indexed', ?)", (str(upto),))
            except ArchiveError:
                return done

    def _backfill_search(self) -> None:
        """Index the versions archived before the search index existed (once, on the first open)."""
        row = self._query("SELECT value FROM meta WHERE key='search_backfill'")
        if not row or row[0]["value"] != "pending":
            return
        for source in [r["name"] for r in self._query("SELECT name FROM sources ORDER BY name")]:
            versions = self._query("SELECT seq, text_sha256 FROM versions WHERE source=? ORDER BY seq", (source,))
            with self._tx() as db:
                db.execute("DELETE FROM line_spans WHERE source=?", (source,))
                for v in versions:
                    text = self.get_text(v["text_sha256"]) if self.has_text(v["text_sha256"]) else ""
                    index_version_lines(db, source, v["seq"], text)
        with self._tx() as db:
            db.execute("UPDATE meta SET value='done' WHERE key='search_backfill'")
            if self._pg is None:  # the lines were made again: their trigrams too, by the next search
                db.execute("INSERT INTO line_search(line_search) VALUES ('delete-all')")
                db.execute("UPDATE meta SET value='0' WHERE key='search_indexed'")
