"""`redline serve` and manual refresh: the Prefect-facing side of operating redline.

`redline serve` runs, in one process, a local Prefect server (unless
PREFECT_API_URL points at one), the `monitor` and `discover` deployments with
their schedules, and writes <archive>/.prefect/serve.json so that `redline
refresh` and `redline status` can find the server. Each deployment allows one
run at a time (later runs queue), and stopping `serve` leaves the schedules
active, so the next `serve` picks up where it left off.
"""
from __future__ import annotations

import getpass
import json
import os
import signal
import time
from contextlib import ExitStack, contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator, Sequence

from redline.core.config import Settings
from redline.core.errors import RedlineError
from redline.orchestration.api import healthy
from redline.orchestration.schedules import Schedule

STATE_FILE = "serve.json"


def state_path(settings: Settings) -> Path:
    return settings.archive / ".prefect" / STATE_FILE


def _claim_path(settings: Settings) -> Path:
    return settings.archive / ".prefect" / "serve.claim.json"


def _read_state(settings: Settings, path: Path | None = None) -> dict:
    try:
        state = json.loads((path or state_path(settings)).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return state if isinstance(state, dict) else {}


def running_serve(settings: Settings) -> tuple[int | None, str | None]:
    """(pid, API URL) of a `redline serve` running for this archive and answering, else (None, None)."""
    state = _read_state(settings)
    try:
        os.kill(int(state["pid"]), 0)
    except (OSError, ValueError, KeyError, TypeError):
        return None, None
    api_url = state.get("api_url")
    if isinstance(api_url, str) and healthy(api_url):
        return int(state["pid"]), api_url
    return None, None


def _write_state(settings: Settings, api_url: str | None, *, path: Path | None = None) -> None:
    from redline.core.atomic import atomic_write_bytes

    atomic_write_bytes(path or state_path(settings), json.dumps({
        "api_url": api_url, "pid": os.getpid(), "started_at": datetime.now(timezone.utc).isoformat()}).encode())


@contextmanager
def serve_claim(settings: Settings) -> Iterator[None]:
    """Be the one `redline serve` of this archive for the block, or refuse in one line naming
    the running one's pid and address. The claim is an flock (store.locks.serve_lock): taken
    atomically, so two serves started in the same second cannot both win, and dropped by the
    kernel when the process dies. serve.claim.json names the holder's pid while it starts,
    serve.json (serve_state) once its API answers; only the holder writes them, and it
    removes them only while they are its own."""
    from redline.core.errors import ArchiveError
    from redline.store.locks import serve_lock

    with ExitStack() as held:
        try:
            held.enter_context(serve_lock(settings.archive))
        except ArchiveError:
            state = _holder(settings)
            where = state.get("api_url") or "its Prefect API is still starting"
            raise RedlineError(f"redline serve is already running for {settings.archive} "
                               f"(pid {state.get('pid', 'unknown')}, {where}); stop it first") from None
        _write_state(settings, None, path=_claim_path(settings))  # serve.json only once the API answers
        try:
            yield
        finally:
            for path in (state_path(settings), _claim_path(settings)):
                if _read_state(settings, path).get("pid") == os.getpid():
                    path.unlink(missing_ok=True)


def _holder(settings: Settings, *, wait: float = 3.0) -> dict:
    """What the serve holding the claim wrote of itself; it writes its pid just after taking the
    lock, so a serve started in the same instant waits a moment for it."""
    deadline = time.monotonic() + wait
    while True:
        state = _read_state(settings) or _read_state(settings, _claim_path(settings))
        if state.get("pid") or time.monotonic() >= deadline:
            return state
        time.sleep(0.05)


@contextmanager
def serve_state(settings: Settings, api_url: str) -> Iterator[None]:
    """serve.json names the API while the block runs (inside serve_claim, which removes it).
    From then on a refresh may send SIGUSR1 to look for its run now (serve_forever): until the
    runner listens, the signal is ignored rather than fatal."""
    signal.signal(signal.SIGUSR1, signal.SIG_IGN)
    _write_state(settings, api_url)
    yield


def _flows() -> dict:
    from redline.orchestration.flows import (  # Prefect: ~1 s, only when serving
        discover,
        monitor,
    )

    return {"monitor": monitor, "discover": discover}


def build_deployments(schedules: Sequence[Schedule], settings: Settings) -> list:
    """RunnerDeployments for the schedules, each bound to this archive and sources file."""
    from prefect.client.schemas.objects import (
        ConcurrencyLimitConfig,
        ConcurrencyLimitStrategy,
    )

    flows = _flows()
    deployments = []
    for s in schedules:
        flow = flows.get(s.flow)
        if flow is None:
            continue
        params = {"sources_file": str(settings.sources), "archive": str(settings.archive)}
        if s.tags:
            params["tags"] = list(s.tags)
        deployments.append(flow.to_deployment(
            name=s.name, interval=s.interval, cron=s.cron, parameters=params, tags=["redline", *s.tags],
            concurrency_limit=ConcurrencyLimitConfig(limit=1, collision_strategy=ConcurrencyLimitStrategy.ENQUEUE),
            description=f"redline {s.flow} ({s.when})"))
    return deployments


def apply_deployments(deployments: list) -> dict:
    """Register the deployments with the server (schedules active); deployment id -> the flow
    to run ("module:name", redline.orchestration.warm.FLOWS)."""
    from redline.orchestration.warm import FLOWS

    return {deployment.apply(): FLOWS[deployment.flow_name] for deployment in deployments}


def serve_forever(deployment_ids: dict, *, sources: Sequence[Path] = ()) -> None:
    """Execute the deployments' runs warm (redline.orchestration.warm) until Ctrl-C or SIGTERM;
    the runs still going then end Cancelled, and the schedules stay active. `sources`: the
    deployments' sources files (parsed once, before the runs)."""
    from redline.orchestration.warm import serve_runs

    previous: dict = {}

    def wire(runner) -> None:
        def _stop(signum: int, frame: object) -> None:
            runner.stop(f"redline serve stopped ({signal.Signals(signum).name})")

        for sig in (signal.SIGTERM, signal.SIGINT):
            previous[sig] = signal.signal(sig, _stop)
        previous[signal.SIGUSR1] = signal.signal(signal.SIGUSR1, lambda signum, frame: runner.wake())

    try:
        serve_runs(deployment_ids, on_ready=wire, sources=sources)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def who() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def start_refresh(api_url: str, *, names: Sequence[str] = (), tags: Sequence[str] = (),
                  requested_by: str | None = None, deployment: str = "monitor/all", serve_pid: int | None = None):
    """Start a run of the served deployment with parameters, named after who asked; return it
    (a rest.FlowRunRef, not waiting). Plain HTTP: no Prefect import (redline.orchestration.rest)."""
    from redline.orchestration.rest import create_run

    params: dict = {}
    if names:
        params["sources"] = list(names)
    if tags:
        params["tags"] = list(tags)
    by = requested_by or who()
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    run = create_run(api_url, deployment, parameters=params, name=f"refresh-by-{by}-{stamp}",
                     tags=["manual-refresh", f"by:{by}"])
    if serve_pid is not None:   # look for it now (WarmRunner.wake), not at the serve loop's next poll
        try:
            os.kill(serve_pid, signal.SIGUSR1)
        except OSError:
            pass
    return run


def next_runs() -> dict[str, tuple[datetime, tuple[str, ...]]]:
    """Next scheduled start of each monitor deployment on the current API: name -> (time, tags)."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import (
        DeploymentFilter,
        DeploymentFilterId,
        FlowRunFilter,
        FlowRunFilterState,
        FlowRunFilterStateType,
    )
    from prefect.client.schemas.objects import StateType
    from prefect.client.schemas.sorting import FlowRunSort

    out: dict[str, tuple[datetime, tuple[str, ...]]] = {}
    with get_client(sync_client=True) as client:
        for dep in client.read_deployments():
            if not (dep.description or "").startswith("redline monitor"):
                continue
            runs = client.read_flow_runs(
                deployment_filter=DeploymentFilter(id=DeploymentFilterId(any_=[dep.id])),
                flow_run_filter=FlowRunFilter(state=FlowRunFilterState(
                    type=FlowRunFilterStateType(any_=[StateType.SCHEDULED]))),
                sort=FlowRunSort.EXPECTED_START_TIME_ASC, limit=1)
            if runs and runs[0].expected_start_time:
                tags = tuple((dep.parameters or {}).get("tags") or ())
                out[dep.name] = (runs[0].expected_start_time, tags)
    return out
