"""Warm runs for `redline serve`: each flow run of a served deployment in a process forked
from a forkserver that has already imported redline and Prefect.

Why not `prefect.serve`: it registers deployments without the flow object, so its runner
starts every run as `python -m prefect.engine`, a cold interpreter: 1.9-2.4 s from the
runner taking a run to the flow's first line, measured here. Forked from a warm
forkserver it is ~0.25 s (BENCHMARKS.md), and a run is still a process of its own: a
cancel or a crash kills that process, never `serve`, and `serve`'s memory does not grow
with the runs (the flows never run in it). The forkserver forks from its own
single-threaded server process, so the engine's threads (which make Prefect refuse a
plain fork) are only ever started after the fork.

Orchestration stays Prefect's: the loop takes a deployment's scheduled runs by proposing
Pending (where the server takes the deployment's concurrency slot; a refused proposal is
left to the server, which re-schedules the run), the child's engine proposes Running and
the final state, sends logs, artifacts and events as under Prefect's runner. This loop
only watches the processes:
- a run asked to cancel (UI, `prefect flow-run cancel`: state Cancelling) is killed and
  marked Cancelled within about a second;
- a run whose process died without a final state (killed, out of memory) is marked Crashed;
- stopping `serve` (stop() from a signal handler) kills the runs still going and marks them
  Cancelled, saying why; the schedules are left active.
A run is killed with SIGKILL: each check commits in its own transaction, so a killed run
leaves every check it finished recorded and nothing half-written.
"""
from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Mapping
from uuid import UUID

# The main module first (the `redline` script: each child would import it again, and the CLI
# with it), then Prefect's engine and redline's flows.
PRELOAD = ["__main__", "redline.orchestration.flows", "prefect.engine", "prefect.flow_engine",
           "prefect.client.orchestration", "prefect.client.schemas.objects", "redline.orchestration.prewarm"]
ENV = "REDLINE_WARM_SOURCES"   # the sources files the forkserver parses first (redline.orchestration.prewarm)
POLL_SECONDS = 0.5   # one small query of a local server (a refresh does not wait for it: it wakes the loop)
log = logging.getLogger("redline.serve")


FLOWS = {"monitor": "redline.orchestration.flows:monitor", "discover": "redline.orchestration.flows:discover"}


def execute(target: str, flow_run_json: str) -> None:
    """In the forked child: run the flow run (already Pending, as the parent took it) of the
    flow at `target` ("module:name") to its end, as Prefect's `python -m prefect.engine`
    would, minus the imports."""
    import gc
    import importlib

    gc.freeze()   # the preloaded objects out of the collector's reach (as cli's settle()): a cold cycle ran 2x slower
    signal.signal(signal.SIGINT, signal.SIG_IGN)   # a Ctrl-C on the terminal is for serve, which stops the run
    os.setpgid(0, 0)   # the run and its check processes: one group, which serve kills as one
    from prefect.client.schemas.objects import FlowRun
    from prefect.engine import handle_engine_signals
    from prefect.flow_engine import run_flow

    from redline.monitor.workers import CheckWorkers, install

    module, _, name = target.partition(":")
    flow = getattr(importlib.import_module(module), name)
    flow_run = FlowRun.model_validate_json(flow_run_json)
    workers = CheckWorkers(_check_processes())   # forked now: no thread is running yet
    install(workers)
    try:
        with handle_engine_signals(flow_run.id):   # a failed flow exits 1 with its state Failed
            run_flow(flow, flow_run=flow_run)
    finally:
        install(None)
        workers.close()


def _check_processes() -> int:
    """REDLINE_CHECK_PROCESSES, or none when it is not a valid count (the run goes on, checking
    in its own process, and says so)."""
    from redline.core.errors import RedlineError
    from redline.monitor.workers import configured_count

    try:
        return configured_count(os.environ)
    except RedlineError as exc:
        log.warning("%s; checking in the run's own process", exc)
        return 0


def forkserver(sources: Sequence[Path | str] = ()) -> Any:
    """The multiprocessing context, its server started now (imports preloaded, the `sources`
    files parsed: redline.orchestration.prewarm) so that the first run is warm too. Call it
    after the Prefect API is set (the server keeps its environment)."""
    from multiprocessing import forkserver as server

    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(PRELOAD)
    stop = getattr(server._forkserver, "_stop", None)   # one already running (started by other code in this
    if stop is not None:                                 # process) has another environment and preload: a new one
        stop()
    with _environment(ENV, os.pathsep.join(str(p) for p in sources)):
        server.ensure_running()
    first = context.Process(target=_ready, name="redline-warm-up")
    first.start()   # returns once the server is up; the join once its imports are done
    first.join()
    return context


@contextmanager
def _environment(name: str, value: str) -> Iterator[None]:
    """os.environ[name] = value for the block (the forkserver takes the environment it starts with)."""
    before = os.environ.get(name)
    os.environ[name] = value
    try:
        yield
    finally:
        if before is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = before


def _ready() -> None:
    """The first fork: only proves the server has finished importing."""


@dataclass
class Active:
    """One flow run being executed: its process, and whether it was asked to cancel."""

    id: UUID
    name: str
    process: Any
    cancelled: str | None = None   # why, once killed on purpose


class WarmRunner:
    """Execute the runs of `deployments` (deployment id -> the flow's "module:name") until stop()."""

    def __init__(self, deployments: Mapping[UUID, str], *, poll: float = POLL_SECONDS, context: Any = None,
                 sources: Sequence[Path | str] = ()) -> None:
        self.deployments = dict(deployments)
        self.poll = poll
        self.context = context or forkserver(sources)
        self.client: Any = None   # Prefect's sync client, while run_forever runs
        self.active: dict[UUID, Active] = {}
        self.stopping: str | None = None
        self.woken = False

    def stop(self, why: str) -> None:
        """Ask the loop to end (safe from a signal handler): it kills and marks the runs going."""
        self.stopping = why

    def wake(self) -> None:
        """Look for runs now, not at the next poll (safe from a signal handler: SIGUSR1, sent by
        `redline refresh` and `redline run` once they created a run)."""
        self.woken = True

    def run_forever(self) -> None:
        from prefect.client.orchestration import get_client

        with get_client(sync_client=True) as client:
            self.client = client
            try:
                while self.stopping is None:
                    self.step()
                    deadline = time.monotonic() + self.poll
                    while self.stopping is None and not self.woken and time.monotonic() < deadline:
                        time.sleep(0.02)
                    self.woken = False
            finally:
                self.shutdown(self.stopping or "redline serve stopped")

    def step(self) -> None:
        """One turn: reap ended processes, kill runs asked to cancel, take the runs now due."""
        for run in list(self.active.values()):
            if not run.process.is_alive():
                self._reap(run)
        self._cancel_requested()
        for flow_run in self._due():
            self._take(flow_run)

    def _due(self) -> list:
        try:
            runs = self.client.get_scheduled_flow_runs_for_deployments(
                deployment_ids=list(self.deployments), scheduled_before=datetime.now(timezone.utc))
        except Exception as exc:   # the server busy or restarting: try again next turn
            log.warning("could not read the scheduled runs: %s", exc)
            return []
        return sorted((r for r in runs if r.id not in self.active),
                      key=lambda r: r.expected_start_time or datetime.now(timezone.utc))

    def _take(self, flow_run: Any) -> None:
        from prefect.exceptions import Abort
        from prefect.states import Pending
        from prefect.utilities.engine import propose_state_sync

        target = self.deployments.get(flow_run.deployment_id)
        if target is None:
            return
        try:
            state = propose_state_sync(self.client, Pending(), flow_run_id=flow_run.id)
        except Abort:
            return   # taken by someone else, or cancelled meanwhile
        except Exception as exc:
            log.warning("could not take flow run %s: %s", flow_run.name, exc)
            return
        if not state.is_pending():   # e.g. AwaitingConcurrencySlot: the server re-schedules it
            return
        taken = flow_run.model_copy(update={"state": state, "state_type": state.type, "state_name": state.name})
        process = self.context.Process(target=execute, args=(target, taken.model_dump_json()),
                                       name=f"redline-run-{flow_run.name}", daemon=False)
        try:
            process.start()
        except Exception as exc:
            self._final(flow_run.id, "Crashed", f"redline serve could not start the run's process: {exc}")
            return
        self.active[flow_run.id] = Active(flow_run.id, flow_run.name, process)

    def _cancel_requested(self) -> None:
        if not self.active:
            return
        from prefect.client.schemas.filters import (
            FlowRunFilter,
            FlowRunFilterId,
            FlowRunFilterState,
            FlowRunFilterStateType,
        )
        from prefect.client.schemas.objects import StateType

        try:
            runs = self.client.read_flow_runs(flow_run_filter=FlowRunFilter(
                id=FlowRunFilterId(any_=list(self.active)),
                state=FlowRunFilterState(type=FlowRunFilterStateType(any_=[StateType.CANCELLING]))))
        except Exception as exc:
            log.warning("could not read the runs' states: %s", exc)
            return
        for flow_run in runs:
            run = self.active.get(flow_run.id)
            if run is not None and run.cancelled is None:
                self._kill(run, "cancelled on request")

    def _kill(self, run: Active, why: str) -> None:
        run.cancelled = why
        if run.process.is_alive():
            _kill_group(run.process)

    def _reap(self, run: Active) -> None:
        run.process.join()
        _kill_group(run.process)   # a check process left by a run that died (it dies with the run anyway)
        self.active.pop(run.id, None)
        if run.cancelled is not None:
            self._final(run.id, "Cancelled", run.cancelled)
            return
        code = run.process.exitcode
        self._final(run.id, "Crashed", f"the run's process ended (exit code {code}) before the run did")

    def _final(self, flow_run_id: UUID, kind: str, message: str) -> None:
        """Put a run that no process will finish any more in a final state (forced: its
        process is gone, whatever state it last reported)."""
        from prefect.states import Cancelled, Crashed

        try:
            current = self.client.read_flow_run(flow_run_id).state
            if current is not None and current.is_final():   # it ended just before it was killed
                return
            state = (Cancelled if kind == "Cancelled" else Crashed)(message=message)
            self.client.set_flow_run_state(flow_run_id, state, force=True)
        except Exception as exc:
            log.warning("could not mark flow run %s %s: %s", flow_run_id, kind, exc)

    def shutdown(self, why: str, *, wait: float = 5.0) -> None:
        """Kill the runs still going, wait for their processes, mark them Cancelled."""
        for run in self.active.values():
            self._kill(run, f"{why} while the run was in progress")
        deadline = time.monotonic() + wait
        for run in list(self.active.values()):
            run.process.join(max(0.0, deadline - time.monotonic()))
            self._reap(run)


def _kill_group(process: Any) -> None:
    """SIGKILL the run's process group (the run and its check processes: execute() made it)."""
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        if process.is_alive():   # not yet its own group's leader
            process.kill()


def serve_runs(deployments: Mapping[UUID, str], *, on_ready: Callable[[WarmRunner], None] | None = None,
               sources: Sequence[Path | str] = ()) -> None:
    """Run a WarmRunner until it is stopped (on_ready gets it first, to wire the signals);
    `sources`: the sources files of the deployments, parsed once in the forkserver."""
    runner = WarmRunner(deployments, sources=sources)
    if on_ready:
        on_ready(runner)
    runner.run_forever()
