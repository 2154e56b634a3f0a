"""Monitoring cycles on a loopback site: redline (through `redline run`), the floor, urlwatch.

    .venv/bin/python bench/bench_cycle.py --sizes 100,1000 --repeats 5,3 --out bench/results/cycle.json

For each size N, one site process (bench/site.py) serves N statement pages; one
Prefect server (started once, its start-up time reported apart) serves every
`redline run`. Each repeat starts from empty state (a fresh archive, floor
state and urlwatch cache) and runs these cycles, each tool as a subprocess, in
an order rotated per repeat:

    cold           first cycle, server answers conditional GETs      redline, floor, urlwatch
    steady-304     1% of pages reworded, 304s for the others          redline, floor, urlwatch
    unchanged-304  nothing changed, 304s                              redline, floor, urlwatch
    steady-200     server without ETag/Last-Modified, 1% reworded     redline, floor, urlwatch
    unchanged-200  nothing changed, every page a full 200             redline

Measured per run: wall time of the subprocess (interpreter start to exit), its
peak RSS (wait4's ru_maxrss), the statuses the site served to it, and for
redline the archive's growth (apparent bytes and allocated bytes, the archive
folder without Prefect's home) and its captures/errors from the index.
Results go to --out as JSON; bench/report.py turns them into BENCHMARKS.md.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

PROJECT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
URLWATCH = PROJECT / "bench" / ".venv-urlwatch" / "bin" / "urlwatch"
QUIET = {"PREFECT_SERVER_ANALYTICS_ENABLED": "false", "PREFECT_UI_ENABLED": "false",
         "PREFECT_SERVER_UI_ENABLED": "false", "PREFECT_LOGGING_LEVEL": "WARNING",
         "PREFECT_LOGGING_SERVER_LEVEL": "WARNING", "PREFECT_RESULTS_PERSIST_BY_DEFAULT": "false"}
SELECTORS = {"mfa_en_legacy": "div.content_mod div.content", "mfa_en_2024": "div.news_content div.TRS_UEDITOR",
             "mfa_zh": "div#News_Body_Txt_A"}  # the body selectors of redline's profiles
CHANGE_SHARE = 0.01

# bench/site.py shares its name with the standard library's `site`: load it by path.
from importlib import util as _util  # noqa: E402

_spec = _util.spec_from_file_location("bench_site", PROJECT / "bench" / "site.py")
bench_site = _util.module_from_spec(_spec)
_spec.loader.exec_module(bench_site)


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def measured(cmd: list[str], *, env: dict[str, str], cwd: Path, out: Path,
             timeout: float = 3600) -> dict:
    """Run cmd; wall seconds and peak RSS (MB) of the child from wait4."""
    started = time.perf_counter()
    with open(out, "wb") as fh:
        proc = subprocess.Popen(cmd, env=env, cwd=cwd, stdout=fh, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + timeout
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.monotonic() > deadline:
                proc.kill()
                pid, status, usage = os.wait4(proc.pid, 0)
                break
            time.sleep(0.01)
    wall = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    return {"wall": wall, "rss_mb": usage.ru_maxrss / 1024, "rc": proc.returncode,
            "cpu": usage.ru_utime + usage.ru_stime}


def folder_bytes(root: Path, skip: str = ".prefect") -> tuple[int, int, int]:
    """(apparent bytes, allocated bytes, files) under root, without the `skip` folder."""
    apparent = allocated = files = 0
    for dirpath, dirnames, filenames in os.walk(root):
        if skip in dirnames:
            dirnames.remove(skip)
        for name in filenames:
            st = os.lstat(os.path.join(dirpath, name))
            apparent += st.st_size
            allocated += st.st_blocks * 512
            files += 1
    return apparent, allocated, files


def index_counts(archive: Path, after_id: int) -> dict:
    db = sqlite3.connect(archive / "index.sqlite")
    try:
        row = db.execute("SELECT COUNT(*), SUM(error IS NOT NULL), SUM(not_modified), SUM(revisit), "
                         "COALESCE(MAX(id), 0) FROM captures WHERE id > ?", (after_id,)).fetchone()
        versions = db.execute("SELECT COUNT(*) FROM versions WHERE capture_id > ?", (after_id,)).fetchone()[0]
        alerts = db.execute("SELECT COUNT(*) FROM alerts a JOIN versions v ON v.id = a.to_version "
                            "WHERE v.capture_id > ?", (after_id,)).fetchone()[0]
        err = db.execute("SELECT error FROM captures WHERE id > ? AND error IS NOT NULL LIMIT 1",
                         (after_id,)).fetchone()
    finally:
        db.close()
    return {"captures": row[0], "errors": row[1] or 0, "not_modified": row[2] or 0, "revisits": row[3] or 0,
            "max_id": row[4], "versions": versions, "alerts": alerts, "first_error": err[0] if err else None}


def max_capture_id(archive: Path) -> int:
    if not (archive / "index.sqlite").exists():
        return 0
    db = sqlite3.connect(archive / "index.sqlite")
    try:
        return db.execute("SELECT COALESCE(MAX(id), 0) FROM captures").fetchone()[0]
    except sqlite3.OperationalError:
        return 0
    finally:
        db.close()


class PrefectServer:
    def __init__(self, home: Path) -> None:
        self.home = home
        self.proc: subprocess.Popen | None = None
        self.url = ""
        self.port = 0
        self.start_seconds = 0.0
        self.restarts = 0

    def healthy(self) -> bool:
        try:
            return self.proc is not None and self.proc.poll() is None and \
                httpx.get(self.url + "/health", timeout=5).status_code == 200
        except httpx.HTTPError:
            return False

    def ensure(self) -> None:
        """Restart the server (same port) if it died: seen once here, killed from outside mid-run."""
        if not self.healthy():
            log("the Prefect server is gone: restarting it")
            self.stop()
            self.restarts += 1
            self.start()

    def start(self, timeout: float = 300) -> None:
        self.home.mkdir(parents=True, exist_ok=True)
        self.port = port = self.port or free_port()
        self.url = f"http://127.0.0.1:{port}/api"
        env = {**os.environ, **QUIET, "PREFECT_HOME": str(self.home)}
        env.pop("PREFECT_API_URL", None)
        started = time.perf_counter()
        with open(self.home / "server.log", "ab") as fh:
            self.proc = subprocess.Popen(
                [str(BIN / "prefect"), "server", "start", "--host", "127.0.0.1", "--port", str(port),
                 "--no-ui", "--analytics-off"], stdout=fh, stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL, env=env, start_new_session=True)
        while True:
            try:
                if httpx.get(self.url + "/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if self.proc.poll() is not None or time.perf_counter() - started > timeout:
                raise SystemExit(f"the Prefect server did not start; see {self.home / 'server.log'}")
            time.sleep(0.2)
        self.start_seconds = time.perf_counter() - started

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()


class Site:
    def __init__(self, n: int, work: Path, latency: float, *, bind: str = "127.0.0.1") -> None:
        self.n = n
        name = f"site-{n}" if bind == "127.0.0.1" else f"site-{bind}-{n}"
        ready = work / f"{name}.url"
        ready.unlink(missing_ok=True)
        started = time.perf_counter()
        self.log = open(work / f"{name}.log", "wb")
        self.proc = subprocess.Popen(
            [sys.executable, str(PROJECT / "bench" / "site.py"), "--pages", str(n), "--latency", str(latency),
             "--bind", bind, "--ready-file", str(ready), "--max-seconds", str(6 * 3600)],
            stdout=self.log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        while not ready.exists() or not ready.read_text():
            if self.proc.poll() is not None:
                raise SystemExit(f"the site did not start; see {work / f'{name}.log'}")
            time.sleep(0.1)
        self.base = ready.read_text().strip()
        self.build_seconds = time.perf_counter() - started
        self.client = httpx.Client(timeout=300)

    def control(self, what: str, **params: object) -> dict:
        return self.client.get(f"{self.base}/_bench/{what}", params=params).json()

    def stop(self) -> None:
        self.client.close()
        self.proc.terminate()
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.log.close()


def write_urlwatch_jobs(path: Path, base: str, n: int) -> None:
    docs = []
    for i in range(n):
        t = bench_site.template_of(i)
        docs.append(f"name: bench-{i:05d}\nurl: {base}{bench_site.page_path(i)}\nfilter:\n"
                    f"  - css: {json.dumps(SELECTORS[t])}\n"
                    f"  - html2text:\n      method: bs4\n      parser: lxml\n")
    path.write_text("---\n".join(docs), encoding="utf-8")


def write_urlwatch_config(path: Path) -> None:
    # urlwatch's defaults (written on first run) with the console reporter without colour,
    # so the report is produced as usual and goes to a file.
    path.write_text("display:\n  new: true\n  error: true\n  unchanged: false\n  empty-diff: true\n"
                    "report:\n  text:\n    details: true\n    footer: true\n    line_length: 75\n"
                    "    minimal: false\n    separate: false\n"
                    "  stdout:\n    enabled: true\n    color: false\n"
                    "job_defaults:\n  all: {}\n  url: {}\n  browser: {}\n  shell: {}\n", encoding="utf-8")


def bench_size(n: int, repeats: int, *, work: Path, prefect: PrefectServer, concurrency: int,
               latency: float, results: list[dict], save) -> dict:
    log(f"N={n}: building the site")
    site = Site(n, work, latency)
    info = {"n": n, "site_build_seconds": site.build_seconds, "repeats": repeats}
    log(f"N={n}: site at {site.base} (built in {site.build_seconds:.1f} s)")
    sizedir = work / f"n{n}"
    sizedir.mkdir(exist_ok=True)
    sources = sizedir / "sources.toml"
    bench_site.write_registry(sources, site.base, n)
    jobs = sizedir / "jobs.json"
    jobs.write_text(json.dumps([[site.base + bench_site.page_path(i), bench_site.template_of(i)]
                                for i in range(n)]))
    urls = sizedir / "urls.yaml"
    write_urlwatch_jobs(urls, site.base, n)
    cfg = sizedir / "urlwatch.yaml"
    write_urlwatch_config(cfg)
    client_home = work / "prefect-client"
    base_env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "REDLINE_"))}
    tool_env = {**base_env, "HOME": str(sizedir)}
    tool_env.pop("PYTHONPATH", None)
    redline_env = {**base_env, **QUIET, "PREFECT_API_URL": prefect.url, "PREFECT_HOME": str(client_home),
                   "REDLINE_HOST_DELAY": "0", "REDLINE_HOST_CONCURRENCY": str(concurrency),
                   "REDLINE_ALLOW_PRIVATE": "loopback",
                   "COLUMNS": "200"}
    try:
        for rep in range(repeats):
            rd = sizedir / f"rep{rep}"
            if rd.exists():
                shutil.rmtree(rd)
            rd.mkdir()
            archive, floor_state, cache = rd / "archive", rd / "floor-state.json", rd / "urlwatch-cache.db"
            commands = {
                "redline": [str(BIN / "redline"), "run", "--sources", str(sources), "--archive", str(archive)],
                "floor": [sys.executable, str(PROJECT / "bench" / "floor.py"), "--jobs", str(jobs),
                          "--state", str(floor_state), "--concurrency", str(concurrency)],
                "urlwatch": [str(URLWATCH), "--urls", str(urls), "--config", str(cfg),
                             "--hooks", str(rd / "hooks.py"), "--cache", str(cache)],
            }
            tools = ["redline", "floor", "urlwatch"]
            order = tools[rep % 3:] + tools[:rep % 3]
            plan = [("cold", True, 0.0, order), ("steady-304", True, CHANGE_SHARE, order),
                    ("unchanged-304", True, 0.0, order), ("steady-200", False, CHANGE_SHARE, order),
                    ("unchanged-200", False, 0.0, ["redline"])]
            for k, (cycle, conditional, share, tools_now) in enumerate(plan):
                site.control("config", conditional=int(conditional))
                changed = site.control("mutate", share=share, seed=1000 * rep + k)["changed"] if share else []
                site.control("stats")
                for tool in tools_now:
                    before_id = max_capture_id(archive)
                    size0 = folder_bytes(archive) if archive.exists() else (0, 0, 0)
                    if tool == "redline":
                        prefect.ensure()
                    run = measured(commands[tool], env=redline_env if tool != "urlwatch" else tool_env,
                                   cwd=rd, out=rd / f"{cycle}-{tool}.out", timeout=max(600, n))
                    run["statuses"] = site.control("stats")
                    row = {"n": n, "rep": rep, "cycle": cycle, "tool": tool, "changed": len(changed), **run}
                    if tool == "redline":
                        size1 = folder_bytes(archive)
                        row["archive"] = {"apparent": size1[0] - size0[0], "allocated": size1[1] - size0[1],
                                          "files": size1[2] - size0[2], "total_apparent": size1[0],
                                          "total_allocated": size1[1]}
                        row["index"] = index_counts(archive, before_id)
                    if run["rc"] != 0:
                        tail = (rd / f"{cycle}-{tool}.out").read_text(errors="replace")[-2000:]
                        log(f"  {tool} exited {run['rc']}:\n{tail}")
                    results.append(row)
                    save()
                    extra = ""
                    if tool == "redline":
                        ix = row["index"]
                        extra = (f" captures={ix['captures']} errors={ix['errors']} versions={ix['versions']} "
                                 f"alerts={ix['alerts']} +{row['archive']['apparent']} B")
                        if ix["first_error"]:
                            extra += f" first error: {ix['first_error']}"
                    log(f"  N={n} rep={rep} {cycle:13} {tool:8} {run['wall']:7.2f} s  "
                        f"{run['rss_mb']:6.0f} MB  {run['statuses']}{extra}")
    finally:
        site.stop()
    return info


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100,1000")
    parser.add_argument("--repeats", default="5,3", help="repeats per size (comma list, last one repeats)")
    parser.add_argument("--concurrency", type=int, default=2, help="REDLINE_HOST_CONCURRENCY and floor threads")
    parser.add_argument("--latency", type=float, default=0.0, help="site latency per request, seconds")
    parser.add_argument("--out", default=str(PROJECT / "bench" / "results" / "cycle.json"))
    parser.add_argument("--work", help="work folder (default: a temporary folder, removed at the end)")
    parser.add_argument("--live", action="store_true",
                        help="run the working tree's code as it changes (default: a copy of src/redline "
                             "and flows/ taken at the start, so every run measures the same code)")
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # run the clean-up below on SIGTERM
    if not URLWATCH.exists():
        raise SystemExit(f"{URLWATCH} is missing: run `make bench-env` (pip install -r requirements-bench.lock)")
    sizes = [int(s) for s in args.sizes.split(",")]
    reps = [int(r) for r in args.repeats.split(",")]
    reps += [reps[-1]] * (len(sizes) - len(reps))
    work = Path(args.work) if args.work else Path(tempfile.mkdtemp(prefix="redline-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    if not args.live:
        snap = work / "code"
        shutil.rmtree(snap, ignore_errors=True)
        shutil.copytree(PROJECT / "src" / "redline", snap / "redline",
                        ignore=shutil.ignore_patterns("__pycache__"))
        shutil.copytree(PROJECT / "flows", snap / "flows", ignore=shutil.ignore_patterns("__pycache__"))
        os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(snap), os.environ.get("PYTHONPATH")]))
    results: list[dict] = []
    doc = {"started": time.strftime("%Y-%m-%d %H:%M:%S %z"), "concurrency": args.concurrency,
           "latency": args.latency, "change_share": CHANGE_SHARE, "sizes": [], "runs": results,
           "commands": {}}

    def save() -> None:
        out.write_text(json.dumps(doc, indent=1))

    prefect = PrefectServer(work / "prefect-server")
    log("starting the Prefect server (first start runs its migrations)")
    prefect.start()
    doc["prefect_start_seconds"] = prefect.start_seconds
    log(f"Prefect server up in {prefect.start_seconds:.1f} s at {prefect.url}")
    try:
        for n, r in zip(sizes, reps):
            doc["sizes"].append(bench_size(n, r, work=work, prefect=prefect, concurrency=args.concurrency,
                                           latency=args.latency, results=results, save=save))
            save()
    finally:
        doc["prefect_restarts"] = prefect.restarts
        prefect.stop()
        doc["finished"] = time.strftime("%Y-%m-%d %H:%M:%S %z")
        save()
        if not args.work:
            shutil.rmtree(work, ignore_errors=True)
    log(f"results in {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
