"""Several redline machines in one test: PostgreSQL (one database for Prefect's server, one for
redline's index), SeaweedFS (the blobs), `prefect server start` on PostgreSQL, the repository's
prefect.yaml deployed to the `redline` process pool, its zombie-run automation, and Prefect
workers, each in its own temporary folder (its own PREFECT_HOME, archive folder and copy of
the sources file: nothing on a shared filesystem) and its own session, so that a signal to its
process group reaches the worker and its runs.

The Prefect API is driven over REST with httpx, and the CLI in subprocesses, so that this
test process's own Prefect settings are never pointed at the cluster's server."""
from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from contextlib import ExitStack
from pathlib import Path

import httpx
import yaml

from redline.orchestration.api import local_server
from support import pgserver
from support.seaweed import start_seaweed

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
POOL = "redline"
FINAL = {"COMPLETED", "FAILED", "CRASHED", "CANCELLED"}


def _cli(name: str) -> str:
    exe = BIN / name
    return str(exe) if exe.exists() else name


def _descendants(pid: int) -> list[int]:
    """Every process under `pid` (from /proc), children first."""
    parents: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = [], [pid]
    while todo:
        children = parents.get(todo.pop(), [])
        found += children
        todo += children
    return found


class Worker:
    def __init__(self, name: str, folder: Path, env: dict[str, str]) -> None:
        self.name, self.folder, self.env = name, folder, env
        self.process: subprocess.Popen | None = None

    def start(self) -> "Worker":
        log = open(self.folder / "worker.log", "ab")
        self.process = subprocess.Popen(
            [_cli("prefect"), "worker", "start", "--pool", POOL, "--limit", "1", "--name", self.name],
            cwd=self.folder, env=self.env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True)
        log.close()
        return self

    def kill(self) -> None:
        """SIGKILL the worker and every process under it (its runs start in their own sessions):
        a machine lost."""
        if self.process and self.process.poll() is None:
            for pid in [self.process.pid, *_descendants(self.process.pid)]:
                try:
                    os.killpg(os.getpgid(pid), signal.SIGKILL)
                except ProcessLookupError:
                    pass
            self.process.wait(timeout=10)

    def stop(self, *, grace: float = 20) -> float:
        """SIGTERM to the worker's process group; seconds it took to exit."""
        if not self.process or self.process.poll() is not None:
            return 0.0
        began = time.monotonic()
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            self.kill()
        return time.monotonic() - began

    def log(self) -> str:
        return (self.folder / "worker.log").read_text(errors="replace")

    def ran(self) -> set[str]:
        """The flow runs this worker started (the others' it tried too are aborted by the server)."""
        log = self.log()
        return set(re.findall(r"submitting flow run '([0-9a-f-]+)'", log)) - set(
            re.findall(r"Aborted submission of flow run '([0-9a-f-]+)'", log))


class Cluster:
    def __init__(self, root: Path, sources_toml: str, *, crash_within: float = 60) -> None:
        self.root, self.sources_toml, self.crash_within = root, sources_toml, crash_within
        self.workers: list[Worker] = []
        self.retired: list[Worker] = []      # killed ones: their folders (alert logs) stay
        self._stack = ExitStack()

    # --- start -------------------------------------------------------------------------
    def start(self, *, workers: int = 2, extra_env: dict[str, str]) -> "Cluster":
        self.pg = pgserver.PgServer().start()
        self._stack.callback(self.pg.stop)
        self.pg.admin("CREATE DATABASE prefect")
        self.store_url = self.pg.new_database()
        self.weed = start_seaweed(self.root / "seaweed", _cli("weed"))
        self._stack.callback(self.weed.stop)
        self.api = self._server()
        self.http = self._stack.enter_context(httpx.Client(base_url=self.api.rstrip("/") + "/", timeout=30))
        self.base_env = {**os.environ, **self.weed.env(), **extra_env, "PREFECT_API_URL": self.api,
                         "REDLINE_STORE": self.store_url, "REDLINE_BLOBS": self.weed.url("archive"),
                         "PREFECT_SERVER_ANALYTICS_ENABLED": "false", "DO_NOT_TRACK": "1"}
        for key in ("REDLINE_ARCHIVE", "REDLINE_SOURCES", "REDLINE_CONFIG", "PREFECT_HOME"):
            self.base_env.pop(key, None)
        self._deploy()
        for i in range(workers):
            self.add_worker(f"worker-{i + 1}")
        return self

    def _server(self) -> str:
        """`prefect server start` on PostgreSQL; the variables are set only while it starts
        (it copies the environment), so nothing else in this test process sees them."""
        url = f"postgresql+asyncpg://postgres@127.0.0.1:{self.pg.port}/prefect"
        saved = {k: os.environ.get(k) for k in ("PREFECT_API_DATABASE_CONNECTION_URL",
                                                "PREFECT_SERVER_SERVICES_SCHEDULER_ENABLED")}
        os.environ["PREFECT_API_DATABASE_CONNECTION_URL"] = url
        os.environ["PREFECT_SERVER_SERVICES_SCHEDULER_ENABLED"] = "false"  # runs only when the test asks
        try:
            return self._stack.enter_context(local_server(self.root / "prefect-server"))
        finally:
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value

    def prefect(self, *args: str, cwd: Path | None = None) -> str:
        env = {**self.base_env, "PREFECT_HOME": str(self.root / "deployer")}
        done = subprocess.run([_cli("prefect"), "--no-prompt", *args], cwd=cwd or self.root, env=env,
                              capture_output=True, text=True, timeout=180)
        if done.returncode != 0:
            raise RuntimeError(f"prefect {' '.join(args)} failed: {done.stdout[-1500:]} {done.stderr[-1500:]}")
        return done.stdout

    def _deploy(self) -> None:
        self.prefect("work-pool", "create", POOL, "--type", "process")
        self.prefect("deploy", "--all", cwd=REPO)   # the repository's prefect.yaml, as an operator would
        automations = yaml.safe_load((REPO / "prefect-automations.yaml").read_text())["automations"]
        for automation in automations:   # the shipped automation, with a shorter wait (a test budget)
            automation["trigger"]["within"] = self.crash_within
            self.http.post("automations/", json=automation).raise_for_status()

    def add_worker(self, name: str) -> Worker:
        folder = self.root / name
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "sources.toml").write_text(self.sources_toml, encoding="utf-8")
        env = {**self.base_env, "PREFECT_HOME": str(folder / ".prefect"), "REDLINE_WORKDIR": str(folder),
               "REDLINE_ARCHIVE": "archive", "REDLINE_SOURCES": "sources.toml",
               "PREFECT_FLOWS_HEARTBEAT_FREQUENCY": "30", "PREFECT_WORKER_QUERY_SECONDS": "1",
               "PREFECT_WORKER_PREFETCH_SECONDS": "1"}
        worker = Worker(name, folder, env).start()
        self.workers.append(worker)
        return worker

    def replace(self, worker: Worker) -> Worker:
        """A new machine in place of a lost one (a new folder: nothing carried over)."""
        self.workers.remove(worker)
        self.retired.append(worker)
        return self.add_worker(worker.name + "-again")

    def stop(self) -> None:
        for worker in self.workers:
            worker.stop()
        self._stack.close()

    # --- runs --------------------------------------------------------------------------
    def deployment_id(self, name: str) -> str:
        got = self.http.get(f"deployments/name/{name}")
        got.raise_for_status()
        return got.json()["id"]

    def deployment(self, name: str) -> dict:
        got = self.http.get(f"deployments/{self.deployment_id(name)}")
        got.raise_for_status()
        return got.json()

    def queue(self, deployment: str, n: int) -> list[str]:
        ident = self.deployment_id(deployment)
        runs = []
        for _ in range(n):
            made = self.http.post(f"deployments/{ident}/create_flow_run", json={})
            made.raise_for_status()
            runs.append(made.json()["id"])
        return runs

    def run(self, run_id: str) -> dict:
        got = self.http.get(f"flow_runs/{run_id}")
        got.raise_for_status()
        return got.json()

    def state(self, run_id: str) -> str:
        state = self.run(run_id).get("state") or {}
        return state.get("type") or "PENDING"

    def wait_final(self, run_ids: list[str], *, timeout: float) -> dict[str, str]:
        deadline = time.monotonic() + timeout
        while True:
            states = {r: self.state(r) for r in run_ids}
            if all(s in FINAL for s in states.values()):
                return states
            if time.monotonic() > deadline:
                raise AssertionError(f"runs not finished within {timeout:g} s: {states}\n{self.logs()}")
            time.sleep(0.5)

    def worker_of(self, run_id: str) -> Worker | None:
        """The worker that took this flow run (from the workers' own logs)."""
        return next((w for w in self.workers if run_id in w.ran()), None)

    def prefect_rows(self, table: str) -> int:
        """Rows of one table of Prefect's server database (PostgreSQL)."""
        import psycopg

        with psycopg.connect(self.pg.url("prefect")) as conn:
            return conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]

    def logs(self) -> str:
        return "\n".join(f"--- {w.name}\n{w.log()[-3000:]}" for w in self.workers)
