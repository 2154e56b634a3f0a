"""`redline serve` end to end: a local Prefect server, scheduled deployments, three ways to refresh, clean stop."""
from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = [pytest.mark.flow, pytest.mark.slow, pytest.mark.e2e]
BIN = Path(sys.executable).parent


def _wait_for(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.5)
    raise AssertionError(f"timed out waiting for {what}")


def test_serve_schedules_refreshes_three_ways_and_stops_cleanly_on_sigterm(stack, tmp_path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env.update(REDLINE_HOST_DELAY="0", REDLINE_ALLOW_PRIVATE="loopback", COLUMNS="200")
    loc = ["--archive", str(stack.archive.root), "--sources", str(stack.registry.path)]
    state = stack.archive.root / ".prefect" / "serve.json"
    log = open(tmp_path / "serve.log", "w")
    env["REDLINE_OPERATOR_TOKEN"] = "tok-3f9a"
    serve = subprocess.Popen([str(BIN / "redline"), "serve", "--browse", "0", *loc], stdout=log, stderr=subprocess.STDOUT,
                             env=env, stdin=subprocess.DEVNULL)
    try:
        _wait_for(lambda: state.exists(), 240, "serve.json")
        api = json.loads(state.read_text())["api_url"]
        first, second = [s.name for s in stack.registry.statements()[:2]]

        # 1. redline refresh NAME --wait: a run of the served deployment, then the summary table
        r = subprocess.run([str(BIN / "redline"), "refresh", first, "--wait", *loc], capture_output=True,
                           text=True, env=env, timeout=240, stdin=subprocess.DEVNULL)
        assert r.returncode == 0, r.stdout + r.stderr
        assert ": completed" in r.stdout and first in r.stdout and "Traceback" not in r.stderr

        # 2. Prefect's own CLI, with parameters
        before = stack.archive.counts()["captures"]
        r = subprocess.run([str(BIN / "prefect"), "deployment", "run", "monitor/all", "-p", f'sources=["{second}"]'],
                           capture_output=True, text=True, env={**env, "PREFECT_API_URL": api}, timeout=120)
        assert r.returncode == 0, r.stdout + r.stderr
        _wait_for(lambda: stack.archive.counts()["captures"] > before, 120, "the deployment run's capture")
        assert stack.archive.source_row(second)["last_status"] in (200, 304)

        # 3. the browse view's "Refresh now" (token required) starts a run of the served deployment
        import httpx
        import re

        base = re.search(r"redline browse: (http://127\.0\.0\.1:\d+)/", (tmp_path / "serve.log").read_text()).group(1)
        assert httpx.get(base + "/").status_code == 200
        # serve prints the three addresses, and Prefect's UI answers at its root
        served_log = (tmp_path / "serve.log").read_text()
        assert f"browse view:  {base}/" in served_log and f"alert feed:   {base}/alerts/feed.xml" in served_log
        ui = re.search(r"Prefect UI:   (http://127\.0\.0\.1:\d+)/", served_log).group(1)
        page = httpx.get(ui + "/")
        assert page.status_code == 200 and "<html" in page.text.lower() and ui == api.removesuffix("/api")
        r = httpx.post(f"{base}/sources/{first}/refresh", data={"token": "wrong", "who": "ana"})
        assert r.status_code == 403
        r = httpx.post(f"{base}/sources/{first}/refresh", data={"token": "tok-3f9a", "who": "ana"})
        assert r.status_code == 303
        action = json.loads((stack.archive.root / "operator-actions.jsonl").read_text().splitlines()[-1])
        assert action["by"] == "ana" and action["started"].startswith("flow run refresh-by-ana-")

        # 4. status sees the schedule's next run
        r = subprocess.run([str(BIN / "redline"), "status", *loc], capture_output=True, text=True, env=env,
                           timeout=120)
        assert r.returncode == 0, r.stdout + r.stderr
        assert "not served" not in r.stdout and time.strftime("%Y-") in r.stdout
    finally:
        serve.send_signal(signal.SIGTERM)
        code = serve.wait(timeout=60)
        log.close()
    out = (tmp_path / "serve.log").read_text()
    assert code == 0 and "Traceback" not in out and "stopped; schedules stay active" in out, out
    assert not state.exists()
    db = sqlite3.connect(stack.archive.root / ".prefect" / "prefect.db")
    assert db.execute("SELECT name, paused FROM deployment").fetchall() == [("all", 0)] * len(
        db.execute("SELECT 1 FROM deployment").fetchall())
