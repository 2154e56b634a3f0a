"""What a listing item met for the first time is: pure decisions (no I/O).

The archive hands `decide` what it knows of the item (redline.store.types.ItemMatch);
discovery.cycle records the claim it returns.
"""
from __future__ import annotations

import hashlib
import re
from typing import Iterable

from redline.core.model import Source
from redline.core.urls import doc_id
from redline.discovery.listing import ListingItem
from redline.discovery.topic import Score
from redline.registry.load import NAME_RE, RESERVED_NAMES
from redline.store.types import ItemClaim, ItemMatch

_CJK = re.compile(r"[\u3400-\u9fff]")


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


def decide(item: ListingItem, listing: Source, score: Score, match: ItemMatch, *, baseline: bool,
           undecided: bool = False) -> ItemClaim:
    """What a listing item met for the first time is (see the module docstring). `undecided`:
    its title is inconclusive, so an item that is no tracked statement waits for its page."""
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
    if undecided:
        return ItemClaim("pending", note="baseline" if baseline else "")
    if not score.related:
        return ItemClaim("unrelated")
    source = discovered_source(item, listing, match.names)
    return ItemClaim("baseline" if baseline else "new", source.name, source)
