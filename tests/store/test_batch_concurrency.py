"""A host's batch is checked concurrently, up to the fetcher's per-host concurrency (issue #7:
a sequential batch made a one-host cycle of 1,000 sources wait on every request and fsync in turn)."""
from __future__ import annotations

import threading
import time
from pathlib import Path

import httpx

from redline.store.sqlite import Archive
from redline.ingest.fetch import Fetcher
from redline.core.model import Source
from redline.monitor.check import check_batch

PAGE = ("<html><head><title>Statement {i}</title></head><body><div class='article'><h1>Statement {i}</h1>"
        "<p>The parties reaffirmed their commitment to an open, secure, stable, accessible and peaceful "
        "cyberspace, number {i}, and agreed to continue the dialogue.</p></div></body></html>")


class SlowSite:
    """A mock transport that takes `delay` per request and records how many were in flight at once."""

    def __init__(self, delay: float = 0.05) -> None:
        self.delay = delay
        self.lock = threading.Lock()
        self.in_flight = 0
        self.peak = 0

    def __call__(self, request: httpx.Request) -> httpx.Response:
        with self.lock:
            self.in_flight += 1
            self.peak = max(self.peak, self.in_flight)
        try:
            time.sleep(self.delay)
            i = request.url.path.strip("/").split(".")[0]
            return httpx.Response(200, headers={"Content-Type": "text/html; charset=utf-8"},
                                  content=PAGE.format(i=i).encode())
        finally:
            with self.lock:
                self.in_flight -= 1


def _batch(tmp_path: Path, site: SlowSite, *, concurrency: int, workers: int | None = None, n: int = 12):
    sources = [Source(name=f"s-{i:02d}", url=f"http://one.example/{i}.html", profile="generic") for i in range(n)]
    with Archive(tmp_path / "archive") as archive:
        archive.sync_sources(sources)
        with Fetcher(transport=httpx.MockTransport(site), per_host_delay=0, retries=0,
                     per_host_concurrency=concurrency) as fetcher:
            started = time.monotonic()
            outcomes = check_batch(sources, archive=archive, fetcher=fetcher, run_id="t", workers=workers)
            elapsed = time.monotonic() - started
        counts = archive.counts()
    return sources, outcomes, elapsed, counts


def test_a_host_batch_runs_up_to_the_per_host_concurrency_and_keeps_input_order(tmp_path: Path) -> None:
    site = SlowSite(delay=0.2)   # sequential >= 2.4 s; 3 waves of 4 ~0.6 s: room for a loaded machine's writes
    sources, outcomes, elapsed, counts = _batch(tmp_path, site, concurrency=4)
    assert [o.source for o in outcomes] == [s.name for s in sources]
    assert all(o.error is None and o.status == 200 and o.change == "first" for o in outcomes)
    assert counts["captures"] == 12 and counts["versions"] == 12
    assert 1 < site.peak <= 4
    assert elapsed < 12 * site.delay  # sequential would take at least 2.4 s


def test_workers_1_checks_one_source_at_a_time(tmp_path: Path) -> None:
    site = SlowSite(delay=0.01)
    _, outcomes, _, counts = _batch(tmp_path, site, concurrency=4, workers=1, n=4)
    assert site.peak == 1
    assert all(o.error is None for o in outcomes) and counts["versions"] == 4
