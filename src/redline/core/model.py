"""Plain values passed between redline's modules (no I/O here)."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

__all__ = ["SourceStatus", "Health", "ChangeKind", "CheckChange", "AlertKind", "DeliveryStatus", "Source",
           "FetchResult", "Normalized", "Classification", "CheckOutcome", "Alert"]


# Typed states. StrEnum: a member is its string (stored in SQLite and JSON as before; == "removed" holds).
class SourceStatus(StrEnum):
    """A source's state in the archive (SourceState.state)."""
    ACTIVE = "active"
    REMOVED = "removed"     # 404/410, redirected to the site's home page, or a placeholder page


class Health(StrEnum):
    """Operators' view of a source (SourceState.health, redline.alerts.health)."""
    OK = "ok"
    FAILING = "failing"


class ChangeKind(StrEnum):
    """How two texts differ (Classification.kind; changes.kind in the archive)."""
    NONE = "none"
    TRIVIAL = "trivial"
    SUBSTANTIVE = "substantive"


class CheckChange(StrEnum):
    """What a check found (CheckOutcome.change; None when nothing changed)."""
    FIRST = "first"                 # the first version of the source
    NONE = "none"                   # the texts differ only inside the source's masks
    TRIVIAL = "trivial"
    SUBSTANTIVE = "substantive"
    RENORMALIZED = "renormalized"   # same page, text again under a newer normalizer
    REMOVED = "removed"
    RESTORED = "restored"           # back after removal (the text change is in extra["text_change"])


class AlertKind(StrEnum):
    CHANGE = "change"
    NEW_STATEMENT = "new_statement"
    REMOVED = "removed"
    RESTORED = "restored"
    FAILING = "failing"
    RECOVERED = "recovered"
    TEST = "test"


class DeliveryStatus(StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    FAILED = "failed"
    DELIVERED = "delivered"



@dataclass(frozen=True)
class Source:
    """One watched page (kind "statement") or listing page (kind "listing")."""

    name: str
    url: str
    title: str = ""
    date: str = ""                     # publication date as given, ISO-ish ("2020-12-16 22:36", "2017-03")
    language: str = "en"               # "en", "zh", ...
    profile: str = "auto"              # site profile name for normalize (see normalize.PROFILES)
    tags: tuple[str, ...] = ()
    kind: str = "statement"            # "statement" | "listing"
    masks: tuple[str, ...] = ()        # regexes: changes only inside these are trivial
    baseline: str | None = None        # path of a baseline text capture (relative to the registry file)
    enabled: bool = True
    origin: str = "seed"               # "seed" | "operator" | "discovered"


@dataclass(frozen=True)
class FetchResult:
    """What one HTTP fetch produced. Fetch never raises for network trouble: see .error."""

    url: str                                     # the URL asked for
    final_url: str                               # after redirects
    status: int | None                           # None when no response arrived
    fetched_at: datetime                         # UTC, aware
    request_headers: tuple[tuple[str, str], ...] = ()
    response_headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b""                            # raw body as received (decompressed by httpx)
    text: str | None = None                      # decoded body (None for 304, errors, non-text)
    encoding: str | None = None                  # how .text was decoded ("utf-8", "gb18030", ...)
    encoding_source: str | None = None           # "bom" | "header" | "meta" | "detected" | "default"
    undecodable_bytes: int = 0                   # bytes of .body not valid in .encoding: U+FFFD in .text
    repaired: str | None = None                  # mojibake undone in .text (redline.core.mojibake), None: none
    redirects: tuple[tuple[int, str], ...] = ()  # (status, Location URL) for each hop, in order
    not_modified: bool = False                   # a 304 answer to a conditional GET
    error: str | None = None                     # one line: what went wrong, None when fine
    elapsed: float = 0.0
    http_version: str = "HTTP/1.1"
    attempts: int = 1

    @property
    def ok(self) -> bool:
        return self.error is None

    def header(self, name: str) -> str | None:
        name = name.lower()
        for key, value in self.response_headers:
            if key.lower() == name:
                return value
        return None


@dataclass(frozen=True)
class Normalized:
    """A page reduced to its text: one paragraph per line."""

    text: str
    title: str = ""
    date: str = ""
    profile: str = "generic"   # the profile actually used
    placeholder: bool = False  # the page is a "page not found / 系统维护" placeholder


@dataclass(frozen=True)
class Classification:
    kind: str                      # a ChangeKind: "none" | "trivial" | "substantive"
    reasons: tuple[str, ...] = ()  # human-readable, e.g. "only whitespace", "wording"


@dataclass
class CheckOutcome:
    """What one check of one source did (for summaries and Prefect artifacts)."""

    source: str
    status: int | None = None
    new_version: bool = False
    change: str | None = None      # None or a CheckChange: "first" | "none" | "trivial" | "substantive" | "renormalized" | "removed" | "restored"
    alert_id: int | None = None
    error: str | None = None
    not_modified: bool = False
    url: str = ""
    extra: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Alert:
    """One alert, as stored in the archive and handed to every sink."""

    id: int
    kind: str                       # an AlertKind: "change" | "new_statement" | "removed" | "restored" | "failing" | "recovered" | "test"
    source: str                     # source name
    title: str                      # the statement's title
    url: str
    created_at: datetime            # UTC, aware
    summary: str                    # one line, e.g. "3 words changed in 1 place"
    from_version: int | None = None   # the versions' ids in the archive (for machines: joins, links by id)
    to_version: int | None = None
    diff_text: str = ""             # plain text: context with [-deleted-]{+inserted+}
    diff_html: str = ""             # HTML fragment with <del>/<ins>, all page text escaped
    stats: dict = field(default_factory=dict)
    from_seq: int | None = None     # the versions' numbers within the source (v1, v2, ...): what people see
    to_seq: int | None = None
    links: dict = field(default_factory=dict)  # evidence in the archive's public web view (when configured)
    capture_id: int | None = None   # the capture behind it (of its new version, else of its old one)
    from_seen: str | None = None    # when each version was first seen (ISO 8601, UTC)
    to_seen: str | None = None

    def record(self) -> dict:
        """The alert as JSON-ready data (alerts.jsonl, the JSON API): `from_version` and `to_version`
        are the version numbers people see (v1, v2, ...); the archive's ids are `*_version_id`."""
        from dataclasses import asdict
        from datetime import timezone

        record = asdict(self)
        record["created_at"] = (self.created_at.replace(tzinfo=timezone.utc) if self.created_at.tzinfo is None
                                else self.created_at.astimezone(timezone.utc)).isoformat()
        record["from_version_id"], record["to_version_id"] = record.pop("from_version"), record.pop("to_version")
        record["from_version"], record["to_version"] = record.pop("from_seq"), record.pop("to_seq")
        if not record["links"]:
            del record["links"]
        if self.significance:
            record["significance"] = self.significance
        if isinstance(self.stats, dict) and self.stats.get("formulations"):
            record["formulations"] = self.stats["formulations"]   # a new statement's watched formulations
        return record

    @property
    def significance(self) -> dict | None:
        """A change alert's grade and reasons (redline.text.significance), None for other alerts."""
        value = self.stats.get("significance") if isinstance(self.stats, dict) else None
        return value if isinstance(value, dict) and value.get("grade") else None
