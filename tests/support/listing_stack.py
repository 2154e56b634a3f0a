"""A listing read twice, the way discovery reads one: its baseline (a statement it lists and an
unrelated item), then two new items, a related statement (tracked, archived, alerted) and an
unrelated one. For the listing's history in browse (test_browser)."""
from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from redline.core.model import Source
from redline.demo.listing_pages import Entry, listing_page
from redline.demo.loopback import LoopbackSite
from redline.demo.pages import seed_page
from redline.discovery.cycle import discover_listing
from redline.discovery.topic import default_topic
from redline.ingest.fetch import Fetcher
from redline.store.sqlite import Archive

LISTING = "arms-control-documents"
PATH = "/www.fmprc.gov.cn/eng/wjb/zzjg_663340/jks_665232/kjfywj_665252/"
FIRST = [Entry("Joint Statement on Deepening the Partnership on the Digital Economy", "./202609/t20260915_1.html"),
         Entry("Wang Yi Meets the Foreign Minister of Peru", "./202610/t20261002_2.html")]
LATER = [Entry("Statement on Cooperation in Cyberspace Governance and Data Security", "./202611/t20261121_3.html"),
         Entry("Remarks on the Spring Festival Gala", "./202611/t20261120_4.html")]


@contextmanager
def listing_stack(root: Path) -> Iterator[Archive]:
    with LoopbackSite() as site, Fetcher(per_host_delay=0, retries=0, timeout=5, allow_private="loopback") as fetcher:
        archive = Archive(root / "archive")
        listing = Source(name=LISTING, url=site.url(PATH), title="MFA Department of Arms Control: documents",
                         kind="listing", tags=("listing", "mfa"))
        archive.sync_sources([listing])
        for entry in FIRST + LATER:
            site.put(PATH + entry.href.removeprefix("./"),
                     seed_page(f"{entry.title}\n2026-11-21 10:00\nThe parties agreed to deepen cooperation.",
                               template="mfa_en_2024"))
        try:
            for entries in (FIRST, LATER + FIRST):
                site.put(PATH, listing_page(entries, title="Documents"))
                discover_listing(listing, archive=archive, fetcher=fetcher, topic=default_topic(), run_id="t",
                                 sinks=["log"])
            yield archive
        finally:
            archive.close()
