"""The Archive class: the index in SQLite (the embedded default: index.sqlite in the archive
folder) or in PostgreSQL ($REDLINE_STORE=postgresql://..., redline.store.postgres), one set of
record modules for both; the blobs (WARC files, texts, feeds, alert logs) in the folder."""
from __future__ import annotations

import json
import os
import sqlite3
import threading
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import replace
from pathlib import Path
from typing import Iterable, Iterator, Sequence

from redline.core.config import configured_store
from redline.core.errors import ArchiveError, ConfigError, NotFoundError
from redline.core.model import Source
from redline.store.locks import DEFAULT_WAIT, file_lock
from redline.store.types import (SourceState)
from redline.store.blobs import BlobStore
from redline.store.blobconfig import open_blobs
from redline.store.sqlite.alerts import AlertRecords
from redline.store.sqlite.blobio import BlobRecords
from redline.store.sqlite.checks import CheckRecords
from redline.store.sqlite.listings import ListingRecords
from redline.store.sqlite.search import SearchRecords
from redline.store.sqlite.rows import _in_sync, _slug, iso, utcnow
from redline.store.sqlite.schema import SCHEMA, _migrate, _remember_url


ENV_INDEX_WAIT = "REDLINE_INDEX_WAIT"
INDEX_NAME = "index.sqlite"
REBUILD_HINT = "rebuild it from the WARC files with `redline rebuild-index --archive {root}`"


def history_without_index(root: Path) -> str | None:
    """What a folder holds of an archive's history ("3 WARC files, 2 texts, an alert log"), or None
    when it holds none: a folder with history and no index lost its index."""
    def count(folder: str, pattern: str) -> int:
        base = root / folder
        return sum(1 for p in base.rglob(pattern) if not p.name.startswith(".tmp-")) if base.is_dir() else 0

    warcs, texts = count("warc", "*.warc.gz"), count("text", "*.txt.gz")
    log = (root / "alerts.jsonl").is_file() and (root / "alerts.jsonl").stat().st_size > 0
    held = [f"{warcs} WARC file{'s' * (warcs != 1)}" if warcs else "", f"{texts} text{'s' * (texts != 1)}" if texts else "",
            "an alert log" if log else ""]
    held = [h for h in held if h]
    return ", ".join(held) if held else None


def index_wait() -> float:
    """Seconds a write waits for another process's lock on the index ($REDLINE_INDEX_WAIT, default 60)."""
    try:
        return float(os.environ.get(ENV_INDEX_WAIT) or 60)
    except ValueError:
        raise ArchiveError(f"{ENV_INDEX_WAIT}={os.environ[ENV_INDEX_WAIT]!r} is not a number of seconds") from None


def store_url(root: Path | str) -> str | None:
    """Where the index of the archive at `root` lives when not in its folder (a postgresql:// URL:
    $REDLINE_STORE or `[store] index`, redline.core.config.configured_store), or None: index.sqlite."""
    try:
        return configured_store(root)
    except ConfigError as exc:
        raise ArchiveError(str(exc)) from None


def index_error(exc: sqlite3.OperationalError, root: Path) -> ArchiveError:
    """One line for what SQLite said: a lock held too long, a full disk, or the error as it is."""
    text = str(exc)
    if "locked" in text or "busy" in text:
        return ArchiveError(f"the archive index {root / 'index.sqlite'} is locked by another process (waited "
                            f"{index_wait():g} s, {ENV_INDEX_WAIT}); nothing of this was written, the next run "
                            "does it again")
    if "full" in text:
        return ArchiveError(f"the disk holding {root} is full; nothing of this was written; free some space "
                            "and run again")
    return ArchiveError(f"the archive index {root / 'index.sqlite'}: {text}")


def has_index(root: Path | str) -> bool:
    """Whether the archive at `root` has an index to open: index.sqlite in the folder, or, when the
    index is in PostgreSQL ($REDLINE_STORE), that database holds one (its tables are made on the
    first open by a run)."""
    url = store_url(root)
    if url is None:
        return (Path(root) / INDEX_NAME).is_file()
    from redline.store.postgres.connection import index_exists

    return index_exists(url)


def index_name(root: Path | str) -> str:
    """The archive's index, for messages: "index.sqlite", or its PostgreSQL database (no password)."""
    url = store_url(root)
    if url is None:
        return INDEX_NAME
    from redline.store.postgres.connection import redact

    return f"index in {redact(url)}"


def lost_index(root: Path) -> ArchiveError | None:
    """The error for a folder that holds an archive's history but no index (None when it has an
    index, or holds nothing yet): it is never started afresh, which would reuse alert ids."""
    if has_index(root):
        return None
    held = history_without_index(root)
    if held is None:
        return None
    return ArchiveError(f"the archive at {root} has no {index_name(root)} but holds {held}: its index was deleted or "
                        "moved; nothing was written; " + REBUILD_HINT.format(root=root))


def index_reads_fine(path: Path) -> bool:
    """Whether the index file at `path` opens, has its tables and passes SQLite's quick check."""
    try:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            db.execute("SELECT COUNT(*) FROM sources").fetchone()
            return db.execute("PRAGMA quick_check").fetchone()[0] == "ok"
        finally:
            db.close()
    except sqlite3.Error:
        return False


class Archive(BlobRecords, CheckRecords, ListingRecords, AlertRecords, SearchRecords):
    """An archive rooted at a folder. Safe to share between threads."""

    def __init__(self, root: Path | str, *, index: str = INDEX_NAME, durable: bool = True,
                 blobs: BlobStore | str | None = None, store: str | None = None, filling: bool = False) -> None:
        """Open (or, in a new folder, create) the archive at `root`. A folder that holds WARC files,
        texts or an alert log but no index lost it: it is refused, never started afresh (a new
        history would reuse alert ids that feed readers have seen). `index` names another index
        file in the folder (redline.monitor.rebuild builds one beside the old); `durable=False`
        leaves out the fsync of each commit (for an index nothing reads until it is complete).
        `blobs`: where the WARC captures, texts and feeds are (redline.store.blobs: a BlobStore, or
        a spec such as s3://bucket/prefix); by default $REDLINE_BLOBS, else the folder itself.
        `store` (default $REDLINE_STORE, else `[store] index`): a postgresql:// URL, the index in that
        database; "" the index.sqlite of the folder, whatever the settings say. A PostgreSQL database
        without the index's tables gets them, unless the archive holds history (WARC files, texts, an
        alert log: the index was lost), unless the caller is `filling` it (rebuild-index, store copy)."""
        self.root = Path(root)
        self.blobs = blobs if isinstance(blobs, BlobStore) else open_blobs(self.root, blobs)
        self._lock = threading.RLock()
        self._pg = None
        url = store_url(self.root) if store is None else store
        if url:
            self._open_postgres(url, index, filling=filling)
            return
        lost = lost_index(self.root) if index == INDEX_NAME else None
        if lost is not None:
            raise lost
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(self.root / index, timeout=index_wait(),
                                       check_same_thread=False, isolation_level=None)
            self._db.row_factory = sqlite3.Row
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL" if durable else "PRAGMA synchronous=OFF")
            self._db.execute("PRAGMA foreign_keys=ON")
            self._db.executescript(SCHEMA)
            self._db.execute("INSERT OR IGNORE INTO meta VALUES ('schema_version', '1')")  # SCHEMA's version
            _migrate(self._db)
        except sqlite3.DatabaseError as exc:
            if "not a database" in str(exc) or "malformed" in str(exc):
                raise ArchiveError(f"the archive index {self.root / index} is damaged ({exc}); nothing was written; "
                                   + REBUILD_HINT.format(root=self.root)) from None
            raise ArchiveError(f"cannot open the archive at {self.root}: {exc}") from None
        except (OSError, sqlite3.Error) as exc:
            raise ArchiveError(f"cannot open the archive at {self.root}: {exc}") from None
        self._backfill_search()

    def _open_postgres(self, url: str, index: str, *, filling: bool) -> None:
        from redline.store.postgres.connection import connect, index_exists, redact

        if index != INDEX_NAME:
            raise ArchiveError(f"an index file ({index}) is of the folder backend; this archive's index is in "
                               f"{redact(url)}")
        if not filling and not index_exists(url):   # a new database, or one that lost its tables
            held = history_without_index(self.root) or ("WARC files in " + self.blobs.where
                                                        if self.blobs.list("warc/") else None)
            if held:
                raise ArchiveError(f"the archive at {self.root} has no index in {redact(url)} but holds {held}: "
                                   "its index was dropped or the address is wrong; nothing was written; "
                                   + REBUILD_HINT.format(root=self.root))
        try:
            self.root.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ArchiveError(f"cannot open the archive at {self.root}: {exc.strerror or exc}") from None
        self._pg = self._db = connect(url, wait=index_wait())

    @property
    def backend(self) -> str:
        """Where the index is: "sqlite" (index.sqlite in the folder) or "postgresql"."""
        return "sqlite" if self._pg is None else "postgresql"

    def lock(self, name: str, *, wait: float = DEFAULT_WAIT, what: str = "") -> AbstractContextManager[None]:
        """An exclusive lock between runs, by name ("source-s1"): an flock of <archive>/locks/NAME.lock,
        or on PostgreSQL an advisory lock (runs on several machines share it)."""
        if self._pg is None:
            return file_lock(self.root / "locks" / f"{name}.lock", wait=wait, what=what)
        from redline.store.postgres.locks import advisory_lock

        return advisory_lock(self._pg, name, wait=wait, what=what, serialized=lambda: self._lock)

    def sole_use(self, what: str) -> AbstractContextManager[None]:
        """This archive's index to itself for the block (on PostgreSQL: no other process has it open,
        and none opens it meanwhile; refused in one line naming them). SQLite: a no-op (rebuild-index
        builds a new file beside the old)."""
        if self._pg is None:
            return nullcontext()
        return self._pg.sole_use(what)

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
            if self._pg is not None:
                with self._pg.write() as db:
                    yield db
                return
            try:
                self._db.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError as exc:
                raise index_error(exc, self.root) from None
            try:
                yield self._db
            except sqlite3.OperationalError as exc:
                self._rollback()
                raise index_error(exc, self.root) from None
            except BaseException:
                self._rollback()
                raise
            try:
                self._db.execute("COMMIT")
            except sqlite3.OperationalError as exc:
                self._rollback()
                raise index_error(exc, self.root) from None

    def _rollback(self) -> None:
        try:
            self._db.execute("ROLLBACK")
        except sqlite3.OperationalError:
            pass  # no transaction left to roll back (SQLite ended it itself)

    def _query(self, sql: str, params: Sequence[object] = ()) -> list[sqlite3.Row]:
        with self._lock:
            if self._pg is not None:
                return self._pg.execute(sql, params).fetchall()
            try:
                return self._db.execute(sql, params).fetchall()
            except sqlite3.OperationalError as exc:
                raise index_error(exc, self.root) from None

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


    # -- sources ----------------------------------------------------------

    def sync_sources(self, sources: Iterable[Source]) -> None:
        """Add new registry entries and refresh the metadata of known ones (history is kept).

        A source moved by `redline sources move` keeps its new address as long as the
        registry still gives the one it was moved from; a new address in the registry wins."""
        now = iso(utcnow())
        known = {row["name"]: row for row in self._query(
            "SELECT name, url, registry_url, title, date, language, profile, tags, kind, enabled FROM sources")}
        addresses = {(row["source"], row["url"]) for row in self._query("SELECT source, url FROM source_urls")}
        sources = [s for s in sources if _slug(s.name) and not _in_sync(known.get(s.name), s, addresses)]
        if not sources:   # every cycle calls this: an unchanged registry costs two reads, no write
            return
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
