"""One `redline serve` per archive: the claim is an flock, taken at once or refused in one line."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from redline.core.config import Settings
from redline.core.errors import RedlineError
from redline.orchestration.serve import serve_claim, serve_state, state_path

BIN = Path(sys.executable).parent
FAKE_API = "http://127.0.0.1:9/api"

HOLDER = """
import sys
from pathlib import Path
from redline.core.config import Settings
from redline.orchestration.serve import serve_claim, serve_state
settings = Settings.resolve(archive=Path(sys.argv[1]), sources=Path(sys.argv[2]))
with serve_claim(settings):
    if sys.argv[3]:
        with serve_state(settings, sys.argv[3]):
            print("claimed", flush=True); sys.stdin.read()
    else:
        print("claimed", flush=True); sys.stdin.read()
"""


def _settings(stack) -> Settings:
    return Settings.resolve(archive=stack.archive.root, sources=stack.registry.path)


def _hold(stack, api_url: str) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-c", HOLDER, str(stack.archive.root), str(stack.registry.path), api_url],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "claimed"
    return proc


def test_a_second_serve_refuses_in_one_line_naming_the_first_ones_pid_and_address(stack) -> None:
    holder = _hold(stack, FAKE_API)
    try:
        env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
        started = time.monotonic()
        r = subprocess.run([str(BIN / "redline"), "serve", "--archive", str(stack.archive.root),
                            "--sources", str(stack.registry.path)], capture_output=True, text=True, env=env,
                           timeout=120, stdin=subprocess.DEVNULL)
        took = time.monotonic() - started
        assert r.returncode != 0
        out = (r.stdout + r.stderr).strip()
        assert len(out.splitlines()) == 1 and "Traceback" not in out, out
        assert "already running" in out and f"pid {holder.pid}" in out and FAKE_API in out, out
        assert took < 30, took  # refused before starting a Prefect server
        # the refused serve left the running one's serve.json alone
        assert json.loads(state_path(_settings(stack)).read_text())["pid"] == holder.pid
    finally:
        holder.communicate("")
    assert holder.returncode == 0 and not state_path(_settings(stack)).exists()


def test_a_serve_still_starting_is_named_by_pid_and_refused(stack) -> None:
    holder = _hold(stack, "")
    try:
        with pytest.raises(RedlineError, match=rf"pid {holder.pid}, its Prefect API is still starting"):
            with serve_claim(_settings(stack)):
                pass
        assert not state_path(_settings(stack)).exists()  # serve.json only once the API answers
    finally:
        holder.communicate("")


def test_a_serve_removes_only_its_own_serve_json_and_the_claim_outlives_a_crash(stack) -> None:
    settings = _settings(stack)
    holder = _hold(stack, FAKE_API)
    holder.kill()  # SIGKILL: the kernel drops the flock; serve.json stays behind, stale
    holder.wait()
    with serve_claim(settings), serve_state(settings, "http://127.0.0.1:10/api"):
        assert json.loads(state_path(settings).read_text())["pid"] == os.getpid()
        state_path(settings).write_text(json.dumps({"pid": 1, "api_url": "http://elsewhere/api"}))
    assert state_path(settings).exists()  # not ours at the end: left alone


@pytest.mark.flow
@pytest.mark.e2e
def test_two_serves_started_in_the_same_second_one_serves_and_the_other_refuses(stack, tmp_path) -> None:
    import signal

    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env.update(REDLINE_HOST_DELAY="0", REDLINE_ALLOW_PRIVATE="loopback", COLUMNS="200")
    cmd = [str(BIN / "redline"), "serve", "--archive", str(stack.archive.root), "--sources", str(stack.registry.path)]
    logs = [open(tmp_path / f"serve{i}.log", "w+") for i in (0, 1)]
    procs = [subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env, stdin=subprocess.DEVNULL)
             for log in logs]
    state = state_path(_settings(stack))
    try:
        deadline = time.monotonic() + 240
        while not (any(p.poll() is not None for p in procs) and state.exists()
                   and json.loads(state.read_text()).get("api_url")):
            assert time.monotonic() < deadline, [log.name for log in logs]
            time.sleep(0.5)
        refused = next(i for i, p in enumerate(procs) if p.poll() is not None)
        running = procs[1 - refused]
        assert running.poll() is None and procs[refused].returncode != 0
        out = (tmp_path / f"serve{refused}.log").read_text().strip()
        assert len(out.splitlines()) == 1 and f"pid {running.pid}" in out, out
        served = json.loads(state.read_text())
        assert served["pid"] == running.pid  # the refused one did not delete or overwrite it
        assert served["api_url"] in out or "still starting" in out, out
        r = subprocess.run([str(BIN / "redline"), "status", *cmd[2:]], capture_output=True, text=True, env=env,
                           timeout=120)
        assert "not served" not in r.stdout, r.stdout + r.stderr
    finally:
        for p in procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
                p.wait(timeout=60)
        for log in logs:
            log.close()
    assert not state.exists()
