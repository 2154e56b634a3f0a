"""Read-only views of an archive, for people: the sources list, a source's timeline,
one version, a comparison of two versions, one capture, the alerts.

Queries only (through ``Archive.query`` and the Archive's read methods): nothing
here writes. The web view (redline.web) and the archive commands
(redline.cli.archive) render these values; ``to_json`` gives each one's
JSON form, which is what the web view's /api routes return.

Long lists are paged (``PAGE_SIZE`` rows a page) with LIMIT/OFFSET on indexed
columns, so a source with thousands of versions lists as fast as one with five.
"""
from __future__ import annotations

import io
import json
from datetime import datetime, timezone
from typing import Any, Sequence

from warcio.archiveiterator import ArchiveIterator

from redline.store.sqlite import Archive, is_batch_file
from redline.text.diff import diff_texts
from redline.core.errors import ArchiveError, NotFoundError
from redline.core.model import Alert
from redline.store.readvalues import (  # noqa: F401 (the read side's one import: readmodel.X)
    AlertsPage, CaptureInfo, CaptureView, Comparison, SourceSummary, Timeline,
    TimelineEntry, VersionInfo, VersionView, WarcPiece, check_name, facets,
    filter_sources, page_info, parse_moment, to_json, PAGE_SIZE, MAX_PAGE_SIZE, ListingItem, SOURCE_ORDERS,
    sort_sources, mark_changed_since)
from redline.store.readvalues import _chunks, _site
from redline.store.readlistings import listing_reads
DIFF_TIMEOUT = 5.0      # seconds diff_texts may spend on one comparison


# --------------------------------------------------------------------------- values


# --------------------------------------------------------------------------- JSON


# --------------------------------------------------------------------------- helpers


def _placeholders(values: Sequence[object]) -> str:
    return ",".join("?" * len(values))


def _version(row: Any, changes: dict[int, Any] | None = None, alerts: dict[int, int] | None = None) -> VersionInfo:
    change = (changes or {}).get(row["id"])
    return VersionInfo(id=row["id"], seq=row["seq"], source=row["source"], first_seen=row["first_seen"],
                       origin=row["origin"], title=row["title"], chars=row["chars"], text_sha256=row["text_sha256"],
                       capture_id=row["capture_id"], normalizer_version=row["normalizer_version"],
                       change=change["kind"] if change else None,
                       previous_id=change["from_version"] if change else None,
                       previous_seq=change["from_seq"] if change else None,
                       alert_id=(alerts or {}).get(row["id"]))


def _capture(row: Any) -> CaptureInfo:
    try:
        redirects = tuple((int(s), str(u)) for s, u in json.loads(row["redirects"] or "[]"))
    except (ValueError, TypeError):
        redirects = ()
    return CaptureInfo(id=row["id"], source=row["source"], fetched_at=row["fetched_at"], url=row["url"],
                       final_url=row["final_url"], status=row["status"], not_modified=bool(row["not_modified"]),
                       revisit=bool(row["revisit"]), error=row["error"], content_type=row["content_type"],
                       encoding=row["encoding"], body_bytes=row["body_bytes"], raw_sha256=row["raw_sha256"],
                       redirects=redirects, warc_path=row["warc_path"], warc_offset=row["warc_offset"],
                       warc_record_id=row["warc_record_id"], elapsed=row["elapsed"],
                       warc_length=row["warc_length"], repaired=row["repaired"])




def _annotate(archive: Archive, rows: Sequence[Any]) -> list[VersionInfo]:
    """Versions with the kind of change that made each one and its alert: indexed IN queries."""
    ids = [r["id"] for r in rows]
    changes: dict[int, Any] = {}
    alerts: dict[int, int] = {}
    for chunk in _chunks(ids):
        marks = _placeholders(chunk)
        changes.update({r["to_version"]: r for r in archive.query(
            f"SELECT c.to_version, c.kind, c.from_version, f.seq AS from_seq FROM changes c "
            f"LEFT JOIN versions f ON f.id = c.from_version WHERE c.to_version IN ({marks})", chunk)})
        alerts.update({r["to_version"]: r["id"] for r in archive.query(
            f"SELECT to_version, id FROM alerts WHERE to_version IN ({marks})", chunk)})
    return [_version(r, changes, alerts) for r in rows]


def captures_by_id(archive: Archive, ids: Sequence[int]) -> dict[int, CaptureInfo]:
    out: dict[int, CaptureInfo] = {}
    for chunk in _chunks(list(dict.fromkeys(ids))):
        out.update({r["id"]: _capture(r) for r in
                    archive.query(f"SELECT * FROM captures WHERE id IN ({_placeholders(chunk)})", chunk)})
    return out


# --------------------------------------------------------------------------- sources

def _summaries(archive: Archive, rows: Sequence[Any]) -> list[SourceSummary]:
    counts: dict[str, dict[str, Any]] = {r["name"]: {} for r in rows}

    def tally(sql: str, key: str, params: Sequence[object] = ()) -> None:
        for r in archive.query(sql, params):
            if r["source"] in counts:
                counts[r["source"]][key] = r["n"]
                if key == "versions":
                    counts[r["source"]]["latest"] = r["latest"]

    if len(rows) == 1:
        where, params = "WHERE source=?", [rows[0]["name"]]
    else:
        where, params = "", []
    tally(f"SELECT source, COUNT(*) AS n, "
          f"MAX(seq) AS latest "
          f"FROM versions v {where} GROUP BY source", "versions", params)
    tally(f"SELECT source, COUNT(*) AS n FROM captures {where} GROUP BY source", "captures", params)
    tally(f"SELECT source, COUNT(*) AS n FROM alerts {where} GROUP BY source", "alerts", params)
    out = []
    for r in rows:
        c = counts[r["name"]]
        try:
            tags = tuple(json.loads(r["tags"] or "[]"))
        except ValueError:
            tags = ()
        status = ("unchecked" if r["last_check"] is None else "removed" if r["state"] == "removed"
                  else "failing" if r["last_error"] else "ok")
        out.append(SourceSummary(
            name=r["name"], url=r["url"], title=r["title"], site=_site(r["url"]), tags=tags, kind=r["kind"],
            origin=r["origin"], enabled=bool(r["enabled"]), status=status, last_status=r["last_status"],
            last_error=r["last_error"], failures=r["failures"], last_check=r["last_check"],
            last_change=r["last_change"], versions=c.get("versions", 0), captures=c.get("captures", 0),
            alerts=c.get("alerts", 0), latest_version=c.get("latest"),
            state_since=r["state_since"] if r["state"] == "removed" else None,
            state_reason=r["state_reason"] if r["state"] == "removed" else None))
    return out


def list_sources(archive: Archive, *, tag: str | None = None, site: str | None = None,
                 text: str | None = None) -> list[SourceSummary]:
    """Every source in the archive, by name; narrowed as filter_sources does."""
    found = _summaries(archive, archive.query("SELECT * FROM sources ORDER BY name"))
    return filter_sources(found, tag=tag, site=site, text=text)


def _source_row(archive: Archive, name: str) -> Any:
    rows = archive.query("SELECT * FROM sources WHERE name=?", (check_name(name),))
    if not rows:
        raise NotFoundError(f"no source named {name!r} in this archive; `redline sources list` lists them")
    return rows[0]


def source_summary(archive: Archive, name: str) -> SourceSummary:
    return _summaries(archive, [_source_row(archive, name)])[0]


# --------------------------------------------------------------------------- versions

def version_infos(archive: Archive, name: str, *, limit: int | None = None) -> list[VersionInfo]:
    """A source's versions, oldest first (the latest `limit` ones when given)."""
    _source_row(archive, name)
    if limit is None:
        rows = archive.query("SELECT * FROM versions WHERE source=? ORDER BY seq", (name,))
    else:
        rows = archive.query("SELECT * FROM (SELECT * FROM versions WHERE source=? ORDER BY seq DESC LIMIT ?) newest "
                             "ORDER BY seq", (name, max(int(limit), 0)))
    return _annotate(archive, rows)


def version_info(archive: Archive, name: str, seq: int) -> VersionInfo:
    """Version number `seq` (v1, v2, ...) of source `name`: the number people see everywhere."""
    _source_row(archive, name)
    found = _by_seq(archive, name, int(seq)) if 0 < int(seq) < 2 ** 63 else None
    if found is None:
        count = archive.query("SELECT COUNT(*) AS n FROM versions WHERE source=?", (name,))[0]["n"]
        has = f"it has v1 to v{count}" if count > 1 else ("it has only v1" if count else "it has no version yet")
        raise NotFoundError(f"{name} has no version {seq} ({has}); `redline history {name}` lists them")
    return found


def _by_seq(archive: Archive, name: str, seq: int) -> VersionInfo | None:
    rows = archive.query("SELECT * FROM versions WHERE source=? AND seq=?", (name, seq))
    return _annotate(archive, rows)[0] if rows else None


def latest_version_info(archive: Archive, name: str) -> VersionInfo:
    _source_row(archive, name)
    rows = archive.query("SELECT * FROM versions WHERE source=? ORDER BY seq DESC LIMIT 1", (name,))
    if not rows:
        raise NotFoundError(f"{name} has no version yet")
    return _annotate(archive, rows)[0]


def version_at(archive: Archive, name: str, moment: datetime, *, asked: str | None = None) -> VersionInfo:
    """The version current at `moment`: the last one first seen at or before it. `asked`: the date as
    the person wrote it, for the message when there was none yet."""
    _source_row(archive, name)
    when = moment.astimezone(timezone.utc).isoformat(timespec="seconds")
    rows = archive.query("SELECT * FROM versions WHERE source=? AND first_seen <= ? ORDER BY seq DESC LIMIT 1",
                         (name, when))
    if not rows:
        first = archive.query("SELECT first_seen FROM versions WHERE source=? ORDER BY seq LIMIT 1", (name,))
        if asked is not None:
            since = f"its first version, v1, is from {first[0]['first_seen'][:10]}" if first else "nothing is archived yet"
            raise NotFoundError(f"{name} had no version yet on {asked}: {since}")
        since = f"; its first version is from {first[0]['first_seen']}" if first else "; it has no version yet"
        raise NotFoundError(f"{name} had no version at {when}{since}")
    return _annotate(archive, rows)[0]


def version_view(archive: Archive, name: str, seq: int) -> VersionView:
    v = version_info(archive, name, seq)
    capture = None
    if v.capture_id is not None:
        capture = _capture(archive.capture(v.capture_id))
    return VersionView(source=source_summary(archive, name), version=v, text=archive.get_text(v.text_sha256),
                       previous=_by_seq(archive, name, v.seq - 1), next=_by_seq(archive, name, v.seq + 1),
                       capture=capture)


def version_text(archive: Archive, v: VersionInfo) -> str:
    return archive.get_text(v.text_sha256)


def compare(archive: Archive, name: str, a: int, b: int) -> Comparison:
    """Version number a (old side) against version number b (new side) of source `name`."""
    va, vb = version_info(archive, name, a), version_info(archive, name, b)
    ta, tb = archive.get_text(va.text_sha256), archive.get_text(vb.text_sha256)
    return Comparison(source=source_summary(archive, name), a=va, b=vb, a_text=ta, b_text=tb,
                      diff=diff_texts(ta, tb, timeout=DIFF_TIMEOUT))


# --------------------------------------------------------------------------- timeline

# Both arms walk an index in order (captures_source; versions_capture_source for the few versions
# without a capture), so a page costs its own rows plus the OFFSET, not a sort of the whole history.
TIMELINE_COUNT_SQL = ("SELECT (SELECT COUNT(*) FROM captures WHERE source=?) + "
                      "(SELECT COUNT(*) FROM versions WHERE source=? AND capture_id IS NULL) AS n")
TIMELINE_PAGE_SQL = (
    "SELECT kind, id, at FROM ("
    " SELECT 'capture' AS kind, id, fetched_at AS at FROM captures WHERE source=?"
    " UNION ALL"
    " SELECT 'version' AS kind, id, first_seen AS at FROM versions WHERE source=? AND capture_id IS NULL"
    ") timeline ORDER BY at DESC, id DESC LIMIT ? OFFSET ?")

def timeline(archive: Archive, name: str, *, page: int = 1, size: int = PAGE_SIZE) -> Timeline:
    """Captures (with the versions each made) and versions without a capture, newest first, one page."""
    summary = source_summary(archive, name)
    total = archive.query(TIMELINE_COUNT_SQL, (name, name))[0]["n"]
    info = page_info(page, total, size)
    keys = archive.query(TIMELINE_PAGE_SQL, (name, name, info.size, info.offset))
    capture_ids = [k["id"] for k in keys if k["kind"] == "capture"]
    lone_ids = [k["id"] for k in keys if k["kind"] == "version"]
    captures: dict[int, CaptureInfo] = {}
    made: dict[int, list[VersionInfo]] = {}
    lone: dict[int, VersionInfo] = {}
    if capture_ids:
        marks = _placeholders(capture_ids)
        captures = captures_by_id(archive, capture_ids)
        for v in _annotate(archive, archive.query(
                f"SELECT * FROM versions WHERE capture_id IN ({marks}) ORDER BY seq DESC", capture_ids)):
            made.setdefault(v.capture_id, []).append(v)  # type: ignore[arg-type]
    if lone_ids:
        lone = {v.id: v for v in _annotate(archive, archive.query(
            f"SELECT * FROM versions WHERE id IN ({_placeholders(lone_ids)})", lone_ids))}
    entries = []
    for k in keys:
        if k["kind"] == "capture":
            entries.append(TimelineEntry(k["at"], captures[k["id"]], tuple(made.get(k["id"], ()))))
        else:
            entries.append(TimelineEntry(k["at"], None, (lone[k["id"]],)))
    items = listing_reads(archive, name, [(k["id"], k["at"]) for k in keys if k["kind"] == "capture"]) \
        if summary.kind == "listing" else {}
    return Timeline(source=summary, entries=tuple(entries), page=info, items=items)


# --------------------------------------------------------------------------- captures

def capture_info(archive: Archive, name: str, capture_id: int) -> CaptureInfo:
    _source_row(archive, name)
    rows = archive.query("SELECT * FROM captures WHERE id=?", (int(capture_id),))
    if not rows or rows[0]["source"] != name:
        raise NotFoundError(f"{name} has no capture {capture_id}")
    return _capture(rows[0])


def _body_capture(archive: Archive, c: CaptureInfo) -> int | None:
    """The capture whose WARC record holds c's body: c itself, or the original of a revisit."""
    if not c.warc_path:
        return None
    if not c.revisit:
        return c.id
    rows = archive.query("SELECT id FROM captures WHERE source=? AND raw_sha256=? AND revisit=0 "
                         "AND warc_path IS NOT NULL ORDER BY id LIMIT 1", (c.source, c.raw_sha256))
    return rows[0]["id"] if rows else None


def _http_head(archive: Archive, key: str, offset: int,
               length: int | None) -> tuple[str | None, tuple[tuple[str, str], ...]]:
    data = archive.blobs.get_range(key, offset, length)
    try:
        for record in ArchiveIterator(io.BytesIO(data)):
            http = record.http_headers
            if http is None:
                return None, ()
            return f"{http.protocol} {http.statusline}".strip(), tuple(http.headers)
    except (OSError, ValueError, EOFError) as exc:
        raise ArchiveError(f"cannot read WARC {key}: {exc}") from None
    return None, ()


def capture_view(archive: Archive, name: str, capture_id: int) -> CaptureView:
    c = capture_info(archive, name, capture_id)
    status_line, headers = (None, ())
    if c.warc_path and c.warc_offset is not None:
        status_line, headers = _http_head(archive, c.warc_path, c.warc_offset, c.warc_length)
    made = _annotate(archive, archive.query("SELECT * FROM versions WHERE capture_id=? ORDER BY seq", (c.id,)))
    return CaptureView(source=source_summary(archive, name), capture=c, versions=tuple(made),
                       http_status_line=status_line, http_headers=headers, body_from=_body_capture(archive, c))


def capture_body(archive: Archive, name: str, capture_id: int) -> tuple[CaptureInfo, bytes]:
    """A capture and its raw response body as archived (a revisit's body comes from its original)."""
    c = capture_info(archive, name, capture_id)
    if not c.has_body:
        raise NotFoundError(f"capture {capture_id} of {name} has no body "
                            f"({'not modified' if c.not_modified else c.error or 'nothing archived'})")
    body = archive.raw_body(c.id)
    if body is None:
        raise NotFoundError(f"the body of capture {capture_id} of {name} is not in the archive")
    return c, body


def _piece(archive: Archive, warc_path: str, offset: int | None, length: int | None) -> WarcPiece:
    if is_batch_file(warc_path):
        return WarcPiece(warc_path, offset, length, blobs=archive.blobs)
    return WarcPiece(warc_path, blobs=archive.blobs)


def warc_pieces(archive: Archive, name: str) -> list[WarcPiece]:
    """The WARC bytes of a source's captures, in capture order (a capture's own file once)."""
    _source_row(archive, name)
    rows = archive.query("SELECT warc_path, warc_offset, warc_length FROM captures WHERE source=? "
                         "AND warc_path IS NOT NULL ORDER BY fetched_at, id", (name,))
    return list(dict.fromkeys(_piece(archive, r["warc_path"], r["warc_offset"], r["warc_length"]) for r in rows))


def capture_warc(archive: Archive, c: CaptureInfo) -> WarcPiece:
    if not c.warc_path:
        raise NotFoundError(f"capture {c.id} of {c.source} has no WARC record")
    return _piece(archive, c.warc_path, c.warc_offset, c.warc_length)


# --------------------------------------------------------------------------- alerts

def alerts_page(archive: Archive, *, source: str | None = None, grade: str | None = None, page: int = 1,
                size: int = PAGE_SIZE) -> AlertsPage:
    """Alerts newest first, one page; `grade` keeps the change alerts graded so (high, medium, low)."""
    where: list[str] = []
    params: list[object] = []
    if source:
        _source_row(archive, source)
        where.append("source=?")
        params.append(source)
    if grade:
        where.append("stats LIKE ?")
        params.append(f'%"significance": {{"grade": "{grade}"%')   # json.dumps of Significance: grade first
    sql = f" WHERE {' AND '.join(where)}" if where else ""
    total = archive.query(f"SELECT COUNT(*) AS n FROM alerts{sql}", params)[0]["n"]
    info = page_info(page, total, size)
    rows = archive.query(f"SELECT id FROM alerts{sql} ORDER BY id DESC LIMIT ? OFFSET ?", (*params, info.size, info.offset))
    return AlertsPage(alerts=tuple(alerts_by_id(archive, [r["id"] for r in rows])), page=info, source=source,
                      grade=grade)


def alerts_by_id(archive: Archive, ids: Sequence[int]) -> list[Alert]:
    """These alerts, in this order, each with its versions' numbers (Archive.alert reads them so)."""
    return [archive.alert(i) for i in ids]


def recent_alerts(archive: Archive, *, source: str | None = None, limit: int = 100) -> list[Alert]:
    return list(alerts_page(archive, source=source, size=min(limit, MAX_PAGE_SIZE)).alerts)


def default_pair(archive: Archive, name: str, a: int | None, b: int | None) -> tuple[int, int]:
    """Fill in a comparison's missing sides (version numbers): no b is the latest version, no a the one before b."""
    if b is None:
        b = latest_version_info(archive, name).seq
    if a is None:
        a = max(version_info(archive, name, b).seq - 1, 1)
    return a, b
