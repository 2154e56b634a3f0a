"""Health at a glance (pure over archive rows): one line per source, and whether all is well."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Iterable, Mapping

from redline.core.model import CheckOutcome
from redline.core.model import SourceStatus as Lifecycle  # the archive's state; this module's SourceStatus is a row


@dataclass(frozen=True)
class SourceStatus:
    name: str
    enabled: bool
    state: str              # "ok" | "failing" | "removed" | "never checked" | "disabled"
    last_check: str | None
    last_status: int | None
    failures: int
    last_change: str | None
    next_run: datetime | None
    last_error: str | None


def source_statuses(rows: Iterable[Mapping], *, health: Mapping[str, str],
                    next_runs: Mapping[str, tuple[datetime, tuple[str, ...]]] | None = None) -> list[SourceStatus]:
    """Join the archive's source rows with health states and the served schedules' next runs."""
    out = []
    for row in rows:
        if row["kind"] != "statement":
            continue
        tags = set(_tags(row["tags"]))
        nxt = [when for when, dep_tags in (next_runs or {}).values() if not dep_tags or tags & set(dep_tags)]
        enabled = bool(row["enabled"])
        state = ("disabled" if not enabled else "never checked" if row["last_check"] is None
                 else "removed" if row["state"] == Lifecycle.REMOVED
                 else health.get(row["name"], "ok"))
        out.append(SourceStatus(row["name"], enabled, state, row["last_check"], row["last_status"],
                                row["failures"], row["last_change"], min(nxt) if nxt and enabled else None,
                                row["last_error"]))
    return out


def _tags(raw: str) -> list[str]:
    import json

    try:
        return list(json.loads(raw or "[]"))
    except ValueError:
        return []


def unhealthy(statuses: Iterable[SourceStatus], *, max_failures: int) -> list[SourceStatus]:
    """Enabled sources that failed more than `max_failures` checks in a row."""
    return [s for s in statuses if s.enabled and s.failures > max_failures]


def outcomes_from_captures(rows: Iterable[Mapping]) -> list[CheckOutcome]:
    """Rebuild a run's summary from the archive's capture rows (see Archive.captures_since)."""
    return [CheckOutcome(source=r["source"], status=r["status"], new_version=r["version_id"] is not None,
                         change=r["change_kind"], alert_id=r["alert_id"], error=r["error"],
                         not_modified=bool(r["not_modified"]), url=r["final_url"] or r["url"])
            for r in rows]
