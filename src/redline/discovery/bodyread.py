"""Reading an inconclusive candidate's page: fetch it, normalize it, score its opening paragraphs.

One BodyReader serves one listing in one cycle. It reads at most `topic.body.max_reads`
pages, through the run's Fetcher, so a candidate is fetched like any page: the per-host
delay and concurrency, robots.txt, the size and time limits and the address guard all
apply. The scoring is pure (redline.discovery.bodyscore); this module is its I/O edge.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import cast

from redline.core.errors import RedlineError
from redline.core.model import FetchResult
from redline.discovery.bodyscore import combined_score, opening_paragraphs
from redline.discovery.topic import Score, TopicProfile
from redline.ingest.fetch import Fetcher
from redline.text.normalize import normalize

GONE = frozenset({404, 410})


@dataclass(frozen=True)
class BodyVerdict:
    """What reading a candidate gave. `score`: the item's score now (title and paragraphs, or
    the title alone when the page is gone); None when it was not read this cycle, `error` saying
    why in one line (the item waits, and is read in a later cycle)."""

    score: Score | None
    error: str | None = None
    read: bool = False  # the page was fetched and its paragraphs scored
    capped: bool = False  # not read: this listing's reads for the cycle are used up


class BodyReader:
    def __init__(self, *, fetcher: Fetcher, topic: TopicProfile) -> None:
        self.fetcher, self.topic = fetcher, topic
        self.reads = 0  # pages fetched so far (failed fetches count: they were requests)
        self.pages: dict[str, FetchResult] = {}  # read and not yet handed to the check that tracks them

    def tracking_fetcher(self) -> Fetcher:
        """The fetcher for checking a statement just found: a page this reader read is that
        check's capture (one request, not two); any other page is fetched."""
        return cast(Fetcher, _ReadFirst(self.fetcher, self.pages))

    @property
    def exhausted(self) -> bool:
        return self.reads >= self.topic.body.max_reads

    def read(self, url: str, title: str, title_score: Score) -> BodyVerdict:
        """Fetch the candidate (unless the cap is reached) and score its opening paragraphs."""
        if self.exhausted:
            return BodyVerdict(None, error=f"at most {self.topic.body.max_reads} candidate pages are read per "
                                           "listing per cycle", capped=True)
        self.reads += 1
        result = self.fetcher.fetch(url)
        if result.status in GONE:
            return self._title_alone(title_score, f"the candidate page is gone (HTTP {result.status})")
        if result.error or result.status != 200 or not result.text:
            why = result.error or (f"HTTP {result.status}" if result.status != 200 else "no text")
            return BodyVerdict(None, error=f"reading the candidate page failed: {why}")
        try:
            page = normalize(result.text, url=result.final_url)
        except RedlineError as exc:  # e.g. a page past the normalizer's size caps
            return BodyVerdict(None, error=f"reading the candidate page failed: {exc}")
        if page.placeholder:
            return self._title_alone(title_score, "the candidate page is the site's 'page not found' placeholder")
        self.pages[url] = result
        paragraphs = opening_paragraphs(page.text, title=title, count=self.topic.body.paragraphs)
        return BodyVerdict(combined_score(title_score, paragraphs, self.topic), read=True)

    @staticmethod
    def _title_alone(title_score: Score, why: str) -> BodyVerdict:
        return BodyVerdict(replace(title_score, reason=f"{title_score.reason}; {why}: decided on the title"))


class _ReadFirst:
    """Fetcher.fetch, answering an unconditional GET of a page just read with that reading."""

    def __init__(self, fetcher: Fetcher, pages: dict[str, FetchResult]) -> None:
        self._fetcher, self._pages = fetcher, pages

    def fetch(self, url: str, *, etag: str | None = None, last_modified: str | None = None) -> FetchResult:
        page = self._pages.pop(url, None)
        if page is not None and not etag and not last_modified:
            return page
        return self._fetcher.fetch(url, etag=etag, last_modified=last_modified)
