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
- unrelated: remembered, never scored again ("unrelated").

The flow in flows/discover.py wires this into tasks; tests call it directly.
"""
from __future__ import annotations

import hashlib
import html
import json
import re
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Iterable, Mapping, Sequence

from redline.store.sqlite import Archive, ItemClaim, ItemMatch, NewAlert
from redline.core.urls import doc_id, url_key
from redline.core.textutil import opening_lines
from redline.discovery.listing import ListingItem, page_urls, parse_listing
from redline.core.errors import ConfigError, RedlineError
from redline.ingest.fetch import Fetcher
from redline.alerts.health import DEFAULT_THRESHOLD, update_health
from redline.core.model import Source
from redline.monitor.check import check_source
from redline.monitor.select import host_of
from redline.registry.load import NAME_RE, RESERVED_NAMES, Registry
from redline.discovery.topic import Score, TopicProfile
from redline.text.formulations import Watch, holds

DEFAULT_DEPTH = 3
ENV_DEPTH = "REDLINE_DISCOVER_DEPTH"
_CJK = re.compile(r"[\u3400-\u9fff]")


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
    outcome: str                   # new | baseline | unrelated | known | republication | moved
    source: str | None = None      # the tracked source it is (or is recorded against)
    alert_id: int | None = None
    error: str | None = None       # fetching a new statement failed (it stays tracked)


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


# -- pure decisions -----------------------------------------------------------


def source_name(title: str, url: str, taken: Iterable[str]) -> str:
    """A registry-valid, unused name for a discovered statement: the title's words, then the document id."""
    taken = set(taken) | set(RESERVED_NAMES)
    words = re.findall(r"[a-z0-9]+", re.sub(r"['’]", "", title.lower()))
    slug = ""
    for word in words:  # whole words, up to ~32 characters
        if len(slug) + len(word) + 1 > 32:
            break
        slug = f"{slug}-{word}" if slug else word
    slug = slug or "-".join(words)[:32].strip("-")
    ident = (doc_id(url) or hashlib.sha256(url.encode("utf-8")).hexdigest()[:10]).replace("_", "-")
    base = f"{slug}-{ident}" if slug else f"statement-{ident}"
    name, n = base, 1
    while name in taken or not NAME_RE.fullmatch(name):
        n += 1
        name = f"{base[:74]}-{n}"
    return name


def discovered_source(item: ListingItem, listing: Source, taken: Iterable[str]) -> Source:
    tags = tuple(dict.fromkeys([*(t for t in listing.tags if t != "listing"), "discovered"]))
    return Source(name=source_name(item.title, item.url, taken), url=item.url, title=item.title, date=item.date,
                  language="zh" if _CJK.search(item.title) else listing.language, profile="auto", tags=tags,
                  kind="statement", origin="discovered")


def decide(item: ListingItem, listing: Source, score: Score, match: ItemMatch, *, baseline: bool) -> ItemClaim:
    """What a listing item met for the first time is (see the module docstring)."""
    if match.by_url:
        return ItemClaim("known", match.by_url)
    if match.by_doc:
        if match.by_doc in match.removed:
            return ItemClaim("moved", match.by_doc, note=f"document id {doc_id(item.url)}")
        return ItemClaim("republication", match.by_doc, note=f"document id {doc_id(item.url)}")
    if match.removed_by_title:
        return ItemClaim("moved", match.removed_by_title, note="title")
    if match.doc_seen:
        return ItemClaim("republication", match.doc_seen_source, note=f"document id {doc_id(item.url)}")
    if not score.related:
        return ItemClaim("unrelated")
    source = discovered_source(item, listing, match.names)
    return ItemClaim("baseline" if baseline else "new", source.name, source)


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


def _handle_items(items: Sequence[ListingItem], out: ListingOutcome, *, listing: Source, archive: Archive,
                  fetcher: Fetcher, topic: TopicProfile, run_id: str, sinks: Sequence[str],
                  capture_id: int | None = None, watch: Sequence[Watch] = ()) -> int:
    """Claim each item; track, fetch and announce what is new. Returns how many were met for the first time."""
    fresh = 0
    met = archive.touch_listing_items([item.url for item in items])
    for item in items:
        out.items += 1
        if url_key(item.url) in met:  # met before: never scored again
            continue
        score = topic.score(item.title)
        claim = archive.claim_listing_item(
            listing=listing.name, url=item.url, title=item.title, date=item.date, score=score.score,
            terms=score.terms, reason=score.reason, capture_id=capture_id,
            decide=lambda match, item=item, score=score: decide(item, listing, score, match, baseline=out.baseline))
        if claim.outcome == "seen":
            continue
        fresh += 1
        found = ItemOutcome(listing=listing.name, title=item.title, url=item.url, date=item.date, score=score.score,
                            terms=list(score.terms), reason=score.reason, outcome=claim.outcome, source=claim.source)
        out.found.append(found)
        row = {"source": claim.source, "title": item.title, "url": item.url, "date": item.date,
               "score": score.score, "terms": json.dumps(list(score.terms)), "reason": score.reason,
               "note": claim.note}
        try:
            if claim.new_source is not None:
                check = check_source(claim.new_source, archive=archive, fetcher=fetcher, run_id=run_id, sinks=sinks)
                found.error = check.error
                if claim.outcome == "new":
                    found.alert_id = _announce_new(archive, row, listing, sinks, fetch_error=check.error,
                                                   watch=watch)
            elif claim.outcome == "moved":
                found.alert_id = _announce_moved(archive, row, listing, sinks)
        except RedlineError as exc:  # the item is claimed; an alert left unraised is raised next run
            found.error = str(exc)
    return fresh


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
    kw = dict(listing=listing, archive=archive, fetcher=fetcher, topic=topic, run_id=run_id, sinks=sinks,
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
             "alerts": len(o.alerts), "error": o.error} for o in outcomes]
