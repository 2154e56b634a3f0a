"""The Prefect flows: thin wiring of redline's library into tasks and runs.

`monitor` is one monitoring cycle: redline.monitor.cycle.run_cycle, with each host's
batch of sources as one `check-host` task and the delivery as one `deliver-alerts`
task. `discover` reads the listing pages, one `discover-host` task per listing host,
then the same delivery task.

Granularity (measured, see README "Prefect"): one task per host, not per page. A
Prefect task costs ~12-16 ms of client time and ~68 ms of server CPU here, so per-page
tasks would dominate a cycle of small pages; per-page detail lives in redline's own
index instead. The tasks' inputs are live objects (the archive, the check of a host),
so they are never cached (NO_CACHE).
"""
from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE
from prefect.context import TaskRunContext
from prefect.task_runners import ThreadPoolTaskRunner
from prefect.utilities.annotations import quote

from redline.alerts.channels import make_sinks
from redline.core.config import Settings
from redline.core.model import CheckOutcome, Source
from redline.discovery.cycle import (
    ListingOutcome,
    depth_setting,
    discover_batch,
    group_listings,
    select_listings,
)
from redline.discovery.report import discover_markdown
from redline.discovery.topic import load_topic, topic_path
from redline.ingest.fetch import make_fetcher
from redline.monitor.cycle import Delivery, finish_cycle, run_cycle
from redline.monitor.report import markdown_summary
from redline.monitor.select import prepare_archive, tracked_sources
from redline.registry.load import load_registry
from redline.store.sqlite import Archive


@task(name="check-host", retries=1, retry_delay_seconds=5, cache_policy=NO_CACHE)
def check_host(host: str, sources: list[Source], check: Callable[..., list[CheckOutcome]]
               ) -> list[CheckOutcome]:
    """Check one host's sources in one task (I/O: retried once on an unexpected crash). A retry
    resumes: the sources the first try recorded are neither fetched nor written again."""
    context = TaskRunContext.get()
    retry = context is not None and context.task_run is not None and context.task_run.run_count > 1
    return check(sources, resume=True) if retry else check(sources)


@task(name="deliver-alerts", retries=2, retry_delay_seconds=5, cache_policy=NO_CACHE)
def deliver(step: Callable[[], Delivery]) -> Delivery:
    return step()


def _host_tasks(groups: Mapping[str, Sequence[Source]],
                check: Callable[[Sequence[Source]], list[CheckOutcome]]) -> list[CheckOutcome]:
    # quote: Prefect would walk every field of every source to find futures in the inputs
    # (~0.1 s a task at 1,000 sources, measured); there are none
    futures = [check_host.submit(host, quote(list(sources)), quote(check)) for host, sources in groups.items()]
    return [o for f in futures for o in f.result()]


@flow(name="monitor", task_runner=ThreadPoolTaskRunner(max_workers=4), persist_result=False)
def monitor(sources: list[str] | None = None, tags: list[str] | None = None,
            sources_file: str | None = None, archive: str | None = None) -> dict:
    """Check the selected sources (by default all enabled statements: the registry's, at
    their moved addresses, and the discovered ones), archive new versions, alert on
    substantive changes and removals, deliver pending alerts."""
    settings = Settings.resolve(archive=archive, sources=sources_file)
    report = run_cycle(settings, names=sources or (), tags=tags or (), run_hosts=_host_tasks, finish=deliver)
    delivery = report.delivery.as_dict()
    create_markdown_artifact(markdown=markdown_summary(report.outcomes, delivery), key="monitor-summary",
                             description="redline monitoring cycle")
    get_run_logger().info("checked %d sources: %d alerts, %d errors", len(report.outcomes), report.alerts,
                          report.errors)
    return {"run_id": report.run_id, "outcomes": [asdict(o) for o in report.outcomes], "delivery": delivery}


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
                                      sinks=sinks.for_source, depth=depth, operator_sinks=list(sinks.operator),
                                      failure_threshold=settings.failure_threshold, watch=sinks.watch)
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
    with Archive(settings.archive) as store:
        delivery = deliver(lambda: finish_cycle(store, make_sinks(store, settings))).as_dict()
    create_markdown_artifact(markdown=discover_markdown(outcomes, delivery, topic=topic.origin),
                             key="discover-summary", description="redline discovery cycle")
    found = [i for o in outcomes for i in o.found]
    get_run_logger().info("read %d listings: %d new statements, %d unrelated, %d alerts, %d errors",
                          len(outcomes), sum(i.outcome == "new" for i in found),
                          sum(i.outcome == "unrelated" for i in found), sum(len(o.alerts) for o in outcomes),
                          sum(bool(o.error) for o in outcomes))
    return {"run_id": run_id, "listings": [asdict(o) for o in outcomes], "delivery": delivery,
            "topic": topic.origin, "depth": depth}
