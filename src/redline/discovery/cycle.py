"""One discovery cycle, without Prefect: read listing pages, track related new statements.

For each listing (a registry source of kind "listing"): a conditional GET of its
first page (archived like any capture), then its further pages up to a depth,
while they still hold items not met before. Each item is met once (by its
url_key): scored against the topic, and then

- the address or document id of a tracked source: recorded against it, no alert
  ("known", "republication");
- the document id or title of a *removed* source at a new address: one "moved"
  alert suggesting `redline sources move` ("moved");
- related: a new tracked source (origin "discovered"), fetched and archived now,
  and one "new_statement" alert ("new"), except on a listing's first crawl, whose
  items are its baseline ("baseline": tracked, no alert);
- unrelated: remembered, never scored again ("unrelated");
- a title too close to the threshold to decide alone: claimed "pending", its page read
  (redline.discovery.bodyread, at most topic.body.max_reads per listing per cycle) and
  decided again on its title and opening paragraphs; one not read (the cap, a failed
  fetch) stays pending and is read in a later cycle, even if the listing is unchanged.

The flow in flows/discover.py wires this into tasks; tests call it directly.
"""
from __future__ import annotations

import dataclasses
import hashlib
import html
import json
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Iterable, Mapping, Sequence

from redline.store.sqlite import Archive, ItemClaim, NewAlert
from redline.core.urls import doc_id, url_key
from redline.core.textutil import opening_lines
from redline.discovery.listing import ListingItem, page_urls, parse_listing
from redline.core.errors import ConfigError, RedlineError
from redline.ingest.fetch import Fetcher
from redline.alerts.health import DEFAULT_THRESHOLD, update_health
from redline.core.model import Source
from redline.monitor.check import check_source
from redline.monitor.select import host_of
from redline.registry.load import Registry
from redline.discovery.bodyread import BodyReader
from redline.discovery.bodyscore import inconclusive
from redline.discovery.decide import decide, discovered_source, source_name  # noqa: F401 (re-exported)
from redline.discovery.topic import Score, TopicProfile
from redline.text.formulations import Watch, holds

DEFAULT_DEPTH = 3
ENV_DEPTH = "REDLINE_DISCOVER_DEPTH"


def depth_setting(given: int | None, env: Mapping[str, str]) -> int:
    """Listing pages to read: the given number, else $REDLINE_DISCOVER_DEPTH, else 3."""
    raw = given if given is not None else (env.get(ENV_DEPTH) or DEFAULT_DEPTH)
    try:
        depth = int(raw)
    except (TypeError, ValueError):
        raise ConfigError(f"{ENV_DEPTH}={raw!r} is not a number of pages, e.g. {DEFAULT_DEPTH}") from None
    if depth < 1:
        raise ConfigError(f"a depth of {depth} reads nothing: read at least 1 page of each listing")
    return depth


@dataclass
class ItemOutcome:
    listing: str
    title: str
    url: str
    date: str
    score: float
    terms: list[str]
    reason: str
    outcome: str                   # new | baseline | unrelated | known | republication | moved | pending
    source: str | None = None      # the tracked source it is (or is recorded against)
    alert_id: int | None = None
    error: str | None = None       # fetching a new statement (or a pending one's page) failed
    body: str | None = None        # inconclusive title: "read: <decision>" or "not read: <why>"


@dataclass
class ListingOutcome:
    listing: str
    url: str
    status: int | None = None
    not_modified: bool = False
    baseline: bool = False         # first crawl: items are the baseline, related ones tracked silently
    profile: str = ""
    pages: int = 0
    items: int = 0                 # items read on all pages (met before or not)
    found: list[ItemOutcome] = field(default_factory=list)  # items met for the first time
    error: str | None = None

    @classmethod
    def from_dict(cls, data: dict) -> "ListingOutcome":
        """Back from dataclasses.asdict (what a Prefect task returns)."""
        data = dict(data)
        return cls(**{**data, "found": [ItemOutcome(**i) for i in data.get("found", [])]})

    def count(self, outcome: str) -> int:
        return sum(1 for i in self.found if i.outcome == outcome)

    @property
    def alerts(self) -> list[int]:
        return [i.alert_id for i in self.found if i.alert_id is not None]


def _html(lines: Sequence[str]) -> str:
    return "".join(f"<p>{html.escape(line)}</p>" for line in lines if line)


def new_statement_alert(*, title: str, url: str, date: str, listing: Source, score: float, terms: Sequence[str],
                        reason: str, opening: Sequence[str], fetch_error: str | None,
                        formulations: Sequence[Mapping[str, object]] = ()) -> NewAlert:
    """`formulations`: the watched formulations its text holds ({"phrase", "text", "paragraph"})."""
    watched = "; ".join(f"{f['phrase']} (¶{f['paragraph']})" for f in formulations)
    lines = [f"Title: {title}", f"Date: {date or 'not given'}", f"URL: {url}",
             f"Listed on: {listing.title or listing.name} ({listing.url})",
             f"Score: {score:g} — {reason}", *([f"Watched formulations: {watched}"] if watched else []), ""]
    if opening:
        lines += ["Opening lines:", *(f"  {line}" for line in opening)]
    else:
        lines.append(f"Not fetched yet ({fetch_error}); the next run tries again." if fetch_error
                     else "The page has no text to quote.")
    terms_shown = ", ".join(terms)
    return NewAlert(kind="new_statement", title=title, url=url,
                    summary=f"New related statement{f' of {date}' if date else ''} on "
                            f"{listing.title or listing.name} (score {score:g}: {terms_shown})"
                            + (f"; holds {', '.join(str(f['phrase']) for f in formulations)}" if watched else ""),
                    diff_text="\n".join(lines), diff_html=_html(lines),
                    stats={"score": score, "terms": list(terms), "reason": reason, "date": date,
                           "listing": listing.name, "doc_id": doc_id(url),
                           **({"formulations": [dict(f) for f in formulations]} if formulations else {})})


def moved_alert(*, removed: dict, title: str, url: str, date: str, listing: Source, matched_by: str) -> NewAlert:
    since = (removed.get("state_since") or "")[:10]
    lines = [f"{removed['name']} was removed from {removed['url']}"
             + (f" (since {since}: {removed.get('state_reason')})" if since else "") + ".",
             f"The same statement ({matched_by}) is listed again as: {title}" + (f" ({date})" if date else ""),
             f"at {url}", f"on {listing.title or listing.name} ({listing.url}).", "",
             "To follow it at its new address, keeping its history:",
             f"  redline sources move {removed['name']} {url}"]
    return NewAlert(kind="moved", title=removed["title"] or title, url=url,
                    summary=f"Removed statement found again at a new address ({matched_by}): {url}; "
                            f"suggested: redline sources move {removed['name']} {url}",
                    diff_text="\n".join(lines), diff_html=_html(lines),
                    stats={"matched_by": matched_by, "old_url": removed["url"], "new_url": url,
                           "listing": listing.name})


# -- one listing ----------------------------------------------------------------


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _announce_new(archive: Archive, row: dict, listing: Source, sinks: Sequence[str],
                  fetch_error: str | None, watch: Sequence[Watch] = ()) -> int:
    """The new-statement alert of a tracked item, quoting the archived text when there is one
    and naming the watched formulations it holds."""
    version = archive.latest_version(row["source"])
    text = archive.get_text(version.text_sha256) if version else ""
    opening = opening_lines(text, title=row["title"]) if version else []
    alert = new_statement_alert(title=row["title"], url=row["url"], date=row["date"], listing=listing,
                                score=row["score"], terms=json.loads(row["terms"]), reason=row["reason"],
                                opening=opening, fetch_error=fetch_error,
                                formulations=[{"phrase": w.phrase, "text": f.text, "paragraph": f.line}
                                              for w, f in holds(watch, text)])
    alert_id = archive.add_alert(row["source"], alert, sinks=sinks)
    archive.set_item_alert(row["url"], alert_id)
    return alert_id


def _announce_moved(archive: Archive, row: dict, listing: Source, sinks: Sequence[str]) -> int:
    removed = dict(archive.source_row(row["source"]))
    alert = moved_alert(removed=removed, title=row["title"], url=row["url"], date=row["date"], listing=listing,
                        matched_by=row["note"] or "document id")
    latest = archive.latest_version(row["source"])
    alert_id = archive.add_alert(row["source"], alert, sinks=sinks, from_version=latest.id if latest else None)
    archive.set_item_alert(row["url"], alert_id)
    return alert_id


def _pending_announcements(archive: Archive, listing: Source, sinks: Sequence[str],
                           watch: Sequence[Watch] = ()) -> None:
    """Alerts an interrupted run recorded items for but never raised: raise them now."""
    for row in archive.listing_items(listing.name, outcomes=("new", "moved")):
        if row["alert_id"] is None:
            row = dict(row)
            if row["outcome"] == "new":
                _announce_new(archive, row, listing, sinks, fetch_error="not fetched before an interruption",
                              watch=watch)
            else:
                _announce_moved(archive, row, listing, sinks)


def _claim(item: ListingItem, score: Score, *, listing: Source, archive: Archive, baseline: bool,
           undecided: bool, capture_id: int | None) -> ItemClaim:
    return archive.claim_listing_item(
        listing=listing.name, url=item.url, title=item.title, date=item.date, score=score.score,
        terms=score.terms, reason=score.reason, capture_id=capture_id,
        decide=lambda match: decide(item, listing, score, match, baseline=baseline, undecided=undecided))


def _settle(item: ListingItem, title_score: Score, *, reader: BodyReader, baseline: bool,
            **kw: object) -> tuple[ItemClaim, Score, str]:
    """A pending item: read its page and decide it again. Not read (the cap, a failure), it stays
    pending, except on a baseline crawl's cap: the baseline is decided on titles alone."""
    verdict = reader.read(item.url, item.title, title_score)
    if verdict.score is not None:
        note = f"read: {verdict.score.reason}" if verdict.read else f"not read: {verdict.score.reason}"
        return _claim(item, verdict.score, baseline=baseline, undecided=False, **kw), verdict.score, note
    decided = verdict.capped and baseline
    why = "baseline, decided on the title" if decided else "inconclusive, read again next cycle"
    score = dataclasses.replace(title_score, reason=f"{title_score.reason}; {why} (not read: {verdict.error})")
    return _claim(item, score, baseline=baseline, undecided=not decided, **kw), score, f"not read: {verdict.error}"


def _meet(item: ListingItem, out: ListingOutcome, *, listing: Source, archive: Archive, topic: TopicProfile,
          reader: BodyReader, baseline: bool, capture_id: int | None) -> tuple[ItemOutcome, ItemClaim] | None:
    """Score and claim one item (reading its page when its title is inconclusive); None: met before."""
    score = topic.score(item.title)
    kw = dict(listing=listing, archive=archive, baseline=baseline, capture_id=capture_id)
    claim = _claim(item, score, undecided=inconclusive(score, topic), **kw)  # type: ignore[arg-type]
    if claim.outcome == "seen":
        return None
    body = None
    if claim.outcome == "pending":
        claim, score, body = _settle(item, score, reader=reader, **kw)  # type: ignore[arg-type]
    found = _found(out, listing, item, score, claim, body)
    return found, claim


def _found(out: ListingOutcome, listing: Source, item: ListingItem, score: Score, claim: ItemClaim,
           body: str | None) -> ItemOutcome:
    """The outcome of an item met (or settled) in this cycle, added to the listing's."""
    found = ItemOutcome(listing=listing.name, title=item.title, url=item.url, date=item.date, score=score.score,
                        terms=list(score.terms), reason=score.reason, outcome=claim.outcome, source=claim.source,
                        body=body, error=body.removeprefix("not read: ") if body and claim.outcome == "pending"
                        else None)
    out.found.append(found)
    return found


def _act(found: ItemOutcome, claim: ItemClaim, *, listing: Source, archive: Archive, fetcher: Fetcher,
         run_id: str, sinks: Sequence[str], watch: Sequence[Watch] = ()) -> None:
    """Track, fetch and announce what an item's claim made new (or moved)."""
    row = {"source": claim.source, "title": found.title, "url": found.url, "date": found.date,
           "score": found.score, "terms": json.dumps(found.terms), "reason": found.reason, "note": claim.note}
    try:
        if claim.new_source is not None:
            check = check_source(claim.new_source, archive=archive, fetcher=fetcher, run_id=run_id, sinks=sinks)
            found.error = check.error
            if claim.outcome == "new":
                found.alert_id = _announce_new(archive, row, listing, sinks, fetch_error=check.error, watch=watch)
        elif claim.outcome == "moved":
            found.alert_id = _announce_moved(archive, row, listing, sinks)
    except RedlineError as exc:  # the item is claimed; an alert left unraised is raised next run
        found.error = str(exc)


def _handle_items(items: Sequence[ListingItem], out: ListingOutcome, *, listing: Source, archive: Archive,
                  topic: TopicProfile, run_id: str, sinks: Sequence[str], reader: BodyReader,
                  capture_id: int | None = None, watch: Sequence[Watch] = ()) -> int:
    """Claim each item; track, fetch and announce what is new. Returns how many were met for the first time."""
    fresh = 0
    met = archive.touch_listing_items([item.url for item in items])
    for item in items:
        out.items += 1
        if url_key(item.url) in met:  # met before: never scored again
            continue
        met_now = _meet(item, out, listing=listing, archive=archive, topic=topic, reader=reader,
                        baseline=out.baseline, capture_id=capture_id)
        if met_now is not None:
            fresh += 1
            _act(*met_now, listing=listing, archive=archive, fetcher=reader.tracking_fetcher(), run_id=run_id,
                 sinks=sinks, watch=watch)
    return fresh


def _settle_pending(out: ListingOutcome, *, listing: Source, archive: Archive, topic: TopicProfile, run_id: str,
                    sinks: Sequence[str], reader: BodyReader, watch: Sequence[Watch] = ()) -> None:
    """Items an earlier cycle left pending (their page not read yet): read them first."""
    for row in archive.listing_items(listing.name, outcomes=("pending",)):
        item = ListingItem(title=row["title"], url=row["url"], date=row["date"] or "")
        score = topic.score(item.title)
        kw = dict(listing=listing, archive=archive, baseline=row["note"] == "baseline", capture_id=None)
        if inconclusive(score, topic):
            claim, score, body = _settle(item, score, reader=reader, **kw)  # type: ignore[arg-type]
        else:  # the topic changed since: the title decides now
            claim, body = _claim(item, score, undecided=False, **kw), None  # type: ignore[arg-type]
        _act(_found(out, listing, item, score, claim, body), claim, listing=listing, archive=archive,
             fetcher=reader.tracking_fetcher(), run_id=run_id, sinks=sinks, watch=watch)


def discover_listing(listing: Source, *, archive: Archive, fetcher: Fetcher, topic: TopicProfile, run_id: str,
                     sinks: Sequence[str] = (), depth: int = DEFAULT_DEPTH,
                     baseline: bool | None = None, watch: Sequence[Watch] = ()) -> ListingOutcome:
    """Read one listing (first page conditionally, then up to `depth` pages while they hold
    new items) and act on every item met for the first time. `baseline`: None means "when
    nothing was ever read from this listing". `watch`: formulations a new statement's alert names
    when its text holds them. Never raises for a bad page."""
    out = ListingOutcome(listing=listing.name, url=listing.url)
    _pending_announcements(archive, listing, sinks, watch)
    out.baseline = (not archive.listing_items(listing.name)) if baseline is None else baseline
    reader = BodyReader(fetcher=fetcher, topic=topic)
    _settle_pending(out, listing=listing, archive=archive, topic=topic, run_id=run_id, sinks=sinks, reader=reader,
                    watch=watch)
    state = archive.state(listing.name)
    result = fetcher.fetch(listing.url, etag=state.etag, last_modified=state.last_modified)
    out.status, out.not_modified = result.status, result.not_modified
    raw_sha = _sha256(result.body) if result.body else None
    warc = None
    if result.status is not None:
        revisit_of = None
        if raw_sha and result.status == 200 and raw_sha == state.last_raw_sha256:
            revisit_of = archive.original_warc_record(listing.name, raw_sha)
        warc = archive.write_warc(listing.name, result, revisit_of=revisit_of)
    read = archive.record_check(listing.name, result, run_id=run_id, warc=warc, raw_sha256=raw_sha)
    if result.error or result.not_modified:  # not modified: nothing new was listed
        out.error = result.error
        return out
    page = parse_listing(result.text or "", result.final_url)
    out.profile, out.pages = page.profile, 1
    kw = dict(listing=listing, archive=archive, topic=topic, run_id=run_id, sinks=sinks, reader=reader,
              capture_id=read.capture_id, watch=watch)
    fresh = _handle_items(page.items, out, **kw)
    for url in page_urls(result.final_url, page.pagination, depth)[1:]:
        if not fresh and not out.baseline:  # a page of items met before: older pages hold nothing new
            break
        more = fetcher.fetch(url)
        if more.error or not more.text:
            out.error = f"page {out.pages + 1} ({url}): {more.error or 'no text'}"
            break
        out.pages += 1
        fresh = _handle_items(parse_listing(more.text, more.final_url).items, out, **kw)
    return out


def discover_batch(listings: Sequence[Source], *, archive: Archive, operator_sinks: Sequence[str] = (),
                   failure_threshold: int = DEFAULT_THRESHOLD, **kw: object) -> list[ListingOutcome]:
    """Read listings one after another (one host's batch); one that blows up is an error, the rest
    run. A listing's health is kept like a statement's (one operator alert per failing episode)."""
    outcomes = []
    sinks = kw.pop("sinks", ())
    for listing in listings:   # `sinks` may be a route: the channels for this listing's alerts
        kw["sinks"] = sinks(listing) if callable(sinks) else sinks
        try:
            outcomes.append(discover_listing(listing, archive=archive, **kw))  # type: ignore[arg-type]
            update_health(archive, listing.name, threshold=failure_threshold, sinks=operator_sinks)
        except RedlineError as exc:
            outcomes.append(ListingOutcome(listing=listing.name, url=listing.url, error=str(exc)))
    return outcomes


def select_listings(registry: Registry, names: Sequence[str] = (), tags: Sequence[str] = ()) -> list[Source]:
    """The listings to read: the named ones (even disabled) and the enabled ones carrying one of
    the tags; with neither, every enabled listing. Unknown names or tags are a ConfigError."""
    if not names and not tags:
        return [s for s in registry.listings() if s.enabled]
    chosen = registry.select(names=names, tags=tags, kinds=("listing",))
    wrong = [s.name for s in chosen if s.kind != "listing"]
    if wrong:
        raise ConfigError(f"{registry.path}: not a listing (kind = \"listing\"): {', '.join(wrong)}")
    return chosen


def group_listings(listings: Iterable[Source]) -> dict[str, list[Source]]:
    groups: dict[str, list[Source]] = defaultdict(list)
    for s in listings:
        groups[host_of(s)].append(s)
    return dict(groups)


def listing_rows(outcomes: Sequence[ListingOutcome]) -> list[dict]:
    return [{"listing": o.listing, "status": o.status, "pages": o.pages, "items": o.items,
             "new": o.count("new"), "baseline": o.count("baseline"), "unrelated": o.count("unrelated"),
             "known": o.count("known") + o.count("republication"), "moved": o.count("moved"),
             "pending": o.count("pending"), "bodies_read": sum(1 for i in o.found if (i.body or "").startswith("read:")),
             "alerts": len(o.alerts), "error": o.error} for o in outcomes]
