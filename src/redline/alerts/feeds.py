"""The Atom feeds of alerts: all alerts, and one per source that has alerts, rewritten only when they change.

They are blobs of the archive (`feeds/alerts.xml`, `feeds/<source>.xml`, redline.store.blobs):
files in the archive folder by default, objects beside the WARC files and texts with
REDLINE_BLOBS=s3://…; each is replaced whole (a reader sees the old feed or the new one)."""
from __future__ import annotations

import json
from pathlib import Path

from redline.alerts.health import OPERATOR_KINDS
from redline.alerts.atom import render_atom_feed
from redline.core.errors import ArchiveError
from redline.store.blobs import BlobStore
from redline.store.locks import feeds_lock
from redline.store.sqlite import Archive

FEEDS = "feeds/"   # the feeds' keys in the blob store

FEED_SIZE = 100
FEEDS_STATE = ".written.json"  # in feeds/: what each feed was last written from


def refresh_feeds(archive: Archive, *, public_url: str | None = None) -> list[Path]:
    """Bring the Atom feeds up to date (all alerts, and one per source that has alerts);
    return the files written (on an object store, their keys: `feeds/alerts.xml`).

    A feed is written again only when what it shows changed (a new alert, a new title or
    address) or its file is gone: `feeds/.written.json` keeps what each feed was last
    written from, and is replaced after the feeds, so a run stopped in between rewrites
    them next time. (Rewriting and fsyncing every feed of every source that ever alerted,
    each run, cost more than the run's checks in an archive with many alerting sources.)
    Runs at once take turns (locks.feeds_lock): an older feed never replaces a newer one."""
    blobs = archive.blobs
    with feeds_lock(archive):
        before = _written_from(blobs)
        now: dict[str, list] = {}
        written = []
        for file_name, (signature, source, feed) in _feeds(archive).items():
            signature = [*signature, public_url]    # a new public address rewrites the feeds' links
            now[file_name] = signature
            key = FEEDS + file_name
            if before.get(file_name) == signature and blobs.exists(key):
                continue
            self_url = f"{public_url}/{'alerts' if source is None else 'sources/' + source}/feed.xml" \
                if public_url else None
            blobs.put(key, render_atom_feed(archive.alerts(source=source, limit=FEED_SIZE,
                                                           exclude_kinds=OPERATOR_KINDS),
                                            self_url=self_url, base=public_url, **feed))
            written.append(blobs.local_path(key) or Path(key))
        if now != before:
            blobs.put(FEEDS + FEEDS_STATE, json.dumps(now, ensure_ascii=False, indent=0).encode("utf-8"))
    return written


def _feeds(archive: Archive) -> dict[str, tuple[list, str | None, dict]]:
    """Each feed file: what it shows (alert count, newest alert id, and for a source's feed its
    title and address), the source it is about (None: all alerts) and its Atom metadata."""
    counts = {source: [n, newest] for source, (n, newest) in archive.alert_counts(exclude_kinds=OPERATOR_KINDS).items()}
    total = [sum(n for n, _ in counts.values()), max((newest for _, newest in counts.values()), default=0)]
    feeds = {"alerts.xml": (total, None, {"feed_id": "urn:redline:alerts", "title": "redline: all alerts"})}
    for row in archive.sources():
        if row["name"] in counts:
            title = f"redline: {row['title'] or row['name']}"
            feeds[f"{row['name']}.xml"] = ([*counts[row["name"]], title, row["url"]], row["name"],
                                           {"feed_id": f"urn:redline:source:{row['name']}", "title": title,
                                            "link": row["url"]})
    return feeds


def _written_from(blobs: BlobStore) -> dict[str, list]:
    """What each feed was last written from (empty when unknown: every feed is written again)."""
    try:
        state = json.loads(blobs.get(FEEDS + FEEDS_STATE))
    except (ArchiveError, ValueError):
        return {}
    return state if isinstance(state, dict) else {}
