"""One monitoring cycle: the one entry point every caller uses.

    run_cycle = prepare the archive from the registry
              -> select the sources (names, tags; discovered ones included)
              -> check them, one batch per host (check_host)
              -> deliver pending alerts, bring the feeds up to date (finish_cycle)

The Prefect flow (redline.orchestration.flows), the in-process refresh
(redline.orchestration.refresh, which the CLI and the web view use), the tests'
crash worker and the benchmarks all call `run_cycle`. The flow passes `run_hosts` and
`finish` so that each host's batch is one Prefect task and delivery another (per-task
overhead is real: one task per page would cost more than the checks); everyone else
runs both steps in this process.
"""
from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace

from redline.alerts.channels import Sinks, make_sinks
from redline.alerts.delivery import deliver_pending
from redline.alerts.feeds import refresh_feeds
from redline.core.config import Settings
from redline.core.model import CheckOutcome, Source
from redline.ingest.fetch import Fetcher, make_fetcher
from redline.monitor.check import check_batch
from redline.monitor.workers import CheckWorkers, Worker, installed, unwrap
from redline.monitor.status import outcomes_from_captures
from redline.monitor.select import (
    group_by_host,
    prepare_archive,
    select_sources,
    tracked_sources,
)
from redline.registry.load import Registry, load_registry
from redline.store.sqlite import Archive

# (host -> its sources, the check of one host's sources) -> every outcome, in host order
HostRunner = Callable[[Mapping[str, Sequence[Source]], Callable[[Sequence[Source]], list[CheckOutcome]]],
                      list[CheckOutcome]]
Finisher = Callable[[Callable[[], "Delivery"]], "Delivery"]


@dataclass(frozen=True)
class Delivery:
    delivered: int = 0
    errors: tuple[str, ...] = ()

    def as_dict(self) -> dict:
        return {"delivered": self.delivered, "errors": list(self.errors)}


@dataclass(frozen=True)
class CycleReport:
    """What one cycle did: each source's outcome and what was delivered."""

    run_id: str
    outcomes: list[CheckOutcome] = field(default_factory=list)
    delivery: Delivery = Delivery()

    @property
    def alerts(self) -> int:
        return sum(o.alert_id is not None for o in self.outcomes)

    @property
    def errors(self) -> int:
        return sum(bool(o.error) for o in self.outcomes)


def plan_cycle(store: Archive, registry: Registry, *, names: Sequence[str] = (),
               tags: Sequence[str] = ()) -> dict[str, list[Source]]:
    """Register the registry's sources (and baselines), select the ones asked for, group them per host."""
    prepare_archive(store, registry)
    return dict(sorted(group_by_host(select_sources(store, registry, names=names, tags=tags)).items()))


def check_host(store: Archive, sources: Sequence[Source], *, fetcher: Fetcher, sinks: Sinks, run_id: str,
               failure_threshold: int, resume: bool = False, workers: int | None = None) -> list[CheckOutcome]:
    """Check one host's sources (a batch: per-host politeness lives in the one Fetcher).

    `resume`: this is a retry of the host's task in the same run; the sources it recorded
    already are not fetched or written again, their outcomes are read back from the archive."""
    if resume:
        done = {o.source: o for o in outcomes_from_captures(store.captures_of_run(run_id, [s.name for s in sources]))}
        rest = [s for s in sources if s.name not in done]
        fresh = {o.source: o for o in check_host(store, rest, fetcher=fetcher, sinks=sinks, run_id=run_id,
                                                  failure_threshold=failure_threshold)} if rest else {}
        return [done.get(s.name) or fresh[s.name] for s in sources]
    return check_batch(list(sources), archive=store, fetcher=fetcher, run_id=run_id, sinks=sinks.for_source,
                       grades=sinks.grades, watch=sinks.watch, workers=workers,
                       operator_sinks=list(sinks.operator), failure_threshold=failure_threshold)


MIN_SHARE = 20   # sources: a smaller share is not worth a process's archive, fetcher and WARC file


def check_share(settings: Settings, sources: Sequence[Source], run_id: str, concurrency: int) -> list[CheckOutcome]:
    """In a check process (redline.monitor.workers): one share of a host's batch, with the
    archive, a fetcher and the channels made here from the run's settings."""
    fetch = replace(settings.fetch, per_host_concurrency=concurrency)
    with Archive(settings.archive) as store, make_fetcher(fetch) as fetcher:
        return check_host(store, sources, fetcher=fetcher, sinks=make_sinks(store, settings), run_id=run_id,
                          failure_threshold=settings.failure_threshold)


def shared_check(pool: CheckWorkers, settings: Settings, store: Archive, sources: Sequence[Source], *,
                 fetcher: Fetcher, sinks: Sinks, run_id: str) -> list[CheckOutcome]:
    """One host's batch, shared with idle check processes when the host may take requests
    back to back (REDLINE_HOST_DELAY=0: the delay between request starts is one process's
    to keep) and allows several in flight; else checked here alone. The requests in flight
    stay within REDLINE_HOST_CONCURRENCY in all; outcomes in input order."""
    concurrency = settings.fetch.per_host_concurrency
    wanted = min(concurrency - 1, len(sources) // MIN_SHARE - 1) if settings.fetch.per_host_delay == 0 else 0
    helpers = pool.acquire(wanted)
    if not helpers:
        return check_host(store, sources, fetcher=fetcher, sinks=sinks, run_id=run_id,
                          failure_threshold=settings.failure_threshold)
    parts = len(helpers) + 1
    shares = [list(sources[i::parts]) for i in range(parts)]
    each = concurrency // parts
    started: list[Worker] = []
    try:
        for helper, share in zip(helpers, shares[1:]):
            helper.start(check_share, (settings, share, run_id, each))
            started.append(helper)
        outcomes = check_host(store, shares[0], fetcher=fetcher, sinks=sinks, run_id=run_id,
                              failure_threshold=settings.failure_threshold,
                              workers=concurrency - each * len(helpers))
    finally:
        answers = [helper.wait() for helper in started]   # each answers before it is idle again
        pool.release(helpers)
    for answer in answers:
        outcomes += unwrap(answer)
    by_name = {o.source: o for o in outcomes}
    return [by_name[s.name] for s in sources]


def finish_cycle(store: Archive, sinks: Sinks) -> Delivery:
    """Deliver every pending alert to its configured channels, then bring the Atom feeds and the
    search index's trigrams (left out of each check: redline.store.sqlite.search) up to date."""
    delivered, errors = deliver_pending(store, sinks.all(), public_url=sinks.public_url)
    refresh_feeds(store, public_url=sinks.public_url)
    store.index_search()
    return Delivery(delivered, tuple(errors))


def _in_order(groups: Mapping[str, Sequence[Source]],
              check: Callable[[Sequence[Source]], list[CheckOutcome]]) -> list[CheckOutcome]:
    return [o for sources in groups.values() for o in check(sources)]


def run_cycle(settings: Settings, *, names: Sequence[str] = (), tags: Sequence[str] = (),
              run_id: str | None = None, store: Archive | None = None, registry: Registry | None = None,
              fetcher: Fetcher | None = None, sinks: Sinks | None = None,
              run_hosts: HostRunner | None = None, finish: Finisher | None = None) -> CycleReport:
    """Run one monitoring cycle of the selected sources (default: every enabled statement).

    Dependencies not given are built from `settings` at this edge (the archive, the
    registry, a Fetcher, the alert channels) and closed afterwards; given ones are used
    as they are (tests hand in a Fetcher on a loopback server, sinks of their own)."""
    run_id = run_id or uuid.uuid4().hex
    registry = registry or load_registry(settings.sources)
    own_store = store is None
    store = store or Archive(settings.archive)
    own_fetcher = fetcher is None
    fetcher = fetcher or make_fetcher(settings.fetch)
    # check processes share a host's batch only when every dependency is made from the settings
    # here, as they make theirs (tests hand in a fetcher or channels of their own)
    pool = installed() if own_store and own_fetcher and sinks is None else None
    try:
        sinks = sinks or make_sinks(store, settings)
        groups = plan_cycle(store, registry, names=names, tags=tags)

        def check(sources: Sequence[Source], resume: bool = False) -> list[CheckOutcome]:
            if pool is not None and not resume:   # a retry checks what is left here (its helper may be gone)
                return shared_check(pool, settings, store, sources, fetcher=fetcher, sinks=sinks, run_id=run_id)
            return check_host(store, sources, fetcher=fetcher, sinks=sinks, run_id=run_id,
                              failure_threshold=settings.failure_threshold, resume=resume)

        outcomes = (run_hosts or _in_order)(groups, check)
        delivery = (finish or (lambda step: step()))(lambda: finish_cycle(store, sinks))
        return CycleReport(run_id=run_id, outcomes=outcomes, delivery=delivery)
    finally:
        if own_fetcher:
            fetcher.close()
        if own_store:
            store.close()


def sources_by_name(store: Archive, registry: Registry, names: Sequence[str]) -> list[Source]:
    """The tracked sources with these names (moved addresses and discovered sources included)."""
    known = {s.name: s for s in tracked_sources(store, registry)}
    return [known[n] for n in names]
