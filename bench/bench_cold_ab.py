"""A/B of the cold checks in process: check_batch on 1,000 new pages, then the trigram index.

    .venv/bin/python bench/bench_cold_ab.py [--repeats 2] [--pages 1000] base=/tmp/old/src after=src[:WORKERS]

Each LABEL=SRC[:WORKERS] runs in a child process with SRC first on PYTHONPATH (WORKERS: check_batch's
threads, default the per-host concurrency, 2); the variants alternate order per repeat on one site
(bench/site.py). Per run: a new archive, check_batch of every page (all new), then
Archive.index_search() as the end of a run (monitor.cycle.finish_cycle) calls it; wall and CPU
(getrusage of the child, every thread) of each. CPU is what survives a loaded machine.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def child(sources: Path, workers: int | None) -> None:
    from redline.core.config import FetchSettings
    from redline.ingest.fetch import make_fetcher
    from redline.monitor.check import check_batch
    from redline.monitor.select import prepare_archive
    from redline.registry.load import load_registry
    from redline.store.sqlite import Archive

    def cpu() -> float:
        r = resource.getrusage(resource.RUSAGE_SELF)
        return r.ru_utime + r.ru_stime

    registry = load_registry(sources)
    work = Path(tempfile.mkdtemp(prefix="redline-cold-ab-"))
    settings = FetchSettings.from_env({"REDLINE_HOST_DELAY": "0", "REDLINE_ALLOW_PRIVATE": "loopback",
                                       "REDLINE_HOST_CONCURRENCY": "2"})
    try:
        with Archive(work / "archive") as archive, make_fetcher(settings) as fetcher:
            prepare_archive(archive, registry)
            c0, t0 = cpu(), time.perf_counter()
            out = check_batch(registry.statements(), archive=archive, fetcher=fetcher, run_id="ab", workers=workers)
            c1, t1 = cpu(), time.perf_counter()
            archive.index_search()
            c2, t2 = cpu(), time.perf_counter()
        print(json.dumps({"checks_wall": t1 - t0, "checks_cpu": c1 - c0, "index_wall": t2 - t1, "index_cpu": c2 - c1,
                          "errors": sum(bool(o.error) for o in out)}))
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--pages", type=int, default=1000)
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    parser.add_argument("variants", nargs="*")
    args = parser.parse_args(argv)
    if args.child:
        child(Path(args.child[0]), int(args.child[1]) or None)
        return 0
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from bench_cycle import Site, bench_site, log

    variants = dict(v.split("=", 1) for v in args.variants)
    work = Path(tempfile.mkdtemp(prefix="redline-cold-abp-"))
    site = Site(args.pages, work, 0.0)
    rows: dict[str, list[dict]] = {name: [] for name in variants}
    try:
        bench_site.write_registry(work / "sources.toml", site.base, args.pages)
        for rep in range(args.repeats):
            for name in (list(variants) if rep % 2 == 0 else list(variants)[::-1]):
                src, _, workers = variants[name].partition(":")
                run = subprocess.run([sys.executable, __file__, "--child", str(work / "sources.toml"), workers or "0"],
                                     env={**os.environ, "PYTHONPATH": str(Path(src).resolve())},
                                     capture_output=True, text=True)
                if run.returncode:
                    raise SystemExit(f"{name}: {run.stderr[-1500:]}")
                rows[name].append(json.loads(run.stdout.strip().splitlines()[-1]))
                log(f"{name} (repeat {rep + 1}, load {os.getloadavg()[0]:.1f}): " +
                    ", ".join(f"{k} {v:.2f}" for k, v in rows[name][-1].items() if k != "errors"))
    finally:
        site.stop()
        shutil.rmtree(work, ignore_errors=True)
    print(f"\n{args.pages} new pages, 2 threads, median of {args.repeats}\n")
    print("| variant | check_batch wall | check_batch CPU | index_search wall | index_search CPU |")
    print("|---|---:|---:|---:|---:|")
    for name, runs in rows.items():
        med = {k: statistics.median(r[k] for r in runs) for k in ("checks_wall", "checks_cpu", "index_wall", "index_cpu")}
        print(f"| {name} | {med['checks_wall']:.1f} s | {med['checks_cpu']:.1f} s | {med['index_wall']:.1f} s | "
              f"{med['index_cpu']:.1f} s |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
