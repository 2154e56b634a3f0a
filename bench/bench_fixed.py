"""The fixed cost of one run of each tool: what a cycle costs before and around its first page.

    .venv/bin/python bench/bench_fixed.py [--runs 5]

Each line is the median wall time of a subprocess (interpreter start to exit) over
--runs, run back to back:

    interpreter         python -c pass
    floor's imports     python -c "import httpx, redline.text.normalize"   (what bench/floor.py loads)
    redline's imports   python -c "import flows.monitor"              (Prefect and redline: what `redline run` loads)
    redline, 1 source   `redline run` of one source the site answers with a 304, through a Prefect
                        server started beforehand (the benchmark's set-up): a whole one-shot run
                        around a single check
    floor, 1 source     bench/floor.py on the same page (a 304)
    urlwatch, 1 source  urlwatch on the same page (a 304), its own venv

A cycle of N sources costs about "1 source" + N x (one check): bench_checks.py measures
the second part for redline. Prints a markdown table.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_cycle import (BIN, PROJECT, QUIET, URLWATCH, PrefectServer, Site, bench_site, log, measured,  # noqa: E402
                         write_urlwatch_config, write_urlwatch_jobs)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="redline-fixed-"))
    prefect = PrefectServer(work / "prefect-server")
    prefect.start()
    site = Site(1, work, 0.0)
    py = sys.executable
    try:
        sources, jobs, urls, cfg = work / "sources.toml", work / "jobs.json", work / "urls.yaml", work / "uw.yaml"
        bench_site.write_registry(sources, site.base, 1)
        jobs.write_text(json.dumps([[site.base + bench_site.page_path(0), bench_site.template_of(0)]]))
        write_urlwatch_jobs(urls, site.base, 1)
        write_urlwatch_config(cfg)
        base = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "REDLINE_"))}
        env = {**base, **QUIET, "PREFECT_API_URL": prefect.url, "PREFECT_HOME": str(work / "prefect-client"),
               "REDLINE_HOST_DELAY": "0", "REDLINE_ALLOW_PRIVATE": "loopback", "COLUMNS": "200"}
        uw_env = {**base, "HOME": str(work)}
        steps = [
            ("interpreter (`python -c pass`)", [py, "-c", "pass"], env),
            ("the floor's imports (httpx, redline.text.normalize)", [py, "-c", "import httpx, redline.text.normalize"], env),
            ("redline's imports (`import flows.monitor`: Prefect and redline)", [py, "-c", "import flows.monitor"], env),
            ("`redline run`, 1 source (a 304), Prefect server already up",
             [str(BIN / "redline"), "run", "--sources", str(sources), "--archive", str(work / "archive")], env),
            ("floor, 1 source (a 304)", [py, str(PROJECT / "bench" / "floor.py"), "--jobs", str(jobs),
                                         "--state", str(work / "floor.json")], env),
            ("urlwatch, 1 source (a 304)", [str(URLWATCH), "--urls", str(urls), "--config", str(cfg),
                                            "--hooks", str(work / "hooks.py"), "--cache", str(work / "uw.db")],
             uw_env),
        ]
        for _, cmd, e in steps[3:]:  # first runs: state, the page's validators, Prefect's client home
            measured(cmd, env=e, cwd=work, out=work / "warm.out")
        times: dict[str, list[float]] = {label: [] for label, _, _ in steps}
        for rep in range(args.runs):
            for label, cmd, e in steps:
                run = measured(cmd, env=e, cwd=work, out=work / "step.out")
                if run["rc"] != 0:
                    raise SystemExit(f"{label} exited {run['rc']}: {(work / 'step.out').read_text()[-1500:]}")
                times[label].append(run["wall"])
            log(f"fixed costs: run {rep + 1} of {args.runs}")
        served = site.control("stats")
    finally:
        site.stop()
        prefect.stop()
        shutil.rmtree(work, ignore_errors=True)
    print(f"median of {args.runs} runs each; the site served {served} in the timed runs and the first ones\n")
    print("| what | median s |")
    print("|---|---:|")
    for label, ts in times.items():
        print(f"| {label} | {statistics.median(ts):.2f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
