"""`redline demo`: the whole loop offline."""
from __future__ import annotations

import argparse

from redline.cli.common import console


def _cmd_demo(args: argparse.Namespace) -> int:
    from redline.demo.run import run_demo

    return run_demo(args.dir, console=console)


def register(sub: argparse._SubParsersAction) -> None:
    demo = sub.add_parser("demo", help="the whole loop offline, on a loopback replay of the seed pages",
                          description="Serve the seed pages on 127.0.0.1, run the monitor twice with a wording "
                                      "change and a chrome-only change in between, and show the alert; then "
                                      "show a related new statement found on a listing page and a statement "
                                      "replaced by the site's 'page not found' placeholder.")
    demo.add_argument("--dir", default="demo", help="where to leave the demo archive (default: ./demo)")
    demo.set_defaults(func=_cmd_demo)
