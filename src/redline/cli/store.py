"""`redline store copy`: an archive from one backend to another (folder <-> PostgreSQL + S3)."""
from __future__ import annotations

import argparse
from pathlib import Path

from redline.cli.common import console, err_console, require_index


def _cmd_copy(args: argparse.Namespace) -> int:
    from rich.table import Table

    from redline.core.config import Settings
    from redline.core.errors import ArchiveError
    from redline.store.copy import copy_archive

    root = Settings.resolve(archive=args.archive).archive
    require_index(root)
    to_db = args.to.startswith(("postgresql://", "postgres://"))
    if args.folder and not to_db:
        raise ArchiveError("--folder is the local folder of a PostgreSQL destination; with a folder in --to, "
                           "that folder is the destination")
    dest_root = Path(args.folder or root) if to_db else Path(args.to).expanduser()
    report = copy_archive(root, dest_root, dest_store=args.to if to_db else None, blobs=args.blobs,
                          progress=lambda line: err_console.print(line, highlight=False, markup=False))
    table = Table("what", "source", "destination", "equal", title=f"{report.source} -> {report.dest}")
    for name, (a, b) in report.tables.items():
        table.add_row(f"rows: {name}", str(a.count), str(b.count), "yes" if a == b else "NO")
    for prefix, (a, b) in report.blobs.items():
        table.add_row(f"blobs: {prefix}", f"{a.count} ({a.bytes:,} bytes)", f"{b.count} ({b.bytes:,} bytes)",
                      "yes" if a == b else "NO")
    console.print(table)
    if report.shared_blobs:
        console.print("blobs: the destination uses the source's blob store; none copied", highlight=False)
    if report.files:
        console.print(f"files: {', '.join(report.files)}", highlight=False, markup=False)
    assert report.verify is not None
    for problem in report.verify.errors:
        err_console.print(str(problem), style="red", highlight=False, markup=False, soft_wrap=True)
    console.print(f"verify {dest_root}: {report.verify.summary()}", highlight=False, markup=False)
    if report.differences:
        raise ArchiveError(f"the copy differs from its source ({', '.join(report.differences)}); do not use it; "
                           "run `redline verify` on both")
    if report.verify.errors:
        return 1
    if to_db:
        blobs = f" REDLINE_BLOBS={args.blobs}" if args.blobs and args.blobs.startswith("s3://") else ""
        console.print(f"use it with REDLINE_STORE=<the URL given>{blobs} --archive {dest_root}",
                      highlight=False, markup=False)
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("store", help="move an archive between backends (redline store copy)",
                       description="Commands on the archive's storage backend.")
    store = p.add_subparsers(dest="store_command", required=True, metavar="SUBCOMMAND")
    c = store.add_parser("copy", help="copy the archive losslessly to another backend",
                         description="Copy the archive (its backend as configured: REDLINE_STORE, REDLINE_BLOBS, "
                                     "redline.toml) to another backend: every row of every table with its id, "
                                     "every WARC and text blob, the alert logs. --to a postgresql:// URL puts the "
                                     "index in that database (its local folder: --folder, default the archive's "
                                     "own); --to a folder makes a folder archive there (index.sqlite). The blobs "
                                     "go to --blobs (s3://BUCKET/PREFIX or a folder), default the destination's "
                                     "folder. A destination that holds anything is refused. Prints rows and blobs "
                                     "of both sides, then verifies the destination; exits 1 on a difference.")
    c.add_argument("--to", required=True, metavar="DEST", help="a postgresql:// URL, or a new (empty) folder")
    c.add_argument("--blobs", metavar="BLOBS", help="where the destination's blobs go: s3://BUCKET/PREFIX or a "
                                                    "folder (default: the destination's folder)")
    c.add_argument("--folder", metavar="DIR", help="with --to postgresql://…: the destination's own folder (alert "
                                                   "logs, feeds, locks); default the archive's folder")
    c.add_argument("--archive", metavar="DIR", help="the archive to copy (default: $REDLINE_ARCHIVE or ./archive)")
    c.set_defaults(func=_cmd_copy)
