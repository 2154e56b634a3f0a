"""Alerts, operator health and deliveries in the index."""
from __future__ import annotations

import json
import sqlite3
from datetime import datetime
from pathlib import Path
from typing import Any, Mapping, Sequence

from redline.core.errors import ArchiveError, NotFoundError
from redline.core.model import Alert
from redline.store.types import (NewAlert)
from redline.store.sqlite.rows import ALERT_SELECT, _alert_from_row, _insert_alert, iso, utcnow


_CAPTURE_OUTCOMES = """SELECT c.*, v.id AS version_id, ch.kind AS change_kind, a.id AS alert_id
                 FROM captures c
                 JOIN (SELECT source, MAX(id) AS id FROM captures WHERE {where} GROUP BY source) last
                   ON last.id = c.id
                 LEFT JOIN versions v ON v.capture_id = c.id AND v.origin = 'capture'
                 LEFT JOIN changes ch ON ch.to_version = v.id
                 LEFT JOIN alerts a ON a.change_id = ch.id"""


def newest_logged_id(path: Path, *, tail: int = 65536) -> int:
    """The highest alert id among the last lines of an alert log (0 when it has none)."""
    try:
        with open(path, "rb") as fh:
            start = max(0, fh.seek(0, 2) - tail)
            fh.seek(start)
            lines = fh.read().splitlines()[1 if start else 0:]  # the first may be cut by the seek
    except FileNotFoundError:
        return 0
    ids = [0]
    for line in lines:
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if isinstance(record, dict) and isinstance(record.get("id"), int):
            ids.append(record["id"])
    return max(ids)


class AlertRecords:
    """Archive's part for alerts (mixed into Archive: uses its _tx/_query)."""

    # -- alerts -----------------------------------------------------------

    def alert(self, alert_id: int) -> Alert:
        rows = self._query(ALERT_SELECT + " WHERE a.id=?", (alert_id,))
        if not rows:
            raise NotFoundError(f"no alert {alert_id} in the archive at {self.root}")
        return _alert_from_row(rows[0])

    def alerts(self, *, source: str | None = None, limit: int = 100,
               kinds: Sequence[str] | None = None, exclude_kinds: Sequence[str] = ()) -> list[Alert]:
        where, params = [], []
        if source:
            where.append("a.source=?")
            params.append(source)
        if kinds is not None:
            where.append(f"a.kind IN ({','.join('?' * len(kinds))})")
            params += list(kinds)
        if exclude_kinds:
            where.append(f"a.kind NOT IN ({','.join('?' * len(exclude_kinds))})")
            params += list(exclude_kinds)
        sql = ALERT_SELECT + (" WHERE " + " AND ".join(where) if where else "")
        rows = self._query(sql + " ORDER BY a.id DESC LIMIT ?", (*params, limit))
        return [_alert_from_row(r) for r in rows]

    def captures_since(self, since: datetime, names: Sequence[str] = ()) -> list[sqlite3.Row]:
        """Each source's latest capture at or after `since`, with the version and alert it made."""
        rows = self._query(_CAPTURE_OUTCOMES.format(
            where="fetched_at >= ?") + " ORDER BY c.source", (iso(since),))
        return [r for r in rows if not names or r["source"] in names]

    def captures_of_run(self, run_id: str, names: Sequence[str] = ()) -> list[sqlite3.Row]:
        """Each source's latest capture recorded by run `run_id` (as captures_since): what a retried
        task of that run has done already."""
        rows = self._query(_CAPTURE_OUTCOMES.format(where="run_id = ?") + " ORDER BY c.source", (run_id,))
        return [r for r in rows if not names or r["source"] in names]

    def import_logged_alert(self, record: Mapping[str, Any], *, sink: str) -> bool:
        """Put back an alert from an alert log (after its index was lost: redline.monitor.rebuild)
        under its own id, with its versions found by their numbers (v1, v2, ...), the change that
        made it, and its delivery to `sink` (the log it came from) as done: never sent again.
        False when an alert with that id is in the index already."""
        def version_id(db: sqlite3.Connection, seq: object) -> int | None:
            if "to_version_id" not in record or not isinstance(seq, int):  # an old log: numbers unknown
                return None
            row = db.execute("SELECT id FROM versions WHERE source=? AND seq=?", (record["source"], seq)).fetchone()
            return row["id"] if row else None

        with self._tx() as db:
            if db.execute("SELECT 1 FROM alerts WHERE id=?", (record["id"],)).fetchone():
                return False
            from_id, to_id = version_id(db, record.get("from_version")), version_id(db, record.get("to_version"))
            change = db.execute("SELECT c.id FROM changes c LEFT JOIN alerts a ON a.change_id = c.id "
                                "WHERE c.to_version=? AND a.id IS NULL", (to_id,)).fetchone() if to_id else None
            db.execute(
                """INSERT INTO alerts (id, kind, source, change_id, created_at, title, url, summary, from_version,
                   to_version, diff_text, diff_html, stats) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)""",
                (record["id"], record["kind"], record["source"], change["id"] if change else None,
                 record.get("created_at") or iso(utcnow()), record.get("title", ""), record.get("url", ""),
                 record.get("summary", ""), from_id, to_id, record.get("diff_text", ""),
                 record.get("diff_html", ""), json.dumps(record.get("stats") or {})))
            db.execute("INSERT INTO deliveries (alert_id, sink, status, attempts, updated_at) "
                       "VALUES (?,?,'delivered',1,?)", (record["id"], sink, iso(utcnow())))
        return True

    def check_alert_log(self) -> None:
        """Raise, in one line, when an alert log names a newer alert than the index holds: the index
        is older than the log (restored from a backup, or a copy), and going on would give new
        alerts ids that feed readers have seen already."""
        newest = self._query("SELECT COALESCE(MAX(id), 0) AS n FROM alerts")[0]["n"]
        for name in ("alerts.jsonl", "operator-alerts.jsonl"):
            logged = newest_logged_id(self.root / name)
            if logged > newest:
                raise ArchiveError(
                    f"{self.root / name} holds alert {logged} but the index {self.root / 'index.sqlite'} only "
                    f"goes up to {newest or 'none'}: the index is older than its alert log; nothing was "
                    f"written; rebuild it with `redline rebuild-index --force --archive {self.root}`")

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

    def alert_counts(self, *, exclude_kinds: Sequence[str] = ()) -> dict[str, tuple[int, int]]:
        """Per source that has alerts (of other kinds than `exclude_kinds`): (how many, newest id)."""
        kinds = ",".join("?" * len(exclude_kinds))
        where = f" WHERE kind NOT IN ({kinds})" if exclude_kinds else ""
        return {r["source"]: (r["n"], r["newest"]) for r in self._query(
            f"SELECT source, COUNT(*) AS n, MAX(id) AS newest FROM alerts{where} GROUP BY source", tuple(exclude_kinds))}
