"""The benchmark suite: cycles, the fixed cost of a run, served vs one-shot, the checks alone, diff, browse
view, the shared backend (check cost, one worker vs two, store copy); then BENCHMARKS.md.

    .venv/bin/python bench/run.py --sizes 100,1000 --repeats 5,3 --workers-sources 10000 --workers-repeats 1   (make bench)
    .venv/bin/python bench/run.py --sizes 100,1000,10000 --repeats 5,3,1 --workers-sources 10000 --workers-repeats 3   (make bench-large)

Each step writes its results under bench/results/ (ignored by git); bench/report.py
then writes BENCHMARKS.md from them and bench/analysis.md.
"""
from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]
RESULTS = PROJECT / "bench" / "results"


def step(title: str, cmd: list[str], *, out: Path | None = None, timeout: float | None = None) -> int:
    print(f"== {title}: {' '.join(cmd)}", file=sys.stderr, flush=True)
    started = time.monotonic()
    try:
        if out is None:
            rc = subprocess.run(cmd, cwd=PROJECT, timeout=timeout).returncode
        else:
            done = subprocess.run(cmd, cwd=PROJECT, timeout=timeout, stdout=subprocess.PIPE, text=True)
            out.write_text(done.stdout, encoding="utf-8")
            rc = done.returncode
    except subprocess.TimeoutExpired:
        print(f"== {title}: timed out after {timeout:.0f} s", file=sys.stderr)
        return 124
    print(f"== {title}: exit {rc} after {time.monotonic() - started:.0f} s", file=sys.stderr, flush=True)
    return rc


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100,1000")
    parser.add_argument("--repeats", default="5,3")
    parser.add_argument("--concurrency", default="2", help="REDLINE_HOST_CONCURRENCY (its default) and floor threads")
    parser.add_argument("--diff-runs", default="5")
    parser.add_argument("--workers-sources", default="10000", help="sources of the one-worker-vs-two bench")
    parser.add_argument("--workers-repeats", default="1", help="repeats of the one-worker-vs-two bench")
    parser.add_argument("--command", default="make bench", help="how this run was started (for the report)")
    args = parser.parse_args(argv)
    RESULTS.mkdir(parents=True, exist_ok=True)
    py = sys.executable
    failed = 0
    failed |= step("cycles", [py, "bench/bench_cycle.py", "--sizes", args.sizes, "--repeats", args.repeats,
                              "--concurrency", args.concurrency, "--out", str(RESULTS / "cycle.json")]) != 0
    if step("fixed", [py, "bench/bench_fixed.py", "--runs", "5"], out=RESULTS / "fixed.md", timeout=900) != 0:
        failed = 1
    if step("served", [py, "bench/bench_served.py", "--pages", "1000", "--repeats", "3"], out=RESULTS / "served.md",
            timeout=1800) != 0:
        failed = 1
    checks_md = RESULTS / "checks.md"
    if step("checks", [py, "bench/bench_checks.py", "--pages", "1000", "--repeats", "3",
                       "--concurrency", args.concurrency], out=checks_md, timeout=1800) != 0:
        failed = 1
    diff_md = RESULTS / "diff.md"
    if step("diff", [py, "bench/bench_diff.py", "--runs", args.diff_runs], out=diff_md, timeout=1800) != 0:
        failed = 1
    browse = PROJECT / "bench" / "bench_browse.py"
    browse_md = RESULTS / "browse.md"
    if browse.exists():
        if step("browse", [py, str(browse)], out=browse_md, timeout=1800) != 0:
            failed = 1
    else:
        browse_md.write_text("| what | result |\n|---|---|\n| response time of the browse view for a source "
                             "with 5,000 versions | not measured: bench/bench_browse.py does not exist yet |\n",
                             encoding="utf-8")
    if step("search", [py, "bench/bench_search.py"], out=RESULTS / "search.md", timeout=1800) != 0:
        failed = 1
    if step("phrases", [py, "bench/bench_phrases.py"], out=RESULTS / "phrases.md", timeout=1800) != 0:
        failed = 1
    if step("store", [py, "bench/bench_store.py", "--checks", "1000", "--repeats", "3"], out=RESULTS / "store.md",
            timeout=1800) != 0:
        failed = 1
    if step("backends", [py, "bench/bench_checks.py", "--pages", "1000", "--repeats", "3", "--backend", "both",
                         "--concurrency", args.concurrency], out=RESULTS / "backends.md", timeout=1800) != 0:
        failed = 1
    if step("workers", [py, "bench/bench_workers.py", "--sources", args.workers_sources, "--hosts", "8",
                        "--repeats", args.workers_repeats], out=RESULTS / "workers.md", timeout=3600) != 0:
        failed = 1
    if step("copy", [py, "bench/bench_copy.py", "--sources", "2000"], out=RESULTS / "copy.md", timeout=1800) != 0:
        failed = 1
    failed |= step("report", [py, "bench/report.py", "--command", args.command]) != 0
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
