"""Warm served runs (redline.orchestration.warm) against a local `prefect server start` on
loopback: states, the deployment's concurrency limit, cancel, crash, stop."""
from __future__ import annotations

import contextvars
import os
import threading
import time
from pathlib import Path

import pytest

pytestmark = [pytest.mark.flow, pytest.mark.slow, pytest.mark.e2e]
TARGET = "support.warm_flows:sleepy"


@pytest.fixture(scope="module")
def api(tmp_path_factory):
    from redline.orchestration.api import local_server

    saved = os.environ.get("PREFECT_API_URL")
    processes = os.environ.get("REDLINE_CHECK_PROCESSES")
    os.environ["REDLINE_CHECK_PROCESSES"] = "1"   # every run forks one, whatever the cores
    with local_server(tmp_path_factory.mktemp("prefect")) as url:
        os.environ["PREFECT_API_URL"] = url   # for the forkserver, which keeps the environment it starts with
        from prefect.settings import PREFECT_API_URL, temporary_settings

        with temporary_settings(updates={PREFECT_API_URL: url}):
            yield url
    for name, value in (("PREFECT_API_URL", saved), ("REDLINE_CHECK_PROCESSES", processes)):
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


@pytest.fixture(scope="module")
def client(api):
    from prefect.client.orchestration import get_client

    with get_client(sync_client=True) as c:
        yield c


@pytest.fixture(scope="module")
def deployment(api):
    from prefect.client.schemas.objects import ConcurrencyLimitConfig, ConcurrencyLimitStrategy

    from support.warm_flows import sleepy

    return sleepy.to_deployment(name="warm-test", concurrency_limit=ConcurrencyLimitConfig(
        limit=1, collision_strategy=ConcurrencyLimitStrategy.ENQUEUE)).apply()


@pytest.fixture
def runner(api, deployment):
    """A WarmRunner looping in a thread (as `serve`'s main thread would), stopped afterwards."""
    from redline.orchestration.warm import WarmRunner

    warm = WarmRunner({deployment: TARGET}, poll=0.2)
    thread = threading.Thread(target=contextvars.copy_context().run, args=(warm.run_forever,), daemon=True)
    thread.start()
    yield warm
    warm.stop("test over")
    thread.join(30)
    assert not thread.is_alive()


def _start(client, deployment, **parameters):
    return client.create_flow_run_from_deployment(deployment, parameters=parameters)


def _state(client, run_id):
    return client.read_flow_run(run_id).state


def _wait(client, run_id, done, timeout: float = 60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        state = _state(client, run_id)
        if done(state):
            return state
        time.sleep(0.1)
    raise AssertionError(f"flow run {run_id} still {_state(client, run_id).name} after {timeout:.0f} s")


def _group(pgid: int) -> list[int]:
    """The live processes of a process group (a run and its check processes)."""
    members = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid and fields[0] not in ("Z", "X"):
            members.append(int(stat.parent.name))
    return members


def _history(client, run_id) -> list[str]:
    return [s.name for s in sorted(client.read_flow_run_states(run_id), key=lambda s: s.timestamp)]


def test_a_served_run_starts_warm_within_a_second_and_goes_through_prefects_states(client, deployment, runner,
                                                                                  tmp_path) -> None:
    marker = tmp_path / "began"
    run = _start(client, deployment, marker=str(marker))
    final = _wait(client, run.id, lambda s: s.is_final())
    assert final.is_completed(), final
    assert _history(client, run.id) == ["Scheduled", "Pending", "Running", "Completed"]
    pending = next(s for s in client.read_flow_run_states(run.id) if s.name == "Pending").timestamp.timestamp()
    began = float(marker.read_text().split()[0])
    print(f"\nPending to the flow's first line: {began - pending:.3f} s")
    assert 0 <= began - pending < 1.5   # a cold `python -m prefect.engine`: about 2 s unloaded, 4 s loaded


def test_the_deployment_concurrency_limit_runs_one_at_a_time(client, deployment, runner, tmp_path) -> None:
    runs = [_start(client, deployment, seconds=1.0) for _ in range(2)]
    for run in runs:
        assert _wait(client, run.id, lambda s: s.is_final(), timeout=90).is_completed()
    spans = []
    for run in runs:
        states = {s.name: s.timestamp for s in client.read_flow_run_states(run.id)}
        spans.append((states["Running"], states["Completed"]))
    (a_start, a_end), (b_start, b_end) = sorted(spans)
    assert a_end <= b_start, spans


def test_a_cancelled_run_is_killed_with_its_check_processes_within_5_s_and_marked_cancelled(client, deployment, runner) -> None:
    from prefect.states import Cancelling

    run = _start(client, deployment, seconds=120)
    _wait(client, run.id, lambda s: s.is_running())
    process = runner.active[run.id].process
    assert len(_group(process.pid)) == 2   # the run and its check process
    asked = time.monotonic()
    client.set_flow_run_state(run.id, Cancelling())
    final = _wait(client, run.id, lambda s: s.is_final(), timeout=10)
    took = time.monotonic() - asked
    print(f"\ncancel to Cancelled: {took:.2f} s")
    assert final.is_cancelled() and took < 5.0
    assert not process.is_alive() and _group(process.pid) == []


def test_a_run_that_raises_is_failed_one_killed_is_crashed_and_the_next_run_completes(client, deployment,
                                                                                     runner) -> None:
    raised = _start(client, deployment, then="raise")
    assert _wait(client, raised.id, lambda s: s.is_final()).is_failed()
    killed = _start(client, deployment, then="kill")
    crashed = _wait(client, killed.id, lambda s: s.is_final())
    assert crashed.is_crashed() and "exit code -9" in crashed.message
    after = _start(client, deployment)
    assert _wait(client, after.id, lambda s: s.is_final()).is_completed()


def test_stopping_serve_cancels_the_run_in_progress_and_leaves_the_schedule_alone(client, deployment, api) -> None:
    from redline.orchestration.warm import WarmRunner

    warm = WarmRunner({deployment: TARGET}, poll=0.2)
    thread = threading.Thread(target=contextvars.copy_context().run, args=(warm.run_forever,), daemon=True)
    thread.start()
    run = _start(client, deployment, seconds=120)
    _wait(client, run.id, lambda s: s.is_running())
    process = warm.active[run.id].process
    warm.stop("redline serve stopped (SIGTERM)")
    thread.join(15)
    assert not thread.is_alive() and not process.is_alive()
    final = _state(client, run.id)
    assert final.is_cancelled() and "SIGTERM" in final.message
    assert client.read_deployment(deployment).paused is False


def test_redline_serve_cancels_a_run_on_prefects_cli_and_a_sigterm_leaves_no_run_running(tmp_path) -> None:
    """The whole `redline serve`: 20 slow sources (a 0.5 s host delay: a run of ~10 s)."""
    import json
    import re
    import signal
    import sqlite3
    import subprocess
    import sys
    from pathlib import Path

    from redline.demo.loopback import LoopbackSite
    from redline.orchestration.rest import _client, read_state

    bin_dir = Path(sys.executable).parent
    with LoopbackSite() as site:
        for k in range(20):
            site.put(f"/s{k}.html", f"<html><body><div class='article'><p>Statement {k}.</p></div></body></html>"
                     .encode())
        registry = tmp_path / "sources.toml"
        registry.write_text("\n".join(f'[[source]]\nname = "s{k}"\nurl = "{site.url(f"/s{k}.html")}"\n'
                                      f'profile = "generic"\n' for k in range(20)), encoding="utf-8")
        root = tmp_path / "archive"
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "REDLINE_"))}
        env.update(REDLINE_HOST_DELAY="0.5", REDLINE_HOST_CONCURRENCY="1", REDLINE_ALLOW_PRIVATE="loopback",
                   COLUMNS="200")
        loc = ["--archive", str(root), "--sources", str(registry)]
        log = open(tmp_path / "serve.log", "w")
        serve = subprocess.Popen([str(bin_dir / "redline"), "serve", "--no-ui", *loc], stdout=log,
                                 stderr=subprocess.STDOUT, env=env, stdin=subprocess.DEVNULL)
        try:
            state_file = root / ".prefect" / "serve.json"
            deadline = time.monotonic() + 240
            while not state_file.exists() and time.monotonic() < deadline and serve.poll() is None:
                time.sleep(0.2)
            api = json.loads(state_file.read_text())["api_url"]

            def refresh_started() -> str:
                r = subprocess.run([str(bin_dir / "redline"), "refresh", "--all", *loc], capture_output=True,
                                   text=True, env=env, timeout=120, stdin=subprocess.DEVNULL)
                assert r.returncode == 0, r.stdout + r.stderr
                return re.search(r"\(([0-9a-f-]{36})\)", r.stdout).group(1)

            def wait_state(run_id: str, done, timeout: float = 60.0):
                with _client(api) as client:
                    end = time.monotonic() + timeout
                    while time.monotonic() < end:
                        state = read_state(client, run_id)
                        if done(state):
                            return state
                        time.sleep(0.1)
                raise AssertionError(f"run {run_id} still {state.name}")

            first = refresh_started()
            wait_state(first, lambda s: s.type == "RUNNING")
            r = subprocess.run([str(bin_dir / "prefect"), "flow-run", "cancel", first], capture_output=True,
                               text=True, env={**env, "PREFECT_API_URL": api}, timeout=120)
            asked = time.monotonic()   # the CLI set Cancelling (after its own ~2 s of imports)
            assert r.returncode == 0, r.stdout + r.stderr
            cancelled = wait_state(first, lambda s: s.final, timeout=10)
            took = time.monotonic() - asked
            print(f"\n`prefect flow-run cancel` returned to Cancelled: {took:.2f} s")
            assert cancelled.type == "CANCELLED" and took < 5.0

            second = refresh_started()   # serve goes on after the cancel
            wait_state(second, lambda s: s.type == "RUNNING")
        finally:
            serve.send_signal(signal.SIGTERM)
            code = serve.wait(timeout=60)
            log.close()
    out = (tmp_path / "serve.log").read_text()
    assert code == 0 and "Traceback" not in out and "stopped; schedules stay active" in out, out
    db = sqlite3.connect(root / ".prefect" / "prefect.db")
    ended = db.execute("SELECT r.state_type, s.message FROM flow_run r JOIN flow_run_state s ON s.id = r.state_id "
                       "WHERE r.name LIKE 'refresh-by-%' ORDER BY r.created").fetchall()
    assert [t for t, _ in ended] == ["CANCELLED", "CANCELLED"], ended
    assert "SIGTERM" in ended[1][1] and "SIGTERM" not in (ended[0][1] or ""), ended   # the stop says why
    assert [p for (p,) in db.execute("SELECT paused FROM deployment")] == [0, 0]
