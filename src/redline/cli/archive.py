"""Reading the archive: `redline browse`, `history`, `show`, `diff` and `export`.

All of them read; none writes to the archive. `browse` serves the web view
(redline.web); the others are its command-line twins.
"""
from __future__ import annotations

import argparse
import ipaddress
import json
import os
import socket
import sys
from datetime import datetime
from pathlib import Path

from redline.cli.common import console, err_console, require_index
from redline.core.errors import ArchiveError, RedlineError
from redline.core.table import Column, Grid, print_grid

DIFF_FORMATS = ("text", "html", "unified")
HISTORY_COLUMNS = (Column("v", priority=0, justify="right"), Column("first seen, UTC", priority=0),
                   Column("origin", priority=3), Column("change", priority=0), Column("alert", priority=1),
                   Column("chars", priority=2, justify="right"), Column("capture", priority=2))


def _state_line(summary) -> str:
    """"removed since 2026-12-07: ..." or "failing: 3 checks in a row: ..."; "" for a healthy source."""
    if summary.status == "removed":
        return f"removed since {(summary.state_since or '')[:10]}: {summary.state_reason or 'no longer available'}"
    if summary.status == "failing":
        return f"failing: {summary.failures} check{'s' if summary.failures != 1 else ''} in a row: {summary.last_error}"
    return ""


def open_archive(path: str | None):
    """The archive at --archive / $REDLINE_ARCHIVE / ./archive; it must exist (nothing is created)."""
    from redline.core.config import Settings
    from redline.store.sqlite import Archive

    root = Settings.resolve(archive=path).archive
    require_index(root)
    return Archive(root)


def _moment(text: str) -> datetime:
    from redline.store.readvalues import parse_moment

    try:
        return parse_moment(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _positive(text: str) -> int:
    """A version number as people write it: 3 or v3."""
    try:
        value = int(text.strip().lower().removeprefix("v"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a version number (like 3 or v3; see `redline history`)") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a version number (1 or more)")
    return value


# --------------------------------------------------------------------------- browse

def _listen(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
        sock.listen(128)   # connections wait in the backlog until the server is up
    except OSError as exc:
        sock.close()
        raise RedlineError(f"cannot listen on {host}:{port}: {exc.strerror or exc}; try another --port") from None
    sock.set_inheritable(True)
    return sock


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def browse_server(archive, host: str, port: int):
    """(uvicorn server, listening socket) for the browse view of an open archive; with
    REDLINE_OPERATOR_TOKEN set, timelines get a token-guarded 'Refresh now' button."""
    import uvicorn

    from redline.web.app import create_app

    sock = _listen(host, port)
    if not _is_loopback(host):
        err_console.print(f"warning: {host} is not a loopback address: anyone who can reach it can read "
                          "this archive", style="yellow", highlight=False, soft_wrap=True)
    from redline.alerts.channels import significance_table
    from redline.core.config import Settings

    settings = Settings.resolve(archive=str(archive.root))
    grades = significance_table(settings)     # comparisons graded as the monitor grades alerts
    token = os.environ.get("REDLINE_OPERATOR_TOKEN") or None
    refresher = None
    if token:
        from redline.web.refresh import make_refresher

        refresher = make_refresher(settings)
        console.print("operator token set: timelines show a 'Refresh now' button (token required)",
                      highlight=False)
    app = create_app(archive, operator_token=token, refresher=refresher, grades=grades)
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off")
    shown = f"[{host}]" if ":" in host else host
    console.print(f"redline browse: http://{shown}:{sock.getsockname()[1]}/  (read-only view of {archive.root}; "
                  "Ctrl-C stops)", highlight=False, soft_wrap=True)  # last: the caller serves right after
    return uvicorn.Server(config), sock


def _cmd_browse(args: argparse.Namespace) -> int:
    archive = open_archive(args.archive)
    server, sock = browse_server(archive, args.host, args.port)
    try:
        server.run(sockets=[sock])
    except KeyboardInterrupt:   # uvicorn re-raises the Ctrl-C it handled: stopping is the normal end
        pass
    finally:
        sock.close()
        archive.close()
    console.print("redline browse: stopped", highlight=False)
    return 0


# --------------------------------------------------------------------------- history

def _cmd_history(args: argparse.Namespace) -> int:

    from redline.store import readmodel as views

    with open_archive(args.archive) as archive:
        summary = views.source_summary(archive, args.name)
        versions = views.version_infos(archive, args.name, limit=args.limit)
        if args.json:
            print(json.dumps({"source": views.to_json(summary), "versions": views.to_json(versions)},
                             ensure_ascii=False, indent=2))
            return 0
        captures = views.captures_by_id(archive, [v.capture_id for v in versions if v.capture_id is not None])
    shown = f"the latest {len(versions)} of " if args.limit is not None and len(versions) < summary.versions else ""
    state = _state_line(summary)
    record = (f"{shown}{summary.versions} version{'s' if summary.versions != 1 else ''}, "
              f"{summary.captures} capture{'s' if summary.captures != 1 else ''}, "
              f"{summary.alerts} alert{'s' if summary.alerts != 1 else ''} · last check {summary.last_check or 'never'}")
    head = [f"[bold]{summary.title or summary.name}[/]", summary.url, record] + ([f"[red]{state}[/]"] if state else [])
    console.print("\n".join(head), highlight=False)
    table = Grid("", HISTORY_COLUMNS)
    for v in versions:
        c = captures.get(v.capture_id) if v.capture_id is not None else None
        table.add(f"v{v.seq}", v.first_seen[:16].replace("T", " "), v.origin,
                  v.change or ("first" if v.seq == 1 else "-"), f"#{v.alert_id}" if v.alert_id else "-",
                  str(v.chars), f"#{c.id} ({c.status})" if c else "-", style="bold yellow" if v.alert_id else None)
    print_grid(console, table)
    return 0


# --------------------------------------------------------------------------- show

def _cmd_show(args: argparse.Namespace) -> int:
    from redline.store import readmodel as views

    with open_archive(args.archive) as archive:
        if args.version is not None:
            v = views.version_info(archive, args.name, args.version)
        elif args.at is not None:
            v = views.version_at(archive, args.name, args.at)
        else:
            v = views.latest_version_info(archive, args.name)
        text = views.version_text(archive, v)
    if args.header:
        err_console.print(f"{args.name} v{v.seq}, first seen {v.first_seen}, {v.origin}",
                          highlight=False, soft_wrap=True)
    sys.stdout.write(text if text.endswith("\n") else text + "\n")
    return 0


# --------------------------------------------------------------------------- diff

def _cmd_diff(args: argparse.Namespace) -> int:
    from redline.store import readmodel as views
    from redline.text.render import render_html, render_terminal, render_unified

    with open_archive(args.archive) as archive:
        c = views.compare(archive, args.name, args.a, args.b)
    if args.format == "unified":
        out = render_unified(c.a_text, c.b_text, a_label=f"{args.name} v{c.a.seq} {c.a.first_seen}",
                             b_label=f"{args.name} v{c.b.seq} {c.b.first_seen}")
    elif args.format == "html":
        out = render_html(c.diff)
    else:
        out = render_terminal(c.diff, color=sys.stdout.isatty() and not args.no_color)
    if not c.diff.changed:
        err_console.print(f"v{c.a.seq} and v{c.b.seq} of {args.name} have the same text",
                          highlight=False, soft_wrap=True)
        return 0
    if c.diff.timed_out:
        err_console.print("note: the diff hit its time limit; it is valid but coarser than minimal",
                          style="yellow", highlight=False)
    sys.stdout.write(out if out.endswith("\n") else out + "\n")
    return 0


# --------------------------------------------------------------------------- export

def _cmd_export(args: argparse.Namespace) -> int:
    from redline.store.export import export_texts, export_warc

    out = Path(args.out or (f"{args.name}-texts.zip" if args.text else f"{args.name}.warc.gz"))
    if out.exists() and not args.force:
        raise ArchiveError(f"{out} exists already; pass --force to replace it, or --out to write elsewhere")
    with open_archive(args.archive) as archive:
        if args.text:
            result = export_texts(archive, args.name, out)
            what = f"{result.items} version text{'s' if result.items != 1 else ''} (zip, one .txt per version " \
                   "+ manifest.json)"
        else:
            result = export_warc(archive, args.name, out)
            what = f"{result.items} capture{'s' if result.items != 1 else ''} (one WARC file)"
    console.print(f"wrote {result.path}: {what}, {result.bytes} bytes", highlight=False, soft_wrap=True)
    return 0


# --------------------------------------------------------------------------- parsers

def _archive_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--archive", metavar="DIR", help="archive folder (default: $REDLINE_ARCHIVE or ./archive)")


def register(sub: argparse._SubParsersAction) -> None:
    browse = sub.add_parser("browse", help="serve the read-only web view of the archive",
                            description="Serve the archive's read-only web view: sources, timelines, texts, "
                                        "comparisons, raw captures (sandboxed), alerts and Atom feeds, each page "
                                        "with a JSON twin under /api.")
    browse.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    browse.add_argument("--port", type=int, default=8800, help="port (default: 8800; 0 picks a free one)")
    _archive_arg(browse)
    browse.set_defaults(func=_cmd_browse)

    history = sub.add_parser("history", help="list a source's versions",
                             description="List every version of a source: its number (v1, v2, ...), when first seen, origin, "
                                         "the kind of change, its alert and the capture it came from.")
    history.add_argument("name", help="source name")
    history.add_argument("--limit", type=int, metavar="N", help="only the latest N versions")
    history.add_argument("--json", action="store_true", help="print JSON instead of a table")
    _archive_arg(history)
    history.set_defaults(func=_cmd_history)

    show = sub.add_parser("show", help="print a version's text (the latest by default)",
                          description="Print the text of a version of a source: the latest, --version ID, or the "
                                      "one current at --at DATE (a date alone means the end of that day, UTC).")
    show.add_argument("name", help="source name")
    which = show.add_mutually_exclusive_group()
    which.add_argument("--version", type=_positive, metavar="N", help="version number, 3 or v3 (see `redline history`)")
    which.add_argument("--at", type=_moment, metavar="DATE",
                       help="the version current at DATE: 2021-06-30, 2021-06-30T14:00, 2021-06-30T14:00+08:00")
    show.add_argument("--header", action="store_true", help="print which version it is on stderr first")
    _archive_arg(show)
    show.set_defaults(func=_cmd_show)

    diff = sub.add_parser("diff", help="compare two versions of a source",
                          description="Compare version A (old) with version B (new) of a source. text: "
                                      "[-deleted-]{+inserted+} (coloured on a terminal); html: a fragment with "
                                      "<del>/<ins>; unified: a line diff.")
    diff.add_argument("name", help="source name")
    diff.add_argument("a", type=_positive, metavar="A", help="old version number (2 or v2)")
    diff.add_argument("b", type=_positive, metavar="B", help="new version number (3 or v3)")
    diff.add_argument("--format", choices=DIFF_FORMATS, default="text", help="output format (default: text)")
    diff.add_argument("--no-color", action="store_true", help="no colours, even on a terminal")
    _archive_arg(diff)
    diff.set_defaults(func=_cmd_diff)

    export = sub.add_parser("export", help="write a source's captures (WARC) or texts (zip) to a file",
                            description="Export a source's record: --warc (default) writes every capture into one "
                                        ".warc.gz; --text writes a .zip with one UTF-8 .txt per version and "
                                        "manifest.json.")
    export.add_argument("name", help="source name")
    kind = export.add_mutually_exclusive_group()
    kind.add_argument("--warc", action="store_true", help="every capture as one .warc.gz (default)")
    kind.add_argument("--text", action="store_true", help="every version's text in a .zip")
    export.add_argument("--out", metavar="PATH", help="file to write (default: ./NAME.warc.gz or ./NAME-texts.zip)")
    _archive_arg(export)
    export.add_argument("--force", action="store_true", help="replace the output file if it exists")
    export.set_defaults(func=_cmd_export)
