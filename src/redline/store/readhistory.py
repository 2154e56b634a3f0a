"""A source's life over time, for the web view: what stood at a moment ("as of"), and the
days of its captures and the versions (with their change alerts' grades) for its
timeline strip. Queries only, through ``Archive.query`` and the read model.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from redline.core.errors import NotFoundError
from redline.store import readmodel as views
from redline.store.readvalues import CaptureInfo, SourceSummary, VersionInfo, parse_moment
from redline.store.sqlite import Archive

__all__ = ["AsOf", "SourceHistory", "StripVersion", "as_of", "history"]


@dataclass(frozen=True)
class AsOf:
    source: SourceSummary
    asked: str                          # the date or moment as written
    moment: str                         # it in UTC, ISO 8601 (a date alone: the end of that day)
    version: VersionInfo                # the latest version first seen at or before the moment
    previous: VersionInfo | None
    next: VersionInfo | None            # the one that replaced it, if any (after the moment)
    capture: CaptureInfo | None         # the capture that made the version
    last_capture: CaptureInfo | None    # the last capture at or before the moment (the last look before it)
    text: str
    grade: str | None = None            # the grade of the change alert that the version raised, if any


@dataclass(frozen=True)
class StripVersion:
    seq: int
    first_seen: str
    change: str | None                  # the kind of change that made it; None for the first version
    grade: str | None                   # its change alert's grade, if it raised one with a grade


@dataclass(frozen=True)
class SourceHistory:
    capture_days: dict[str, int]        # "YYYY-MM-DD" (UTC) -> captures that day
    versions: tuple[StripVersion, ...]  # oldest first


def _iso(moment: Any) -> str:
    return moment.isoformat(timespec="seconds")


def as_of(archive: Archive, name: str, asked: str) -> AsOf:
    """What source `name` said at `asked` (2024-03-01: the end of that day, UTC; or a moment, UTC
    unless it says otherwise). ValueError for a bad date; NotFoundError when nothing stood yet."""
    moment = parse_moment(asked)
    summary = views.source_summary(archive, name)
    when = _iso(moment)
    version = views.version_at(archive, name, moment, asked=asked)
    latest = summary.latest_version or version.seq
    previous = views.version_info(archive, name, version.seq - 1) if version.seq > 1 else None
    following = views.version_info(archive, name, version.seq + 1) if version.seq < latest else None
    looked = archive.query("SELECT id FROM captures WHERE source=? AND fetched_at <= ? "
                           "ORDER BY fetched_at DESC, id DESC LIMIT 1", (name, when))
    ids = [i for i in (version.capture_id, looked[0]["id"] if looked else None) if i is not None]
    captures = views.captures_by_id(archive, ids)
    return AsOf(source=summary, asked=asked, moment=when, version=version, previous=previous, next=following,
                capture=captures.get(version.capture_id) if version.capture_id is not None else None,
                last_capture=captures.get(looked[0]["id"]) if looked else None,
                text=views.version_text(archive, version),
                grade=(archive.alert(version.alert_id).significance or {}).get("grade") if version.alert_id else None)


def _grade(stats: str | None) -> str | None:
    try:
        value = json.loads(stats or "{}").get("significance") or {}
    except (ValueError, AttributeError):
        return None
    grade = value.get("grade") if isinstance(value, dict) else None
    return grade if isinstance(grade, str) else None


def history(archive: Archive, name: str) -> SourceHistory:
    """The days a source was captured (with counts) and its versions with their grades."""
    views.source_summary(archive, name)
    days = {r["day"]: r["n"] for r in archive.query(
        "SELECT substr(fetched_at, 1, 10) AS day, COUNT(*) AS n FROM captures WHERE source=? "
        "GROUP BY substr(fetched_at, 1, 10)", (name,))}
    grades = {r["to_version"]: _grade(r["stats"]) for r in archive.query(
        "SELECT to_version, stats FROM alerts WHERE source=? AND to_version IS NOT NULL ORDER BY id", (name,))}
    versions = tuple(StripVersion(seq=r["seq"], first_seen=r["first_seen"], change=r["kind"], grade=grades.get(r["id"]))
                     for r in archive.query("SELECT v.id, v.seq, v.first_seen, c.kind FROM versions v "
                                            "LEFT JOIN changes c ON c.to_version = v.id WHERE v.source=? "
                                            "ORDER BY v.seq", (name,)))
    return SourceHistory(capture_days=days, versions=versions)


def language(archive: Archive, name: str) -> str:
    """The source's language code as the archive has it ("en" unless its registry entry says otherwise)."""
    rows = archive.query("SELECT language FROM sources WHERE name=?", (views.check_name(name),))
    if not rows:
        raise NotFoundError(f"no source named {name!r} in this archive; `redline sources list` lists them")
    return rows[0]["language"] or "en"
