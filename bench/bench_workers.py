"""One worker against two on the shared backend: N sources on several loopback hosts, checked by one
process, then by two processes that each check half the hosts, against one PostgreSQL 15 index
and one SeaweedFS S3 bucket (bench/shared_backend.py, fsync on).

    .venv/bin/python bench/bench_workers.py [--sources 10000] [--hosts 8] [--delay 0.02]
                                            [--concurrency 2] [--threads 4] [--repeats 3]

Each worker is a process of its own running redline.monitor.cycle.run_cycle, the function the
`monitor` flow calls on a Prefect worker, with the hosts' batches on `--threads` threads as the
flow's ThreadPoolTaskRunner(max_workers=4) runs its check-host tasks; it has its own archive
folder (no shared filesystem) and selects its share by tag (shard-0, shard-1: every other host),
as a deployment per shard with `parameters: {tags: [shard-0]}` would. Prefect itself (server,
workers, task runs) is left out: its cost per run is fixed (bench_fixed.py, bench_served.py),
and starting a server on PostgreSQL and two workers takes longer than the checks measured here.

A cold cycle (every page new: a version each) by two workers on a fresh database and S3 prefix
(`--cold-both`: one by a single worker first, on a database of its own), then `--repeats` pairs of
unchanged cycles (304s) on that archive, one worker then two. A cycle's time is from the first
worker's start of run_cycle to the last one's end (prepare, checks, delivery, feeds, the search
index: the whole run); pages/s = N / that time; ÷ one worker compares pages/s. CPU per page: the
workers' own (process_time), PostgreSQL's (the postmaster and its ended backends) and
SeaweedFS's, from /proc, over the cycle.
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
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_cycle import PROJECT, Site, bench_site, log  # noqa: E402
from shared_backend import shared_backend  # noqa: E402


def threaded_hosts(threads: int):
    """A run_hosts for run_cycle: each host's batch on a pool of `threads` (the flow's task runner)."""
    def run(groups, check):
        with ThreadPoolExecutor(max_workers=threads, thread_name_prefix="bench-host") as pool:
            futures = [pool.submit(check, sources) for sources in groups.values()]
            return [o for f in futures for o in f.result()]
    return run


def worker(archive: str, sources: str, tag: str, threads: int) -> int:
    """One worker's cycle (run in a child process): prints {start, end, checked, errors} as JSON."""
    from redline.core.config import Settings
    from redline.monitor.cycle import run_cycle

    settings = Settings.resolve(archive=archive, sources=sources)
    start, cpu = time.time(), time.process_time()
    report = run_cycle(settings, tags=[tag], run_hosts=threaded_hosts(threads))
    end, cpu = time.time(), time.process_time() - cpu
    errors = [o.error for o in report.outcomes if o.error]
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"start": start, "end": end, "cpu": cpu, "rss_mb": rss_mb, "checked": len(report.outcomes),
                      "errors": len(errors), "error": errors[0] if errors else None}))
    return 0


def cycle_span(results: list[dict]) -> tuple[float, int, int]:
    """(seconds from the first start to the last end, pages checked, errors) of one cycle's workers."""
    span = max(r["end"] for r in results) - min(r["start"] for r in results)
    return span, sum(r["checked"] for r in results), sum(r["errors"] for r in results)


def cpu_seconds(pid: int) -> float:
    """CPU time of a process and of its children that have ended (/proc/PID/stat: utime, stime,
    cutime, cstime): PostgreSQL's postmaster counts the backends of closed connections."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return sum(int(f) for f in fields[11:15]) / os.sysconf("SC_CLK_TCK")


def run_workers(count: int, work: Path, sources: Path, env: dict[str, str], threads: int, label: str) -> list[dict]:
    tags = ["bench"] if count == 1 else [f"shard-{k}" for k in range(count)]
    procs = []
    for k, tag in enumerate(tags):
        folder = work / f"workers-{count}" / f"w{k}"
        folder.mkdir(parents=True, exist_ok=True)
        procs.append(subprocess.Popen([sys.executable, __file__, "--worker", str(folder / "archive"), str(sources),
                                       tag, str(threads)], cwd=folder, env=env, stdout=subprocess.PIPE,
                                      stderr=open(folder / f"{label}.log", "wb"), text=True))
    results = []
    for p in procs:
        out, _ = p.communicate(timeout=3600)
        if p.returncode != 0:
            raise SystemExit(f"a worker failed ({p.returncode}); see {work}/workers-{count}/*/{label}.log")
        results.append(json.loads(out.strip().splitlines()[-1]))
    return results


def main(argv: list[str] | None = None) -> int:
    if argv is None and len(sys.argv) > 1 and sys.argv[1] == "--worker":
        return worker(sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]))
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sources", type=int, default=10_000)
    ap.add_argument("--hosts", type=int, default=8)
    ap.add_argument("--delay", type=float, default=0.05, help="REDLINE_HOST_DELAY")
    ap.add_argument("--concurrency", type=int, default=2, help="REDLINE_HOST_CONCURRENCY")
    ap.add_argument("--threads", type=int, default=4, help="hosts checked at once in a worker")
    ap.add_argument("--repeats", type=int, default=3, help="unchanged cycles per worker count")
    ap.add_argument("--cold-both", action="store_true", help="a cold cycle with one worker too (fresh database)")
    args = ap.parse_args(argv)
    per_host = args.sources // args.hosts
    n = per_host * args.hosts
    work = Path(tempfile.mkdtemp(prefix="redline-workers-"))
    sites: list[Site] = []
    rows: dict[tuple[str, int], list[dict[str, float]]] = {}
    load = [os.getloadavg()[0]]
    try:
        sites = [Site(per_host, work, 0.0, bind=f"127.0.0.{k + 1}") for k in range(args.hosts)]
        sources = work / "sources.toml"
        sources.write_text(bench_site.registry_text([(s.base, per_host) for s in sites], shards=2), encoding="utf-8")
        with shared_backend(work) as backend:
            pids = backend.server_pids()
            env = {**os.environ, "REDLINE_HOST_DELAY": str(args.delay), "PYTHONPATH": str(PROJECT / "bench"),
                   "REDLINE_HOST_CONCURRENCY": str(args.concurrency), "REDLINE_ALLOW_PRIVATE": "loopback"}

            def cycle(count: int, label: str) -> None:
                env.update(REDLINE_STORE=backend.store, REDLINE_BLOBS=backend.blobs)
                servers = {k: cpu_seconds(pid) for k, pid in pids.items()}
                results = run_workers(count, work, sources, env, args.threads, label)
                span, checked, errors = cycle_span(results)
                if checked != n or errors:
                    raise SystemExit(f"{count} worker(s), {label}: {checked} of {n} pages checked, {errors} errors: "
                                     f"{next((r['error'] for r in results if r['error']), '')}")
                log(f"{count} worker(s), {label}: {span:.1f} s, {n / span:.0f} pages/s")
                rows.setdefault((label, count), []).append(
                    {"wall": span, "worker_cpu": sum(r["cpu"] for r in results),
                     "rss_mb": max(r["rss_mb"] for r in results),
                     **{k: cpu_seconds(pid) - servers[k] for k, pid in pids.items()}})
                load.append(os.getloadavg()[0])

            for count in ((1, 2) if args.cold_both else (2,)):
                cycle(count, "cold")         # each on a fresh database and prefix; the last one stays
                if count == 1:
                    backend.fresh()
            for _ in range(args.repeats):    # one worker then two, on the same (unchanged) archive
                for count in (1, 2):
                    cycle(count, "unchanged-304")
    finally:
        for s in sites:
            s.stop()
        shutil.rmtree(work, ignore_errors=True)
    print(report(rows, n=n, args=args, load=load))
    return 0


def report(rows: dict[tuple[str, int], list[dict[str, float]]], *, n: int, args: argparse.Namespace,
           load: list[float]) -> str:
    """The markdown table of the runs: per cycle and worker count, the median wall time, pages/s,
    CPU per page (the workers, PostgreSQL, SeaweedFS), and two ÷ one."""
    out = [f"{n:,} sources on {args.hosts} loopback hosts (127.0.0.1-{args.hosts}), REDLINE_HOST_DELAY={args.delay:g} s, "
           f"REDLINE_HOST_CONCURRENCY={args.concurrency}, {args.threads} hosts at once per worker; PostgreSQL 15 + "
           f"SeaweedFS S3 (fsync on); unchanged cycles: median of {args.repeats}, one worker and two alternating. "
           f"1-minute load average during the run: {min(load):.1f} to {max(load):.1f} on {os.cpu_count()} cores.", "",
           "| cycle | workers | wall | pages/s | two ÷ one (pages/s) | politeness bound | CPU per page: workers "
           "| PostgreSQL | SeaweedFS | peak RSS of a worker |", "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for (label, count), runs in sorted(rows.items(), key=lambda kv: (kv[0][0] != "cold", kv[0][1])):
        m = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
        bound = bound_pages_per_second(args.hosts, args.delay, args.threads, count)
        ms = {k: 1000 * m[k] / n for k in ("worker_cpu", "postgresql", "seaweedfs")}
        out.append(f"| {label} | {count} | {m['wall']:.1f} s | {n / m['wall']:.0f} | {speedup(rows, label, count)} "
                   f"| {bound:.0f} pages/s | {ms['worker_cpu']:.2f} ms | {ms['postgresql']:.2f} ms "
                   f"| {ms['seaweedfs']:.2f} ms | {m['rss_mb']:.0f} MB |")
    return "\n".join(out)


def speedup(rows: dict[tuple[str, int], list[dict[str, float]]], label: str, count: int) -> str:
    """Median over the pairs of wall(one worker) ÷ wall(two), each pair run back to back, and the
    pairs' own ratios (the machine's load moves between pairs)."""
    if count == 1:
        return "1"
    one, two = rows.get((label, 1)), rows.get((label, count))
    if not one or not two:
        return "n/a"
    pairs = [a["wall"] / b["wall"] for a, b in zip(one, two)]
    return f"{statistics.median(pairs):.2f}× ({', '.join(f'{r:.2f}' for r in pairs)})"


def bound_pages_per_second(hosts: int, delay: float, threads: int, workers: int) -> float:
    """The most pages a second politeness allows: a host takes a request every `delay` s, and
    each worker checks `threads` hosts at once (inf without a delay)."""
    if delay <= 0:
        return float("inf")
    return min(hosts, threads * workers) / delay


if __name__ == "__main__":
    raise SystemExit(main())
