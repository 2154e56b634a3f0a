"""`redline search`: every archived version's text, English and Chinese, with the versions each hit stood in."""
from __future__ import annotations

import argparse
import json

from redline.cli.archive import _moment, open_archive
from redline.cli.common import add_json_arg, console
from redline.core.table import Column, Grid, print_grid

SEARCH_COLUMNS = (Column("source", priority=0), Column("versions", priority=0), Column("first seen", priority=1),
                  Column("until", priority=0), Column("text", priority=0, flex=True, min=24))


def _day(iso: str | None) -> str:
    return (iso or "")[:10]


def _cmd_search(args: argparse.Namespace) -> int:
    from redline.store.readsearch import search

    since = args.since.isoformat() if args.since else None
    with open_archive(args.archive) as archive:
        hits = search(archive, args.query, source=args.source, since=since, limit=args.limit)
    if args.json:
        print(json.dumps([h.record() for h in hits], ensure_ascii=False, indent=2))
        return 0
    table = Grid(f"redline search {args.query!r}: {len(hits)} hit{'s' * (len(hits) != 1)}", SEARCH_COLUMNS)
    for h in hits:
        span = f"v{h.first_seq}" if h.first_seq == h.last_seq else f"v{h.first_seq}-v{h.last_seq}"
        until = "stands" if h.stands else f"ended v{h.ended_seq} {_day(h.ended_seen)}"
        table.add(h.source, span, _day(h.first_seen), until, f"{h.before}«{h.match}»{h.after}",
                  style=None if h.stands else "dim", value=h.record())
    print_grid(console, table)
    if not hits:
        console.print("no archived version holds it (the search is case-insensitive and matches within a paragraph)",
                      highlight=False)
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("search", help="search every archived version's text (English and Chinese)",
                       description="Find QUERY (case-insensitive, as written, within one paragraph; Chinese needs "
                                   "no spaces) in every version of every source. Each hit is a paragraph with the "
                                   "versions it stood in: first seen, and whether it stands in the latest version "
                                   "or ended (the version that dropped it, and when).")
    p.add_argument("query", help="the words or phrase to find")
    p.add_argument("--source", metavar="NAME", help="only this source")
    p.add_argument("--since", type=_moment, metavar="DATE", help="only hits that still stood at or after DATE")
    p.add_argument("--limit", type=int, default=200, metavar="N", help="at most N hits (default: 200)")
    p.add_argument("--archive", metavar="DIR", help="archive folder (default: $REDLINE_ARCHIVE or ./archive)")
    add_json_arg(p)
    p.set_defaults(func=_cmd_search)
