"""Build the run's dependencies at the edge (fetcher, sinks, feeds) and hand them in."""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from .alerts import AppriseSink, JsonlSink, Sink, load_notify_config, write_atom_feed
from .archive import Archive
from .config import FetchSettings, Settings
from .fetch import Fetcher
from .health import OPERATOR_KINDS

FEED_SIZE = 100


def make_fetcher(fs: FetchSettings) -> Fetcher:
    return Fetcher(timeout=fs.timeout, retries=fs.retries, backoff=fs.backoff,
                   per_host_delay=fs.per_host_delay, per_host_concurrency=fs.per_host_concurrency,
                   max_bytes=fs.max_bytes, max_time=fs.max_time, allow_private=fs.allow_private,
                   robots=fs.robots)


@dataclass(frozen=True)
class Sinks:
    """Where alerts go: monitors' channels, and operators' channels for failure alerts."""

    monitor: dict[str, Sink]
    operator: dict[str, Sink]

    def all(self) -> dict[str, Sink]:
        return {**self.monitor, **self.operator}


def make_sinks(archive: Archive, settings: Settings) -> Sinks:
    """The alert logs always; Apprise URLs from the environment or the config file
    (REDLINE_APPRISE_URLS / [notify] urls for monitors, REDLINE_OPERATOR_APPRISE_URLS /
    [notify] operator_urls for operators)."""
    notify = load_notify_config(os.environ, settings.config_file)
    monitor: list[Sink] = [JsonlSink(archive.alerts_log, name="alert-log")]  # stable if the archive moves
    monitor += [AppriseSink(url) for url in notify.urls]
    operator: list[Sink] = [JsonlSink(archive.root / "operator-alerts.jsonl", name="operator-log")]
    operator += [AppriseSink(url) for url in notify.operator_urls]
    return Sinks({s.name: s for s in monitor}, {s.name: s for s in operator})


def refresh_feeds(archive: Archive) -> list[Path]:
    """Rewrite the Atom feeds (all alerts, and one per source that has alerts)."""
    written = []
    path = archive.feeds_dir / "alerts.xml"
    write_atom_feed(path, archive.alerts(limit=FEED_SIZE, exclude_kinds=OPERATOR_KINDS), feed_id="urn:redline:alerts",
                    title="redline: all alerts")
    written.append(path)
    for row in archive.sources():
        alerts = archive.alerts(source=row["name"], limit=FEED_SIZE, exclude_kinds=OPERATOR_KINDS)
        if alerts:
            path = archive.feeds_dir / f"{row['name']}.xml"
            write_atom_feed(path, alerts, feed_id=f"urn:redline:source:{row['name']}",
                            title=f"redline: {row['title'] or row['name']}", link=row["url"])
            written.append(path)
    return written
