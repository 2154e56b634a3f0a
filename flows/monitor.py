"""The `monitor` flow: thin Prefect wiring of redline.monitor.check.

Granularity (measured, see README "Prefect"): one task per host, not per page.
A Prefect task costs ~12-16 ms of client time and ~68 ms of server CPU here, so
per-page tasks would dominate a cycle of small pages; per-page detail lives in
redline's own index instead.
"""
from __future__ import annotations

import uuid
from dataclasses import asdict

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact
from prefect.task_runners import ThreadPoolTaskRunner

from redline.store.sqlite import Archive
from redline.core.config import Settings
from redline.core.model import CheckOutcome
from redline.monitor.check import check_batch, deliver_pending, group_by_host, prepare_archive, select_sources, tracked_sources
from redline.alerts.feeds import make_fetcher, make_sinks, refresh_feeds
from redline.registry.load import load_registry
from redline.monitor.report import markdown_summary


@task(name="check-host", retries=1, retry_delay_seconds=5)
def check_host(host: str, names: list[str], sources_file: str, archive_path: str, run_id: str) -> list[dict]:
    """Check one host's sources in one task (I/O: retried once on an unexpected crash;
    a re-run is safe because each source's check is one archive transaction)."""
    settings = Settings.resolve(archive=archive_path, sources=sources_file)
    registry = load_registry(settings.sources)
    with Archive(settings.archive) as archive:
        known = {s.name: s for s in tracked_sources(archive, registry)}  # moved addresses, discovered sources
        sources = [known[n] for n in names]
        sinks = make_sinks(archive, settings)
        with make_fetcher(settings.fetch) as fetcher:
            outcomes = check_batch(sources, archive=archive, fetcher=fetcher, run_id=run_id,
                                   sinks=list(sinks.monitor), operator_sinks=list(sinks.operator),
                                   failure_threshold=settings.failure_threshold)
    return [asdict(o) for o in outcomes]


@task(name="deliver-alerts", retries=2, retry_delay_seconds=5)
def deliver_alerts(sources_file: str, archive_path: str) -> dict:
    settings = Settings.resolve(archive=archive_path, sources=sources_file)
    with Archive(settings.archive) as archive:
        delivered, errors = deliver_pending(archive, make_sinks(archive, settings).all())
        refresh_feeds(archive)
    return {"delivered": delivered, "errors": errors}


@flow(name="monitor", task_runner=ThreadPoolTaskRunner(max_workers=4), persist_result=False)
def monitor(sources: list[str] | None = None, tags: list[str] | None = None,
            sources_file: str | None = None, archive: str | None = None) -> dict:
    """Check the selected sources (by default all enabled statements: the registry's, at
    their moved addresses, and the discovered ones), archive new versions, alert on
    substantive changes and removals, deliver pending alerts."""
    settings = Settings.resolve(archive=archive, sources=sources_file)
    registry = load_registry(settings.sources)
    run_id = uuid.uuid4().hex
    with Archive(settings.archive) as arch:
        prepare_archive(arch, registry)
        selected = select_sources(arch, registry, names=sources or (), tags=tags or ())
    groups = group_by_host(selected)
    futures = [check_host.submit(host, [s.name for s in group], str(settings.sources),
                                 str(settings.archive), run_id)
               for host, group in sorted(groups.items())]
    outcomes = [CheckOutcome(**o) for f in futures for o in f.result()]
    delivery = deliver_alerts(str(settings.sources), str(settings.archive))
    create_markdown_artifact(markdown=markdown_summary(outcomes, delivery), key="monitor-summary",
                             description="redline monitoring cycle")
    logger = get_run_logger()
    logger.info("checked %d sources: %d alerts, %d errors", len(outcomes),
                sum(o.alert_id is not None for o in outcomes), sum(bool(o.error) for o in outcomes))
    return {"run_id": run_id, "outcomes": [asdict(o) for o in outcomes], "delivery": delivery}
