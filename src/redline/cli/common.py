"""Pieces shared by the subcommands."""
from __future__ import annotations

import argparse

from rich.console import Console

console = Console()
err_console = Console(stderr=True)


def add_location_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--sources", metavar="FILE", help="sources file (default: $REDLINE_SOURCES or seeds/sources.toml)")
    parser.add_argument("--archive", metavar="DIR", help="archive folder (default: $REDLINE_ARCHIVE or ./archive)")
