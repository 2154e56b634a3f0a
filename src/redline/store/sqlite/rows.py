"""Row-level helpers of the SQLite index: timestamps, digests, and the INSERT/UPDATE of one
capture, source or alert inside a caller's transaction."""
from __future__ import annotations

import hashlib
import json
import sqlite3
from datetime import datetime, timezone
from pathlib import Path
from typing import Sequence

from redline.core.errors import ArchiveError
from redline.core.model import Alert, FetchResult, Source
from redline.registry.load import NAME_RE
from redline.store.warc import WarcLocation
from redline.store.types import (NewAlert)
BATCH_LABEL = "unchanged_checks"  # in the names of batch WARC files; never a source slug (no "_" in those)


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def iso(dt: datetime) -> str:
    return dt.astimezone(timezone.utc).isoformat(timespec="seconds")


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()




def is_batch_file(warc_path: str) -> bool:
    """Whether a capture's WARC file is a batch of unchanged checks (one record per capture,
    at warc_offset, warc_length long) rather than the capture's own file."""
    return f"-{BATCH_LABEL}-" in Path(warc_path).name


INSERT_CAPTURE = """INSERT INTO captures (source, run_id, url, final_url, fetched_at, status, not_modified, error,
           etag, last_modified, content_type, encoding, redirects, raw_sha256, body_bytes,
           warc_path, warc_offset, warc_length, warc_record_id, revisit, text_sha256, profile,
           normalizer_version, elapsed, profile_asked, repaired)
           VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"""

UPDATE_SOURCE = """UPDATE sources SET last_check=?, last_status=?, last_error=?, checks=checks+1,
           failures=CASE WHEN ? THEN failures+1 ELSE 0 END,
           etag=CASE WHEN ? THEN ? ELSE etag END,
           last_modified=CASE WHEN ? THEN ? ELSE last_modified END,
           last_raw_sha256=COALESCE(?, last_raw_sha256),
           last_change=CASE WHEN ? THEN ? ELSE last_change END
           WHERE name=? AND (? = 0 OR checks = ?)"""


def capture_values(source: str, result: FetchResult, *, run_id: str, error: str | None,
                   warc: WarcLocation | None, raw_sha256: str | None, text_sha256: str | None,
                   profile: str | None, normalizer_version: int | None, body_bytes: int | None = None,
                   profile_asked: str | None = None) -> tuple:
    """The values of INSERT_CAPTURE for one capture."""
    return (source, run_id, result.url, result.final_url, iso(result.fetched_at), result.status,
            int(result.not_modified), error, result.header("etag"), result.header("last-modified"),
            result.header("content-type"), result.encoding, json.dumps(list(result.redirects)),
            raw_sha256, len(result.body) if body_bytes is None else body_bytes,
            warc.path if warc else None, warc.offset if warc else None,
            warc.length if warc else None, warc.record_id if warc else None,
            int(bool(warc and warc.revisit)), text_sha256, profile, normalizer_version, result.elapsed,
            None if profile_asked == profile else profile_asked, result.repaired)


def _insert_capture(db: sqlite3.Connection, source: str, result: FetchResult, **values: object) -> int:
    return int(db.execute(INSERT_CAPTURE, capture_values(source, result, **values)).lastrowid)


def source_values(source: str, result: FetchResult, *, error: str | None, failed: bool, keep: bool,
                  raw_sha256: str | None, changed: bool, now: str | None,
                  unless_checked_since: int | None = None) -> tuple:
    """The values of UPDATE_SOURCE: the source's row after a check: last check, checks and failures
    in a row, and (`keep`) this capture's validators. `unless_checked_since=N` leaves the row alone
    when its `checks` is no longer N (another check was recorded since this one read it)."""
    guard, seen = (0, 0) if unless_checked_since is None else (1, unless_checked_since)
    return (iso(result.fetched_at), result.status, error if failed else None, int(failed),
            int(keep), result.header("etag"),
            int(keep), result.header("last-modified"),
            raw_sha256 if keep else None,
            int(changed), now, source, guard, seen)


def _update_source(db: sqlite3.Connection, source: str, result: FetchResult, **values: object) -> None:
    db.execute(UPDATE_SOURCE, source_values(source, result, **values))


def insert_many(db: sqlite3.Connection, sql: str, rows: Sequence[tuple]) -> list[int]:
    """INSERT each row; their generated ids. On PostgreSQL one pipelined round of statements
    (redline.store.postgres.connection.PgIndex.insert_many), on SQLite one statement after another."""
    if hasattr(db, "insert_many"):
        return db.insert_many(sql, rows)
    return [int(db.execute(sql, row).lastrowid) for row in rows]


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




# An alert with the numbers (v1, v2, ...) of its versions: what people are shown.
ALERT_SELECT = ("SELECT a.*, f.seq AS from_seq, t.seq AS to_seq, COALESCE(t.capture_id, f.capture_id) AS capture_id, "
                "f.first_seen AS from_seen, t.first_seen AS to_seen FROM alerts a "
                "LEFT JOIN versions f ON f.id = a.from_version LEFT JOIN versions t ON t.id = a.to_version")


def _alert_from_row(row: sqlite3.Row) -> Alert:
    return Alert(
        id=row["id"], kind=row["kind"], source=row["source"], title=row["title"], url=row["url"],
        created_at=datetime.fromisoformat(row["created_at"]), summary=row["summary"],
        from_version=row["from_version"], to_version=row["to_version"], diff_text=row["diff_text"],
        diff_html=row["diff_html"], stats=json.loads(row["stats"] or "{}"),
        from_seq=row["from_seq"], to_seq=row["to_seq"], capture_id=row["capture_id"],
        from_seen=row["from_seen"], to_seen=row["to_seen"])


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


def _in_sync(row, source: Source, addresses: set[tuple[str, str]]) -> bool:
    """Whether Archive.sync_sources would change nothing for `source`: its `sources` row (None:
    none yet) holds the registry's fields, at the address a `sources move` gave it while the
    registry still says the one it was moved from, and that address is among `addresses`
    (source, url) of source_urls."""
    if row is None:
        return False
    url = source.url
    if row["registry_url"] is not None and row["registry_url"] == source.url:
        url = row["url"]
    elif row["url"] != source.url:
        return False
    return ((row["title"], row["date"], row["language"], row["profile"], row["tags"], row["kind"],
             bool(row["enabled"])) == (source.title, source.date, source.language, source.profile,
                                       json.dumps(list(source.tags)), source.kind, source.enabled)
            and (source.name, url) in addresses)
