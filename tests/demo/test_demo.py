"""`make demo` keeps its promise: the whole loop offline, one alert for the wording change only."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.flow, pytest.mark.slow]
PROJECT = Path(__file__).resolve().parents[2]


def test_demo_runs_offline_and_shows_exactly_the_expected_alerts(tmp_path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "REDLINE_"))}
    env["COLUMNS"] = "200"
    r = subprocess.run([str(Path(sys.executable).with_name("redline")), "demo", "--dir", str(tmp_path / "demo")],
                       capture_output=True, text=True, env=env, cwd=PROJECT, timeout=400, stdin=subprocess.DEVNULL)
    out = r.stdout + r.stderr
    assert r.returncode == 0, out
    assert "demo check failed" not in out and "Traceback" not in out
    assert "| INFO" not in out and "Error logging" not in out, "Prefect's own log lines leaked into the demo"
    assert "[-leading-]{+central+}" in out
    assert "significance: high · formulation ¶6" in out   # the dropped watched phrase grades it high
    archive = tmp_path / "demo" / "archive"
    lines = (archive / "alerts.jsonl").read_text().splitlines()
    kinds = sorted(__import__("json").loads(l)["kind"] for l in lines)
    assert kinds == ["change", "new_statement", "removed"], kinds
    assert (archive / "feeds" / "alerts.xml").exists()
    # its steps are numbered 1, 2, 3, ... without gaps, and it ends by saying where to look
    import re

    numbers = [int(m.group(1)) for m in re.finditer(r"^(\d+)\. ", r.stdout, re.M)]
    assert numbers == list(range(1, len(numbers) + 1)) and len(numbers) >= 7, numbers
    assert "redline browse --archive" in r.stdout.splitlines()[-2]
    assert "UserWarning" not in out and "usage data" not in out
    # the removed alert says "No longer available" once (its summary), not again in its text
    removed = out[out.index("(removed)"):]
    assert removed.count("No longer available") == 1
    # the archive remembers its sources file: status given only --archive shows the removed statement
    st = subprocess.run([str(Path(sys.executable).with_name("redline")), "status", "--json", "--archive", str(archive)],
                        capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120)
    states = {row["source"]: row["state"] for row in __import__("json").loads(st.stdout)}
    assert states["mfa-china-un-cyber-workshop-2016"] == "removed", states
    assert "chairs-statement-on-cooperation-t20261121-11800001" in states
