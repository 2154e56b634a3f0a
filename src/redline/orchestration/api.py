"""How a run reaches a Prefect API on a fresh machine.

- PREFECT_API_URL set: use that server (a `redline serve`, or a shared server).
- Otherwise start a local `prefect server start` (SQLite under the archive's
  .prefect folder) on a free loopback port for the duration of the command,
  wait for it to answer /api/health (up to PREFECT_START_TIMEOUT, default
  180 s: first-start migrations take 11-24 s here), and stop it afterwards.

Prefect's ephemeral in-process server is avoided on purpose: here it fails
3 runs in 5 on its 20 s start-up timeout, keeps only part of the task history
and never fires schedules.
"""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import httpx

from redline.core.stop import Stopped, stop_reason, stop_requested
from redline.core.errors import PrefectUnavailable
from redline.ingest.transport import tls_context

QUIET_ENV = {
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "PREFECT_UI_ENABLED": "false",
    "PREFECT_SERVER_UI_ENABLED": "false",
    "PREFECT_LOGGING_LEVEL": "WARNING",
    "PREFECT_LOGGING_SERVER_LEVEL": "WARNING",
    "PREFECT_RESULTS_PERSIST_BY_DEFAULT": "false",
    "DO_NOT_TRACK": "1",   # the client's own usage reporting (prefect._internal.analytics): off too
}


def quiet_prefect_env(prefect_home: Path, *, verbose: bool = False) -> None:
    """Set Prefect's environment before Prefect is imported (its settings are read at import).
    The home folder is made here: Prefect makes it at import without its parents, and in a
    new archive folder warns that it failed (a UserWarning on the user's terminal)."""
    os.environ.setdefault("PREFECT_HOME", str(prefect_home))
    try:
        Path(os.environ["PREFECT_HOME"]).expanduser().mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError:
        pass  # an unwritable place: the command that writes the archive there says so in one line
    for key, value in QUIET_ENV.items():
        if verbose and "LOGGING" in key:
            continue
        os.environ.setdefault(key, value)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def healthy(api_url: str, *, timeout: float = 2.0) -> bool:
    try:  # the shared TLS context: a new one per call costs 25-65 ms, and a start-up polls every 0.25 s
        return httpx.get(api_url.rstrip("/") + "/health", timeout=timeout, verify=tls_context()).status_code == 200
    except httpx.HTTPError:
        return False


def _prefect_exe() -> str:
    exe = Path(sys.executable).with_name("prefect")
    return str(exe) if exe.exists() else "prefect"


@contextmanager
def local_server(prefect_home: Path, *, timeout: float | None = None, ui: bool = False) -> Iterator[str]:
    """Start `prefect server start` on a free loopback port; yield its API URL; stop it.
    With `ui`, the server also serves Prefect's UI at the port's root (`redline serve`)."""
    timeout = timeout or float(os.environ.get("PREFECT_START_TIMEOUT", "180"))
    prefect_home.mkdir(parents=True, exist_ok=True)
    port = _free_port()
    api_url = f"http://127.0.0.1:{port}/api"
    log_path = prefect_home / "server.log"
    env = {**os.environ, **QUIET_ENV, "PREFECT_HOME": str(prefect_home)}
    if ui:
        env.update(PREFECT_UI_ENABLED="true", PREFECT_SERVER_UI_ENABLED="true", PREFECT_UI_API_URL=api_url)
    env.pop("PREFECT_API_URL", None)
    with open(log_path, "ab") as log:
        proc = subprocess.Popen(
            [_prefect_exe(), "server", "start", "--host", "127.0.0.1", "--port", str(port),
             *(() if ui else ("--no-ui",)), "--analytics-off"],
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env,
            start_new_session=True)
    try:
        deadline = time.monotonic() + timeout
        while not healthy(api_url):
            if stop_requested():   # a signal while the server starts (redline.orchestration.supervise)
                raise Stopped(stop_reason() or "", finished=True)
            if proc.poll() is not None:
                raise PrefectUnavailable(
                    f"the local Prefect server exited with code {proc.returncode} while starting; see {log_path}")
            if time.monotonic() > deadline:
                raise PrefectUnavailable(
                    f"the local Prefect server did not answer within {timeout:.0f} s; see {log_path} "
                    "(raise PREFECT_START_TIMEOUT, or set PREFECT_API_URL to a running server)")
            time.sleep(0.25)
        yield api_url
    finally:
        _stop(proc)


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=20)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait()


@contextmanager
def foreground_run() -> Iterator[None]:
    """Prefect settings for a flow run in a command's foreground (`redline run`, `discover`,
    `refresh` without a server, the demo): no heartbeats, unless configured
    (PREFECT_FLOWS_HEARTBEAT_FREQUENCY in the environment or a Prefect profile).

    Heartbeats feed an automation, if one was set up, that marks a deployment's silent runs
    as crashed. Prefect sends them every 180 s by default from a thread that sleeps in 1 s
    steps, and a flow run waits for that thread at its end: up to 1 s, 0.5 s on average,
    of every `redline run`. Deployment runs (`redline serve`) keep Prefect's default."""
    from prefect.events.worker import EventsWorker
    from prefect.settings import (
        PREFECT_FLOWS_HEARTBEAT_FREQUENCY,
        get_current_settings,
        temporary_settings,
    )

    configured = "heartbeat_frequency" in get_current_settings().flows.model_fields_set
    with temporary_settings(updates={} if configured else {PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}):
        yield
        # The run's last events (its tasks' and its own final states) are still being sent:
        # wait for them here, as the exit would, but without Prefect's "Still processing
        # items" warning on the terminal (the heartbeat's wait used to leave them the time).
        if get_current_settings().api.url:  # else no events were sent (and none should start now)
            EventsWorker.instance().wait_until_empty()


def point_at(url: str) -> None:
    """Use the Prefect API at `url` from now on in this process: the one place redline sets
    PREFECT_API_URL (before Prefect is imported, its settings read it from there)."""
    os.environ["PREFECT_API_URL"] = url


@contextmanager
def prefect_api(prefect_home: Path, *, ui: bool = False) -> Iterator[str]:
    """Yield a Prefect API URL that answers: PREFECT_API_URL, or a local server started now
    (with Prefect's UI at its root when `ui`)."""
    configured = os.environ.get("PREFECT_API_URL")
    if configured:
        if not healthy(configured, timeout=10):
            raise PrefectUnavailable(f"PREFECT_API_URL={configured} does not answer; start that server "
                                     "or unset PREFECT_API_URL to let redline start a local one")
        yield configured
        return
    with local_server(prefect_home, ui=ui) as url:
        point_at(url)
        try:
            if "prefect" in sys.modules:  # settings were read at import: override them too
                from prefect.settings import PREFECT_API_URL, temporary_settings

                with temporary_settings(updates={PREFECT_API_URL: url}):
                    yield url
            else:
                yield url
        finally:
            os.environ.pop("PREFECT_API_URL", None)
