"""A/B: `redline run` cycles of two (or more) code trees on the same site, in one run.

    .venv/bin/python bench/bench_ab.py --code before=/tmp/code-orig --code after=src \\
        [--pages 1000] [--repeats 2] [--concurrency 2] [--latency 0]

Each --code is LABEL=FOLDER, a folder holding `redline/` and `flows/` (or "src" for
this working tree's src/redline and flows/); it goes first on PYTHONPATH for that
variant. Per repeat and variant, from an empty archive: cold, steady-304 (1%
reworded), unchanged-304 (nothing changed: the fixed cost of a run), steady-200
(server without 304s, 1% reworded), unchanged-200; the variants alternate order
per repeat and see the same pages (the site changes between cycles, never between
variants). Prints a markdown table of median wall times and of the median
per-repeat ratio to the first variant.
"""
from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_cycle import BIN, PROJECT, QUIET, PrefectServer, Site, bench_site, log, measured  # noqa: E402

CYCLES = (("cold", True, 0.0), ("steady-304", True, 0.01), ("unchanged-304", True, 0.0), ("steady-200", False, 0.01),
          ("unchanged-200", False, 0.0))


def snapshot(label: str, folder: str, work: Path) -> Path:
    dest = work / f"code-{label}"
    if folder == "src":
        shutil.copytree(PROJECT / "src" / "redline", dest / "redline", ignore=shutil.ignore_patterns("__pycache__"))
        shutil.copytree(PROJECT / "flows", dest / "flows", ignore=shutil.ignore_patterns("__pycache__"))
    else:
        shutil.copytree(folder, dest, ignore=shutil.ignore_patterns("__pycache__"))
    return dest


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--code", action="append", required=True, help="LABEL=FOLDER (repeatable)")
    parser.add_argument("--pages", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--concurrency", type=int, default=2)
    parser.add_argument("--latency", type=float, default=0.0)
    args = parser.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="redline-ab-"))
    variants = [(label, snapshot(label, folder, work)) for label, folder in (c.split("=", 1) for c in args.code)]
    prefect = PrefectServer(work / "prefect-server")
    prefect.start()
    site = Site(args.pages, work, args.latency)
    walls: dict[tuple[str, str], list[float]] = {}
    ratios: dict[tuple[str, str], list[float]] = {}
    try:
        sources = work / "sources.toml"
        bench_site.write_registry(sources, site.base, args.pages)
        base = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "REDLINE_", "PYTHONPATH"))}
        base.update(QUIET, PREFECT_API_URL=prefect.url, PREFECT_HOME=str(work / "prefect-client"),
                    REDLINE_HOST_DELAY="0", REDLINE_HOST_CONCURRENCY=str(args.concurrency),
                    REDLINE_ALLOW_PRIVATE="loopback")
        for rep in range(args.repeats):
            order = variants if rep % 2 == 0 else variants[::-1]
            archives = {label: work / f"rep{rep}-{label}" for label, _ in variants}
            for k, (cycle, conditional, share) in enumerate(CYCLES):
                site.control("config", conditional=int(conditional))
                if share:
                    site.control("mutate", share=share, seed=100 * rep + k)
                this: dict[str, float] = {}
                for label, code in order:
                    prefect.ensure()
                    env = {**base, "PYTHONPATH": str(code)}
                    cmd = [str(BIN / "redline"), "run", "--sources", str(sources), "--archive", str(archives[label])]
                    run = measured(cmd, env=env, cwd=work, out=work / f"{label}.out", timeout=max(600, args.pages))
                    if run["rc"] != 0:
                        log(f"{label} exited {run['rc']}: see {work / f'{label}.out'}")
                    this[label] = run["wall"]
                    walls.setdefault((cycle, label), []).append(run["wall"])
                    log(f"rep {rep} {cycle:13} {label:10} {run['wall']:7.2f} s {run['rss_mb']:5.0f} MB")
                first = variants[0][0]
                for label in this:
                    ratios.setdefault((cycle, label), []).append(this[label] / this[first])
    finally:
        site.stop()
        prefect.stop()
        shutil.rmtree(work, ignore_errors=True)
    labels = [label for label, _ in variants]
    print(f"{args.pages} pages, {args.repeats} repeats, REDLINE_HOST_CONCURRENCY={args.concurrency}, "
          f"latency {args.latency:g} s; median wall s (median ratio to {labels[0]} within a repeat)\n")
    print("| cycle | " + " | ".join(labels) + " |")
    print("|---|" + "---:|" * len(labels))
    for cycle, _, _ in CYCLES:
        cells = [f"{statistics.median(walls[(cycle, lb)]):.2f} ({statistics.median(ratios[(cycle, lb)]):.2f}×)"
                 for lb in labels]
        print(f"| {cycle} | " + " | ".join(cells) + " |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
