"""The store's values: what a check reads (SourceState, Version), what it records (NewVersion,
NewChange, NewAlert, PendingCheck), and what discovery asks of it (ItemMatch, ItemClaim)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Sequence

from redline.core.model import FetchResult, Source


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
    tracked document at another address), "moved" (a removed statement, found again),
    "pending" (its title is inconclusive: decided again once its page is read) or "seen" (an
    address met before)."""

    outcome: str
    source: str | None = None
    new_source: Source | None = None
    note: str = ""


@dataclass(frozen=True)
class RecordedCheck:
    """What Archive.record_check wrote in its one transaction."""

    capture_id: int
    version_ids: tuple[int, ...] = ()
    change_ids: tuple[int, ...] = ()
    alert_id: int | None = None
