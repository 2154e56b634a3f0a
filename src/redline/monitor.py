"""One monitoring cycle, without Prefect: check sources, record versions, deliver alerts.

The flow in flows/monitor.py wires these functions into tasks; tests call them
directly with a real Archive in a temporary folder and a Fetcher on a mock
transport or a loopback server.
"""
from __future__ import annotations

import hashlib
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from typing import Iterable, Mapping, Sequence
from urllib.parse import urlsplit

from . import classify as classify_mod
from .archive import Archive, NewAlert, NewChange, NewVersion, sha256_text
from .charset import decode_body
from .diff import TextDiff, diff_texts, render_html, render_text
from .errors import DeliveryError, RedlineError
from .fetch import Fetcher
from .health import DEFAULT_THRESHOLD, update_health
from .model import CheckOutcome, Source
from .normalize import NORMALIZER_VERSION, clean_text, normalize
from .sources import Registry


@dataclass
class CycleReport:
    run_id: str
    outcomes: list[CheckOutcome] = field(default_factory=list)
    delivered: int = 0
    delivery_errors: list[str] = field(default_factory=list)

    @property
    def alerts(self) -> int:
        return sum(1 for o in self.outcomes if o.alert_id is not None)

    @property
    def errors(self) -> int:
        return sum(1 for o in self.outcomes if o.error)


def host_of(source: Source) -> str:
    return (urlsplit(source.url).hostname or "").lower()


def group_by_host(sources: Iterable[Source]) -> dict[str, list[Source]]:
    """Batch sources per host: one Prefect task per host keeps per-task overhead small,
    and per-host politeness (delay, concurrency) lives inside one Fetcher."""
    groups: dict[str, list[Source]] = defaultdict(list)
    for s in sources:
        groups[host_of(s)].append(s)
    return dict(groups)


def prepare_archive(archive: Archive, registry: Registry) -> int:
    """Register the registry's sources and import their baseline captures; return baselines imported."""
    archive.sync_sources(registry.sources)
    imported = 0
    for source in registry.sources:
        if source.baseline and source.kind == "statement":
            text = clean_text((registry.path.parent / source.baseline).read_text(encoding="utf-8"))
            if archive.import_baseline(source, text, normalizer_version=NORMALIZER_VERSION):
                imported += 1
    return imported


def summarize(d: TextDiff) -> str:
    s = d.stats
    places = f"{s.hunks} place" + ("s" if s.hunks != 1 else "")
    parts = []
    if s.deleted_words:
        parts.append(f"{s.deleted_words} word{'s' if s.deleted_words != 1 else ''} removed")
    if s.inserted_words:
        parts.append(f"{s.inserted_words} word{'s' if s.inserted_words != 1 else ''} added")
    return f"Wording changed in {places}: " + (", ".join(parts) or "text moved")


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _previous_text(archive: Archive, source: Source, state) -> tuple[str | None, list]:
    """The latest version's text under today's normalizer rules.

    When the rules changed since that version was made from a raw capture, the
    capture is re-normalized from its raw bytes; a different result becomes a
    "renormalized" version that never alerts by itself."""
    if state.text_sha256 is None:
        return None, []
    text = archive.get_text(state.text_sha256)
    if state.normalizer_version in (None, NORMALIZER_VERSION) or state.version_capture_id is None:
        return text, []
    capture = archive.capture(state.version_capture_id)
    raw = archive.raw_body(state.version_capture_id)
    if raw is None:
        return text, []
    decoded, _, _ = decode_body(raw, capture["content_type"])
    again = normalize(decoded, profile=source.profile, url=capture["final_url"]).text
    if again == text:
        return text, []
    version = NewVersion(text=again, title=source.title, origin="renormalized",
                         normalizer_version=NORMALIZER_VERSION)
    return again, [(version, NewChange("renormalized", ("normalizer rules changed",)))]


def check_source(source: Source, *, archive: Archive, fetcher: Fetcher, run_id: str,
                 sinks: Sequence[str] = ()) -> CheckOutcome:
    """Fetch one source, archive the capture, add a version when its text changed,
    and record an alert for a substantive change. Never raises for a bad page."""
    state = archive.state(source.name)
    result = fetcher.fetch(source.url, etag=state.etag, last_modified=state.last_modified)
    outcome = CheckOutcome(source=source.name, status=result.status, url=result.final_url,
                           not_modified=result.not_modified)
    if result.status is None:
        archive.record_check(source.name, result, run_id=run_id)
        outcome.error = result.error
        return outcome
    raw_sha = _sha256(result.body) if result.body else None
    revisit_of = None
    if raw_sha and result.status == 200 and raw_sha == state.last_raw_sha256:
        revisit_of = archive.original_warc_record(source.name, raw_sha)
    warc = archive.write_warc(source.name, result, revisit_of=revisit_of)
    if result.not_modified or result.error:
        archive.record_check(source.name, result, run_id=run_id, warc=warc, raw_sha256=raw_sha)
        outcome.error = result.error
        return outcome

    norm = normalize(result.text or "", profile=source.profile, url=result.final_url)
    error = None
    if norm.placeholder:
        error = f"{result.final_url} serves a 'page does not exist' placeholder (HTTP {result.status})"
    elif not norm.text.strip():
        error = f"{result.final_url} has no text after normalization"
    if error:
        archive.record_check(source.name, result, run_id=run_id, warc=warc, raw_sha256=raw_sha,
                             profile=norm.profile, normalizer_version=NORMALIZER_VERSION, error=error)
        outcome.error = error
        return outcome

    previous, versions = _previous_text(archive, source, state)
    alert = None
    if previous is None or norm.text != previous:
        new = NewVersion(text=norm.text, title=norm.title or source.title, origin="capture",
                         normalizer_version=NORMALIZER_VERSION)
        change = None
        if previous is None:
            outcome.change = "first"
        else:
            d = diff_texts(previous, norm.text)
            verdict = classify_mod.classify(previous, norm.text, masks=source.masks)
            change = NewChange(verdict.kind, verdict.reasons, asdict(d.stats))
            outcome.change = verdict.kind
            if verdict.kind == "substantive":
                alert = NewAlert(kind="change", title=source.title or norm.title, url=result.final_url,
                                 summary=summarize(d), diff_text=render_text(d), diff_html=render_html(d),
                                 stats={**asdict(d.stats), "reasons": list(verdict.reasons)})
        versions.append((new, change))
    elif versions:
        outcome.change = "renormalized"
    done = archive.record_check(
        source.name, result, run_id=run_id, warc=warc, raw_sha256=raw_sha,
        text_sha256=sha256_text(norm.text), profile=norm.profile,
        normalizer_version=NORMALIZER_VERSION, versions=versions, alert=alert, sinks=sinks)
    outcome.new_version = bool(done["version_ids"])
    outcome.alert_id = done["alert_id"]
    return outcome


def check_batch(sources: Sequence[Source], *, archive: Archive, fetcher: Fetcher, run_id: str,
                sinks: Sequence[str] = (), operator_sinks: Sequence[str] = (),
                failure_threshold: int = DEFAULT_THRESHOLD) -> list[CheckOutcome]:
    """Check sources one after another (one host's batch). A source that blows up
    unexpectedly is recorded as an error; the others still run. After each check the
    source's health is updated (one operator alert per failing episode)."""
    outcomes = []
    for source in sources:
        try:
            outcome = check_source(source, archive=archive, fetcher=fetcher, run_id=run_id, sinks=sinks)
            ops_alert = update_health(archive, source.name, threshold=failure_threshold, sinks=operator_sinks)
            if ops_alert is not None:
                outcome.extra["operator_alert"] = ops_alert
        except RedlineError as exc:
            outcome = CheckOutcome(source=source.name, url=source.url, error=str(exc))
        outcomes.append(outcome)
    return outcomes


def deliver_pending(archive: Archive, sinks: Mapping[str, object]) -> tuple[int, list[str]]:
    """Deliver every pending or failed delivery whose sink is configured now.

    Each delivery is marked in the archive right after it is attempted, so an
    alert that was delivered is never sent again; a failure stays pending and is
    retried on the next run."""
    delivered, errors = 0, []
    for row in archive.pending_deliveries():
        sink = sinks.get(row["sink"])
        if sink is None:
            continue
        alert = archive.alert(row["alert_id"])
        try:
            sink.deliver(alert)
        except DeliveryError as exc:
            archive.mark_delivery(alert.id, row["sink"], error=str(exc))
            errors.append(f"alert {alert.id} to {row['sink']}: {exc}")
            continue
        archive.mark_delivery(alert.id, row["sink"], error=None)
        delivered += 1
    return delivered, errors


def outcome_rows(outcomes: Sequence[CheckOutcome]) -> list[dict]:
    return [{"source": o.source, "status": o.status, "new_version": o.new_version,
             "change": o.change, "alert": o.alert_id, "error": o.error} for o in outcomes]

