"""`redline verify`: check the whole archive; name each problem; exit 1 when there is an error."""
from __future__ import annotations

import argparse

from redline.cli.common import add_location_args, console, err_console, require_index, resolve_settings
from redline.core.config import Settings


def _cmd_verify(args: argparse.Namespace) -> int:
    from redline.store.verify import verify_archive

    root = Settings.resolve(archive=args.archive).archive
    require_index(root)  # archive/ holds only its README until the first run
    report = verify_archive(root)
    for problem in report.problems:
        if problem.severity == "error" or not args.quiet:
            err_console.print(str(problem), style="red" if problem.severity == "error" else "yellow",
                              highlight=False, markup=False, soft_wrap=True)
    console.print(f"{root}: {report.summary()}", highlight=False, soft_wrap=True)
    if report.errors or (args.strict and report.warnings):
        return 1
    return 0


def _cmd_rebuild_index(args: argparse.Namespace) -> int:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from redline.monitor.rebuild import rebuild_index
    from redline.registry.load import load_registry

    settings = resolve_settings(args)
    registry = load_registry(settings.sources) if settings.sources.is_file() else None
    if registry is None:
        err_console.print(f"note: no sources file at {settings.sources}; sources come from the WARC files only "
                          "(pass --sources FILE for their titles, profiles and baselines)", highlight=False)
    with Progress(TextColumn("replaying captures"), BarColumn(), MofNCompleteColumn(), console=err_console,
                  transient=True, disable=not err_console.is_terminal) as bar:
        task = bar.add_task("replay", total=None)
        report = rebuild_index(settings.archive, registry, force=args.force,
                               progress=lambda done, total: bar.update(task, completed=done, total=total))
    for line in report.unreadable + report.skipped:
        err_console.print(f"warning: {line}", style="yellow", highlight=False, markup=False)
    console.print(report.summary(), highlight=False, markup=False)
    console.print("check it with `redline verify"
                  + (f" --archive {args.archive}`" if args.archive else "`"), highlight=False, markup=False)
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

    p = sub.add_parser("rebuild-index", help="rebuild a lost or damaged index from the WARC files and alert logs",
                       description="Rebuild index.sqlite from the archive's WARC files (the record of truth: every "
                                   "capture, raw, with its metadata) and its alert logs: captures, versions, changes "
                                   "and the sources' states are replayed through the same check a run makes, alerts "
                                   "come back under their own ids, marked delivered. A damaged or replaced index is "
                                   "kept as index.sqlite.old-TIME. With the index on PostgreSQL (REDLINE_STORE) the "
                                   "shared index is rebuilt in place from the blob store, with no other redline "
                                   "connected (stop the workers first; refused in one line otherwise). Not rebuilt: "
                                   "checks that got no response, operator health, discovery's list of listing items.")
    add_location_args(p)
    p.add_argument("--force", action="store_true", help="rebuild even when the current index reads fine")
    p.set_defaults(func=_cmd_rebuild_index)
