"""Cycles under `redline serve` (warm runs) against urlwatch and the floors, on one site.

    .venv/bin/python bench/bench_served.py [--pages 1000] [--repeats 3] [--memory-runs 100]

One site (bench/site.py) of --pages pages; one `redline serve` (its local Prefect server,
the `monitor/all` deployment, schedules of a day so that only the runs asked for run).
Per cycle (cold, then per repeat steady with 304s and steady without), in turn:

    served          a run of `monitor/all` created over Prefect's REST API (as `redline
                    refresh --all` does): from its scheduled start (created due now) to its
                    end, from Prefect's API; the serve loop's poll is part of it
    urlwatch        its whole process (bench/.venv-urlwatch, as in bench_cycle.py), its own cache
    floor           bench/floor.py: httpx + decode + redline's normalizer, whole process
    physical floor  bench/floor.py --fetch-only: the conditional GETs alone, whole process

Then `redline refresh NAME --wait` of one source (command start to exit, a new process
each time), and `serve`'s memory (its RSS and its forkserver's) over --memory-runs served
runs of one source. Prints markdown: the tables and the targets of issue 14.
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
from bench_cycle import (BIN, CHANGE_SHARE, PROJECT, QUIET, URLWATCH, Site, bench_site, log,  # noqa: E402
                         measured, write_urlwatch_config, write_urlwatch_jobs)

sys.path.insert(0, str(PROJECT / "src"))
from redline.orchestration.rest import create_run, wait_for_run  # noqa: E402

CYCLES = {"cold": (True, 0.0), "steady-304": (True, CHANGE_SHARE), "steady-200": (False, CHANGE_SHARE)}
TOOLS = ("served", "urlwatch", "floor", "physical floor")


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


def _ts(s: str) -> datetime:
    return datetime.fromisoformat(s.replace("Z", "+00:00"))


def served_run(api: str, parameters: dict, serve: subprocess.Popen) -> tuple[float, float]:
    """One run of monitor/all, serve woken as `redline refresh` wakes it: (scheduled start to
    end, Pending to first Running) in seconds."""
    ref = create_run(api, "monitor/all", parameters=parameters, name="bench", tags=["bench"])
    os.kill(serve.pid, signal.SIGUSR1)

    def alive(state) -> None:
        if serve.poll() is not None:
            raise SystemExit(f"redline serve exited {serve.returncode} during a run")

    state = wait_for_run(api, ref.id, on_poll=alive, poll=0.05, timeout=1800)
    if not state.completed:
        raise SystemExit(f"the served run ended {state.name}: {state.message}")
    run = httpx.get(f"{api}/flow_runs/{ref.id}", timeout=30).json()
    states = httpx.get(api + "/flow_run_states/", params={"flow_run_id": ref.id}, timeout=30).json()
    at = {s["type"]: _ts(s["timestamp"]) for s in states}
    return ((_ts(run["end_time"]) - _ts(run["expected_start_time"])).total_seconds(),
            (at["RUNNING"] - at["PENDING"]).total_seconds())


def rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def forkserver_of(pid: int) -> int | None:
    for child in Path("/proc").iterdir():
        try:
            stat = (child / "stat").read_text().rsplit(")", 1)[1].split()
            if int(stat[1]) == pid and b"forkserver" in (child / "cmdline").read_bytes():
                return int(child.name)
        except (OSError, ValueError, IndexError):
            continue
    return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--memory-runs", type=int, default=100)
    parser.add_argument("--refreshes", type=int, default=5)
    parser.add_argument("--memory-all", action="store_true",
                        help="each memory run checks every source (issue 14: 500 runs of 1,000 sources), "
                             "not one")
    args = parser.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="redline-served-"))
    site = Site(args.pages, work, 0.0)
    archive, sources = work / "archive", work / "sources.toml"
    bench_site.write_registry(sources, site.base, args.pages)
    jobs, urls, cfg = work / "jobs.json", work / "urls.yaml", work / "urlwatch.yaml"
    jobs.write_text(json.dumps([[site.base + bench_site.page_path(i), bench_site.template_of(i)]
                                for i in range(args.pages)]))
    write_urlwatch_jobs(urls, site.base, args.pages)
    write_urlwatch_config(cfg)
    archive.mkdir()
    (archive / "redline.toml").write_text('[schedule]\nmonitor = "1d"\ndiscover = "1d"\n', encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "REDLINE_"))}
    env.update(QUIET, REDLINE_HOST_DELAY="0", REDLINE_HOST_CONCURRENCY="2", REDLINE_ALLOW_PRIVATE="loopback",
               COLUMNS="200")
    tool_env = {**env, "HOME": str(work)}
    where = ["--archive", str(archive), "--sources", str(sources)]
    commands = {
        "urlwatch": [str(URLWATCH), "--urls", str(urls), "--config", str(cfg), "--hooks", str(work / "hooks.py"),
                     "--cache", str(work / "urlwatch-cache.db")],
        "floor": [sys.executable, str(PROJECT / "bench" / "floor.py"), "--jobs", str(jobs),
                  "--state", str(work / "floor-state.json")],
        "physical floor": [sys.executable, str(PROJECT / "bench" / "floor.py"), "--jobs", str(jobs),
                           "--state", str(work / "fetch-state.json"), "--fetch-only"]}
    tools = [t for t in TOOLS if t != "urlwatch" or URLWATCH.exists()]
    log_file = open(work / "serve.log", "wb")
    serve = subprocess.Popen([str(BIN / "redline"), "serve", "--no-ui", *where], env=env, stdout=log_file,
                             stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
    cycles: dict[str, dict[str, list[float]]] = {c: {t: [] for t in tools} for c in CYCLES}
    ratios: dict[str, dict[str, list[float]]] = {c: {"urlwatch": [], "floor": []} for c in CYCLES}
    first_line: list[float] = []
    refresh: list[float] = []
    memory: list[tuple[int, float, float]] = []
    try:
        api = wait_for_api(archive / ".prefect" / "serve.json", serve)
        # the 304 cycles before the 200 ones: a cycle without validators leaves every tool none for the next
        plan = [("cold", 0)] + [(c, rep) for c in ("steady-304", "steady-200") for rep in range(args.repeats)]
        for k, (cycle, rep) in enumerate(plan):
            conditional, share = CYCLES[cycle]
            site.control("config", conditional=int(conditional))
            if share:
                site.control("mutate", share=share, seed=1000 * rep + k)
            order = tools[rep % len(tools):] + tools[:rep % len(tools)]
            got: dict[str, float] = {}
            for tool in order:
                if tool == "served":
                    got[tool], pending_to_running = served_run(api, {}, serve)
                    first_line.append(pending_to_running)
                else:
                    run = measured(commands[tool], env=tool_env, cwd=work, out=work / f"{cycle}-{tool}.out",
                                   timeout=1800)
                    if run["rc"] != 0:
                        raise SystemExit(f"{tool} exited {run['rc']}: "
                                         f"{(work / f'{cycle}-{tool}.out').read_text()[-1500:]}")
                    got[tool] = run["wall"]
                cycles[cycle][tool].append(got[tool])
            if "urlwatch" in got:
                ratios[cycle]["urlwatch"].append(got["urlwatch"] / got["served"])
            ratios[cycle]["floor"].append(got["served"] / got["floor"])
            log(f"{cycle} (repeat {rep + 1}): " + ", ".join(f"{t} {s:.2f} s" for t, s in got.items()))
        site.control("config", conditional=1)
        name = "bench-00000"   # bench/site.py write_registry's first source
        for _ in range(args.refreshes):
            run = measured([str(BIN / "redline"), "refresh", name, "--wait", *where], env=env, cwd=work,
                           out=work / "refresh.out", timeout=300)
            if run["rc"] != 0:
                raise SystemExit(f"refresh exited {run['rc']}: {(work / 'refresh.out').read_text()[-1500:]}")
            refresh.append(run["wall"])
        log(f"refresh NAME --wait: {', '.join(f'{s:.2f}' for s in refresh)} s")
        fork = forkserver_of(serve.pid)
        for i in range(args.memory_runs + 1):
            if i % max(1, args.memory_runs // 10) == 0:
                memory.append((i, rss_mb(serve.pid), rss_mb(fork) if fork else 0.0))
                log(f"memory after {i} runs: serve {memory[-1][1]:.0f} MB, forkserver {memory[-1][2]:.0f} MB")
            if i < args.memory_runs:
                served_run(api, {} if args.memory_all else {"sources": [name]}, serve)
    finally:
        os.killpg(serve.pid, signal.SIGTERM)
        try:
            serve.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(serve.pid, signal.SIGKILL)
        log_file.close()
        site.stop()
        shutil.rmtree(work, ignore_errors=True)
    report(args, tools, cycles, ratios, first_line, refresh, memory)
    return 0


def _med(xs: list[float]) -> str:
    return f"{statistics.median(xs):.2f}" if xs else "-"


def report(args, tools, cycles, ratios, first_line, refresh, memory) -> None:
    print(f"{args.pages:,} sources, one `redline serve`; cold once, then {args.repeats} repeats of each steady "
          f"cycle ({CHANGE_SHARE:.0%} of pages reworded); medians; ratios taken within a repeat.\n")
    print("| cycle | " + " | ".join(f"{t} s" for t in tools) + " | urlwatch ÷ served | served ÷ floor |")
    print("|---|" + "---:|" * (len(tools) + 2))
    for cycle, by_tool in cycles.items():
        print(f"| {cycle} | " + " | ".join(_med(by_tool[t]) for t in tools)
              + f" | {_med(ratios[cycle]['urlwatch'])}× | {_med(ratios[cycle]['floor'])}× |")
    print(f"\nserved: from the run's scheduled start to its end (Prefect's API); the others: the whole process. "
          f"From a run's Pending (taken by serve) to Running (its forked process's engine started): "
          f"median {_med(first_line)} s over {len(first_line)} runs.\n")
    print("| `redline refresh NAME --wait` of one source under serve, command start to exit | s |")
    print("|---|---:|")
    if refresh:
        print(f"| median of {len(refresh)} (min {min(refresh):.2f}, max {max(refresh):.2f}) | {_med(refresh)} |\n")
    what = f"served runs of all {args.pages:,} sources" if args.memory_all else "served runs of one source"
    print(f"| {what} | serve RSS MB | forkserver RSS MB |")
    print("|---:|---:|---:|")
    for i, serve_mb, fork_mb in memory:
        print(f"| {i} | {serve_mb:.0f} | {fork_mb:.0f} |")
    print("\nTargets (issue 14):\n")
    print("| target | measured | verdict |")
    print("|---|---|---|")

    def row(what: str, values: list[float], ok) -> None:
        if not values:
            print(f"| {what} | not measured (no urlwatch venv: make bench-env) | not measured |")
            return
        value = statistics.median(values)
        print(f"| {what} | {value:.2f} | {'**PASS**' if ok(value) else '**MISS**'} |")

    row("served steady cycle with 304s ≥3× faster than urlwatch (urlwatch ÷ served)",
        ratios["steady-304"]["urlwatch"], lambda v: v >= 3)
    row("served steady cycle with 304s ≤1.5× the floor (served ÷ floor)", ratios["steady-304"]["floor"],
        lambda v: v <= 1.5)
    row("served steady cycle without 304s ≥3× faster than urlwatch", ratios["steady-200"]["urlwatch"],
        lambda v: v >= 3)
    row("served cold cycle ≥2× faster than urlwatch", ratios["cold"]["urlwatch"], lambda v: v >= 2)
    row("`redline refresh NAME --wait` ≤1.5 s (s)", refresh, lambda v: v <= 1.5)
    if len(memory) > 1 and memory[0][1]:
        growth = memory[-1][1] / memory[1][1] - 1 if memory[1][1] else 0.0
        row(f"serve's RSS flat within 10% from run {memory[1][0]} to run {memory[-1][0]} (growth, %)",
            [growth * 100], lambda v: v <= 10)


if __name__ == "__main__":
    raise SystemExit(main())
