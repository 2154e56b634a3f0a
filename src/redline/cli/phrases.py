"""`redline phrases`: watched formulations across the record, per phrase and source: first and last
version holding it, and the version that dropped it."""
from __future__ import annotations

import argparse
import json

from redline.cli.archive import open_archive
from redline.cli.common import add_json_arg, console, resolve_settings
from redline.core.table import Column, Grid, print_grid

PHRASE_COLUMNS = (Column("phrase", priority=0, flex=True, min=16), Column("source", priority=0, flex=True, min=16),
                  Column("first", priority=0), Column("last", priority=1), Column("dropped in", priority=0),
                  Column("as written", priority=2, flex=True))


def seen(seq: int | None, moment: str | None) -> str:
    """"v3 2026-12-07" ("" for no version)."""
    return "" if seq is None else f"v{seq} {(moment or '')[:10]}".strip()


def _cmd_phrases(args: argparse.Namespace) -> int:
    from redline.registry.watch import load_watch
    from redline.store.readphrases import phrase_report

    watch = load_watch(resolve_settings(args), given=args.watch)
    with open_archive(args.archive) as archive:
        if args.source:
            archive.source_row(args.source)        # an unknown name: one line
        reports = phrase_report(archive, watch, phrase=args.phrase, source=args.source)
    if args.json:
        print(json.dumps([r.record() for r in reports], ensure_ascii=False, indent=2))
        return 0
    table = Grid(f"redline phrases: {len(reports)} phrase{'s' * (len(reports) != 1)}", PHRASE_COLUMNS)
    for r in reports:
        if not r.spans:
            table.add(r.phrase, "-", "never", "", "", "", style="dim", value=r.record())
        for s in r.spans:
            table.add(r.phrase, s.source, seen(s.first_seq, s.first_seen), seen(s.last_seq, s.last_seen),
                      "stands" if s.stands else seen(s.dropped_seq, s.dropped_seen), s.text,
                      style=None if s.stands else "yellow", value={"phrase": r.phrase, **s.record()})
    print_grid(console, table)
    if not reports:
        console.print("the watch list is empty: add [[watch]] entries to redline.toml or a watch.toml beside "
                      "the sources file (see the README), or name a phrase", highlight=False)
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("phrases", help="watched formulations: per source, first and last version holding each, "
                                       "and the version that dropped it",
                       description="For each watched formulation (the watch list: [[watch]] in redline.toml, else "
                                   "watch.toml beside the sources file, else seeds/watch.toml), or for PHRASE, every "
                                   "source whose versions held it, the first and last version (and date) that did, "
                                   "and the version that dropped it ('stands' when the latest still holds it).")
    p.add_argument("phrase", nargs="?", help="one phrase: a watched one (or one of its variants), or any other")
    p.add_argument("--source", metavar="NAME", help="only this source")
    p.add_argument("--watch", metavar="FILE", help="read the watch list from FILE ([[watch]] tables)")
    p.add_argument("--archive", metavar="DIR", help="archive folder (default: $REDLINE_ARCHIVE or ./archive)")
    p.add_argument("--sources", metavar="FILE", help="sources file (its folder's watch.toml is the default list)")
    add_json_arg(p)
    p.set_defaults(func=_cmd_phrases)
