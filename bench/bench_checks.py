"""The checks alone: redline.monitor.check.check_batch in this process, without Prefect or the CLI.

    .venv/bin/python bench/bench_checks.py [--pages 1000] [--repeats 3] [--concurrency 2] [--profile]

Separates what a cycle costs per check from the fixed cost of a `redline run`
(interpreter, imports, Prefect): a cold cycle first, then `--repeats` unchanged
cycles with 304s and `--repeats` with identical 200s (the server's conditional
answers switched off), each timed around check_batch only. Prints the median
wall time per cycle and per check, and the archive bytes each unchanged check
added (apparent: files plus the index's growth). `--profile` runs one more
unchanged-304 cycle under cProfile and prints the top functions by own time.
"""
from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_cycle import Site, bench_site, folder_bytes, log  # noqa: E402

from redline.store.sqlite import Archive  # noqa: E402
from redline.core.config import FetchSettings  # noqa: E402
from redline.monitor.check import check_batch  # noqa: E402
from redline.monitor.select import prepare_archive  # noqa: E402
from redline.ingest.fetch import make_fetcher  # noqa: E402
from redline.registry.load import load_registry  # noqa: E402


def archive_bytes(root: Path) -> int:
    """Apparent bytes under root, with the index's write-ahead log checkpointed into it first."""
    with sqlite3.connect(root / "index.sqlite") as db:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return folder_bytes(root)[0]


def print_profile(prof: cProfile.Profile) -> None:
    out = io.StringIO()
    stats = pstats.Stats(prof, stream=out)
    stats.sort_stats("tottime").print_stats(30)
    stats.sort_stats("cumulative").print_stats(40)
    print(out.getvalue())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=2)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--profile-cold", action="store_true", help="run the cold cycle under cProfile")
    parser.add_argument("--no-fsync", action="store_true", help="to apportion the cost of durability only: no fsync "
                        "of the files, SQLite's synchronous=OFF (never how redline runs)")
    args = parser.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="redline-checks-"))
    site = Site(args.pages, work, 0.0)
    try:
        sources_file = work / "sources.toml"
        bench_site.write_registry(sources_file, site.base, args.pages)
        registry = load_registry(sources_file)
        settings = FetchSettings.from_env({"REDLINE_HOST_DELAY": "0", "REDLINE_ALLOW_PRIVATE": "loopback",
                                           "REDLINE_HOST_CONCURRENCY": str(args.concurrency)})
        if args.no_fsync:
            os.fsync = lambda fd: None
        with Archive(work / "archive", durable=not args.no_fsync) as archive, make_fetcher(settings) as fetcher:
            prepare_archive(archive, registry)
            sources = registry.statements()

            def cycle(label: str) -> float:
                started = time.perf_counter()
                outcomes = check_batch(sources, archive=archive, fetcher=fetcher, run_id=label)
                wall = time.perf_counter() - started
                errors = [o.error for o in outcomes if o.error]
                if errors:
                    log(f"{label}: {len(errors)} errors, e.g. {errors[0]}")
                return wall

            if args.profile_cold:
                prof = cProfile.Profile()
                prof.enable()
            cold = cycle("cold")
            log(f"cold: {cold:.2f} s, {1000 * cold / len(sources):.2f} ms a page")
            if args.profile_cold:
                prof.disable()
                print_profile(prof)
            rows = [("cold", cold, 1000 * cold / len(sources), archive_bytes(archive.root) / len(sources))]
            started = time.perf_counter()
            archive.search_lines("cyberspace")   # indexes the trigrams of the cold cycle's lines first
            searched = time.perf_counter() - started
            rows.append(("first search after it", searched, 1000 * searched / len(sources),
                         archive_bytes(archive.root) / len(sources) - rows[0][3]))
            for conditional in (1, 0):
                site.control("config", conditional=conditional)
                walls, grown = [], []
                for rep in range(args.repeats):
                    before = archive_bytes(archive.root)
                    walls.append(cycle(f"c{conditional}-{rep}"))
                    grown.append((archive_bytes(archive.root) - before) / len(sources))
                wall = statistics.median(walls)
                rows.append((("unchanged-304" if conditional else "unchanged-200"), wall,
                             1000 * wall / len(sources), statistics.median(grown)))
            if args.profile:
                site.control("config", conditional=1)
                prof = cProfile.Profile()
                prof.enable()
                cycle("profiled")
                prof.disable()
                print_profile(prof)
    finally:
        site.stop()
        shutil.rmtree(work, ignore_errors=True)
    print(f"{args.pages} pages, REDLINE_HOST_CONCURRENCY={args.concurrency}, median of {args.repeats}\n")
    print("| cycle | wall | per check | archive bytes per check |")
    print("|---|---:|---:|---:|")
    for label, wall, per, grown in rows:
        print(f"| {label} | {wall:.2f} s | {per:.2f} ms | {grown:,.0f} B |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
