"""The checks alone: redline.monitor.check.check_batch in this process, without Prefect or the CLI.

    .venv/bin/python bench/bench_checks.py [--pages 1000] [--repeats 3] [--concurrency 2] [--profile]
                                           [--backend folder|shared|both] [--processes N]

Separates what a cycle costs per check from the fixed cost of a `redline run`
(interpreter, imports, Prefect): a cold cycle first, then `--repeats` unchanged
cycles with 304s and `--repeats` with identical 200s (the server's conditional
answers switched off), each timed around check_batch only. Prints the median
wall time per cycle and per check, and the archive bytes each unchanged check
added (apparent: files plus the index's growth). `--profile` runs one more
unchanged-304 cycle under cProfile and prints the top functions by own time.

`--processes N`: the batch shared with N check processes forked at the start, as a run of
`redline serve` shares a host's batch (redline.monitor.cycle.shared_check; 0, the default:
check_batch in this process alone, as a one-shot `redline run`).

`--backend`: folder (the default: SQLite index.sqlite and the folder's files), shared
(PostgreSQL 15 + SeaweedFS S3, started here by bench/shared_backend.py, fsync on: what
REDLINE_STORE=postgresql://... REDLINE_BLOBS=s3://... runs on) or both, one after the other on
the same site, with a table comparing them. On the shared backend the growth is the
database's (pg_database_size), its rows (count(*) of every table), the WAL PostgreSQL wrote
(pg_current_wal_lsn; the server is this bench's own) and the S3 objects added.
"""
from __future__ import annotations

import argparse
import cProfile
import io
import os
from collections.abc import Callable
from contextlib import ExitStack
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
from shared_backend import SharedBackend, shared_backend  # noqa: E402

from redline.alerts.channels import make_sinks  # noqa: E402
from redline.store.sqlite import Archive  # noqa: E402
from redline.core.config import FetchSettings, Settings  # noqa: E402
from redline.monitor.cycle import shared_check  # noqa: E402
from redline.monitor.workers import CheckWorkers  # noqa: E402
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


Growth = Callable[[], dict[str, float]]


def folder_growth(root: Path) -> Growth:
    def measure() -> dict[str, float]:
        archive_bytes(root)   # checkpoints the write-ahead log
        apparent, _, files = folder_bytes(root)
        return {"bytes": apparent, "files": files}
    return measure


def shared_growth(backend: SharedBackend, archive: Archive) -> Growth:
    import psycopg

    def measure() -> dict[str, float]:
        with psycopg.connect(backend.store, autocommit=True) as conn:
            tables = [r[0] for r in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")]
            rows = sum(conn.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables)
            wal = conn.execute("SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')").fetchone()[0]
        return {"bytes": backend.database_bytes(), "rows": int(rows), "wal": float(wal),
                "objects": len(archive.blobs.list(""))}
    return measure


def delta(after: dict[str, float], before: dict[str, float], n: int) -> dict[str, float]:
    """Per-check growth between two measurements."""
    return {k: (after[k] - before[k]) / n for k in after}


Check = Callable[[str], list]   # run id -> the outcomes of one cycle of every source


def batch_check(archive: Archive, sources: list, fetcher) -> Check:
    return lambda run_id: check_batch(sources, archive=archive, fetcher=fetcher, run_id=run_id)


def shared_with(pool: CheckWorkers, settings: Settings, archive: Archive, sources: list, fetcher) -> Check:
    sinks = make_sinks(archive, settings)
    return lambda run_id: shared_check(pool, settings, archive, sources, fetcher=fetcher, sinks=sinks, run_id=run_id)


def run_cycles(label: str, check: Check, archive: Archive, n: int, site: Site, repeats: int,
               measure: Growth) -> list[tuple[str, float, float, dict[str, float]]]:
    """A cold cycle, the first search, `repeats` unchanged-304 and unchanged-200 cycles: rows of
    (cycle, median wall s, ms per check, median growth per check)."""

    def cycle(name: str) -> float:
        started = time.perf_counter()
        outcomes = check(f"{label}-{name}")
        wall = time.perf_counter() - started
        errors = [o.error for o in outcomes if o.error]
        if errors:
            log(f"{label} {name}: {len(errors)} errors, e.g. {errors[0]}")
        return wall

    site.control("config", conditional=1)
    before = measure()
    cold = cycle("cold")
    after = measure()
    log(f"{label} cold: {cold:.2f} s, {1000 * cold / n:.2f} ms a page")
    rows = [("cold", cold, 1000 * cold / n, delta(after, before, n))]
    started = time.perf_counter()
    archive.search_lines("cyberspace")   # indexes the trigrams of the cold cycle's lines first
    searched = time.perf_counter() - started
    before, after = after, measure()
    rows.append(("first search after it", searched, 1000 * searched / n, delta(after, before, n)))
    for conditional in (1, 0):
        site.control("config", conditional=conditional)
        walls, grown = [], []
        for rep in range(repeats):
            before = measure()
            walls.append(cycle(f"c{conditional}-{rep}"))
            grown.append(delta(measure(), before, n))
        wall = statistics.median(walls)
        rows.append((("unchanged-304" if conditional else "unchanged-200"), wall, 1000 * wall / n,
                     {k: statistics.median(g[k] for g in grown) for k in grown[0]}))
    return rows


def ratio_rows(folder: list, shared: list) -> list[str]:
    """The comparison table: per check on each backend and shared / folder."""
    out = ["| cycle | folder (SQLite + folder) | shared (PostgreSQL + S3) | shared ÷ folder |", "|---|---:|---:|---:|"]
    for (label, _, per_f, _), (_, _, per_s, _) in zip(folder, shared):
        out.append(f"| {label} | {per_f:.2f} ms | {per_s:.2f} ms | {per_s / per_f:.2f}× |")
    return out


def growth_cells(grown: dict[str, float]) -> str:
    if "rows" not in grown:
        return f"{grown['bytes']:,.0f} B | {grown['files']:.3f} files"
    return (f"{grown['bytes']:,.0f} B in the database | {grown['rows']:.2f} rows, {grown['wal']:,.0f} B of WAL, "
            f"{grown['objects']:.3f} S3 objects")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=2)
    parser.add_argument("--backend", choices=("folder", "shared", "both"), default="folder")
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--processes", type=int, default=0, help="check processes sharing the batch (as served runs)")
    parser.add_argument("--profile-cold", action="store_true", help="run the cold cycle under cProfile")
    parser.add_argument("--no-fsync", action="store_true", help="to apportion the cost of durability only: no fsync "
                        "of the files, SQLite's synchronous=OFF (never how redline runs)")
    args = parser.parse_args(argv)
    if args.processes and args.backend != "folder":   # the processes fork first, with this environment
        parser.error("--processes works with --backend folder only")
    pool = CheckWorkers(args.processes) if args.processes else None   # forked before any thread
    work = Path(tempfile.mkdtemp(prefix="redline-checks-"))
    site = Site(args.pages, work, 0.0)
    results: dict[str, list] = {}
    load = [os.getloadavg()[0]]
    try:
        sources_file = work / "sources.toml"
        bench_site.write_registry(sources_file, site.base, args.pages)
        registry = load_registry(sources_file)
        settings = FetchSettings.from_env({"REDLINE_HOST_DELAY": "0", "REDLINE_ALLOW_PRIVATE": "loopback",
                                           "REDLINE_HOST_CONCURRENCY": str(args.concurrency)})
        if args.no_fsync:
            os.fsync = lambda fd: None
        backends = ("folder", "shared") if args.backend == "both" else (args.backend,)
        for backend in backends:
            with ExitStack() as stack:
                root = work / f"archive-{backend}"
                if backend == "shared":
                    shared = stack.enter_context(shared_backend(work))
                    archive = stack.enter_context(Archive(root, store=shared.store, blobs=shared.blobs))
                    measure = shared_growth(shared, archive)
                else:
                    archive = stack.enter_context(Archive(root, durable=not args.no_fsync, store="", blobs=""))
                    measure = folder_growth(root)
                fetcher = stack.enter_context(make_fetcher(settings))
                prepare_archive(archive, registry)
                sources = registry.statements()
                if args.profile_cold:
                    prof = cProfile.Profile()
                    prof.enable()
                    check_batch(sources, archive=archive, fetcher=fetcher, run_id="profiled-cold")
                    prof.disable()
                    print_profile(prof)
                    continue
                if pool is None:
                    check = batch_check(archive, sources, fetcher)
                else:
                    check = shared_with(pool, Settings(archive=root, sources=sources_file, config_file=None,
                                                  fetch=settings), archive, sources, fetcher)
                results[backend] = run_cycles(backend, check, archive, len(sources), site, args.repeats, measure)
                load.append(os.getloadavg()[0])
                if args.profile:
                    site.control("config", conditional=1)
                    prof = cProfile.Profile()
                    prof.enable()
                    check_batch(sources, archive=archive, fetcher=fetcher, run_id="profiled")
                    prof.disable()
                    print_profile(prof)
    finally:
        site.stop()
        shutil.rmtree(work, ignore_errors=True)
    if pool is not None:
        pool.close()
    print(f"{args.pages} pages on one loopback host, REDLINE_HOST_CONCURRENCY={args.concurrency}, "
          f"REDLINE_HOST_DELAY=0, {args.processes} check processes, median of {args.repeats}; "
          f"1-minute load average {min(load):.1f} to "
          f"{max(load):.1f} on {os.cpu_count()} cores\n")
    for backend, rows in results.items():
        if len(results) > 1:
            print(f"**{backend}** ({'SQLite + folder' if backend == 'folder' else 'PostgreSQL 15 + SeaweedFS S3'})\n")
        print("| cycle | wall | per check | growth per check | |")
        print("|---|---:|---:|---:|---|")
        for label, wall, per, grown in rows:
            print(f"| {label} | {wall:.2f} s | {per:.2f} ms | {growth_cells(grown)} |")
        print()
    if len(results) == 2:
        print("\n".join(ratio_rows(results["folder"], results["shared"])))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
