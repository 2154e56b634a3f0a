"""`redline discover`: one discovery cycle through Prefect."""
from __future__ import annotations

import argparse
import dataclasses
import json
import os

from redline.cli.common import remember_given_sources, resolve_settings, add_location_args, console, err_console
from redline.core.table import print_grid


def _cmd_discover(args: argparse.Namespace) -> int:
    from redline.discovery.cycle import depth_setting, select_listings
    from redline.discovery.report import items_table, listing_table, shown_items
    from redline.discovery.topic import load_topic, topic_path
    from redline.orchestration.api import prefect_api, quiet_prefect_env
    from redline.registry.load import load_registry

    depth_setting(args.depth, os.environ)  # a bad --depth or $REDLINE_DISCOVER_DEPTH fails here, in one line
    settings = resolve_settings(args)
    registry = load_registry(settings.sources)
    select_listings(registry, args.listing or (), args.tag or ())  # unknown names fail here, in one line
    topic = topic_path(settings.sources, given=args.topic)
    load_topic(topic)  # a bad topic file too
    remember_given_sources(args, settings)
    quiet_prefect_env(settings.archive / ".prefect", verbose=args.verbose)
    with console.status("starting Prefect and reading listings…"):
        with prefect_api(settings.archive / ".prefect"):
            from redline.orchestration.foreground import (
                run_discover_flow,  # Prefect: ~1 s, only when run
            )

            outcomes, result = run_discover_flow(settings, listings=args.listing or (), tags=args.tag or (),
                                                 depth=args.depth, topic_file=str(topic) if topic else None)
    if args.json:
        print(json.dumps({"listings": [dataclasses.asdict(o) for o in outcomes], "topic": result["topic"],
                          "depth": result["depth"], "delivery": result["delivery"]},
                         ensure_ascii=False, indent=2, default=str))
        return 0
    print_grid(console, listing_table(outcomes))
    if shown_items(outcomes):
        print_grid(console, items_table(outcomes))
    for line in result["delivery"].get("errors", []):
        err_console.print(f"delivery failed: {line}", style="red", highlight=False)
    console.print(f"topic: {result['topic']}   depth: {result['depth']} pages   archive: {settings.archive}   "
                  f"alert log: {settings.archive / 'alerts.jsonl'}", highlight=False)
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "discover", help="read the listing pages for new related statements and track them",
        description="Read the listing pages of the sources file (kind = \"listing\"; all enabled ones by "
                    "default) through the Prefect `discover` flow, following their pagination. Each item met "
                    "for the first time is scored against the topic profile: a related one becomes a tracked "
                    "source, is archived at once and raises one new-statement alert; an unrelated one is "
                    "remembered. A listing's first read is its baseline (tracked, no alerts).")
    p.add_argument("--listing", action="append", metavar="NAME", help="read this listing (repeatable)")
    p.add_argument("--tag", action="append", metavar="TAG", help="read the listings with this tag (repeatable)")
    p.add_argument("--depth", type=int, metavar="N",
                   help="listing pages to read at most, first page included (default: $REDLINE_DISCOVER_DEPTH or 3)")
    p.add_argument("--topic", metavar="FILE",
                   help="topic profile (default: $REDLINE_TOPIC, else topic.toml next to the sources file, "
                        "else the built-in one)")
    add_location_args(p)
    p.add_argument("-v", "--verbose", action="store_true", help="show Prefect's own log lines")
    p.add_argument("--json", action="store_true", help="print the outcomes as JSON")
    p.set_defaults(func=_cmd_discover)
