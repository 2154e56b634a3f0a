"""Discovery reads an inconclusive candidate's page: loopback listing -> inconclusive title ->
one polite fetch -> decided on the title and opening paragraphs (or waiting for a later cycle)."""
from __future__ import annotations

import dataclasses

import pytest

from redline.core.model import Source
from redline.demo.listing_pages import Entry, listing_page
from redline.demo.pages import seed_page
from redline.discovery.cycle import discover_listing, listing_rows
from redline.discovery.report import items_table, page_read, shown_items
from redline.discovery.topic import default_topic
from redline.ingest.fetch import Fetcher

LISTING_PATH = "/www.fmprc.gov.cn/eng/xw/fyrbt/"
OLD = [Entry("Wang Yi Meets the Foreign Minister of Peru", "./202610/t20261002_11790000.html")]
# one weak term each ("internet", "technology"): 1, near the threshold of 2
CYBER = Entry("Spokesperson's Remarks on the Internet", "./202611/t20261121_11800001.html")
FARMS = Entry("Spokesperson's Remarks on Technology Cooperation with Peru", "./202611/t20261120_11800000.html")
BODIES = {CYBER: "China firmly opposes all forms of cyber attacks.\nCyber security is a shared challenge.",
          FARMS: "The two sides signed an agreement on agriculture.\nThey will expand trade in fruit."}


def topic_with(**body: float):
    topic = default_topic()
    return dataclasses.replace(topic, body=dataclasses.replace(topic.body, **body))


@pytest.fixture
def listing(stack) -> Source:
    source = Source(name="pressers", url=stack.site.url(LISTING_PATH), title="Spokesperson's remarks",
                    kind="listing", tags=("listing", "mfa"))
    stack.archive.sync_sources([source])
    return source


def serve(site, entries, *, title="Remarks") -> None:
    site.put(LISTING_PATH, listing_page(entries, title=title))
    for entry in entries:
        if entry in BODIES:
            site.put(page_path(entry), seed_page(f"{entry.title}\n2026-11-21 10:00\n{BODIES[entry]}",
                                                 template="mfa_en_2024"))


def page_path(entry: Entry) -> str:
    return LISTING_PATH + entry.href.removeprefix("./")


def requests_for(site, entry: Entry) -> int:
    return sum(1 for path, _ in site.requests if path == page_path(entry))


def run(stack, listing, *, fetcher=None, **topic_body):
    return discover_listing(listing, archive=stack.archive, fetcher=fetcher or stack.fetcher,
                            topic=topic_with(**topic_body), run_id="t", sinks=["log"])


def found(out) -> dict[str, object]:
    return {i.title: i for i in out.found}


def test_an_inconclusive_title_is_read_once_and_decided_on_its_opening_paragraphs(stack, listing) -> None:
    serve(stack.site, OLD)
    run(stack, listing)  # baseline
    serve(stack.site, [CYBER, FARMS, *OLD])
    out = run(stack, listing)
    cyber, farms = found(out)[CYBER.title], found(out)[FARMS.title]
    assert (cyber.outcome, farms.outcome) == ("new", "unrelated")
    assert cyber.body.startswith("read: title 1 (near 2) + opening paragraphs 6 = 7 ≥ 2 → related")
    assert farms.body.startswith("read: title 1 (near 2) + opening paragraphs 0 = 1 < 2 → unrelated")
    # the page read is the new source's first capture: one request, not two
    assert requests_for(stack.site, CYBER) == 1 and requests_for(stack.site, FARMS) == 1
    [alert] = stack.archive.alerts()
    assert alert.title == CYBER.title and "opening paragraphs 6" in alert.diff_text
    assert len(stack.archive.versions(alert.source)) == 1
    [row] = stack.archive.listing_items(outcomes=("unrelated",))[-1:]
    assert row["title"] == FARMS.title and "opening paragraphs 0" in row["reason"]
    assert listing_rows([out])[0]["bodies_read"] == 2
    # decided: the next cycle reads neither page again, even from a changed listing
    serve(stack.site, [CYBER, FARMS, *OLD], title="Remarks (updated)")
    again = run(stack, listing)
    assert again.status == 200 and again.found == []
    assert requests_for(stack.site, CYBER) == 1 and requests_for(stack.site, FARMS) == 1


def test_at_most_max_reads_pages_are_read_per_listing_per_cycle_and_the_rest_wait(stack, listing) -> None:
    serve(stack.site, OLD)
    run(stack, listing)
    serve(stack.site, [CYBER, FARMS, *OLD])
    first = run(stack, listing, max_reads=1)
    assert [i.outcome for i in first.found] == ["new", "pending"]
    assert found(first)[FARMS.title].body.startswith("not read: at most 1 candidate pages are read per listing")
    assert requests_for(stack.site, FARMS) == 0
    # the listing is unchanged (304), yet the waiting item is read in the next cycle
    second = run(stack, listing, max_reads=1)
    assert second.not_modified and [(i.title, i.outcome) for i in second.found] == [(FARMS.title, "unrelated")]
    assert requests_for(stack.site, FARMS) == 1 and not stack.archive.listing_items(outcomes=("pending",))


def test_a_baseline_crawl_decides_what_the_cap_leaves_unread_on_its_title(stack, listing) -> None:
    serve(stack.site, [CYBER, FARMS, *OLD])
    out = run(stack, listing, max_reads=1)
    assert out.baseline and [i.outcome for i in out.found] == ["baseline", "unrelated", "unrelated"]
    assert "baseline, decided on the title" in found(out)[FARMS.title].reason
    assert not stack.archive.listing_items(outcomes=("pending",)) and not stack.archive.alerts()


def test_a_candidate_page_that_cannot_be_read_is_one_line_and_read_again_next_cycle(stack, listing) -> None:
    serve(stack.site, OLD)
    run(stack, listing)
    serve(stack.site, [CYBER, *OLD])
    stack.site.put(page_path(CYBER), b"<html><body>busy</body></html>", status=503)
    failed = run(stack, listing)
    [item] = failed.found
    assert item.outcome == "pending" and "503" in item.error and "\n" not in item.error
    assert page_read(item) == "not read" and item in shown_items([failed])
    assert any("not read" in row for row in items_table([failed]).rows)
    [row] = stack.archive.listing_items(outcomes=("pending",))
    assert row["title"] == CYBER.title and "read again next cycle (not read: " in row["reason"]
    serve(stack.site, [CYBER, *OLD])  # the page answers again
    later = run(stack, listing)
    assert [(i.title, i.outcome) for i in later.found] == [(CYBER.title, "new")] and len(later.alerts) == 1
    assert not stack.archive.listing_items(outcomes=("pending",))


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def test_candidate_pages_are_fetched_with_the_per_host_delay(stack, listing, monkeypatch) -> None:
    clock = FakeClock()
    starts: list[float] = []
    serve_one = stack.site._serve
    monkeypatch.setattr(stack.site, "_serve", lambda handler: (starts.append(clock.now), serve_one(handler)))
    serve(stack.site, OLD)
    with Fetcher(per_host_delay=2.5, retries=0, timeout=5, allow_private="loopback", robots=False,
                 clock=clock, sleep=clock.sleep) as polite:
        run(stack, listing, fetcher=polite)
        serve(stack.site, [CYBER, FARMS, *OLD])
        starts.clear()
        out = run(stack, listing, fetcher=polite)
    assert sum(page_read(i) == "read" for i in out.found) == 2
    assert len(starts) == 3  # the listing, then two candidate pages (the new source reuses its read)
    assert all(b - a >= 2.5 for a, b in zip(starts, starts[1:])), starts


def test_a_candidate_page_that_is_gone_is_decided_on_its_title_not_retried(stack, listing) -> None:
    serve(stack.site, OLD)
    run(stack, listing)
    stack.site.put(LISTING_PATH, listing_page([CYBER, *OLD], title="Remarks"))  # its page is never served: 404
    [item] = run(stack, listing).found
    assert item.outcome == "unrelated" and "gone (HTTP 404): decided on the title" in item.reason
    assert not stack.archive.listing_items(outcomes=("pending",))
