"""What a check reads and records: versions, captures (one transaction per check); the blobs in sqlite.blobio."""
from __future__ import annotations

import json
import sqlite3
from dataclasses import replace
from datetime import datetime
from typing import Any, Mapping, Sequence

from redline.core.errors import NotFoundError
from redline.core.model import FetchResult, Source
from redline.store.warc import RevisitOf, WarcLocation
from redline.store.types import (RecordedCheck, NewAlert, NewChange, NewVersion, PendingCheck,
                                 Version)
from redline.store.sqlite.search import index_version_lines
from redline.store.sqlite.rows import (BATCH_LABEL, INSERT_CAPTURE, UPDATE_SOURCE, _insert_alert, _insert_capture,
                                       _parse_date, _update_source, capture_values, insert_many, iso, source_values, utcnow)



class CheckRecords:
    """Archive's part for checks (mixed into Archive: uses its _tx/_query/root and its blobs, sqlite.blobio)."""

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
        index_version_lines(db, name, prev_seq + 1, v.text)
        return int(cur.lastrowid)

    # -- captures ---------------------------------------------------------

    def record_unchanged(self, checks: Sequence[PendingCheck]) -> list[int]:
        """Archive a batch of unchanged checks: their records in one new WARC file (written
        and renamed first), their capture rows and source updates in one transaction.
        Returns the capture ids. A source whose check was recorded since this one read its
        state (a later check committed first) keeps that check's state; the capture row of
        this one is added all the same."""
        if not checks:
            return []
        key, offsets = self._write_batch_warc(BATCH_LABEL, utcnow(), [c.record for c in checks])
        locations = [WarcLocation(key, offset, len(c.record), c.record_id, c.revisit)
                     for c, offset in zip(checks, offsets)]
        captures = [capture_values(c.source, c.result, run_id=c.run_id, error=None, warc=warc,
                                   raw_sha256=c.raw_sha256, text_sha256=c.text_sha256, profile=c.profile,
                                   normalizer_version=c.normalizer_version, body_bytes=c.body_bytes,
                                   profile_asked=c.profile_asked) for c, warc in zip(checks, locations)]
        updates = [source_values(c.source, c.result, error=None, failed=False, keep=not c.result.not_modified,
                                 raw_sha256=c.raw_sha256, changed=False, now=None, unless_checked_since=c.seen_checks)
                   for c in checks]
        with self._tx() as db:
            ids = insert_many(db, INSERT_CAPTURE, captures)
            db.executemany(UPDATE_SOURCE, updates)
        return ids

    def record_check(self, source: str, result: FetchResult, *, run_id: str,
                     warc: WarcLocation | None = None, raw_sha256: str | None = None,
                     text_sha256: str | None = None, profile: str | None = None,
                     normalizer_version: int | None = None, error: str | None = None,
                     profile_asked: str | None = None,
                     versions: Sequence[tuple[NewVersion, NewChange | None]] = (),
                     alert: NewAlert | None = None, sinks: Sequence[str] = (),
                     failed: bool | None = None, state: str | None = None,
                     now: datetime | None = None) -> RecordedCheck:
        """Record one check in a single transaction: the capture, any new versions
        (each with the change from the one before), an alert for the last change,
        and a pending delivery per sink. Text blobs are written before the transaction.

        `failed` says whether `error` counts as a failure of the source (default: any error
        does; a removed page does not). `state` sets the source's state ("active" |
        "removed"); a "removed" check keeps the validators of the last good capture. `now` is when
        it is recorded (default: now; a rebuild of the index gives the capture's time)."""
        digests = [self.put_text(v.text) for v, _ in versions]
        error = error if error is not None else result.error
        when = now or utcnow()
        now = iso(when)
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
                # first seen when its capture was made (what a rebuild from the WARC record gives too)
                vid = self._add_version(db, source, digest, v if v.first_seen else replace(
                    v, first_seen=result.fetched_at if result.status is not None else when), capture_id, prev_seq)
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
        return RecordedCheck(capture_id=out["capture_id"], version_ids=tuple(out["version_ids"]),
                             change_ids=tuple(out["change_ids"]), alert_id=out["alert_id"])

    def capture(self, capture_id: int) -> sqlite3.Row:
        rows = self._query("SELECT * FROM captures WHERE id=?", (capture_id,))
        if not rows:
            raise NotFoundError(f"no capture {capture_id} in the archive at {self.root}")
        return rows[0]

    def raw_body(self, capture_id: int) -> bytes | None:
        """The raw response body of a capture, read back from its WARC record (following a revisit)."""
        row = self.capture(capture_id)
        if not row["warc_path"]:
            return None
        if row["revisit"]:
            orig = self._query(
                "SELECT id FROM captures WHERE source=? AND raw_sha256=? AND revisit=0 AND warc_path IS NOT NULL "
                "ORDER BY id LIMIT 1", (row["source"], row["raw_sha256"]))
            return self.raw_body(orig[0]["id"]) if orig else None
        return self._warc_payload(row["warc_path"], row["warc_offset"], row["warc_length"])

    def original_warc_record(self, source: str, raw_sha256: str) -> RevisitOf | None:
        """The first full response record of this source with this body, for a revisit record."""
        rows = self._query(
            "SELECT warc_record_id, final_url, fetched_at FROM captures WHERE source=? AND raw_sha256=? "
            "AND revisit=0 AND warc_record_id IS NOT NULL ORDER BY id LIMIT 1", (source, raw_sha256))
        if not rows:
            return None
        r = rows[0]
        return RevisitOf(r["warc_record_id"], r["final_url"], datetime.fromisoformat(r["fetched_at"]))

    def latest_capture_of_body(self, source: str, raw_sha256: str) -> Mapping[str, Any] | None:
        """The newest capture of `source` whose raw body had this digest and gave a text (no error):
        its text digest, the profile used and asked for, final URL and normalizer version."""
        rows = self._query(
            "SELECT text_sha256, profile, profile_asked, final_url, normalizer_version FROM captures WHERE source=? "
            "AND raw_sha256=? AND text_sha256 IS NOT NULL AND error IS NULL ORDER BY id DESC LIMIT 1",
            (source, raw_sha256))
        return rows[0] if rows else None
