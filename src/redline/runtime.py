"""Build the run's dependencies at the edge (fetcher, sinks, feeds) and hand them in."""
from __future__ import annotations

import os
from pathlib import Path

from .alerts import AppriseSink, JsonlSink, load_notify_config, write_atom_feed
from .archive import Archive
from .config import FetchSettings, Settings
from .fetch import Fetcher

FEED_SIZE = 100


def make_fetcher(fs: FetchSettings) -> Fetcher:
    return Fetcher(timeout=fs.timeout, retries=fs.retries, backoff=fs.backoff,
                   per_host_delay=fs.per_host_delay, per_host_concurrency=fs.per_host_concurrency,
                   max_bytes=fs.max_bytes)


def make_sinks(archive: Archive, settings: Settings) -> dict[str, object]:
    """The alert log always; Apprise URLs from REDLINE_APPRISE_URLS or the config file."""
    notify = load_notify_config(os.environ, settings.config_file)
    sinks: list = [JsonlSink(archive.alerts_log, name="alert-log")]  # stable if the archive moves
    sinks += [AppriseSink(url) for url in notify.urls]
    return {sink.name: sink for sink in sinks}


def refresh_feeds(archive: Archive) -> list[Path]:
    """Rewrite the Atom feeds (all alerts, and one per source that has alerts)."""
    written = []
    path = archive.feeds_dir / "alerts.xml"
    write_atom_feed(path, archive.alerts(limit=FEED_SIZE), feed_id="urn:redline:alerts",
                    title="redline: all alerts")
    written.append(path)
    for row in archive.sources():
        alerts = archive.alerts(source=row["name"], limit=FEED_SIZE)
        if alerts:
            path = archive.feeds_dir / f"{row['name']}.xml"
            write_atom_feed(path, alerts, feed_id=f"urn:redline:source:{row['name']}",
                            title=f"redline: {row['title'] or row['name']}", link=row["url"])
            written.append(path)
    return written
