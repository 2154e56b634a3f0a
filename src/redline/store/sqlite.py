"""The archive: the only module that writes storage.

Layout under the archive root:

    index.sqlite             sources, captures, versions, changes, alerts, deliveries
    warc/YYYY/MM/*.warc.gz   raw captures as received: one file per capture with something new
                             (request + response/revisit + metadata), one file per batch of
                             unchanged checks (a 304 response or a revisit record each)
    text/ab/<sha256>.txt.gz  normalized text, one file per distinct digest
    feeds/alerts.xml         Atom feed of alerts (and feeds/<source>.xml)
    alerts.jsonl             the alert log

Every file is written to a temporary name and renamed into place; every index
change of one check (or of one batch of unchanged checks) is one SQLite
transaction. A crash leaves the old state or the new one; at worst an orphan
file that no index row points to.
"""
from __future__ import annotations

import gzip
import hashlib
import json
import sqlite3
import threading
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Iterable, Iterator, Sequence

from redline.core.atomic import atomic_write_bytes
from redline.core.urls import doc_key, url_key
from redline.core.textutil import title_key
from redline.core.errors import ArchiveError, NotFoundError
from redline.core.model import Alert, FetchResult, Source
from redline.registry.load import NAME_RE
from redline.store.warc import RevisitOf, WarcLocation, write_capture_warc

BATCH_LABEL = "unchanged_checks"  # in the names of batch WARC files; never a source slug (no "_" in those)
SCHEMA_VERSION = 4  # SCHEMA below is version 1; MIGRATIONS bring an index up to this one

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
}


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def iso(dt: datetime) -> str:
    return dt.astimezone(timezone.utc).isoformat(timespec="seconds")


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class SourceState:
    """What the archive knows of a source before a check."""

    name: str
    etag: str | None
    last_modified: str | None
    last_raw_sha256: str | None
    failures: int
    version_id: int | None         # the latest version's row id
    version_seq: int
    text_sha256: str | None
    normalizer_version: int | None
    version_capture_id: int | None
    state: str = "active"              # "active" | "removed" (404/410, redirect home, placeholder)
    state_since: str | None = None
    state_reason: str | None = None
    checks: int = 0                    # checks recorded so far (changes with every recorded check)
    health: str = "ok"                 # operator health: "ok" | "failing" (redline.alerts.health)


@dataclass(frozen=True)
class Version:
    id: int
    source: str
    seq: int
    text_sha256: str
    capture_id: int | None
    first_seen: str
    normalizer_version: int | None
    origin: str
    title: str
    chars: int


@dataclass(frozen=True)
class NewVersion:
    """A version to add in a check's transaction (the text blob is written first)."""

    text: str
    title: str
    origin: str                  # "capture" | "baseline" | "renormalized"
    normalizer_version: int | None
    first_seen: datetime | None = None


@dataclass(frozen=True)
class PendingCheck:
    """An unchanged check waiting for its batch (redline.store.batching): its WARC record is built
    (one gzip member, `record`), its index rows are written by Archive.record_unchanged.
    `result` is kept without its body and text (`body_bytes` says how long it was)."""

    source: str
    result: FetchResult
    body_bytes: int
    run_id: str
    record: bytes
    record_id: str
    revisit: bool
    raw_sha256: str | None = None
    text_sha256: str | None = None
    profile: str | None = None
    normalizer_version: int | None = None
    profile_asked: str | None = None
    seen_checks: int = 0                 # the source's `checks` when this check read its state


@dataclass(frozen=True)
class NewChange:
    kind: str                    # "trivial" | "substantive" | "renormalized"
    reasons: Sequence[str] = ()
    stats: dict | None = None


@dataclass(frozen=True)
class NewAlert:
    kind: str
    title: str
    url: str
    summary: str
    diff_text: str = ""
    diff_html: str = ""
    stats: dict | None = None


class Archive:
    """An archive rooted at a folder. Safe to share between threads."""

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root)
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(self.root / "index.sqlite", timeout=60,
                                       check_same_thread=False, isolation_level=None)
            self._db.row_factory = sqlite3.Row
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.execute("PRAGMA foreign_keys=ON")
            self._db.executescript(SCHEMA)
            self._db.execute("INSERT OR IGNORE INTO meta VALUES ('schema_version', '1')")  # SCHEMA's version
            _migrate(self._db)
        except (OSError, sqlite3.Error) as exc:
            raise ArchiveError(f"cannot open the archive at {self.root}: {exc}") from None
        self._lock = threading.RLock()

    # -- plumbing ---------------------------------------------------------

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def __enter__(self) -> "Archive":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def _query(self, sql: str, params: Sequence[object] = ()) -> list[sqlite3.Row]:
        with self._lock:
            return self._db.execute(sql, params).fetchall()

    def query(self, sql: str, params: Sequence[object] = ()) -> list[sqlite3.Row]:
        """A read-only query, for views and reports (redline.store.readmodel); writes go through the methods here."""
        if not sql.lstrip().upper().startswith(("SELECT", "WITH", "EXPLAIN")):
            raise ArchiveError("Archive.query runs read-only queries (SELECT / WITH / EXPLAIN) only")
        return self._query(sql, params)

    @property
    def alerts_log(self) -> Path:
        return self.root / "alerts.jsonl"

    @property
    def feeds_dir(self) -> Path:
        return self.root / "feeds"

    # -- text blobs -------------------------------------------------------

    def text_path(self, digest: str) -> Path:
        return self.root / "text" / digest[:2] / f"{digest[2:]}.txt.gz"

    def put_text(self, text: str) -> str:
        """Store text once per distinct sha256; return the digest."""
        digest = sha256_text(text)
        path = self.text_path(digest)
        if not path.exists():
            atomic_write_bytes(path, gzip.compress(text.encode("utf-8"), mtime=0))
        return digest

    def get_text(self, digest: str) -> str:
        try:
            return gzip.decompress(self.text_path(digest).read_bytes()).decode("utf-8")
        except FileNotFoundError:
            raise ArchiveError(f"text blob {digest} is missing from {self.root / 'text'}") from None

    # -- sources ----------------------------------------------------------

    def sync_sources(self, sources: Iterable[Source]) -> None:
        """Add new registry entries and refresh the metadata of known ones (history is kept).

        A source moved by `redline sources move` keeps its new address as long as the
        registry still gives the one it was moved from; a new address in the registry wins."""
        now = iso(utcnow())
        sources = [s for s in sources if _slug(s.name)]
        with self._tx() as db:
            for s in sources:
                row = db.execute("SELECT url, registry_url FROM sources WHERE name=?", (s.name,)).fetchone()
                moved = row is not None and row["registry_url"] is not None and row["registry_url"] == s.url
                if moved:
                    s = replace(s, url=row["url"])
                elif row is not None and row["url"] != s.url:  # a new address: the old validators are not its
                    db.execute("UPDATE sources SET etag=NULL, last_modified=NULL, registry_url=NULL WHERE name=?",
                               (s.name,))
                db.execute(
                    """INSERT INTO sources (name, url, title, date, language, profile, tags, kind, origin, enabled, added_at)
                       VALUES (?,?,?,?,?,?,?,?,?,?,?)
                       ON CONFLICT(name) DO UPDATE SET url=excluded.url, title=excluded.title, date=excluded.date,
                         language=excluded.language, profile=excluded.profile, tags=excluded.tags,
                         kind=excluded.kind, enabled=excluded.enabled""",
                    (s.name, s.url, s.title, s.date, s.language, s.profile, json.dumps(list(s.tags)),
                     s.kind, s.origin, int(s.enabled), now))
                _remember_url(db, s.name, s.url, "registry", now)

    def source_row(self, name: str) -> sqlite3.Row:
        rows = self._query("SELECT * FROM sources WHERE name=?", (name,))
        if not rows:
            raise NotFoundError(f"no source named {name!r} in the archive at {self.root}")
        return rows[0]

    def sources(self) -> list[sqlite3.Row]:
        return self._query("SELECT * FROM sources ORDER BY name")

    def state(self, name: str) -> SourceState:
        """The source's row, its latest version and its health, in one query (a check's first read)."""
        rows = self._query(
            """SELECT s.*, v.id AS v_id, v.seq AS v_seq, v.text_sha256 AS v_text, v.normalizer_version AS v_norm,
                      v.capture_id AS v_capture, COALESCE(h.state, 'ok') AS health
               FROM sources s
               LEFT JOIN versions v ON v.id = (SELECT id FROM versions WHERE source = s.name ORDER BY seq DESC LIMIT 1)
               LEFT JOIN source_health h ON h.source = s.name
               WHERE s.name = ?""", (name,))
        if not rows:
            raise NotFoundError(f"no source named {name!r} in the archive at {self.root}")
        row = rows[0]
        return SourceState(
            name=name, etag=row["etag"], last_modified=row["last_modified"],
            last_raw_sha256=row["last_raw_sha256"], failures=row["failures"],
            version_id=row["v_id"], version_seq=row["v_seq"] or 0, text_sha256=row["v_text"],
            normalizer_version=row["v_norm"], version_capture_id=row["v_capture"],
            state=row["state"], state_since=row["state_since"], state_reason=row["state_reason"],
            checks=row["checks"], health=row["health"],
        )

    # -- versions ---------------------------------------------------------

    def latest_version(self, name: str) -> Version | None:
        rows = self._query("SELECT * FROM versions WHERE source=? ORDER BY seq DESC LIMIT 1", (name,))
        return Version(**dict(rows[0])) if rows else None

    def versions(self, name: str) -> list[Version]:
        return [Version(**dict(r)) for r in
                self._query("SELECT * FROM versions WHERE source=? ORDER BY seq", (name,))]

    def version(self, version_id: int) -> Version:
        rows = self._query("SELECT * FROM versions WHERE id=?", (version_id,))
        if not rows:
            raise NotFoundError(f"no version {version_id} in the archive at {self.root}")
        return Version(**dict(rows[0]))

    def import_baseline(self, source: Source, text: str, *, normalizer_version: int | None) -> int | None:
        """Make `text` the source's first version, dated by the source's date; no-op once it has any."""
        if self.latest_version(source.name) is not None:
            return None
        digest = self.put_text(text)
        first_seen = _parse_date(source.date) or utcnow()
        with self._tx() as db:
            if db.execute("SELECT 1 FROM versions WHERE source=?", (source.name,)).fetchone():
                return None
            return self._add_version(db, source.name, digest, NewVersion(
                text=text, title=source.title, origin="baseline",
                normalizer_version=normalizer_version, first_seen=first_seen), None, 0)

    def _add_version(self, db: sqlite3.Connection, name: str, digest: str, v: NewVersion,
                     capture_id: int | None, prev_seq: int) -> int:
        cur = db.execute(
            """INSERT INTO versions (source, seq, text_sha256, capture_id, first_seen, normalizer_version, origin, title, chars)
               VALUES (?,?,?,?,?,?,?,?,?)""",
            (name, prev_seq + 1, digest, capture_id, iso(v.first_seen or utcnow()),
             v.normalizer_version, v.origin, v.title, len(v.text)))
        return int(cur.lastrowid)

    # -- captures ---------------------------------------------------------

    def _warc_path(self, when: datetime, label: str) -> Path:
        folder = self.root / "warc" / f"{when:%Y}" / f"{when:%m}"
        return folder / f"{when:%Y%m%d%H%M%S}-{label}-{uuid.uuid4().hex[:8]}.warc.gz"

    def write_warc(self, source: str, result: FetchResult, *, revisit_of: RevisitOf | None = None,
                   metadata: dict | None = None) -> WarcLocation:
        return write_capture_warc(self._warc_path(result.fetched_at, _slug(source)), result, root=self.root,
                                  revisit_of=revisit_of, metadata=metadata)

    def record_unchanged(self, checks: Sequence[PendingCheck]) -> list[int]:
        """Archive a batch of unchanged checks: their records in one new WARC file (written
        and renamed first), their capture rows and source updates in one transaction.
        Returns the capture ids. A source whose check was recorded since this one read its
        state (a later check committed first) keeps that check's state; the capture row of
        this one is added all the same."""
        if not checks:
            return []
        path = self._warc_path(utcnow(), BATCH_LABEL)
        locations, offset = [], 0
        for c in checks:
            locations.append(WarcLocation(str(path.relative_to(self.root)), offset, len(c.record),
                                          c.record_id, c.revisit))
            offset += len(c.record)
        try:
            atomic_write_bytes(path, b"".join(c.record for c in checks))
        except OSError as exc:
            raise ArchiveError(f"cannot write {path}: {exc}") from None
        ids = []
        with self._tx() as db:
            for c, warc in zip(checks, locations):
                ids.append(_insert_capture(db, c.source, c.result, run_id=c.run_id, error=None, warc=warc,
                                           raw_sha256=c.raw_sha256, text_sha256=c.text_sha256,
                                           profile=c.profile, normalizer_version=c.normalizer_version,
                                           body_bytes=c.body_bytes, profile_asked=c.profile_asked))
                keep = not c.result.not_modified
                _update_source(db, c.source, c.result, error=None, failed=False, keep=keep,
                               raw_sha256=c.raw_sha256, changed=False, now=None,
                               unless_checked_since=c.seen_checks)
        return ids

    def record_check(self, source: str, result: FetchResult, *, run_id: str,
                     warc: WarcLocation | None = None, raw_sha256: str | None = None,
                     text_sha256: str | None = None, profile: str | None = None,
                     normalizer_version: int | None = None, error: str | None = None,
                     profile_asked: str | None = None,
                     versions: Sequence[tuple[NewVersion, NewChange | None]] = (),
                     alert: NewAlert | None = None, sinks: Sequence[str] = (),
                     failed: bool | None = None, state: str | None = None) -> dict:
        """Record one check in a single transaction: the capture, any new versions
        (each with the change from the one before), an alert for the last change,
        and a pending delivery per sink. Text blobs are written before the transaction.

        `failed` says whether `error` counts as a failure of the source (default: any error
        does; a removed page does not). `state` sets the source's state ("active" |
        "removed"); a "removed" check keeps the validators of the last good capture."""
        digests = [self.put_text(v.text) for v, _ in versions]
        error = error if error is not None else result.error
        now = iso(utcnow())
        out: dict = {"capture_id": None, "version_ids": [], "change_ids": [], "alert_id": None}
        with self._tx() as db:
            srow = db.execute("SELECT failures FROM sources WHERE name=?", (source,)).fetchone()
            if srow is None:
                raise NotFoundError(f"no source named {source!r} in the archive at {self.root}")
            capture_id = _insert_capture(db, source, result, run_id=run_id, error=error, warc=warc,
                                         raw_sha256=raw_sha256, text_sha256=text_sha256, profile=profile,
                                         normalizer_version=normalizer_version, profile_asked=profile_asked)
            out["capture_id"] = capture_id
            last = db.execute("SELECT id, seq FROM versions WHERE source=? ORDER BY seq DESC LIMIT 1",
                              (source,)).fetchone()
            prev_id, prev_seq = (last["id"], last["seq"]) if last else (None, 0)
            change_id = None
            for (v, change), digest in zip(versions, digests):
                vid = self._add_version(db, source, digest, v, capture_id, prev_seq)
                out["version_ids"].append(vid)
                if change is not None:
                    c = db.execute(
                        "INSERT INTO changes (source, from_version, to_version, kind, reasons, stats, created_at) VALUES (?,?,?,?,?,?,?)",
                        (source, prev_id, vid, change.kind, json.dumps(list(change.reasons)),
                         json.dumps(change.stats or {}), now))
                    change_id = int(c.lastrowid)
                    out["change_ids"].append(change_id)
                prev_id, prev_seq = vid, prev_seq + 1
            if alert is not None:
                out["alert_id"] = _insert_alert(db, source, alert, sinks, now, change_id=change_id,
                                                from_version=last["id"] if last else None,
                                                to_version=prev_id if out["version_ids"] else None)
            failed = error is not None if failed is None else failed
            keep = not failed and not result.not_modified and state != "removed"  # take this capture's validators
            _update_source(db, source, result, error=error, failed=failed, keep=keep, raw_sha256=raw_sha256,
                           changed=bool(out["change_ids"]), now=now)
            if state is not None:
                db.execute("""UPDATE sources SET state_since=CASE WHEN state=? THEN state_since ELSE ? END,
                              state_reason=CASE WHEN state=? THEN state_reason ELSE ? END, state=?
                              WHERE name=?""",
                           (state, now, state, None if state == "active" else error, state, source))
        return out

    def capture(self, capture_id: int) -> sqlite3.Row:
        rows = self._query("SELECT * FROM captures WHERE id=?", (capture_id,))
        if not rows:
            raise NotFoundError(f"no capture {capture_id} in the archive at {self.root}")
        return rows[0]

    def raw_body(self, capture_id: int) -> bytes | None:
        """The raw response body of a capture, read back from its WARC record (following a revisit)."""
        from redline.store.warc import read_payload

        row = self.capture(capture_id)
        if not row["warc_path"]:
            return None
        if row["revisit"]:
            orig = self._query(
                "SELECT id FROM captures WHERE source=? AND raw_sha256=? AND revisit=0 AND warc_path IS NOT NULL "
                "ORDER BY id LIMIT 1", (row["source"], row["raw_sha256"]))
            return self.raw_body(orig[0]["id"]) if orig else None
        return read_payload(self.root / row["warc_path"], row["warc_offset"])

    def original_warc_record(self, source: str, raw_sha256: str) -> RevisitOf | None:
        """The first full response record of this source with this body, for a revisit record."""
        rows = self._query(
            "SELECT warc_record_id, final_url, fetched_at FROM captures WHERE source=? AND raw_sha256=? "
            "AND revisit=0 AND warc_record_id IS NOT NULL ORDER BY id LIMIT 1", (source, raw_sha256))
        if not rows:
            return None
        r = rows[0]
        return RevisitOf(r["warc_record_id"], r["final_url"], datetime.fromisoformat(r["fetched_at"]))

    # -- addresses, moves, discovered sources, listing items ----------------

    def url_history(self, name: str) -> list[sqlite3.Row]:
        """Every address a source has had, oldest first (until is NULL for the current one)."""
        return self._query("SELECT * FROM source_urls WHERE source=? ORDER BY since, until IS NULL, rowid", (name,))

    def move_source(self, name: str, new_url: str, *, registry_url: str | None = None) -> sqlite3.Row:
        """Give a source a new address, keeping its history (versions, captures, alerts, old URL).

        `registry_url`: the address the sources file gives it (a registry source), so that
        syncing the registry keeps the move; None for a discovered source. Returns the row
        as it was before the move."""
        now = iso(utcnow())
        with self._tx() as db:
            row = db.execute("SELECT * FROM sources WHERE name=?", (name,)).fetchone()
            if row is None:
                raise NotFoundError(f"no source named {name!r} in the archive at {self.root}")
            db.execute("UPDATE source_urls SET until=? WHERE source=? AND until IS NULL", (now, name))
            db.execute("""UPDATE sources SET url=?, registry_url=COALESCE(registry_url, ?), etag=NULL,
                          last_modified=NULL WHERE name=?""", (new_url, registry_url, name))
            _remember_url(db, name, new_url, "moved", now, current=True)
        return row

    def add_alert(self, source: str, alert: NewAlert, *, sinks: Sequence[str] = (),
                  from_version: int | None = None) -> int:
        """Record an alert that no check made (a new statement, a suggested move) and its deliveries."""
        with self._tx() as db:
            return _insert_alert(db, source, alert, sinks, iso(utcnow()), from_version=from_version)

    def set_enabled(self, name: str, enabled: bool) -> None:
        """Enable or disable a source in the archive (discovered sources live only here)."""
        with self._tx() as db:
            if db.execute("UPDATE sources SET enabled=? WHERE name=?", (int(enabled), name)).rowcount == 0:
                raise NotFoundError(f"no source named {name!r} in the archive at {self.root}")

    def discovered_sources(self) -> list[Source]:
        """Sources that `redline discover` added (enabled or not), oldest first."""
        rows = self._query("SELECT * FROM sources WHERE origin='discovered' ORDER BY added_at, name")
        return [Source(name=r["name"], url=r["url"], title=r["title"], date=r["date"], language=r["language"],
                       profile=r["profile"], tags=tuple(json.loads(r["tags"])), kind=r["kind"],
                       enabled=bool(r["enabled"]), origin="discovered") for r in rows]

    def listing_items(self, listing: str | None = None, *, outcomes: Sequence[str] | None = None) -> list[sqlite3.Row]:
        where, params = [], []
        if listing is not None:
            where.append("listing=?")
            params.append(listing)
        if outcomes is not None:
            where.append(f"outcome IN ({','.join('?' * len(outcomes))})")
            params += list(outcomes)
        sql = "SELECT * FROM listing_items" + (" WHERE " + " AND ".join(where) if where else "")
        return self._query(sql + " ORDER BY first_seen, rowid", params)

    def claim_listing_item(self, *, listing: str, url: str, title: str, date: str, score: float,
                           terms: Sequence[str], reason: str,
                           decide: Callable[["ItemMatch"], "ItemClaim"]) -> "ItemClaim":
        """Remember an item found on a listing, once per address, in one transaction.

        An item seen before (same url_key) comes back as outcome "seen". Otherwise `decide`
        gets what the archive knows of the item's address, document id and title, and its
        claim is recorded: the item, and the new source when the claim makes one. Deciding
        inside the transaction keeps two listings (or two runs) from adding one statement twice."""
        key, dkey, tkey = url_key(url), doc_key(url), title_key(title)
        now = iso(utcnow())
        with self._tx() as db:
            seen = db.execute("SELECT * FROM listing_items WHERE url_key=?", (key,)).fetchone()
            if seen is not None:
                db.execute("UPDATE listing_items SET last_seen=? WHERE url_key=?", (now, key))
                return ItemClaim("seen", seen["source"])
            by_url = db.execute("SELECT source FROM source_urls WHERE url_key=? ORDER BY until IS NOT NULL, since DESC"
                                " LIMIT 1", (key,)).fetchone()
            by_doc = db.execute("SELECT source FROM source_urls WHERE doc_key=? ORDER BY until IS NOT NULL, since DESC"
                                " LIMIT 1", (dkey,)).fetchone() if dkey else None
            doc_seen = db.execute("SELECT * FROM listing_items WHERE doc_key=? ORDER BY rowid LIMIT 1",
                                  (dkey,)).fetchone() if dkey else None
            removed = {r["name"]: r["title"] for r in
                       db.execute("SELECT name, title FROM sources WHERE state='removed' ORDER BY name")}
            names = frozenset(r["name"] for r in db.execute("SELECT name FROM sources"))
            claim = decide(ItemMatch(
                by_url=by_url["source"] if by_url else None, by_doc=by_doc["source"] if by_doc else None,
                doc_seen_source=doc_seen["source"] if doc_seen else None, doc_seen=doc_seen is not None,
                removed=frozenset(removed),
                removed_by_title=next((n for n, t in removed.items() if tkey and title_key(t) == tkey), None),
                names=names))
            s = claim.new_source
            if s is not None:
                db.execute(
                    """INSERT INTO sources (name, url, title, date, language, profile, tags, kind, origin, enabled,
                       added_at, listing, score, terms, score_reason) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)""",
                    (s.name, s.url, s.title, s.date, s.language, s.profile, json.dumps(list(s.tags)), s.kind,
                     "discovered", int(s.enabled), now, listing, score, json.dumps(list(terms), ensure_ascii=False),
                     reason))
                _remember_url(db, s.name, s.url, "discovered", now)
            db.execute(
                """INSERT INTO listing_items (url_key, url, doc_key, title, date, listing, first_seen, last_seen,
                   score, terms, reason, outcome, source, note) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)""",
                (key, url, dkey, title, date, listing, now, now, score, json.dumps(list(terms), ensure_ascii=False),
                 reason, claim.outcome, claim.source, claim.note))
        return claim

    def touch_listing_items(self, urls: Sequence[str]) -> set[str]:
        """The url_keys of these addresses that were met before, noting (in one transaction)
        that they are still listed."""
        keys = list(dict.fromkeys(url_key(u) for u in urls))
        now, seen = iso(utcnow()), set()
        with self._tx() as db:
            for key in keys:
                if db.execute("UPDATE listing_items SET last_seen=? WHERE url_key=?", (now, key)).rowcount:
                    seen.add(key)
        return seen

    def set_item_alert(self, url: str, alert_id: int) -> None:
        with self._tx() as db:
            db.execute("UPDATE listing_items SET alert_id=? WHERE url_key=?", (alert_id, url_key(url)))

    # -- alerts -----------------------------------------------------------

    def alert(self, alert_id: int) -> Alert:
        rows = self._query("SELECT * FROM alerts WHERE id=?", (alert_id,))
        if not rows:
            raise NotFoundError(f"no alert {alert_id} in the archive at {self.root}")
        return _alert_from_row(rows[0])

    def alerts(self, *, source: str | None = None, limit: int = 100,
               kinds: Sequence[str] | None = None, exclude_kinds: Sequence[str] = ()) -> list[Alert]:
        where, params = [], []
        if source:
            where.append("source=?")
            params.append(source)
        if kinds is not None:
            where.append(f"kind IN ({','.join('?' * len(kinds))})")
            params += list(kinds)
        if exclude_kinds:
            where.append(f"kind NOT IN ({','.join('?' * len(exclude_kinds))})")
            params += list(exclude_kinds)
        sql = "SELECT * FROM alerts" + (" WHERE " + " AND ".join(where) if where else "")
        rows = self._query(sql + " ORDER BY id DESC LIMIT ?", (*params, limit))
        return [_alert_from_row(r) for r in rows]

    def captures_since(self, since: datetime, names: Sequence[str] = ()) -> list[sqlite3.Row]:
        """Each source's latest capture at or after `since`, with the version and alert it made."""
        sql = """SELECT c.*, v.id AS version_id, ch.kind AS change_kind, a.id AS alert_id
                 FROM captures c
                 JOIN (SELECT source, MAX(id) AS id FROM captures WHERE fetched_at >= ? GROUP BY source) last
                   ON last.id = c.id
                 LEFT JOIN versions v ON v.capture_id = c.id AND v.origin = 'capture'
                 LEFT JOIN changes ch ON ch.to_version = v.id
                 LEFT JOIN alerts a ON a.change_id = ch.id"""
        rows = self._query(sql + " ORDER BY c.source", (iso(since),))
        return [r for r in rows if not names or r["source"] in names]

    # -- operator health --------------------------------------------------

    def health(self, name: str) -> str:
        rows = self._query("SELECT state FROM source_health WHERE source=?", (name,))
        return rows[0]["state"] if rows else "ok"

    def record_health(self, name: str, state: str, *, alert: NewAlert | None = None,
                      sinks: Sequence[str] = ()) -> int | None:
        """Set a source's health state and, in the same transaction, record its operator alert."""
        now = iso(utcnow())
        with self._tx() as db:
            alert_id = _insert_alert(db, name, alert, sinks, now) if alert else None
            db.execute("""INSERT INTO source_health (source, state, since, alert_id) VALUES (?,?,?,?)
                          ON CONFLICT(source) DO UPDATE SET state=excluded.state, since=excluded.since,
                          alert_id=excluded.alert_id""", (name, state, now, alert_id))
        return alert_id

    def pending_deliveries(self) -> list[sqlite3.Row]:
        return self._query("SELECT * FROM deliveries WHERE status != 'delivered' ORDER BY alert_id, sink")

    def claim_delivery(self, alert_id: int, sink: str) -> str | None:
        """Mark a delivery 'sending' before it is sent; return the status it had ('pending',
        'failed', or 'sending': a run stopped while sending it, so it may have arrived), or
        None when it is delivered already. Callers hold locks.delivery_lock around claim,
        send and mark_delivery, so a 'sending' seen here is always a stale one."""
        with self._tx() as db:
            row = db.execute("SELECT status FROM deliveries WHERE alert_id=? AND sink=?", (alert_id, sink)).fetchone()
            if row is None or row["status"] == "delivered":
                return None
            db.execute("UPDATE deliveries SET status='sending', updated_at=? WHERE alert_id=? AND sink=?",
                       (iso(utcnow()), alert_id, sink))
            return row["status"]

    def mark_delivery(self, alert_id: int, sink: str, *, error: str | None) -> None:
        with self._tx() as db:
            db.execute("""UPDATE deliveries SET status=?, attempts=attempts+1, last_error=?, updated_at=?
                          WHERE alert_id=? AND sink=?""",
                       ("failed" if error else "delivered", error, iso(utcnow()), alert_id, sink))

    def deliveries(self, alert_id: int) -> list[sqlite3.Row]:
        return self._query("SELECT * FROM deliveries WHERE alert_id=? ORDER BY sink", (alert_id,))

    def counts(self) -> dict[str, int]:
        return {t: self._query(f"SELECT COUNT(*) AS n FROM {t}")[0]["n"]
                for t in ("sources", "captures", "versions", "changes", "alerts", "deliveries")}


def is_batch_file(warc_path: str) -> bool:
    """Whether a capture's WARC file is a batch of unchanged checks (one record per capture,
    at warc_offset, warc_length long) rather than the capture's own file."""
    return f"-{BATCH_LABEL}-" in Path(warc_path).name


def _insert_capture(db: sqlite3.Connection, source: str, result: FetchResult, *, run_id: str,
                    error: str | None, warc: WarcLocation | None, raw_sha256: str | None,
                    text_sha256: str | None, profile: str | None, normalizer_version: int | None,
                    body_bytes: int | None = None, profile_asked: str | None = None) -> int:
    cur = db.execute(
        """INSERT INTO captures (source, run_id, url, final_url, fetched_at, status, not_modified, error,
           etag, last_modified, content_type, encoding, redirects, raw_sha256, body_bytes,
           warc_path, warc_offset, warc_length, warc_record_id, revisit, text_sha256, profile,
           normalizer_version, elapsed, profile_asked) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)""",
        (source, run_id, result.url, result.final_url, iso(result.fetched_at), result.status,
         int(result.not_modified), error, result.header("etag"), result.header("last-modified"),
         result.header("content-type"), result.encoding, json.dumps(list(result.redirects)),
         raw_sha256, len(result.body) if body_bytes is None else body_bytes,
         warc.path if warc else None, warc.offset if warc else None,
         warc.length if warc else None, warc.record_id if warc else None,
         int(bool(warc and warc.revisit)), text_sha256, profile, normalizer_version, result.elapsed,
         None if profile_asked == profile else profile_asked))
    return int(cur.lastrowid)


def _update_source(db: sqlite3.Connection, source: str, result: FetchResult, *, error: str | None,
                   failed: bool, keep: bool, raw_sha256: str | None, changed: bool, now: str | None,
                   unless_checked_since: int | None = None) -> None:
    """The source's row after a check: last check, checks and failures in a row, and
    (`keep`) this capture's validators. `unless_checked_since=N` leaves the row alone when
    its `checks` is no longer N (another check was recorded since this one read it)."""
    guard, seen = (0, 0) if unless_checked_since is None else (1, unless_checked_since)
    db.execute(
        """UPDATE sources SET last_check=?, last_status=?, last_error=?, checks=checks+1,
           failures=CASE WHEN ? THEN failures+1 ELSE 0 END,
           etag=CASE WHEN ? THEN ? ELSE etag END,
           last_modified=CASE WHEN ? THEN ? ELSE last_modified END,
           last_raw_sha256=COALESCE(?, last_raw_sha256),
           last_change=CASE WHEN ? THEN ? ELSE last_change END
           WHERE name=? AND (? = 0 OR checks = ?)""",
        (iso(result.fetched_at), result.status, error if failed else None, int(failed),
         int(keep), result.header("etag"),
         int(keep), result.header("last-modified"),
         raw_sha256 if keep else None,
         int(changed), now, source, guard, seen))


def _insert_alert(db: sqlite3.Connection, source: str, alert: NewAlert, sinks: Sequence[str], now: str, *,
                  change_id: int | None = None, from_version: int | None = None,
                  to_version: int | None = None) -> int:
    """Insert an alert and a pending delivery for each sink (inside the caller's transaction)."""
    cur = db.execute(
        """INSERT INTO alerts (kind, source, change_id, created_at, title, url, summary, from_version,
           to_version, diff_text, diff_html, stats) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)""",
        (alert.kind, source, change_id, now, alert.title, alert.url, alert.summary, from_version,
         to_version, alert.diff_text, alert.diff_html, json.dumps(alert.stats or {})))
    alert_id = int(cur.lastrowid)
    for sink in sinks:
        db.execute("INSERT INTO deliveries (alert_id, sink, updated_at) VALUES (?,?,?)", (alert_id, sink, now))
    return alert_id


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
                    until=CASE WHEN ? THEN NULL ELSE until END""",
               (source, url, url_key(url), doc_key(url), now, reason, int(current)))


@dataclass(frozen=True)
class ItemMatch:
    """What the archive knows of a listing item, for deciding what it is (discovery.decide)."""

    by_url: str | None                # the source at this address (now or before)
    by_doc: str | None                # a source with this document id
    doc_seen: bool                    # an item with this document id was seen at another address
    doc_seen_source: str | None       # ... and the source it was recorded against
    removed: frozenset[str]           # sources that are removed now
    removed_by_title: str | None      # a removed source with this title
    names: frozenset[str]             # every source name (a new one must differ)


@dataclass(frozen=True)
class ItemClaim:
    """What a listing item is: "new" / "baseline" (a related statement, now tracked as
    `new_source`), "unrelated", "known" (a tracked source's address), "republication" (a
    tracked document at another address), "moved" (a removed statement, found again) or
    "seen" (an address met before)."""

    outcome: str
    source: str | None = None
    new_source: Source | None = None
    note: str = ""


def _alert_from_row(row: sqlite3.Row) -> Alert:
    return Alert(
        id=row["id"], kind=row["kind"], source=row["source"], title=row["title"], url=row["url"],
        created_at=datetime.fromisoformat(row["created_at"]), summary=row["summary"],
        from_version=row["from_version"], to_version=row["to_version"], diff_text=row["diff_text"],
        diff_html=row["diff_html"], stats=json.loads(row["stats"]))


def _parse_date(text: str) -> datetime | None:
    """Parse a registry date ("2020-12-16 22:36", "2016-07-11", "2017-03") as UTC."""
    for fmt in ("%Y-%m-%d %H:%M", "%Y-%m-%d", "%Y-%m", "%Y"):
        try:
            return datetime.strptime(text.strip(), fmt).replace(tzinfo=timezone.utc)
        except ValueError:
            continue
    return None


def _slug(name: str) -> str:
    """name, when it is a slug (sources.NAME_RE); it becomes part of file names, so anything
    else ("../x", "a/b", "") is refused before it reaches a path."""
    if not isinstance(name, str) or not NAME_RE.fullmatch(name):
        raise ArchiveError(f"refused: source name {name!r} is not a slug (a-z, 0-9 and '-'); "
                           "it would be used in file names")
    return name
