"""`redline verify`: check the whole archive; name each problem; exit 1 when there is an error."""
from __future__ import annotations

import argparse

from redline.cli.common import console, err_console
from redline.core.config import Settings
from redline.core.errors import ArchiveError


def _cmd_verify(args: argparse.Namespace) -> int:
    from redline.store.verify import verify_archive

    root = Settings.resolve(archive=args.archive).archive
    if not (root / "index.sqlite").is_file():  # archive/ holds only its README until the first run
        raise ArchiveError(f"no archive at {root} (no index.sqlite); pass --archive DIR or set REDLINE_ARCHIVE")
    report = verify_archive(root)
    for problem in report.problems:
        if problem.severity == "error" or not args.quiet:
            err_console.print(str(problem), style="red" if problem.severity == "error" else "yellow",
                              highlight=False, markup=False, soft_wrap=True)
    console.print(f"{root}: {report.summary()}", highlight=False, soft_wrap=True)
    if report.errors or (args.strict and report.warnings):
        return 1
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("verify", help="check the whole archive: texts, WARC digests, index against files",
                       description="Check every text blob against its sha256, every WARC record's digests, "
                                   "every index row against the files it names, the alert logs against the "
                                   "deliveries, and SQLite's own integrity. Prints one line per problem; exits "
                                   "1 when there is an error. Warnings (files left by an interrupted check) do "
                                   "not fail unless --strict.")
    p.add_argument("--archive", metavar="DIR", help="archive folder (default: $REDLINE_ARCHIVE or ./archive)")
    p.add_argument("--strict", action="store_true", help="exit 1 on warnings too")
    p.add_argument("--quiet", action="store_true", help="print errors only (and the summary)")
    p.set_defaults(func=_cmd_verify)
