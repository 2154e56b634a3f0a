"""The monitoring loop without Prefect, as the flow runs it (tests/e2e/test_crash.py, test_concurrency.py).

One cycle is redline.monitor.cycle.run_cycle, as the `monitor` flow runs it: prepare the
archive from the registry, check every statement, deliver pending alerts and rewrite the feeds. The test processes run it in a
child process they can SIGKILL, or in threads.
"""
from __future__ import annotations

import os
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

from redline.alerts.sinks import JsonlSink
from redline.store.sqlite import Archive
from redline.ingest.fetch import Fetcher
from redline.core.model import Alert
from redline.alerts.channels import Sinks
from redline.core.config import Settings
from redline.monitor.cycle import run_cycle
from redline.registry.load import load_registry

MONITOR_SINKS = ("alert-log", "remote")
OPERATOR_SINKS = ("operator-log",)


class RemoteLike:
    """Stands in for a remote channel (an Apprise webhook): it appends what it is sent to
    remote.jsonl, but, like a real remote channel, cannot tell whether an alert arrived."""

    def __init__(self, path: Path) -> None:
        self.name = "remote"
        self._log = JsonlSink(path, name="remote")

    def deliver(self, alert: Alert) -> None:
        self._log.deliver(alert)


def sinks_for(archive: Archive) -> dict[str, Any]:
    return {"alert-log": JsonlSink(archive.alerts_log, name="alert-log"),
            "remote": RemoteLike(archive.root / "remote.jsonl"),
            "operator-log": JsonlSink(archive.root / "operator-alerts.jsonl", name="operator-log")}


def run_cycles(archive_root: str, sources_file: str, cycles: int = 1, ready: Any = None, *,
               store: str | None = None) -> list[list]:
    """Run `cycles` cycles (redline.monitor.cycle.run_cycle, as the flow does); set `ready` (an
    Event) once the archive is open. Returns each cycle's outcomes. `store`: the index's
    REDLINE_STORE in a child process (a forkserver's children do not get the test's environment)."""
    if store:
        os.environ["REDLINE_STORE"] = store
    settings = replace(Settings.resolve(archive=archive_root, sources=sources_file), failure_threshold=2)
    registry = load_registry(Path(sources_file))
    done = []
    with Archive(archive_root) as archive:
        all_sinks = sinks_for(archive)
        sinks = Sinks({n: all_sinks[n] for n in MONITOR_SINKS}, {n: all_sinks[n] for n in OPERATOR_SINKS})
        if ready is not None:
            ready.set()
        with Fetcher(timeout=5, retries=0, per_host_delay=0, per_host_concurrency=2,
                     allow_private="loopback") as fetcher:
            for _ in range(cycles):
                report = run_cycle(settings, store=archive, registry=registry, fetcher=fetcher, sinks=sinks)
                done.append(report.outcomes)
    return done


if __name__ == "__main__":  # python tests/support/cycle_worker.py ARCHIVE SOURCES [CYCLES]
    run_cycles(sys.argv[1], sys.argv[2], int(sys.argv[3]) if len(sys.argv) > 3 else 1)
