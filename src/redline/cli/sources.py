"""`redline sources ...`: manage the tracked sources.

`sources` is a command group: each subcommand is registered by an entry of
SUBCOMMANDS (name -> function adding its parser), so list/add/remove/... can be
added beside `move` without touching the others.
"""
from __future__ import annotations

import argparse
from typing import Callable
from urllib.parse import urlsplit

from redline.cli.common import resolve_settings, add_json_arg, add_location_args, console, err_console
from redline.core.config import Settings
from redline.core.table import Column, Grid, print_grid


def _cmd_move(args: argparse.Namespace) -> int:
    from redline.core.errors import ConfigError
    from redline.core.urls import normalize_url, url_key
    from redline.monitor.select import prepare_archive
    from redline.registry.load import load_registry
    from redline.store.sqlite import Archive

    settings = resolve_settings(args)
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
    from redline.core.model import SourceStatus

    if old["state"] == SourceStatus.REMOVED:
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


def _write_registry(settings: Settings, text: str) -> None:
    """Validate the edited file as a whole, then replace it atomically (nothing half-written)."""
    from redline.core.atomic import atomic_write_bytes
    from redline.registry.load import parse_registry

    parse_registry(text, path=str(settings.sources))
    atomic_write_bytes(settings.sources, text.encode("utf-8"))


def _tracked(settings: Settings):
    """(registry, tracked sources, archive rows by name); the archive is only read if it exists."""
    from redline.monitor.select import tracked_sources
    from redline.registry.load import load_registry
    from redline.store.sqlite import Archive

    from redline.store.sqlite.archive import has_index, lost_index

    registry = load_registry(settings.sources)
    if not has_index(settings.archive):
        lost = lost_index(settings.archive)
        if lost is not None:  # its list without the archive would be wrong (states, discovered sources)
            raise lost
        return registry, list(registry.sources), {}
    with Archive(settings.archive) as archive:
        rows = {r["name"]: dict(r) for r in archive.sources()}
        rows = {n: {**r, "versions": len(archive.versions(n))} for n, r in rows.items()}
        return registry, tracked_sources(archive, registry), rows


LIST_COLUMNS = (Column("name", priority=0), Column("kind", priority=3), Column("origin", priority=4),
                Column("enabled", priority=4), Column("tags", priority=3, flex=True),
                Column("versions", priority=2, justify="right"), Column("state", priority=0),
                Column("url", priority=5, url=True))


def _state(src, row: dict) -> str:
    """What the archive says of a source: removed, failing, ok, or not checked yet."""
    if not src.enabled:
        return "disabled"
    if not row or row.get("last_check") is None:
        return "not checked yet"
    if row.get("state") == "removed":
        return "removed"
    return "failing" if row.get("last_error") else "ok"


def _cmd_list(args: argparse.Namespace) -> int:
    settings = resolve_settings(args)
    _, sources, rows = _tracked(settings)
    table = Grid(f"sources — {settings.sources}", LIST_COLUMNS)
    for src in sources:
        row = rows.get(src.name, {})
        if args.tag and not set(args.tag) & set(src.tags):
            continue
        state = _state(src, row)
        table.add(src.name, src.kind, src.origin, "yes" if src.enabled else "no", ", ".join(src.tags),
                  str(row.get("versions", 0)), state, src.url,
                  style="red" if state in ("removed", "failing") else None,
                  value={"name": src.name, "kind": src.kind, "origin": src.origin, "enabled": src.enabled,
                         "tags": list(src.tags), "versions": row.get("versions", 0), "state": state,
                         "state_since": row.get("state_since"), "last_error": row.get("last_error"),
                         "url": src.url, "title": src.title})
    print_grid(console, table, as_json=args.json)
    return 0


def _private_warning(url: str) -> str | None:
    """A warning when the URL names an internal address that fetching will refuse (no DNS lookup)."""
    import ipaddress

    import os

    from redline.core.addresses import ENV_ALLOW, AddressPolicy

    host = (urlsplit(url).hostname or "").strip("[]")
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        if host != "localhost" and not host.endswith(".localhost"):
            return None
        ip = ipaddress.ip_address("127.0.0.1")
    if AddressPolicy.parse(os.environ.get(ENV_ALLOW)).permits(ip):
        return None
    return (f"warning: {host} is not a public address: checks of it are refused until {ENV_ALLOW} allows it "
            f"(e.g. {ENV_ALLOW}=loopback)")


def _cmd_add(args: argparse.Namespace) -> int:
    settings = resolve_settings(args)
    from redline.registry.edit import append_entry, new_registry_text

    created = not settings.sources.exists()
    if created and not settings.sources.parent.is_dir():
        from redline.core.errors import ConfigError

        raise ConfigError(f"cannot create {settings.sources}: its folder {settings.sources.parent} does not exist")
    text = new_registry_text() if created else settings.sources.read_text(encoding="utf-8")
    fields = {"name": args.name, "url": args.url, "title": args.title, "date": args.date,
              "language": args.language, "profile": args.profile, "kind": args.kind,
              "tags": args.tag or [], "masks": args.mask or [], "origin": "operator"}
    _write_registry(settings, append_entry(text, fields))
    made = f"created {settings.sources} with " if created else "added "
    console.print(f"{made}{args.name}{'' if created else f' to {settings.sources}'}; it is checked from the next "
                  f"run (try it now: redline sources test {args.name})", highlight=False)
    warning = _private_warning(args.url)
    if warning:
        err_console.print(warning, style="yellow", highlight=False)
    return 0


def _edit_or_archive(settings: Settings, name: str, *, registry_edit, archive_edit, what: str) -> str:
    """Apply an edit to the sources file for a registry source, or to the archive for a discovered one."""
    from redline.core.errors import NotFoundError
    from redline.store.sqlite import Archive

    registry, sources, rows = _tracked(settings)
    if name in registry.names():
        _write_registry(settings, registry_edit(settings.sources.read_text(encoding="utf-8")))
        return str(settings.sources)
    if rows.get(name, {}).get("origin") == "discovered":
        with Archive(settings.archive) as archive:
            archive_edit(archive)
        return str(settings.archive)
    raise NotFoundError(f"no source named {name!r} to {what} (see `redline sources list`)")


def _cmd_remove(args: argparse.Namespace) -> int:
    from redline.registry.edit import remove_entry

    settings = resolve_settings(args)
    where = _edit_or_archive(settings, args.name, what="remove",
                             registry_edit=lambda t: remove_entry(t, args.name, path=str(settings.sources)),
                             archive_edit=lambda a: a.set_enabled(args.name, False))
    console.print(f"removed {args.name} ({where}); its history stays in the archive and is still browsable",
                  highlight=False)
    return 0


def _cmd_enable(args: argparse.Namespace) -> int:
    from redline.registry.edit import set_enabled

    settings = resolve_settings(args)
    on = args.sources_command == "enable"
    where = _edit_or_archive(settings, args.name, what=args.sources_command,
                             registry_edit=lambda t: set_enabled(t, args.name, on, path=str(settings.sources)),
                             archive_edit=lambda a: a.set_enabled(args.name, on))
    console.print(f"{'enabled' if on else 'disabled'} {args.name} ({where})", highlight=False)
    return 0


def _cmd_test(args: argparse.Namespace) -> int:
    """Fetch and normalize one page and diff it against the last version: writes nothing."""
    from redline.core.errors import FetchError
    from redline.core.model import Source
    from redline.ingest.fetch import make_fetcher
    from redline.store.sqlite import Archive
    from redline.store.sqlite.archive import has_index
    from redline.text.diff import diff_texts
    from redline.text.render import render_terminal
    from redline.text.normalize import normalize

    settings = resolve_settings(args)
    _, sources, rows = _tracked(settings)
    by_name = {s.name: s for s in sources}
    if args.target in by_name:
        source = by_name[args.target]
    elif urlsplit(args.target).scheme in ("http", "https"):
        source = Source(name="test", url=args.target, profile=args.profile or "auto")
    else:
        from redline.core.errors import NotFoundError

        raise NotFoundError(f"{args.target!r} is neither a source name nor an http(s) URL")
    with make_fetcher(settings.fetch) as fetcher:
        result = fetcher.fetch(source.url)
    if result.error or result.text is None:
        raise FetchError(result.error or f"{source.url} gave no text (HTTP {result.status})")
    norm = normalize(result.text, profile=source.profile, url=result.final_url)
    console.print(f"[bold]{source.url}[/] → HTTP {result.status}, {result.encoding} ({result.encoding_source}), "
                  f"profile {norm.profile}{', PLACEHOLDER page' if norm.placeholder else ''}", highlight=False)
    console.rule("normalized text")
    console.print(norm.text, highlight=False, markup=False)
    if source.name in rows and has_index(settings.archive):
        with Archive(settings.archive) as archive:
            latest = archive.latest_version(source.name)
            if latest is not None:
                d = diff_texts(archive.get_text(latest.text_sha256), norm.text)
                console.rule(f"against version {latest.seq} of {latest.first_seen[:10]}")
                console.print(render_terminal(d, color=console.is_terminal) if d.changed else "no change",
                              highlight=False, markup=False)
    console.print("(nothing was written)", style="dim")
    return 0


def _register_simple(name: str, func, help_text: str, description: str):
    def add(group: argparse._SubParsersAction) -> None:
        p = group.add_parser(name, help=help_text, description=description)
        p.add_argument("name", metavar="NAME", help="the source's name")
        add_location_args(p)
        p.set_defaults(func=func)
    return add


def _register_list(group: argparse._SubParsersAction) -> None:
    p = group.add_parser("list", help="list tracked sources", description="List the registry's and the "
                         "discovered sources with their state and number of versions.")
    p.add_argument("--tag", action="append", metavar="TAG", help="only sources with this tag")
    add_location_args(p)
    add_json_arg(p)
    p.set_defaults(func=_cmd_list)


def _register_add(group: argparse._SubParsersAction) -> None:
    from redline.registry.load import PROFILES

    p = group.add_parser("add", help="add a source to the sources file (validated; duplicates refused)",
                         description="Append a [[source]] entry to the sources file (created, with a "
                                     "comment on every key, when it does not exist yet). The whole file is "
                                     "validated first: a duplicate name or URL, a bad URL or a bad mask is "
                                     "refused and the file is left as it was.")
    p.add_argument("name", metavar="NAME", help="a slug: lowercase letters, digits, hyphens")
    p.add_argument("url", metavar="URL", help="the page's http(s) address")
    p.add_argument("--title", default="")
    p.add_argument("--date", default="", help="publication date, e.g. 2025-12-04")
    p.add_argument("--language", default="en")
    p.add_argument("--profile", default="auto", choices=sorted(PROFILES))
    p.add_argument("--kind", default="statement", choices=("statement", "listing"))
    p.add_argument("--tag", action="append", metavar="TAG")
    p.add_argument("--mask", action="append", metavar="REGEX", help="changes only inside this never alert")
    add_location_args(p)
    p.set_defaults(func=_cmd_add)


def _register_test(group: argparse._SubParsersAction) -> None:
    p = group.add_parser("test", help="fetch a source or URL, show its text and the diff; writes nothing",
                         description="Fetch NAME's page (or any URL), show what it normalizes to and the "
                                     "diff against the last archived version, without writing anything "
                                     "(like urlwatch --test-filter).")
    p.add_argument("target", metavar="NAME|URL")
    p.add_argument("--profile", help="site profile for a URL (default: auto)")
    add_location_args(p)
    p.set_defaults(func=_cmd_test)


SUBCOMMANDS: dict[str, Callable[[argparse._SubParsersAction], None]] = {
    "list": _register_list,
    "add": _register_add,
    "remove": _register_simple("remove", _cmd_remove, "stop tracking a source; its history is kept",
                               "Remove a source from the sources file (a discovered one is disabled in "
                               "the archive). Its versions, captures and alerts stay in the archive."),
    "enable": _register_simple("enable", _cmd_enable, "check a source again",
                               "Set enabled = true for a source (sources file or archive)."),
    "disable": _register_simple("disable", _cmd_enable, "stop checking a source for now",
                                "Set enabled = false for a source (sources file or archive)."),
    "move": _register_move,
    "test": _register_test,
}


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("sources", help="manage tracked sources: list, add, remove, enable, disable, move, test",
                       description="Manage the tracked sources: the registry's and the discovered ones.")
    group = p.add_subparsers(dest="sources_command", required=True, metavar="SUBCOMMAND")
    for add in SUBCOMMANDS.values():
        add(group)
