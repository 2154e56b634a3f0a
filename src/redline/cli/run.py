"""`redline run`: one monitoring cycle through Prefect: a run of the running `redline serve`
when there is one for the archive (asked for over HTTP, warm, no Prefect import here),
else a flow run in this process."""
from __future__ import annotations

import argparse
from datetime import datetime, timezone
from typing import Sequence

from redline.cli.common import remember_given_sources, resolve_settings, add_json_arg, add_location_args, console, err_console
from redline.core.config import Settings
from redline.monitor.report import FULL_TABLE_MAX


def run_cycle_and_print(settings: Settings, *, names: Sequence[str] = (), tags: Sequence[str] = (),
                        verbose: bool = False, all_rows: bool = False, as_json: bool = False) -> int:
    """Run one cycle through Prefect (starting a local server if needed) and print the summary
    (every source, or only those with news when there are many: see redline.monitor.report)."""
    from redline.monitor.report import print_summary
    from redline.orchestration.api import prefect_api, quiet_prefect_env

    from redline.core.stop import Stopped
    from redline.orchestration.supervise import defer_signals

    defer_signals()   # from here a signal stops the run at a safe point, in one line
    quiet_prefect_env(settings.archive / ".prefect", verbose=verbose)
    started = datetime.now(timezone.utc).replace(microsecond=0)
    try:
        with console.status("starting Prefect and checking sources…"):
            with prefect_api(settings.archive / ".prefect") as api_url:
                from redline.orchestration.foreground import (
                    run_monitor_flow,  # Prefect: ~1 s, only when run
                )

                outcomes, delivery = run_monitor_flow(settings, names=names, tags=tags, api_url=api_url)
    except Stopped as stop:
        return _stopped(settings, stop, started, names=names, tags=tags)
    print_summary(console, outcomes, all_rows=all_rows, as_json=as_json)
    for line in delivery.get("errors", []):
        err_console.print(f"delivery failed: {line}", style="red", highlight=False)
    (err_console if as_json else console).print(f"archive: {settings.archive}   alert log: {settings.archive / 'alerts.jsonl'}   "
                  f"feed: {settings.archive / 'feeds' / 'alerts.xml'}", highlight=False)
    return 0


def _stopped(settings: Settings, stop, started: datetime, *, names: Sequence[str], tags: Sequence[str]) -> int:
    """One line for a run stopped before its end (a signal, the server gone), then its exit code.
    When the flow was left behind (the server gone), the process ends here, at once."""
    import os
    import sys

    from redline.store.sqlite import Archive

    with Archive(settings.archive) as archive:
        recorded = len(archive.captures_since(started, names))
    what = {"SIGTERM": "stopped by SIGTERM", "SIGINT": "interrupted (Ctrl-C)",
            "server": "the Prefect server went away"}.get(stop.why, stop.why)
    err_console.print(f"{what}: {recorded} source{'s' if recorded != 1 else ''} checked and recorded, every check "
                      f"that began was committed; run `redline run` again to check the rest", style="red",
                      highlight=False)
    if not stop.finished:          # Prefect's client would retry for minutes: leave now
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(stop.exit_code)
    return stop.exit_code


def selected_sources(settings: Settings, registry, names, tags) -> list:
    """Registry and discovered sources matching names/tags (unknown ones fail in one line)."""
    from redline.monitor.select import check_selection, select_sources
    from redline.store.sqlite import Archive
    from redline.store.sqlite.archive import has_index

    if not has_index(settings.archive):
        check_selection(registry, settings.archive, names, tags)  # a lost index is refused here
        return registry.select(names=names, tags=tags)
    with Archive(settings.archive) as archive:
        return select_sources(archive, registry, names, tags)


def wait_served_and_print(settings: Settings, api: str, run, *, names: Sequence[str], started: datetime,
                          title: str, all_rows: bool = False, as_json: bool = False) -> int:
    """Wait for a served flow run with a progress bar (its Prefect state, sources recorded so
    far), print the summary of what it recorded; 0 when it completed, else 1."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from redline.monitor.report import print_summary
    from redline.monitor.status import outcomes_from_captures
    from redline.orchestration.rest import wait_for_run
    from redline.store.sqlite import Archive

    with Archive(settings.archive) as archive, Progress(
            TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total} sources"),
            TimeElapsedColumn(), console=err_console if as_json else console) as progress:
        task = progress.add_task("scheduled", total=len(names))

        def poll(state) -> None:
            progress.update(task, description=state.name.lower(),
                            completed=len(archive.captures_since(started, names)))

        state = wait_for_run(api, run.id, on_poll=poll)
        outcomes = outcomes_from_captures(archive.captures_since(started, names))
    ended = f"flow run {run.name}: {state.name.lower()}" + (f" ({state.message})" if state.message and
                                                            not state.completed else "")
    (err_console if as_json else console).print(ended, highlight=False, style=None if state.completed else "red")
    print_summary(console, outcomes, title=f"{title} ({state.name.lower()})", all_rows=all_rows, as_json=as_json)
    return 0 if state.completed else 1


def _cmd_run(args: argparse.Namespace) -> int:
    from redline.registry.load import load_registry

    settings = resolve_settings(args)
    registry = load_registry(settings.sources)
    names, tags = args.source or (), args.tag or ()
    # unknown names fail here, in one line (discovered sources count)
    selected = selected_sources(settings, registry, names, tags)
    remember_given_sources(args, settings)
    from redline.orchestration.serve import running_serve

    pid, api = running_serve(settings)
    if api is not None:   # hand the cycle to the running serve: warm, and one run at a time with its schedule
        from redline.orchestration.serve import start_refresh

        started = datetime.now(timezone.utc).replace(microsecond=0)
        run = start_refresh(api, names=names, tags=tags, serve_pid=pid)
        (err_console if args.json else console).print(
            f"redline serve is running for this archive: flow run {run.name} on {api}", highlight=False)
        return wait_served_and_print(settings, api, run, names=[s.name for s in selected], started=started,
                                     title="run", all_rows=args.all_rows, as_json=args.json)
    return run_cycle_and_print(settings, names=names, tags=tags, verbose=args.verbose,
                               all_rows=args.all_rows, as_json=args.json)


def register(sub: argparse._SubParsersAction) -> None:
    run = sub.add_parser("run", help="run one monitoring cycle through Prefect and print a summary",
                         description="Check sources once (all enabled statements by default) through the "
                                     "Prefect `monitor` flow (a run of the running `redline serve` when there "
                                     "is one for the archive, else in this process); print a summary table (when "
                                     f"more than {FULL_TABLE_MAX} sources were checked, only those with news, and the totals).")
    run.add_argument("--source", action="append", metavar="NAME", help="check this source (repeatable)")
    run.add_argument("--tag", action="append", metavar="TAG", help="check sources with this tag (repeatable)")
    add_location_args(run)
    run.add_argument("--all-rows", action="store_true", help="list every source in the summary, unchanged ones too")
    run.add_argument("-v", "--verbose", action="store_true", help="show Prefect's own log lines")
    add_json_arg(run)
    run.set_defaults(func=_cmd_run)
