"""Operators' commands: `serve`, `refresh`, `status`, `notify --test`."""
from __future__ import annotations

import argparse
import os
from contextlib import contextmanager
from datetime import datetime, timezone
from typing import Iterator

from redline.cli.common import (remember_given_sources, require_index, resolve_settings, add_json_arg, add_location_args,
                                console, err_console)
from redline.core.config import Settings
from redline.core.errors import ConfigError
from redline.core.table import Column, Grid, print_grid

STATUS_COLUMNS = (Column("source", priority=0), Column("state", priority=0), Column("last check", priority=3),
                  Column("HTTP", priority=1), Column("failures", priority=2, justify="right"),
                  Column("last change", priority=4), Column("next run", priority=4),
                  Column("last error", priority=2, flex=True))


def _settings(args: argparse.Namespace) -> Settings:
    return resolve_settings(args)


@contextmanager
def _browse_thread(settings: Settings, port: int | None) -> Iterator[int | None]:
    """The browse view beside `serve` (127.0.0.1:PORT), in a thread, when asked for; yields its port."""
    if port is None:
        yield None
        return
    import threading

    from redline.cli.archive import browse_server
    from redline.store.sqlite import Archive

    archive = Archive(settings.archive)
    server, sock = browse_server(archive, "127.0.0.1", port)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        yield sock.getsockname()[1]
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
        archive.close()


def _cmd_serve(args: argparse.Namespace) -> int:
    from redline.monitor.select import prepare_archive
    from redline.orchestration.api import prefect_api, quiet_prefect_env
    from redline.orchestration.schedules import load_schedules
    from redline.registry.load import load_registry
    from redline.store.sqlite import Archive

    from redline.monitor.workers import configured_count

    settings = resolve_settings(args)
    registry = load_registry(settings.sources)
    schedules = load_schedules(settings.config_file)
    check_processes = configured_count(os.environ)   # a bad value refused here, in one line, before anything runs
    remember_given_sources(args, settings)
    with Archive(settings.archive) as archive:
        prepare_archive(archive, registry)
    quiet_prefect_env(settings.archive / ".prefect", verbose=args.verbose)
    from redline.orchestration.serve import (apply_deployments, build_deployments, serve_claim, serve_forever,
                                             serve_state)

    own_ui = not args.no_ui and not os.environ.get("PREFECT_API_URL")   # a server of our own, with its UI
    with serve_claim(settings):  # the second serve of an archive refuses here, in one line
        console.print("starting Prefect (a local server unless PREFECT_API_URL is set)…", highlight=False)
        with prefect_api(settings.archive / ".prefect", ui=not args.no_ui) as api_url:
            deployments = build_deployments(schedules, settings)
            deployment_ids = apply_deployments(deployments)  # registered before serve.json says we're up
            table = Grid(f"redline serve — Prefect API {api_url}", (
                Column("deployment", priority=0), Column("schedule", priority=0, flex=True),
                Column("parameters", priority=1, flex=True)))
            served = {f"{d.flow_name}/{d.name}" for d in deployments}
            for s in schedules:
                if s.full_name in served:
                    table.add(s.full_name, s.when, f"tags={list(s.tags)}" if s.tags else "all sources")
            print_grid(console, table, piped="table")
            with serve_state(settings, api_url), _browse_thread(settings, args.browse) as browse_port:
                for line in serve_addresses(api_url, ui=own_ui, browse=browse_port,
                                            feed=settings.archive / "feeds" / "alerts.xml"):
                    console.print(line, highlight=False)
                if check_processes and settings.fetch.per_host_delay == 0:
                    console.print(f"check processes: {check_processes} per run, for hosts with no delay "
                                  f"(REDLINE_CHECK_PROCESSES)", highlight=False)
                console.print("manual refresh: redline refresh [NAME ... | --tag TAG | --all]  ·  stop: Ctrl-C",
                              highlight=False)
                serve_forever(deployment_ids, sources=[settings.sources])
    console.print("stopped; schedules stay active for the next `redline serve`")
    return 0


def serve_addresses(api_url: str, *, ui: bool, browse: int | None, feed) -> list[str]:
    """The addresses `serve` prints: the browse view, Prefect's UI (or API) and the alert feed."""
    root = api_url.rstrip("/").removesuffix("/api")
    lines = []
    if browse is not None:
        lines.append(f"browse view:  http://127.0.0.1:{browse}/")
    lines.append(f"Prefect UI:   {root}/  (runs, Quick run, pause a schedule)" if ui else f"Prefect API:  {api_url}")
    lines.append(f"alert feed:   " + (f"http://127.0.0.1:{browse}/alerts/feed.xml" if browse is not None else str(feed)))
    return lines


def _cmd_refresh(args: argparse.Namespace) -> int:
    from redline.cli.run import selected_sources, wait_served_and_print
    from redline.monitor.report import print_summary
    from redline.orchestration.api import quiet_prefect_env
    from redline.registry.load import load_registry

    settings = _settings(args)
    registry = load_registry(settings.sources)
    if not (args.names or args.tag or args.all):
        raise ConfigError("say what to refresh: source NAMEs, --tag TAG, or --all")
    selected = selected_sources(settings, registry, args.names or (), args.tag or ())
    quiet_prefect_env(settings.archive / ".prefect")
    from redline.orchestration.refresh import refresh

    started = datetime.now(timezone.utc).replace(microsecond=0)
    done = refresh(settings, names=args.names or (), tags=args.tag or (),
                   announce=lambda line: console.print(line, highlight=False))
    if not done.served:
        print_summary(console, done.report.outcomes, all_rows=args.all_rows, as_json=args.json)
        for line in done.report.delivery.errors:
            err_console.print(f"delivery failed: {line}", style="red", highlight=False)
        return 0
    run, api = done.flow_run, done.api_url
    console.print(f"started flow run {run.name} ({run.id}) on {api}", highlight=False)
    if not args.wait:
        return 0
    return wait_served_and_print(settings, api, run, names=[s.name for s in selected], started=started,
                                 title="refresh", all_rows=args.all_rows, as_json=args.json)


def _cmd_status(args: argparse.Namespace) -> int:
    from redline.monitor.status import source_statuses, unhealthy
    from redline.store.sqlite import Archive

    settings = _settings(args)
    require_index(settings.archive, hint="run `redline run` first or pass --archive")
    next_runs = {}
    from redline.orchestration.refresh import served_api

    api = served_api(settings)
    if api is not None:
        from redline.orchestration.api import quiet_prefect_env

        quiet_prefect_env(settings.archive / ".prefect")
        from redline.orchestration.serve import next_runs as read_next_runs

        next_runs = read_next_runs()
    with Archive(settings.archive) as archive:
        rows = archive.sources()
        statuses = source_statuses(rows, health={r["name"]: archive.health(r["name"]) for r in rows},
                                   next_runs=next_runs)
    max_failures = args.max_failures if args.max_failures is not None else settings.failure_threshold - 1
    bad = unhealthy(statuses, max_failures=max_failures)
    table = Grid(f"redline status — {settings.archive}", STATUS_COLUMNS)
    for s in statuses:
        next_run = (s.next_run.isoformat(timespec="minutes") if s.next_run else
                    ("not served" if api is None else "-"))
        table.add(s.name, s.state, _minute(s.last_check), str(s.last_status or "-"), str(s.failures),
                  _minute(s.last_change), next_run, s.last_error or "",
                  style="red" if s in bad or s.state in ("failing", "removed") else None,
                  value={"source": s.name, "state": s.state, "enabled": s.enabled, "last_check": s.last_check,
                         "http": s.last_status, "failures": s.failures, "last_change": s.last_change,
                         "next_run": s.next_run.isoformat() if s.next_run else None, "last_error": s.last_error,
                         "unhealthy": s in bad})
    print_grid(console, table, as_json=args.json)
    if bad:
        err_console.print(f"unhealthy: {len(bad)} source(s) failed more than {max_failures} checks in a row: "
                          + ", ".join(s.name for s in bad), style="red", highlight=False)
        return 3
    return 0


def _minute(moment: str | None) -> str:
    """"2026-12-07T05:18:51+00:00" -> "2026-12-07 05:18" (the table's times are UTC)."""
    return moment[:16].replace("T", " ") if moment else "-"


def _cmd_notify(args: argparse.Namespace) -> int:
    from redline.alerts.channels import make_sinks
    from redline.core.errors import DeliveryError
    from redline.core.model import Alert
    from redline.store.sqlite import Archive

    settings = _settings(args)
    if not args.test:
        raise ConfigError("`redline notify` only knows --test for now: redline notify --test")
    alert = Alert(id=0, kind="test", source="redline", title="redline test alert", url="https://example.invalid/",
                  created_at=datetime.now(timezone.utc),
                  summary="This is a test alert from `redline notify --test`; no statement changed.",
                  diff_text="…should play a [-leading-]{+central+} role…",
                  diff_html="…should play a <del>leading</del><ins>central</ins> role…")
    with Archive(settings.archive) as archive:
        sinks = make_sinks(archive, settings)
    results = Grid("redline notify --test", (Column("audience", priority=1), Column("channel", priority=0, flex=True),
                                             Column("result", priority=0, flex=True)))
    failed = 0
    for audience, group in (("monitors", sinks.monitor), ("operators", sinks.operator)):
        for name, sink in group.items():
            if name in ("alert-log", "operator-log"):
                continue  # the archive's own logs keep real alerts only
            try:
                sink.deliver(alert)
                results.add(audience, name, "sent", style="green")
            except DeliveryError as exc:
                failed += 1
                results.add(audience, name, f"failed: {exc}", style="red")
    if not results.rows:
        console.print("no channels configured: set REDLINE_APPRISE_URLS / REDLINE_OPERATOR_APPRISE_URLS "
                      f"or [notify] urls / operator_urls in {settings.archive / 'redline.toml'}", highlight=False)
        return 1
    print_grid(console, results, as_json=args.json)
    return 1 if failed else 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("serve", help="run the scheduled monitor and discover deployments (and a local Prefect server)",
                       description="Start a local Prefect server (unless PREFECT_API_URL is set), serve the "
                                   "`monitor` and `discover` deployments on their schedules (config [schedule]; "
                                   "defaults: monitor hourly, discover every 6 hours), one run at a time per "
                                   "deployment. Ctrl-C or SIGTERM stops it; schedules stay active.")
    add_location_args(p)
    p.add_argument("--browse", type=int, nargs="?", const=8800, metavar="PORT",
                   help="also serve the browse view on 127.0.0.1:PORT (default 8800)")
    p.add_argument("--no-ui", action="store_true", help="start the local Prefect server without its web UI")
    p.add_argument("-v", "--verbose", action="store_true", help="show Prefect's own log lines")
    p.set_defaults(func=_cmd_serve)

    p = sub.add_parser("refresh", help="check sources now: a run of the served deployment (or in-process)",
                       description="Start a run of the served `monitor/all` deployment for the given sources; "
                                   "with --wait, show progress and the summary table (only the sources with "
                                   "news when there are many). Without a running `redline serve`, the check "
                                   "runs in this process.")
    p.add_argument("names", nargs="*", metavar="NAME", help="sources to refresh")
    p.add_argument("--tag", action="append", metavar="TAG", help="refresh sources with this tag (repeatable)")
    p.add_argument("--all", action="store_true", help="refresh every enabled source")
    p.add_argument("--wait", action="store_true", help="wait for the run and print its summary")
    p.add_argument("--all-rows", action="store_true", help="list every source in the summary, unchanged ones too")
    add_location_args(p)
    add_json_arg(p)
    p.set_defaults(func=_cmd_refresh)

    p = sub.add_parser("status", help="one line per source; exit non-zero when a source keeps failing",
                       description="Show each source's last check, HTTP status, failures in a row, last change "
                                   "and next scheduled run. Exit 0 when healthy, 3 when any source failed more "
                                   "than N checks in a row (for cron and monitoring systems).")
    p.add_argument("--max-failures", type=int, metavar="N",
                   help="failures in a row tolerated (default: REDLINE_FAILURE_THRESHOLD - 1 = 2)")
    add_location_args(p)
    add_json_arg(p)
    p.set_defaults(func=_cmd_status)

    p = sub.add_parser("notify", help="send a test alert to each configured channel",
                       description="With --test, send a test alert to every configured Apprise channel "
                                   "(monitors' and operators') and say which worked.")
    p.add_argument("--test", action="store_true", help="send a test alert")
    add_location_args(p)
    add_json_arg(p)
    p.set_defaults(func=_cmd_notify)
