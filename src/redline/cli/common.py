"""Pieces shared by the subcommands."""
from __future__ import annotations

import argparse

from rich.console import Console

# soft_wrap: a long line (a URL, a path) is never broken by a newline; the terminal wraps it
# on screen, and copying it, clicking it or piping it gives it whole.
console = Console(soft_wrap=True)
err_console = Console(stderr=True, soft_wrap=True)


def add_location_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--sources", metavar="FILE", help="sources file (default: $REDLINE_SOURCES or seeds/sources.toml)")
    parser.add_argument("--archive", metavar="DIR", help="archive folder (default: $REDLINE_ARCHIVE or ./archive)")


def add_json_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print JSON (every column, typed) instead of a table")
