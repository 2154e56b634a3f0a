"""`redline`: thin commands over the library. Expected failures print one line and exit non-zero."""
from __future__ import annotations

import argparse
import sys
from typing import Sequence

from rich.console import Console

from .config import Settings
from .errors import RedlineError, RegistryError

console = Console()
err_console = Console(stderr=True)


def run_monitor_flow(settings: Settings, *, names: Sequence[str] = (), tags: Sequence[str] = ()):
    """Run the `monitor` flow once against the Prefect API already configured."""
    from flows.monitor import monitor  # imported late: Prefect reads its settings at import
    from .model import CheckOutcome

    result = monitor(sources=list(names) or None, tags=list(tags) or None,
                     sources_file=str(settings.sources), archive=str(settings.archive))
    return [CheckOutcome(**o) for o in result["outcomes"]], result["delivery"]


def _cmd_run(args: argparse.Namespace) -> int:
    from .prefect_api import prefect_api, quiet_prefect_env
    from .sources import load_registry
    from .summary import summary_table

    settings = Settings.resolve(archive=args.archive, sources=args.sources)
    registry = load_registry(settings.sources)
    registry.select(names=args.source or (), tags=args.tag or ())  # unknown names fail here, in one line
    quiet_prefect_env(settings.archive / ".prefect", verbose=args.verbose)
    with console.status("starting Prefect and checking sources…"):
        with prefect_api(settings.archive / ".prefect"):
            outcomes, delivery = run_monitor_flow(settings, names=args.source or (), tags=args.tag or ())
    console.print(summary_table(outcomes))
    for line in delivery.get("errors", []):
        err_console.print(f"delivery failed: {line}", style="red", highlight=False)
    console.print(f"archive: {settings.archive}   alert log: {settings.archive / 'alerts.jsonl'}   "
                  f"feed: {settings.archive / 'feeds' / 'alerts.xml'}", highlight=False)
    return 0


def _cmd_demo(args: argparse.Namespace) -> int:
    from .demo import run_demo

    return run_demo(args.dir, console=console)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="redline", description="Watch official statements; alert on wording changes.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = sub.add_parser("run", help="run one monitoring cycle through Prefect and print a summary",
                         description="Check sources once (all enabled statements by default) through the "
                                     "Prefect `monitor` flow; print a summary table.")
    run.add_argument("--source", action="append", metavar="NAME", help="check this source (repeatable)")
    run.add_argument("--tag", action="append", metavar="TAG", help="check sources with this tag (repeatable)")
    run.add_argument("--sources", metavar="FILE", help="sources file (default: $REDLINE_SOURCES or seeds/sources.toml)")
    run.add_argument("--archive", metavar="DIR", help="archive folder (default: $REDLINE_ARCHIVE or ./archive)")
    run.add_argument("-v", "--verbose", action="store_true", help="show Prefect's own log lines")
    run.set_defaults(func=_cmd_run)

    demo = sub.add_parser("demo", help="the whole loop offline, on a loopback replay of the seed pages",
                          description="Serve the seed pages on 127.0.0.1, run the monitor twice with a wording "
                                      "change and a chrome-only change in between, and show the alert.")
    demo.add_argument("--dir", default="demo", help="where to leave the demo archive (default: ./demo)")
    demo.set_defaults(func=_cmd_demo)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except RegistryError as exc:
        for problem in exc.problems:
            err_console.print(f"error: {problem}", style="red", highlight=False, soft_wrap=True)
        return 2
    except RedlineError as exc:
        err_console.print(f"error: {exc}", style="red", highlight=False, soft_wrap=True)
        return 1
    except KeyboardInterrupt:
        err_console.print("interrupted", style="red")
        return 130


if __name__ == "__main__":
    sys.exit(main())
