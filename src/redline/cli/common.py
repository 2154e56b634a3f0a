"""Pieces shared by the subcommands."""
from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from rich.console import Console

if TYPE_CHECKING:
    from redline.core.config import Settings

# soft_wrap: a long line (a URL, a path) is never broken by a newline; the terminal wraps it
# on screen, and copying it, clicking it or piping it gives it whole.
console = Console(soft_wrap=True)
err_console = Console(stderr=True, soft_wrap=True)


def resolve_settings(args: argparse.Namespace) -> "Settings":
    """The settings for --archive / --sources. Without --sources (and $REDLINE_SOURCES), the sources
    file is the one the archive was made with (its redline.toml)."""
    from redline.core.config import Settings

    return Settings.resolve(archive=args.archive, sources=args.sources)


def require_index(root, *, hint: str = "pass --archive DIR or set REDLINE_ARCHIVE") -> None:
    """Raise, in one line, when the archive at `root` has no index: it lost it (its files are there:
    rebuild it) or there is no archive yet (`hint`)."""
    from redline.core.errors import ArchiveError
    from redline.store.sqlite.archive import has_index, index_name, lost_index

    if has_index(root):
        return
    lost = lost_index(root)
    raise lost or ArchiveError(f"no archive at {root} (no {index_name(root)}); {hint}")


def remember_given_sources(args: argparse.Namespace, settings: "Settings") -> None:
    """Record a sources file given explicitly in the archive's redline.toml (when it names none yet),
    so later commands given only --archive use it. Called once the file has been read and found good."""
    import os

    from redline.core.config import remember_sources

    if args.sources or os.environ.get("REDLINE_SOURCES"):
        remember_sources(settings.archive, settings.sources)


def add_location_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--sources", metavar="FILE",
                        help="sources file (default: $REDLINE_SOURCES, else the one the archive was made with, "
                             "else seeds/sources.toml)")
    parser.add_argument("--archive", metavar="DIR", help="archive folder (default: $REDLINE_ARCHIVE or ./archive)")


def add_json_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print JSON (every column, typed) instead of a table")
