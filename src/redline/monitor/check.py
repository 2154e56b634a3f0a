"""One monitoring cycle, without Prefect: check sources, record versions, deliver alerts.

The flow in flows/monitor.py wires these functions into tasks; tests call them
directly with a real Archive in a temporary folder and a Fetcher on a mock
transport or a loopback server.
"""
from __future__ import annotations

import hashlib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, replace
from typing import Callable, Mapping, Sequence

from redline.alerts.health import DEFAULT_THRESHOLD, update_health
from redline.alerts.messages import removed_alert, restored_alert, summarize
from redline.core.model import SourceStatus
from redline.core.stop import stop_reason, stop_requested
from redline.core.errors import IndexConnectionLost, MaskError, PageTooLarge, RedlineError
from redline.core.model import CheckOutcome, FetchResult, Source
from redline.core.urls import is_home_url
from redline.ingest.charset import decode_body
from redline.ingest.fetch import Fetcher
from redline.store.batching import (
    DEFAULT_BATCH,
    UnchangedBatch,
    can_batch,
    pending_check,
)
from redline.store.locks import source_lock
from redline.store.sqlite import Archive, NewAlert, NewChange, NewVersion, SourceState, sha256_text
from redline.text import classify as classify_mod
from redline.text.diff import diff_texts
from redline.text.formulations import Watch
from redline.text.significance import grade_change
from redline.text.render import render_html, render_text
from redline.text.normalize import NORMALIZER_VERSION, normalize

# -- removed and restored statements ------------------------------------------


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
    again = text_of_capture(archive, source, state.version_capture_id)
    if again is None or again == text:  # no raw body, or over today's caps: the stored text stays
        return text, []
    version = NewVersion(text=again, title=source.title, origin="renormalized",
                         normalizer_version=NORMALIZER_VERSION)
    return again, [(version, NewChange("renormalized", ("normalizer rules changed",)))]


def text_of_capture(archive: Archive, source: Source, capture_id: int) -> str | None:
    """The text today's normalizer makes of a capture's raw body (None: no body, or over the caps)."""
    raw = archive.raw_body(capture_id)
    if raw is None:
        return None
    capture = archive.capture(capture_id)
    decoded, _, _ = decode_body(raw, capture["content_type"])
    try:
        return normalize(decoded, profile=source.profile, url=capture["final_url"]).text
    except PageTooLarge:
        return None


def restore_text(archive: Archive, source: Source, state: SourceState) -> tuple[SourceState, str | None]:
    """(state, warning) when the current version's text blob is missing from the archive (deleted,
    lost with a disk): the text is made again from the version's raw capture in its WARC record
    and stored back when it is the same text (same sha256); otherwise the version counts as
    unknown, and this check fetches the page in full (no validators) to start the comparison
    again from its text. (state, None) when the blob is there."""
    digest = state.text_sha256
    if digest is None or archive.has_text(digest):
        return state, None
    seq = f"v{state.version_seq}"
    try:
        again = text_of_capture(archive, source, state.version_capture_id) if state.version_capture_id else None
    except RedlineError:
        again = None
    if again is not None and sha256_text(again) == digest:
        archive.put_text(again)
        return state, (f"the text of {seq} was missing from the archive; made again from its raw capture "
                       f"#{state.version_capture_id} and stored back")
    return (replace(state, text_sha256=None, etag=None, last_modified=None, last_raw_sha256=None),
            f"the text of {seq} is missing from the archive and its raw capture does not give it again; "
            f"this check's text is compared from here on")


def _same_text(archive: Archive, source: Source, state, result: FetchResult,
               raw_sha: str | None) -> tuple[str, str] | None:
    """(text sha256, profile used) when this 200 is byte-identical to a capture whose text is
    the current version's, made at the same final URL, asked for the same profile ("auto"
    included) under today's normalizer rules: normalizing it again would give that text, so
    the check can skip it (issue #7: a server without 304s otherwise costs a full normalize
    per unchanged page). None whenever anything differs, or the source is removed. A capture's
    `profile_asked` is NULL when it is the profile used (and in captures from before schema 4,
    which then count only for the named profile they used: never for "auto")."""
    if (raw_sha is None or result.status != 200 or result.text is None or state.state == SourceStatus.REMOVED
            or state.text_sha256 is None or state.normalizer_version != NORMALIZER_VERSION):
        return None
    row = archive.latest_capture_of_body(source.name, raw_sha)
    if row is None:
        return None
    asked = row["profile_asked"] or row["profile"]
    if (row["text_sha256"] != state.text_sha256 or row["normalizer_version"] != NORMALIZER_VERSION
            or row["final_url"] != result.final_url or asked != source.profile):
        return None
    return row["text_sha256"], row["profile"]


def check_source(source: Source, *, archive: Archive, fetcher: Fetcher, run_id: str,
                 sinks: Sequence[str] | Callable[[str | None], Sequence[str]] = (),
                 batch: UnchangedBatch | None = None, grades: Mapping[str, str] | None = None,
                 watch: Sequence[Watch] = ()) -> CheckOutcome:
    """Fetch one source, archive the capture, add a version when its text changed,
    and record an alert for a substantive change. Never raises for a bad page.

    Holds the source's lock (redline.store.locks) from reading its state to committing the
    check, so two runs at once check it one after the other, never both from one state.
    `grades` and `watch` (watched formulations) go to the change's grading (text.significance).
    With a `batch`, an unchanged check of a healthy source is handed to it instead
    (redline.store.batching): it changes nothing another run could read from the state."""
    with source_lock(archive, source.name):
        return _check_source(source, archive=archive, fetcher=fetcher, run_id=run_id, batch=batch, grades=grades,
                             watch=watch, sinks=sinks if callable(sinks) else (lambda _grade: sinks))


def _check_source(source: Source, *, archive: Archive, fetcher: Fetcher, run_id: str,
                  sinks: Callable[[str | None], Sequence[str]], batch: UnchangedBatch | None = None,
                  grades: Mapping[str, str] | None = None, watch: Sequence[Watch] = ()) -> CheckOutcome:
    state, warning = restore_text(archive, source, archive.state(source.name))
    if warning is not None:
        batch = None  # a check that repairs is never a batched "unchanged" one
    result = fetcher.fetch(source.url, etag=state.etag, last_modified=state.last_modified)
    outcome = CheckOutcome(source=source.name, status=result.status, url=result.final_url,
                           not_modified=result.not_modified)
    if warning is not None:
        outcome.extra["warning"] = warning
    if result.status is None:
        archive.record_check(source.name, result, run_id=run_id)
        outcome.error = result.error
        return outcome
    raw_sha = _sha256(result.body) if result.body else None
    revisit_of = None
    if raw_sha and result.status == 200 and raw_sha == state.last_raw_sha256:
        revisit_of = archive.original_warc_record(source.name, raw_sha)
    same = None if revisit_of is None else _same_text(archive, source, state, result, raw_sha)
    if batch is not None and can_batch(state, result) and (same is not None or (
            result.not_modified and result.status == 304)):
        text_sha, profile = same or (None, None)
        batch.add(pending_check(state, result, run_id=run_id, revisit_of=revisit_of, raw_sha256=raw_sha,
                                text_sha256=text_sha, profile=profile,
                                normalizer_version=NORMALIZER_VERSION if same else None,
                                profile_asked=source.profile if same else None))
        return outcome
    warc = archive.write_warc(source.name, result, revisit_of=revisit_of)
    try:
        norm = None if result.error or result.not_modified or same else normalize(
            result.text or "", profile=source.profile, url=result.final_url)
    except PageTooLarge as exc:  # one line against the source; the capture is archived, the run goes on
        archive.record_check(source.name, result, run_id=run_id, warc=warc, raw_sha256=raw_sha, error=str(exc))
        outcome.error = str(exc)
        return outcome
    gone = removal_reason(result, placeholder=bool(norm and norm.placeholder))
    if gone and state.version_id is not None:  # something was there: the statement is removed
        alert = None if state.state == SourceStatus.REMOVED else removed_alert(archive, source, state, gone)
        done = archive.record_check(source.name, result, run_id=run_id, warc=warc, raw_sha256=raw_sha,
                                    profile=norm.profile if norm else None, error=f"removed: {gone}",
                                    failed=False, state=SourceStatus.REMOVED, alert=alert, sinks=sinks(None))
        outcome.change, outcome.alert_id = "removed", done.alert_id
        return outcome
    if result.not_modified and state.state == SourceStatus.REMOVED:  # back, exactly as it was before
        done = archive.record_check(source.name, result, run_id=run_id, warc=warc,
                                    alert=restored_alert(source, state, result.final_url), sinks=sinks(None),
                                    state=SourceStatus.ACTIVE)
        outcome.change, outcome.alert_id = "restored", done.alert_id
        return outcome
    if result.not_modified or result.error:
        archive.record_check(source.name, result, run_id=run_id, warc=warc, raw_sha256=raw_sha)
        outcome.error = result.error
        return outcome
    if same is not None and not gone:  # byte-identical page: its text is the current version's
        archive.record_check(source.name, result, run_id=run_id, warc=warc, raw_sha256=raw_sha,
                             text_sha256=same[0], profile=same[1], normalizer_version=NORMALIZER_VERSION,
                             profile_asked=source.profile)
        return outcome

    error, previous, versions, verdict = None, None, [], None
    if gone:  # never archived: more likely a wrong address than a removed statement
        error = f"{gone}; nothing was archived from this address yet"
    elif not norm.text.strip():
        error = f"{result.final_url} has no text after normalization"
    else:
        previous, versions = _previous_text(archive, source, state)
        try:
            verdict = None if previous in (None, norm.text) else \
                classify_mod.classify(previous, norm.text, masks=source.masks)
        except MaskError as exc:  # refused: this check is recorded with the error, the run goes on
            error = exc.line(source.name)
    if error:
        archive.record_check(source.name, result, run_id=run_id, warc=warc, raw_sha256=raw_sha,
                             profile=norm.profile, normalizer_version=NORMALIZER_VERSION, error=error)
        outcome.error = error
        return outcome

    alert = None
    if previous is None or norm.text != previous:
        new = NewVersion(text=norm.text, title=norm.title or source.title, origin="capture",
                         normalizer_version=NORMALIZER_VERSION)
        change = None
        if previous is None:
            outcome.change = "first"
        else:
            d = diff_texts(previous, norm.text)
            change = NewChange(verdict.kind, verdict.reasons, asdict(d.stats))
            outcome.change = verdict.kind
            if verdict.kind == "substantive":
                graded = grade_change(previous, norm.text, language=source.language, masks=source.masks,
                                      table=grades, watch=watch)
                alert = NewAlert(kind="change", title=source.title or norm.title, url=result.final_url,
                                 summary=summarize(d), diff_text=render_text(d), diff_html=render_html(d),
                                 stats={**asdict(d.stats), "reasons": list(verdict.reasons),
                                        "significance": graded.to_json()})
        versions.append((new, change))
    elif versions:
        outcome.change = "renormalized"
    restored = state.state == SourceStatus.REMOVED
    if restored:  # one alert: back, and (when its wording changed meanwhile) the diff
        outcome.extra["text_change"] = outcome.change
        outcome.change = "restored"
        alert = restored_alert(source, state, result.final_url, change=alert)
    done = archive.record_check(
        source.name, result, run_id=run_id, warc=warc, raw_sha256=raw_sha,
        text_sha256=sha256_text(norm.text), profile=norm.profile, profile_asked=source.profile,
        normalizer_version=NORMALIZER_VERSION, versions=versions, alert=alert,
        sinks=sinks(((alert.stats or {}).get("significance") or {}).get("grade")) if alert else (),
        state=SourceStatus.ACTIVE if restored else None)
    outcome.new_version = bool(done.version_ids)
    outcome.alert_id = done.alert_id
    return outcome


def check_batch(sources: Sequence[Source], *, archive: Archive, fetcher: Fetcher, run_id: str,
                sinks: Sequence[str] | Callable[..., Sequence[str]] = (), operator_sinks: Sequence[str] = (),
                failure_threshold: int = DEFAULT_THRESHOLD, workers: int | None = None,
                batch_size: int = DEFAULT_BATCH, grades: Mapping[str, str] | None = None,
                watch: Sequence[Watch] = ()) -> list[CheckOutcome]:
    """Check one host's batch of sources, up to `workers` at a time (default: the fetcher's
    per-host concurrency, which caps requests in flight anyway); outcomes in input order.
    A source that blows up unexpectedly is recorded as an error; the others still run.
    After each check the source's health is updated (one operator alert per failing episode).

    Threads overlap the waits (network, fsync of WARC files and index commits); the
    Archive and the Fetcher are thread-safe, and each source is checked by one thread.
    Unchanged checks of healthy sources are archived `batch_size` at a time and at the
    end (redline.store.batching); a batch that cannot be written marks its sources' outcomes
    with the error. `grades` overrides the significance table (redline.text.significance), `watch`
    lists the watched formulations (redline.text.formulations). `sinks`
    names the channels of every alert, or is a route (Sinks.for_source: source, grade):
    the channels for one source's alerts."""
    route = sinks if callable(sinks) else (lambda _source, _grade=None: sinks)

    def one(source: Source) -> CheckOutcome:
        if stop_requested():   # SIGTERM, Ctrl-C or the orchestration server gone: start no new check
            return CheckOutcome(source=source.name, url=source.url, error=f"not checked: the run was stopped "
                                f"({stop_reason()})")
        try:
            try:
                return checked(source)
            except IndexConnectionLost:  # the index connection came back: this check again, whole, once
                return checked(source)
        except RedlineError as exc:
            return CheckOutcome(source=source.name, url=source.url, error=str(exc))

    def checked(source: Source) -> CheckOutcome:
        with source_lock(archive, source.name):  # the check and its health update, as one
            outcome = check_source(source, archive=archive, fetcher=fetcher, run_id=run_id, grades=grades,
                                   watch=watch, sinks=lambda grade, s=source: route(s, grade), batch=batch)
            ops_alert = None if batch.holds(source.name) else update_health(  # a held check was healthy
                archive, source.name, threshold=failure_threshold, sinks=operator_sinks)
        if ops_alert is not None:
            outcome.extra["operator_alert"] = ops_alert
        return outcome

    batch = UnchangedBatch(archive, size=batch_size)
    workers = min(max(1, workers or fetcher.per_host_concurrency), len(sources))
    if workers <= 1:
        outcomes = [one(s) for s in sources]
    else:
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="redline-check") as pool:
            outcomes = list(pool.map(one, sources))
    batch.flush()
    for outcome in outcomes:
        if outcome.source in batch.errors:
            outcome.error = batch.errors[outcome.source]
    return outcomes


REMOVED_STATUSES = frozenset({404, 410})


def removal_reason(result: FetchResult, *, placeholder: bool) -> str | None:
    """Why a fetch shows the statement gone (None: it does not): 404 or 410, a redirect to
    the site's home page, or the site's "page not found" placeholder served with 200."""
    if result.status in REMOVED_STATUSES:
        return f"HTTP {result.status} at {result.final_url}"
    if result.redirects and not result.error and is_home_url(result.final_url) and not is_home_url(result.url):
        return f"redirects to the site's home page ({result.final_url})"
    if placeholder:
        return f"serves the site's 'page not found' placeholder (HTTP {result.status}) at {result.final_url}"
    return None
