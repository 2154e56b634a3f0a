"""The `discover` flow: thin Prefect wiring of redline.discovery.cycle.

One task per listing host (like the monitor flow's per-host tasks): a host's
listings, and the new statements found on them, are read by one Fetcher that
keeps that host's politeness. Then one delivery task, and a summary artifact.
"""
from __future__ import annotations

import os
import uuid
from dataclasses import asdict

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact
from prefect.task_runners import ThreadPoolTaskRunner

from flows.monitor import deliver_alerts
from redline.store.sqlite import Archive
from redline.core.config import Settings
from redline.discovery.report import discover_markdown
from redline.discovery.cycle import ListingOutcome, depth_setting, discover_batch, group_listings, select_listings
from redline.monitor.check import prepare_archive, tracked_sources
from redline.alerts.feeds import make_fetcher, make_sinks
from redline.registry.load import load_registry
from redline.discovery.topic import load_topic, topic_path


@task(name="discover-host", retries=1, retry_delay_seconds=5)
def discover_host(host: str, names: list[str], sources_file: str, archive_path: str, run_id: str, depth: int,
                  topic_file: str | None) -> list[dict]:
    """Read one host's listings in one task (retried once on a crash: every item is claimed
    in its own transaction and met only once, so a re-run adds nothing twice)."""
    settings = Settings.resolve(archive=archive_path, sources=sources_file)
    registry = load_registry(settings.sources)
    topic = load_topic(topic_file)
    with Archive(settings.archive) as archive:
        known = {s.name: s for s in tracked_sources(archive, registry)}  # a moved listing's new address
        listings = [known[n] for n in names]
        sinks = make_sinks(archive, settings)
        with make_fetcher(settings.fetch) as fetcher:
            outcomes = discover_batch(listings, archive=archive, fetcher=fetcher, topic=topic, run_id=run_id,
                                      sinks=list(sinks.monitor), depth=depth, operator_sinks=list(sinks.operator),
                                      failure_threshold=settings.failure_threshold)
    return [asdict(o) for o in outcomes]


@flow(name="discover", task_runner=ThreadPoolTaskRunner(max_workers=4), persist_result=False)
def discover(listings: list[str] | None = None, tags: list[str] | None = None, sources_file: str | None = None,
             archive: str | None = None, depth: int | None = None, topic_file: str | None = None) -> dict:
    """Read the listing pages (all enabled listings by default; else the named ones and those
    with the tags), track the related new statements found there, alert once for each,
    deliver pending alerts."""
    settings = Settings.resolve(archive=archive, sources=sources_file)
    registry = load_registry(settings.sources)
    selected = select_listings(registry, listings or (), tags or ())
    depth = depth_setting(depth, os.environ)
    topic_file = topic_path(settings.sources, given=topic_file)
    topic = load_topic(topic_file)  # a bad topic file fails here, once, before any task
    run_id = uuid.uuid4().hex
    with Archive(settings.archive) as arch:
        prepare_archive(arch, registry)
    futures = [discover_host.submit(host, [s.name for s in group], str(settings.sources), str(settings.archive),
                                    run_id, depth, str(topic_file) if topic_file else None)
               for host, group in sorted(group_listings(selected).items())]
    outcomes = [ListingOutcome.from_dict(o) for f in futures for o in f.result()]
    delivery = deliver_alerts(str(settings.sources), str(settings.archive))
    create_markdown_artifact(markdown=discover_markdown(outcomes, delivery, topic=topic.origin),
                             key="discover-summary", description="redline discovery cycle")
    found = [i for o in outcomes for i in o.found]
    get_run_logger().info("read %d listings: %d new statements, %d unrelated, %d alerts, %d errors",
                          len(outcomes), sum(i.outcome == "new" for i in found),
                          sum(i.outcome == "unrelated" for i in found), sum(len(o.alerts) for o in outcomes),
                          sum(bool(o.error) for o in outcomes))
    return {"run_id": run_id, "listings": [asdict(o) for o in outcomes], "delivery": delivery,
            "topic": topic.origin, "depth": depth}
