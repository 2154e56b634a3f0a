"""Profile one `redline run` cycle on the loopback site with py-spy (from the benchmark venv).

    .venv/bin/python bench/profile_cycle.py --pages 1000 --cycle steady-304 [--out bench/results/profile]

Cycles as in bench_cycle.py: "steady-304" (1% reworded, 304s for the others),
"unchanged-304" (nothing changed, every page a 304: the fixed cost), "steady-200".

Starts a Prefect server and the site, runs a cold cycle without profiling, then
the asked cycle ("cold" profiles the first one) under `py-spy record` (all
threads, idle time included, so waits on fsync and the network show), and
writes a flame graph (SVG) and py-spy's raw collapsed stacks; prints the
functions with the most samples (inclusive) from the collapsed stacks.
"""
from __future__ import annotations

import argparse
import collections
import os
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_cycle import (BIN, PROJECT, QUIET, PrefectServer, Site, bench_site, log, measured)  # noqa: E402

PYSPY = PROJECT / "bench" / ".venv-urlwatch" / "bin" / "py-spy"


def top(collapsed: Path, k: int = 40, match: str = "") -> list[tuple[int, str]]:
    """Inclusive samples per frame (counted once per stack) from py-spy's collapsed output."""
    counts: collections.Counter[str] = collections.Counter()
    total = 0
    for line in collapsed.read_text().splitlines():
        stack, _, n = line.rpartition(" ")
        total += int(n)
        for frame in set(stack.split(";")):
            if match in frame:
                counts[frame] += int(n)
    return [(total, "TOTAL")] + [(c, f) for f, c in counts.most_common(k)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=1000)
    parser.add_argument("--cycle", default="steady-304", choices=("cold", "steady-304", "unchanged-304", "steady-200"))
    parser.add_argument("--concurrency", type=int, default=2)
    parser.add_argument("--rate", type=int, default=200)
    parser.add_argument("--gil", action="store_true", help="only samples holding the GIL (CPU in Python), "
                        "instead of every thread's stack including waits")
    parser.add_argument("--out", default=str(PROJECT / "bench" / "results" / "profile"))
    args = parser.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="redline-profile-"))
    prefect = PrefectServer(work / "prefect-server")
    prefect.start()
    site = Site(args.pages, work, 0.0)
    try:
        sources = work / "sources.toml"
        bench_site.write_registry(sources, site.base, args.pages)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "REDLINE_"))}
        env.update(QUIET, PREFECT_API_URL=prefect.url, PREFECT_HOME=str(work / "prefect-client"),
                   REDLINE_HOST_DELAY="0", REDLINE_HOST_CONCURRENCY=str(args.concurrency),
                   REDLINE_ALLOW_PRIVATE="loopback")
        cmd = [str(BIN / "redline"), "run", "--sources", str(sources), "--archive", str(work / "archive")]
        if args.cycle != "cold":
            log("cold cycle (not profiled)")
            measured(cmd, env=env, cwd=work, out=work / "cold.out")
            site.control("config", conditional=int(args.cycle.endswith("-304")))
            if args.cycle.startswith("steady"):
                site.control("mutate", share=0.01, seed=7)
        stem = out / f"{args.cycle}-{args.pages}{'-gil' if args.gil else ''}"
        log(f"{args.cycle} cycle under py-spy")
        spy = [str(PYSPY), "record", "--threads", "--rate", str(args.rate), "--nonblocking"]
        spy += ["--gil"] if args.gil else ["--idle"]
        run = measured(spy + ["--format", "raw", "-o", f"{stem}.collapsed", "--"] + cmd,
                       env=env, cwd=work, out=work / "profiled.out")
        log(f"profiled run: {run['wall']:.1f} s, rc {run['rc']}")
        print(f"{args.cycle}, {args.pages} pages: wall {run['wall']:.2f} s under py-spy")
        for n, frame in top(Path(f"{stem}.collapsed")):
            print(f"{n:8d}  {frame}")
    finally:
        site.stop()
        prefect.stop()
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
