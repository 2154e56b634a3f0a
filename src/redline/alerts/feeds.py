"""Build the run's dependencies at the edge (fetcher, sinks, feeds) and hand them in."""
from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from redline.alerts.sinks import AppriseSink, JsonlSink, Sink, load_notify_config, write_atom_feed
from redline.store.sqlite import Archive
from redline.core.atomic import atomic_write_bytes
from redline.core.config import FetchSettings, Settings
from redline.ingest.fetch import Fetcher
from redline.alerts.health import OPERATOR_KINDS
from redline.store.locks import feeds_lock

FEED_SIZE = 100
FEEDS_STATE = ".written.json"  # in feeds/: what each feed was last written from


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
    """Bring the Atom feeds up to date (all alerts, and one per source that has alerts);
    return the paths written.

    A feed is written again only when what it shows changed (a new alert, a new title or
    address) or its file is gone: `feeds/.written.json` keeps what each feed was last
    written from, and is replaced after the feeds, so a run stopped in between rewrites
    them next time. (Rewriting and fsyncing every feed of every source that ever alerted,
    each run, cost more than the run's checks in an archive with many alerting sources.)
    Runs at once take turns (locks.feeds_lock): an older feed never replaces a newer one."""
    with feeds_lock(archive.root):
        state_path = archive.feeds_dir / FEEDS_STATE
        before = _written_from(state_path)
        now: dict[str, list] = {}
        written = []
        for file_name, (signature, source, feed) in _feeds(archive).items():
            now[file_name] = signature
            path = archive.feeds_dir / file_name
            if before.get(file_name) == signature and path.exists():
                continue
            write_atom_feed(path, archive.alerts(source=source, limit=FEED_SIZE, exclude_kinds=OPERATOR_KINDS),
                            **feed)
            written.append(path)
        if now != before:
            atomic_write_bytes(state_path, json.dumps(now, ensure_ascii=False, indent=0).encode("utf-8"))
    return written


def _feeds(archive: Archive) -> dict[str, tuple[list, str | None, dict]]:
    """Each feed file: what it shows (alert count, newest alert id, and for a source's feed its
    title and address), the source it is about (None: all alerts) and its Atom metadata."""
    kinds = ",".join("?" * len(OPERATOR_KINDS))
    counts = {r["source"]: [r["n"], r["newest"]] for r in archive.query(
        f"SELECT source, COUNT(*) AS n, MAX(id) AS newest FROM alerts WHERE kind NOT IN ({kinds}) GROUP BY source",
        OPERATOR_KINDS)}
    total = [sum(n for n, _ in counts.values()), max((newest for _, newest in counts.values()), default=0)]
    feeds = {"alerts.xml": (total, None, {"feed_id": "urn:redline:alerts", "title": "redline: all alerts"})}
    for row in archive.sources():
        if row["name"] in counts:
            title = f"redline: {row['title'] or row['name']}"
            feeds[f"{row['name']}.xml"] = ([*counts[row["name"]], title, row["url"]], row["name"],
                                           {"feed_id": f"urn:redline:source:{row['name']}", "title": title,
                                            "link": row["url"]})
    return feeds


def _written_from(state_path: Path) -> dict[str, list]:
    """What each feed was last written from (empty when unknown: every feed is written again)."""
    try:
        state = json.loads(state_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return state if isinstance(state, dict) else {}
