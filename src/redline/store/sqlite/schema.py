"""The index's schema, its migrations, and the one row every migration may need (source_urls)."""
from __future__ import annotations

import sqlite3

from redline.core.urls import doc_key, url_key
from redline.store.sqlite.rows import iso, utcnow
from redline.store.sqlite.search import SEARCH_DEFERRED, SEARCH_LEAN, SEARCH_MIGRATION


BATCH_LABEL = "unchanged_checks"  # in the names of batch WARC files; never a source slug (no "_" in those)
SCHEMA_VERSION = 9  # SCHEMA below is version 1; MIGRATIONS bring an index up to this one

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS sources (
    name TEXT PRIMARY KEY, url TEXT NOT NULL, title TEXT NOT NULL DEFAULT '',
    date TEXT NOT NULL DEFAULT '', language TEXT NOT NULL DEFAULT 'en',
    profile TEXT NOT NULL DEFAULT 'auto', tags TEXT NOT NULL DEFAULT '[]',
    kind TEXT NOT NULL DEFAULT 'statement', origin TEXT NOT NULL DEFAULT 'seed',
    enabled INTEGER NOT NULL DEFAULT 1, added_at TEXT NOT NULL,
    etag TEXT, last_modified TEXT, last_check TEXT, last_status INTEGER,
    last_error TEXT, failures INTEGER NOT NULL DEFAULT 0, last_change TEXT,
    last_raw_sha256 TEXT
);
CREATE TABLE IF NOT EXISTS captures (
    id INTEGER PRIMARY KEY, source TEXT NOT NULL REFERENCES sources(name),
    run_id TEXT, url TEXT NOT NULL, final_url TEXT, fetched_at TEXT NOT NULL,
    status INTEGER, not_modified INTEGER NOT NULL DEFAULT 0, error TEXT,
    etag TEXT, last_modified TEXT, content_type TEXT, encoding TEXT,
    redirects TEXT NOT NULL DEFAULT '[]', raw_sha256 TEXT, body_bytes INTEGER,
    warc_path TEXT, warc_offset INTEGER, warc_length INTEGER, warc_record_id TEXT,
    revisit INTEGER NOT NULL DEFAULT 0,
    text_sha256 TEXT, profile TEXT, normalizer_version INTEGER, elapsed REAL
);
CREATE INDEX IF NOT EXISTS captures_source ON captures(source, fetched_at);
CREATE TABLE IF NOT EXISTS versions (
    id INTEGER PRIMARY KEY, source TEXT NOT NULL REFERENCES sources(name),
    seq INTEGER NOT NULL, text_sha256 TEXT NOT NULL,
    capture_id INTEGER REFERENCES captures(id), first_seen TEXT NOT NULL,
    normalizer_version INTEGER, origin TEXT NOT NULL, title TEXT NOT NULL DEFAULT '',
    chars INTEGER NOT NULL, UNIQUE(source, seq)
);
CREATE TABLE IF NOT EXISTS changes (
    id INTEGER PRIMARY KEY, source TEXT NOT NULL REFERENCES sources(name),
    from_version INTEGER REFERENCES versions(id), to_version INTEGER NOT NULL REFERENCES versions(id),
    kind TEXT NOT NULL, reasons TEXT NOT NULL DEFAULT '[]', stats TEXT NOT NULL DEFAULT '{}',
    created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS alerts (
    id INTEGER PRIMARY KEY, kind TEXT NOT NULL, source TEXT NOT NULL,
    change_id INTEGER UNIQUE REFERENCES changes(id), created_at TEXT NOT NULL,
    title TEXT NOT NULL, url TEXT NOT NULL, summary TEXT NOT NULL,
    from_version INTEGER, to_version INTEGER, diff_text TEXT NOT NULL DEFAULT '',
    diff_html TEXT NOT NULL DEFAULT '', stats TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX IF NOT EXISTS versions_capture_source ON versions(capture_id, source);
CREATE INDEX IF NOT EXISTS changes_to_version ON changes(to_version);
CREATE INDEX IF NOT EXISTS alerts_source ON alerts(source, id);
CREATE INDEX IF NOT EXISTS alerts_to_version ON alerts(to_version);
CREATE TABLE IF NOT EXISTS source_health (
    source TEXT PRIMARY KEY REFERENCES sources(name), state TEXT NOT NULL DEFAULT 'ok',
    since TEXT NOT NULL, alert_id INTEGER REFERENCES alerts(id)
);
CREATE TABLE IF NOT EXISTS deliveries (
    alert_id INTEGER NOT NULL REFERENCES alerts(id), sink TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending', attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT, updated_at TEXT NOT NULL, PRIMARY KEY (alert_id, sink)
);
"""

# version -> statements bringing an index from the version before up to it (additive only; see _migrate).
MIGRATIONS: dict[int, tuple[str, ...]] = {
    2: (  # discovery (redline discover), removed statements, moved sources
        "ALTER TABLE sources ADD COLUMN state TEXT NOT NULL DEFAULT 'active'",  # 'active' | 'removed'
        "ALTER TABLE sources ADD COLUMN state_since TEXT",
        "ALTER TABLE sources ADD COLUMN state_reason TEXT",
        "ALTER TABLE sources ADD COLUMN registry_url TEXT",  # the registry's URL of a moved source
        "ALTER TABLE sources ADD COLUMN listing TEXT",       # discovered: the listing it was found on
        "ALTER TABLE sources ADD COLUMN score REAL",
        "ALTER TABLE sources ADD COLUMN terms TEXT NOT NULL DEFAULT '[]'",
        "ALTER TABLE sources ADD COLUMN score_reason TEXT NOT NULL DEFAULT ''",
        """CREATE TABLE IF NOT EXISTS source_urls (
            source TEXT NOT NULL REFERENCES sources(name), url TEXT NOT NULL, url_key TEXT NOT NULL,
            doc_key TEXT, since TEXT NOT NULL, until TEXT, reason TEXT NOT NULL,
            PRIMARY KEY (source, url_key))""",
        "CREATE INDEX IF NOT EXISTS source_urls_key ON source_urls(url_key)",
        "CREATE INDEX IF NOT EXISTS source_urls_doc ON source_urls(doc_key)",
        """CREATE TABLE IF NOT EXISTS listing_items (
            url_key TEXT PRIMARY KEY, url TEXT NOT NULL, doc_key TEXT, title TEXT NOT NULL,
            date TEXT NOT NULL DEFAULT '', listing TEXT NOT NULL, first_seen TEXT NOT NULL,
            last_seen TEXT NOT NULL, score REAL NOT NULL DEFAULT 0, terms TEXT NOT NULL DEFAULT '[]',
            reason TEXT NOT NULL DEFAULT '', outcome TEXT NOT NULL, source TEXT,
            note TEXT NOT NULL DEFAULT '', alert_id INTEGER)""",
        "CREATE INDEX IF NOT EXISTS listing_items_doc ON listing_items(doc_key)",
        "CREATE INDEX IF NOT EXISTS listing_items_listing ON listing_items(listing, outcome)",
    ),
    3: (  # batches of unchanged checks (redline.store.batching): a counter of recorded checks, to tell
          # whether another check was recorded since a batched one read the source's state
        "ALTER TABLE sources ADD COLUMN checks INTEGER NOT NULL DEFAULT 0",
    ),
    4: (  # the profile a capture's text was asked for when it is not the one used (`profile`): "auto",
          # or a name whose body was not on the page; NULL when the two are the same (most rows: a
          # batched check stays as small as before). monitor._same_text: an identical 200 of an
          # "auto" source is known to give the same text
        "ALTER TABLE captures ADD COLUMN profile_asked TEXT",
    ),
    5: (  # the read (capture) of its listing that first met an item, for the listing's history in browse
        "ALTER TABLE listing_items ADD COLUMN capture_id INTEGER",
    ),
    6: (  # mojibake undone in a capture's text (redline.core.mojibake): what, in one line; NULL: none
        "ALTER TABLE captures ADD COLUMN repaired TEXT",
    ),
    7: SEARCH_MIGRATION,  # the search index of every version's lines (redline.store.sqlite.search)
    8: SEARCH_DEFERRED,   # its trigrams indexed by the next search, not by the check (SQLite only)
    9: SEARCH_LEAN,       # that index without positions: a quarter of the cost (SQLite only)
}




def _migrate(db: sqlite3.Connection) -> None:
    """Bring the index up to SCHEMA_VERSION, one MIGRATIONS step at a time, each in one
    transaction that re-reads the version (two processes opening an old index migrate it once)."""
    for version in sorted(MIGRATIONS):
        db.execute("BEGIN IMMEDIATE")
        try:
            current = int(db.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()[0])
            if current < version:
                for statement in MIGRATIONS[version]:
                    db.execute(statement)
                if version == 2:  # every known address, so that discovery knows them
                    now = iso(utcnow())
                    for row in db.execute("SELECT name, url FROM sources").fetchall():
                        _remember_url(db, row["name"], row["url"], "registry", now)
                db.execute("UPDATE meta SET value=? WHERE key='schema_version'", (str(version),))
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")
    current = int(db.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()[0])
    if current > SCHEMA_VERSION:
        raise sqlite3.DatabaseError(f"its index is schema version {current}, newer than this redline "
                                    f"reads ({SCHEMA_VERSION}); upgrade redline")


def _remember_url(db: sqlite3.Connection, source: str, url: str, reason: str, now: str, *,
                  current: bool = False) -> None:
    """Record an address of a source (once per url_key); `current` re-opens one it had before."""
    db.execute("""INSERT INTO source_urls (source, url, url_key, doc_key, since, reason) VALUES (?,?,?,?,?,?)
                  ON CONFLICT(source, url_key) DO UPDATE SET url=excluded.url,
                    until=CASE WHEN ? THEN NULL ELSE source_urls.until END""",
               (source, url, url_key(url), doc_key(url), now, reason, int(current)))
