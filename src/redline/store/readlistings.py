"""The read side of listings: which read of a listing first met each item (for its timeline)."""
from __future__ import annotations

from typing import Sequence

from redline.store.readvalues import ListingItem
from redline.store.sqlite import Archive


def listing_reads(archive: Archive, name: str, reads: Sequence[tuple[int, str]]) -> dict[int, tuple[ListingItem, ...]]:
    """A listing's items, each under the read (capture) that first met it: the last read at or
    before the item's first_seen. `reads`: one page of captures, newest first."""
    if not reads:
        return {}
    newest_first = sorted(reads, key=lambda r: r[1], reverse=True)
    oldest = newest_first[-1][1]
    rows = archive.query("SELECT * FROM listing_items WHERE listing=? AND first_seen >= ? ORDER BY first_seen, url",
                         (name, oldest))
    out: dict[int, list[ListingItem]] = {}
    on_page = {cid for cid, _ in reads}
    for r in rows:   # the read that met it (recorded since schema 5), else the last read before it
        read = r["capture_id"] if r["capture_id"] in on_page else None if r["capture_id"] is not None else next(
            (cid for cid, at in newest_first if at <= r["first_seen"]), None)
        if read is None:
            continue
        out.setdefault(read, []).append(ListingItem(
            title=r["title"], url=r["url"], date=r["date"], first_seen=r["first_seen"], outcome=r["outcome"],
            score=r["score"], reason=r["reason"], source=r["source"], alert_id=r["alert_id"]))
    return {cid: tuple(found) for cid, found in out.items()}
