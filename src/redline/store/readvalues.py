"""The read model's values: what the web view and the archive commands show (sources, timelines,
versions, comparisons, captures, alerts), their JSON form (to_json), paging and the pure helpers
on them (filters, facets, moments)."""
from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from datetime import datetime, time, timezone
from pathlib import Path
from typing import Any, Iterator, Sequence
from urllib.parse import urlsplit

from redline.core.errors import ArchiveError, NotFoundError
from redline.core.model import Alert
from redline.registry.load import NAME_RE
from redline.text.diff import TextDiff

PAGE_SIZE = 100
MAX_PAGE_SIZE = 500


@dataclass(frozen=True)
class PageInfo:
    number: int          # 1-based
    size: int
    total: int           # rows in all pages

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.size))

    @property
    def offset(self) -> int:
        return (self.number - 1) * self.size

    @property
    def previous(self) -> int | None:
        return self.number - 1 if self.number > 1 else None

    @property
    def next(self) -> int | None:
        return self.number + 1 if self.number < self.pages else None


@dataclass(frozen=True)
class SourceSummary:
    name: str
    url: str
    title: str
    site: str                      # the URL's host
    tags: tuple[str, ...]
    kind: str
    origin: str
    enabled: bool
    status: str                    # "ok" | "failing" | "removed" | "unchecked"
    last_status: int | None        # HTTP status of the last check
    last_error: str | None
    failures: int                  # checks failed in a row
    last_check: str | None         # ISO 8601, UTC
    last_change: str | None        # when a check last added a version
    versions: int
    captures: int
    alerts: int
    latest_version: int | None     # its latest version's number (v1, v2, ... within the source)
    state_since: str | None = None # when it was found removed (status "removed")
    state_reason: str | None = None
    changed_since: bool = False    # changed at or after the date the page asks about (?since=)


@dataclass(frozen=True)
class VersionInfo:
    id: int
    seq: int                       # 1, 2, ... within its source
    source: str
    first_seen: str                # ISO 8601, UTC
    origin: str                    # "baseline" | "capture" | "renormalized"
    title: str
    chars: int
    text_sha256: str
    capture_id: int | None
    normalizer_version: int | None
    change: str | None = None      # how it differs from the version before: "trivial" | "substantive" | "renormalized"
    previous_id: int | None = None # the version it was compared with when it was made (its id)
    alert_id: int | None = None
    previous_seq: int | None = None  # that version's number


@dataclass(frozen=True)
class CaptureInfo:
    id: int
    source: str
    fetched_at: str                # ISO 8601, UTC
    url: str
    final_url: str | None
    status: int | None             # HTTP status; None when no answer came
    not_modified: bool             # a 304 answer to a conditional GET
    revisit: bool                  # byte-identical to an earlier capture (a WARC revisit record)
    error: str | None
    content_type: str | None
    encoding: str | None
    body_bytes: int | None
    raw_sha256: str | None
    redirects: tuple[tuple[int, str], ...]
    warc_path: str | None          # relative to the archive root
    warc_offset: int | None
    warc_record_id: str | None
    elapsed: float | None
    warc_length: int | None = None
    repaired: str | None = None    # mojibake undone in its text (redline.core.mojibake), None: none

    @property
    def has_body(self) -> bool:
        return bool(self.warc_path) and not self.not_modified and bool(self.body_bytes)

    @property
    def outcome(self) -> str:
        """One word for people: "fetched" | "same" | "not modified" | "removed" | "error"."""
        if self.error and self.error.startswith("removed:"):   # the check found the statement gone
            return "removed"
        if self.error or self.status is None:
            return "error"
        if self.not_modified:
            return "not modified"
        return "same" if self.revisit else "fetched"


@dataclass(frozen=True)
class TimelineEntry:
    """A capture and the versions it made, or a version with no capture (a baseline)."""

    at: str
    capture: CaptureInfo | None
    versions: tuple[VersionInfo, ...]


@dataclass(frozen=True)
class ListingItem:
    """An item a listing read met for the first time, and what discovery made of it."""
    title: str
    url: str
    date: str
    first_seen: str
    outcome: str                   # "new" | "baseline" | "unrelated" | "known" | "republication" | "moved"
    score: float
    reason: str
    source: str | None             # the tracked source it became or matched
    alert_id: int | None


@dataclass(frozen=True)
class Timeline:
    source: SourceSummary
    entries: tuple[TimelineEntry, ...]     # newest first
    page: PageInfo
    items: dict[int, tuple[ListingItem, ...]] = dataclasses.field(default_factory=dict)  # a listing: capture id -> items it first met


@dataclass(frozen=True)
class VersionView:
    source: SourceSummary
    version: VersionInfo
    text: str
    previous: VersionInfo | None
    next: VersionInfo | None
    capture: CaptureInfo | None


@dataclass(frozen=True)
class Comparison:
    source: SourceSummary
    a: VersionInfo                 # old side
    b: VersionInfo                 # new side
    a_text: str
    b_text: str
    diff: TextDiff


@dataclass(frozen=True)
class CaptureView:
    source: SourceSummary
    capture: CaptureInfo
    versions: tuple[VersionInfo, ...]          # versions this capture made
    http_status_line: str | None               # as archived in the WARC record
    http_headers: tuple[tuple[str, str], ...]  # as archived in the WARC record
    body_from: int | None                      # capture id whose WARC holds the body (itself, or the original of a revisit)


@dataclass(frozen=True)
class AlertsPage:
    alerts: tuple[Alert, ...]                  # newest first
    page: PageInfo
    source: str | None
    grade: str | None = None                   # only change alerts of this grade


def to_json(value: Any) -> Any:
    """Views as JSON-ready data: dataclasses as objects (with their computed fields), tuples as lists."""
    if isinstance(value, PageInfo):
        return {"number": value.number, "size": value.size, "total": value.total, "pages": value.pages}
    if isinstance(value, TextDiff):
        return {"changed": value.changed, "timed_out": value.timed_out, "stats": dataclasses.asdict(value.stats),
                "hunks": [{"line": h.line, "line_b": h.line_b, "before": h.before, "after": h.after,
                           "ops": [[op, text] for op, text in h.ops]} for h in value.hunks]}
    if isinstance(value, Alert):
        return value.record()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        out = {f.name: to_json(getattr(value, f.name)) for f in dataclasses.fields(value)}
        if isinstance(value, CaptureInfo):
            out["outcome"] = value.outcome
        return out
    if isinstance(value, (list, tuple)):
        return [to_json(v) for v in value]
    if isinstance(value, dict):
        return {str(k): to_json(v) for k, v in value.items()}
    return value


@dataclass(frozen=True)
class WarcPiece:
    """The WARC bytes of one capture: its own file whole (offset None), or its record in a
    batch file of unchanged checks (archive.is_batch_file); `key` in the archive's blob store."""

    key: str
    offset: int | None = None
    length: int | None = None
    blobs: Any = dataclasses.field(default=None, compare=False, hash=False)   # a store.blobs.BlobStore

    @property
    def name(self) -> str:
        return self.key.rsplit("/", 1)[-1]

    @property
    def path(self) -> Path | None:
        """The file holding it in the folder backend (None on an object store)."""
        return self.blobs.local_path(self.key)

    def exists(self) -> bool:
        return self.blobs.exists(self.key)

    def read(self) -> bytes:
        if self.offset is None:
            return self.blobs.get(self.key)
        data = self.blobs.get_range(self.key, self.offset, self.length)
        if len(data) != self.length:
            raise ArchiveError(f"WARC {self.key} ends before the record at offset {self.offset}")
        return data


def check_name(name: str) -> str:
    """A source name as the registry allows it; anything else (paths, dots, slashes) is not found."""
    if not NAME_RE.fullmatch(name or ""):
        raise NotFoundError(f"no source named {name!r}")
    return name


def page_info(number: int, total: int, size: int = PAGE_SIZE) -> PageInfo:
    size = min(max(int(size), 1), MAX_PAGE_SIZE)
    info = PageInfo(1, size, total)
    number = int(number)
    if number < 1 or number > info.pages:
        raise NotFoundError(f"no page {number}: there {'is' if info.pages == 1 else 'are'} "
                            f"{info.pages} page{'s' if info.pages != 1 else ''}")
    return PageInfo(number, size, total)


def _chunks(values: Sequence[Any], size: int = 500) -> Iterator[Sequence[Any]]:
    for start in range(0, len(values), size):
        yield values[start:start + size]


def _site(url: str) -> str:
    try:
        parts = urlsplit(url)
        return (parts.hostname or "") + (f":{parts.port}" if parts.port else "")
    except ValueError:
        return ""


def filter_sources(sources: Sequence[SourceSummary], *, tag: str | None = None, site: str | None = None,
                   text: str | None = None) -> list[SourceSummary]:
    """Sources with a tag, on a site (the host, or a domain it ends in), whose name, title or URL
    contains a text (case-insensitive)."""
    found = list(sources)
    if tag:
        found = [s for s in found if tag in s.tags]
    if site:
        want = site.strip().lower()
        found = [s for s in found if s.site.lower() == want or s.site.lower().endswith("." + want)]
    if text:
        needle = text.strip().casefold()
        found = [s for s in found if needle in f"{s.name}\n{s.title}\n{s.url}".casefold()]
    return found


def facets(sources: Sequence[SourceSummary]) -> dict[str, list[str]]:
    """The tags and sites to filter by."""
    return {"tags": sorted({t for s in sources for t in s.tags}), "sites": sorted({s.site for s in sources})}


SOURCE_ORDERS = ("changed", "name", "checked", "status")
_TROUBLE = {"failing": 0, "removed": 1, "unchecked": 2, "ok": 3}


def sort_sources(sources: Sequence[SourceSummary], order: str = "changed") -> list[SourceSummary]:
    """changed: the latest change first (never changed last); checked: the latest check first;
    status: failing, removed, unchecked, then ok; name: by name. Ties by name."""
    by_name = sorted(sources, key=lambda s: s.name)
    if order == "name":
        return by_name
    if order == "status":
        return sorted(by_name, key=lambda s: _TROUBLE.get(s.status, 9))
    field = "last_change" if order == "changed" else "last_check"
    dated = sorted((s for s in by_name if getattr(s, field)), key=lambda s: getattr(s, field), reverse=True)
    return dated + [s for s in by_name if not getattr(s, field)]


def mark_changed_since(sources: Sequence[SourceSummary], since: datetime | None) -> list[SourceSummary]:
    if since is None:
        return list(sources)
    return [dataclasses.replace(s, changed_since=bool(s.last_change) and parse_moment(s.last_change) >= since)
            for s in sources]


def parse_moment(text: str) -> datetime:
    """A date or a date and time, as UTC unless it says otherwise. A date alone means the end of that day,
    so "the version current at 2021-06-30" counts everything seen on the 30th."""
    raw = text.strip()
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", raw):
            return datetime.combine(datetime.fromisoformat(raw).date(), time(23, 59, 59), tzinfo=timezone.utc)
        moment = datetime.fromisoformat(raw.replace("Z", "+00:00").replace(" ", "T", 1))
    except ValueError:
        raise ValueError(f"{text!r} is not a date; write 2021-06-30, 2021-06-30T14:00 or "
                         "2021-06-30T14:00+08:00") from None
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment.astimezone(timezone.utc)
