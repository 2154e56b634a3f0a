"""Check sources now: a run of the served deployment when `redline serve` runs for this
archive, else one cycle in this process (redline.monitor.cycle.run_cycle, no Prefect).

The one function behind `redline refresh` and the browse view's "Refresh now".
"""
from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from redline.core.config import Settings

from redline.orchestration.api import point_at
from redline.orchestration.serve import running_serve, start_refresh

if TYPE_CHECKING:   # the cycle's modules cost ~0.5 s of imports: only when it runs here
    from redline.monitor.cycle import CycleReport

IN_PROCESS = "in-process check (no redline serve running)"


@dataclass(frozen=True)
class Refresh:
    """What a refresh started: a flow run on `api_url`, or a cycle in this process (`report`
    once it ended; None while it runs in the background)."""

    api_url: str | None = None
    flow_run: Any = None
    report: CycleReport | None = None

    @property
    def served(self) -> bool:
        return self.api_url is not None

    def describe(self) -> str:
        return f"flow run {self.flow_run.name}" if self.served else IN_PROCESS


def served_api(settings: Settings) -> str | None:
    """The API of the `redline serve` running for this archive (and use it from now on, should
    Prefect be imported later), or None."""
    return _served(settings)[1]


def _served(settings: Settings) -> tuple[int | None, str | None]:
    pid, api = running_serve(settings)
    if api is not None:
        point_at(api)
    return pid, api


def refresh(settings: Settings, *, names: Sequence[str] = (), tags: Sequence[str] = (),
            requested_by: str | None = None, background: bool = False, run_id: str | None = None,
            announce: Callable[[str], None] | None = None) -> Refresh:
    """Refresh the named / tagged sources (all enabled ones when neither is given).

    Served: start a run of `monitor/all` with these parameters, named after who asked, and
    return at once (the caller may wait for it). Not served: run one cycle here, in a daemon
    thread when `background` (the web view must answer now), else before returning.
    `announce` hears, first, which of the two it is."""
    pid, api = _served(settings)
    if api is not None:
        if announce:
            announce(f"a run of the served deployment on {api}")
        return Refresh(api_url=api, flow_run=start_refresh(api, names=names, tags=tags,
                                                                 requested_by=requested_by, serve_pid=pid))
    if announce:
        announce("no `redline serve` is running for this archive: refreshing in this process")
    from redline.monitor.cycle import run_cycle

    cycle = dict(names=names, tags=tags, run_id=run_id)
    if background:
        threading.Thread(target=run_cycle, args=(settings,), kwargs=cycle, daemon=True,
                         name="redline-refresh").start()
        return Refresh()
    return Refresh(report=run_cycle(settings, **cycle))
