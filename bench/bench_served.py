"""A cycle under `redline serve` against a one-shot `redline run`, on the same archive.

    .venv/bin/python bench/bench_served.py [--pages 1000] [--repeats 3]

Does a long-running `redline serve` make a cycle cheaper? Prefect's runner starts
every run of a served deployment in a new interpreter, so the run imports Prefect
and redline again; this measures it. One site (bench/site.py) of --pages pages with
304s; `redline serve` (its local Prefect server, the `monitor/all` deployment);
a cold `redline refresh --all --wait` first, then per repeat an unchanged cycle
both ways, alternating which goes first:

    served    `redline refresh --all --wait`: wall time of that command; and from
              Prefect's API the flow run from the runner taking it (its Pending state:
              then the runner's new process, its imports, the flow) to its end, and
              from Running (the flow alone) to its end
    one-shot  `redline run` against the same Prefect server (PREFECT_API_URL)

Prints a markdown table of medians.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_cycle import BIN, QUIET, Site, bench_site, log, measured  # noqa: E402


def wait_for_api(state: Path, proc: subprocess.Popen, timeout: float = 300) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"redline serve exited {proc.returncode}")
        try:
            api = json.loads(state.read_text())["api_url"]
            if httpx.get(api + "/health", timeout=2).status_code == 200:
                return api
        except (OSError, ValueError, KeyError, httpx.HTTPError):
            pass
        time.sleep(0.5)
    raise SystemExit("redline serve did not come up")


def newest_refresh(api: str) -> dict:
    body = {"sort": "EXPECTED_START_TIME_DESC", "limit": 1,
            "flow_runs": {"tags": {"all_": ["manual-refresh"]}}}
    return httpx.post(api + "/flow_runs/filter", json=body, timeout=30).json()[0]


def _ts(s: str) -> datetime:
    return datetime.fromisoformat(s.replace("Z", "+00:00"))


def spans(api: str, run: dict) -> tuple[float, float]:
    """(the runner taking the run (its PENDING state) to its end, RUNNING to its end): seconds."""
    states = httpx.get(api + "/flow_run_states/", params={"flow_run_id": run["id"]}, timeout=30).json()
    pending = min(_ts(s["timestamp"]) for s in states if s["type"] == "PENDING")
    return (_ts(run["end_time"]) - pending).total_seconds(), (_ts(run["end_time"]) - _ts(run["start_time"])).total_seconds()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="redline-served-"))
    site = Site(args.pages, work, 0.0)
    archive, sources = work / "archive", work / "sources.toml"
    bench_site.write_registry(sources, site.base, args.pages)
    archive.mkdir()
    (archive / "redline.toml").write_text('[schedule]\nmonitor = "1d"\ndiscover = "1d"\n', encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "REDLINE_"))}
    env.update(QUIET, REDLINE_HOST_DELAY="0", REDLINE_HOST_CONCURRENCY="2", REDLINE_ALLOW_PRIVATE="loopback",
               COLUMNS="200")
    where = ["--archive", str(archive), "--sources", str(sources)]
    log_file = open(work / "serve.log", "wb")
    serve = subprocess.Popen([str(BIN / "redline"), "serve", *where], env=env, stdout=log_file,
                             stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
    times: dict[str, list[float]] = {
        "served: `redline refresh --all --wait` (a client that imports Prefect, polls every 1 s; the runner looks for runs every 2 s)": [],
        "served: the flow run, from the runner taking it (new process, imports, flow) to its end": [],
        "served: the flow run, from Running to its end (the flow alone)": [],
        "one-shot: `redline run`": []}
    try:
        api = wait_for_api(archive / ".prefect" / "serve.json", serve)
        client_env = {**env, "PREFECT_HOME": str(work / "prefect-client")}
        refresh = [str(BIN / "redline"), "refresh", "--all", "--wait", *where]
        oneshot = [str(BIN / "redline"), "run", *where]
        log("cold cycle through the served deployment")
        first = measured(refresh, env=client_env, cwd=work, out=work / "cold.out", timeout=1800)
        if first["rc"] != 0:
            raise SystemExit(f"the cold refresh exited {first['rc']}: {(work / 'cold.out').read_text()[-1500:]}")
        for rep in range(args.repeats):
            order = ("served", "one-shot") if rep % 2 == 0 else ("one-shot", "served")
            for way in order:
                if way == "served":
                    run = measured(refresh, env=client_env, cwd=work, out=work / "served.out", timeout=1800)
                    taken, running = spans(api, newest_refresh(api))
                    labels = list(times)
                    times[labels[0]].append(run["wall"])
                    times[labels[1]].append(taken)
                    times[labels[2]].append(running)
                else:
                    run = measured(oneshot, env={**client_env, "PREFECT_API_URL": api}, cwd=work,
                                   out=work / "oneshot.out", timeout=1800)
                    times["one-shot: `redline run`"].append(run["wall"])
                if run["rc"] != 0:
                    raise SystemExit(f"{way} exited {run['rc']}")
            log(f"served vs one-shot: repeat {rep + 1} of {args.repeats}")
        served = site.control("stats")
    finally:
        os.killpg(serve.pid, signal.SIGTERM)
        try:
            serve.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(serve.pid, signal.SIGKILL)
        log_file.close()
        site.stop()
        shutil.rmtree(work, ignore_errors=True)
    print(f"{args.pages:,} sources, every page a 304 after the cold cycle; median of {args.repeats}; "
          f"the site served {served}\n")
    print("| unchanged cycle | median s |")
    print("|---|---:|")
    for label, ts in times.items():
        print(f"| {label} | {statistics.median(ts):.2f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
