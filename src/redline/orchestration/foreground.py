"""Run a flow once in this process, against the Prefect API already configured (`redline run`,
`redline discover`, the demo). Importing this module imports Prefect (about 1 s): the CLI
imports it only when a command needs it."""
from __future__ import annotations

from typing import Sequence

from redline.core.config import Settings
from redline.core.model import CheckOutcome
from redline.core.process import settle
from redline.discovery.cycle import ListingOutcome
from redline.orchestration.api import foreground_run
from redline.orchestration.flows import discover, monitor
from redline.orchestration.supervise import run_supervised


def run_monitor_flow(settings: Settings, *, names: Sequence[str] = (), tags: Sequence[str] = (),
                     api_url: str | None = None):
    """Run the `monitor` flow once against the Prefect API already configured, supervised
    (redline.orchestration.supervise: a signal or the server going away raises Stopped)."""
    settle()  # Prefect's ~1 s of imports, out of the garbage collector's way (the command's process only)

    def call() -> dict:
        with foreground_run():
            return monitor(sources=list(names) or None, tags=list(tags) or None,
                           sources_file=str(settings.sources), archive=str(settings.archive))

    result = run_supervised(call, api_url=api_url)
    return [CheckOutcome(**o) for o in result["outcomes"]], result["delivery"]


def run_discover_flow(settings: Settings, *, listings: Sequence[str] = (), tags: Sequence[str] = (),
                      depth: int | None = None, topic_file: str | None = None) -> tuple[list, dict]:
    """Run the `discover` flow once against the Prefect API already configured."""
    settle()  # Prefect's ~1 s of imports, out of the garbage collector's way (the command's process only)

    with foreground_run():
        result = discover(listings=list(listings) or None, tags=list(tags) or None,
                          sources_file=str(settings.sources), archive=str(settings.archive), depth=depth,
                          topic_file=topic_file)
    return [ListingOutcome.from_dict(o) for o in result["listings"]], result
