"""`redline refresh --wait` and `redline run` hand the cycle to a running serve over
Prefect's REST API (redline.orchestration.rest), without importing Prefect: here against a
stand-in API on loopback that answers the three calls they make."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from redline.core.errors import RedlineError
from redline.orchestration import rest

RUN_ID = "7d3c1a52-0000-4000-8000-000000000001"
DEPLOYMENT_ID = "7d3c1a52-0000-4000-8000-0000000000d1"


class FakePrefect:
    """/api/health, the deployment by name, create_flow_run, and the run's state: Scheduled,
    Running, then `final` (a sequence of polls)."""

    def __init__(self, final: str, *, busy: int = 0) -> None:
        self.states = ["SCHEDULED", "RUNNING", final]
        self.busy = busy   # answer 503 (SQLite locked) to this many create_flow_run calls first
        self.created: list[dict] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def _send(self, status: int, body: object) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                if self.path == "/api/health":
                    self._send(200, True)
                elif self.path == "/api/deployments/name/monitor/all":
                    self._send(200, {"id": DEPLOYMENT_ID})
                elif self.path == f"/api/flow_runs/{RUN_ID}":
                    kind = fake.states.pop(0) if len(fake.states) > 1 else fake.states[0]
                    self._send(200, {"id": RUN_ID, "state": {"type": kind, "name": kind.title(),
                                                             "message": "boom" if kind == "FAILED" else None}})
                else:
                    self._send(404, {"detail": "Not found"})

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                if self.path == f"/api/deployments/{DEPLOYMENT_ID}/create_flow_run" and fake.busy:
                    fake.busy -= 1
                    self._send(503, {"detail": "database is locked"})
                elif self.path == f"/api/deployments/{DEPLOYMENT_ID}/create_flow_run":
                    fake.created.append(body)
                    self._send(201, {"id": RUN_ID, "name": body["name"]})
                else:
                    self._send(404, {"detail": "Not found"})

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/api"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


WAKEABLE = ("import signal, sys, time; signal.signal(signal.SIGUSR1, lambda *a: print('woken', flush=True)); "
            "print('ready', flush=True); time.sleep(300)")


@pytest.fixture
def served(stack):
    """A stand-in serve for the stack's archive: serve.json names the fake API and a process
    that says when SIGUSR1 wakes it (as WarmRunner.wake)."""
    serve = subprocess.Popen([sys.executable, "-c", WAKEABLE], stdout=subprocess.PIPE, text=True)
    assert serve.stdout.readline().strip() == "ready"

    def make(final: str = "COMPLETED", *, busy: int = 0) -> FakePrefect:
        fake = FakePrefect(final, busy=busy)
        made.append(fake)
        state = stack.archive.root / ".prefect" / "serve.json"
        state.parent.mkdir(parents=True, exist_ok=True)
        state.write_text(json.dumps({"api_url": fake.url, "pid": serve.pid}))
        return fake

    made: list[FakePrefect] = []
    make.serve = serve
    yield make
    serve.kill()
    serve.wait()
    for fake in made:
        fake.close()


PROBE = ("import sys; from redline.cli.main import _run; code = _run(sys.argv[1:]); "
         "print('prefect imported:', 'prefect' in sys.modules); sys.exit(code)")


def _redline(stack, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env.update(COLUMNS="200", REDLINE_HOST_DELAY="0")
    loc = ["--archive", str(stack.archive.root), "--sources", str(stack.registry.path)]
    return subprocess.run([sys.executable, "-c", PROBE, *args, *loc], capture_output=True, text=True, env=env,
                          timeout=120, stdin=subprocess.DEVNULL)


def test_refresh_wait_under_serve_creates_a_run_over_http_waits_for_it_and_never_imports_prefect(stack,
                                                                                                 served) -> None:
    fake = served()
    name = stack.registry.statements()[0].name
    r = _redline(stack, "refresh", name, "--wait")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "prefect imported: False" in r.stdout
    assert f"flow run {fake.created[0]['name']}: completed" in r.stdout
    [body] = fake.created
    assert body["parameters"] == {"sources": [name]} and "manual-refresh" in body["tags"]
    assert body["name"].startswith("refresh-by-") and body["state"]["type"] == "SCHEDULED"
    assert served.serve.stdout.readline().strip() == "woken"   # told to look for the run now


def test_a_served_run_that_fails_makes_refresh_and_run_exit_1_saying_why(stack, served) -> None:
    served("FAILED")
    name = stack.registry.statements()[0].name
    r = _redline(stack, "refresh", name, "--wait")
    assert r.returncode == 1 and ": failed (boom)" in r.stdout, r.stdout + r.stderr
    served("FAILED")
    r = _redline(stack, "run", "--source", name)
    assert r.returncode == 1 and ": failed (boom)" in r.stdout, r.stdout + r.stderr
    assert "prefect imported: False" in r.stdout and "Traceback" not in r.stderr


def test_run_under_serve_hands_the_cycle_over_instead_of_starting_prefect_even_if_the_server_is_busy_once(
        stack, served) -> None:
    fake = served(busy=1)
    r = _redline(stack, "run", "--tag", stack.registry.statements()[0].tags[0])
    assert r.returncode == 0, r.stdout + r.stderr
    assert "redline serve is running for this archive" in r.stdout and "prefect imported: False" in r.stdout
    [body] = fake.created   # the 503 retried, once
    assert body["parameters"] == {"tags": [stack.registry.statements()[0].tags[0]]} and fake.busy == 0


def _flaky_client(failures: int) -> tuple[httpx.Client, list[str]]:
    asked: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        asked.append(request.method)
        if len(asked) <= failures:
            raise httpx.ReadTimeout("timed out", request=request)
        return httpx.Response(200, json={"state": {"type": "COMPLETED", "name": "Completed"}})
    return httpx.Client(base_url="http://127.0.0.1:9/api/", transport=httpx.MockTransport(handler)), asked


def test_a_state_read_that_times_out_is_asked_again_so_a_slow_server_does_not_end_the_wait(monkeypatch) -> None:
    monkeypatch.setattr(rest, "RETRY_DELAYS", (0.0, 0.0, 0.0))
    client, asked = _flaky_client(failures=2)
    assert rest.read_state(client, "run-1").completed and asked == ["GET"] * 3


def test_a_write_that_times_out_is_not_sent_twice_and_says_so_in_one_line(monkeypatch) -> None:
    monkeypatch.setattr(rest, "RETRY_DELAYS", (0.0, 0.0, 0.0))
    client, asked = _flaky_client(failures=1)
    with pytest.raises(RedlineError, match="did not answer POST flow_runs in time"):
        rest._call(client, "POST", "flow_runs", json={})
    assert asked == ["POST"]


def test_a_read_that_never_answers_ends_in_one_line_after_the_retries(monkeypatch) -> None:
    monkeypatch.setattr(rest, "RETRY_DELAYS", (0.0, 0.0))
    client, asked = _flaky_client(failures=99)
    with pytest.raises(RedlineError, match="is `redline serve` still running"):
        rest.read_state(client, "run-1")
    assert asked == ["GET"] * 3
