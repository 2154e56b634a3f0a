"""`redline sources ...`: manage the tracked sources.

`sources` is a command group: each subcommand is registered by an entry of
SUBCOMMANDS (name -> function adding its parser), so list/add/remove/... can be
added beside `move` without touching the others.
"""
from __future__ import annotations

import argparse
from typing import Callable
from urllib.parse import urlsplit

from ..config import Settings
from .common import add_location_args, console


def _cmd_move(args: argparse.Namespace) -> int:
    from ..archive import Archive
    from ..discover import normalize_url, url_key
    from ..errors import ConfigError
    from ..monitor import prepare_archive
    from ..sources import load_registry

    settings = Settings.resolve(archive=args.archive, sources=args.sources)
    registry = load_registry(settings.sources)
    url = args.new_url.strip()
    if normalize_url(url) is None or any(ch.isspace() for ch in url) or urlsplit(url).username is not None:
        raise ConfigError(f"{url!r} is not an http(s) page address (like https://www.fmprc.gov.cn/eng/...)")
    with Archive(settings.archive) as archive:
        prepare_archive(archive, registry)  # registry sources are known even to a fresh archive
        row = archive.source_row(args.name)
        if url_key(url) == url_key(row["url"]):
            raise ConfigError(f"{args.name} is already at {row['url']}")
        taken = [r["name"] for r in archive.sources() if r["name"] != args.name and url_key(r["url"]) == url_key(url)]
        if taken:
            raise ConfigError(f"{url} is the address of source {taken[0]}; a page is tracked once")
        registry_url = registry.by_name(args.name).url if args.name in registry.names() else None
        old = archive.move_source(args.name, url, registry_url=registry_url)
        versions = len(archive.versions(args.name))

    def say(text: str) -> None:
        console.print(text, highlight=False, soft_wrap=True)  # soft wrap: URLs stay whole, copyable

    say(f"moved [bold]{args.name}[/]\n  from {old['url']}\n  to   {url}")
    say(f"its history stays with it ({versions} version{'s' if versions != 1 else ''}, its captures and alerts); "
        "the old address is kept, so listings never offer it as new")
    if registry_url:
        say(f"{settings.sources} still gives the old address: redline uses the new one until the file gives "
            "another")
    if old["state"] == "removed":
        say(f"it is marked removed (since {(old['state_since'] or '')[:10]}): the next check that finds it at "
            "the new address raises one restored alert")
    return 0


def _register_move(group: argparse._SubParsersAction) -> None:
    p = group.add_parser("move", help="record a new address for a source, keeping its history",
                         description="Give a source a new URL (a statement that moved, e.g. from /mfa_eng/ to "
                                     "/eng/). Its versions, captures and alerts stay with it and the old URL is "
                                     "remembered; the sources file is not rewritten: the new URL is used until "
                                     "the file gives a different one.")
    p.add_argument("name", metavar="NAME", help="the source's name")
    p.add_argument("new_url", metavar="NEW_URL", help="its new address (http or https)")
    add_location_args(p)
    p.set_defaults(func=_cmd_move)


SUBCOMMANDS: dict[str, Callable[[argparse._SubParsersAction], None]] = {
    "move": _register_move,
}


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("sources", help="manage tracked sources (move)",
                       description="Manage the tracked sources: the registry's and the discovered ones.")
    group = p.add_subparsers(dest="sources_command", required=True, metavar="SUBCOMMAND")
    for add in SUBCOMMANDS.values():
        add(group)
