"""SIGTERM and SIGINT to a `redline run` (issue 17, items 5 and 12), at random points: the run stops
at the next check boundary (checks that began are committed, no new one starts, the pending batch
is written), prints one line, exits 143 / 130, and `verify` is clean right after; a later run
records everything. And the Prefect server killed mid-run (item 4): one line, within seconds.

REDLINE_SIGNAL_SEED=<n> replays a run; REDLINE_SIGNAL_ROUNDS=<n> changes the number of signals."""
from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from redline.demo.loopback import LoopbackSite
from redline.orchestration.api import local_server
from redline.store.sqlite import Archive
from redline.store.verify import verify_archive

pytestmark = [pytest.mark.slow, pytest.mark.e2e]
SOURCES = 30
ROUNDS = int(os.environ.get("REDLINE_SIGNAL_ROUNDS", "8"))
BIN = Path(sys.executable).parent


def page(k: int, rnd: int) -> bytes:
    return (f"<html><head><title>Statement {k}</title></head><body><div class='article'><h1>Statement {k}</h1>"
            f"<p>In round {rnd} the parties to statement {k} agreed to meet.</p></div></body></html>").encode()


def _cmdline_has(proc: Path, port: str) -> bool:
    try:
        args = (proc / "cmdline").read_bytes().split(b"\0")
    except OSError:
        return False
    return b"server" in args and port.encode() in args


def env_for(api_url: str | None, home: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "REDLINE_"))}
    env.update(REDLINE_HOST_DELAY="0.15", REDLINE_HOST_CONCURRENCY="1", REDLINE_ALLOW_PRIVATE="loopback",
               PREFECT_HOME=str(home), PREFECT_SERVER_ANALYTICS_ENABLED="false", COLUMNS="120")
    if api_url:
        env["PREFECT_API_URL"] = api_url
    return env


def start_run(root: Path, registry: Path, env: dict) -> subprocess.Popen:
    return subprocess.Popen([str(BIN / "redline"), "run", "--archive", str(root), "--sources", str(registry)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                            stdin=subprocess.DEVNULL, start_new_session=True)


@pytest.fixture
def site_and_registry(tmp_path):
    with LoopbackSite() as site:
        registry = tmp_path / "sources.toml"
        registry.write_text("\n".join(f'[[source]]\nname = "s{k}"\nurl = "{site.url(f"/s{k}.html")}"\n'
                                      f'profile = "generic"\n' for k in range(SOURCES)), encoding="utf-8")
        yield site, registry


def test_sigterm_and_sigint_stop_at_a_check_boundary_in_one_line_and_verify_stays_clean(tmp_path,
                                                                                       site_and_registry) -> None:
    site, registry = site_and_registry
    seed = int(os.environ.get("REDLINE_SIGNAL_SEED", time.time_ns() % 2**32))
    rng = random.Random(seed)
    root = tmp_path / "archive"
    with local_server(tmp_path / "prefect-home") as api_url:
        env = env_for(api_url, tmp_path / "prefect-home")
        stopped = 0
        for rnd in range(ROUNDS):
            for k in range(SOURCES):
                site.put(f"/s{k}.html", page(k, rnd))
            sig = signal.SIGTERM if rnd % 2 == 0 else signal.SIGINT
            run = start_run(root, registry, env)
            time.sleep(rng.uniform(1.0, 6.0))
            sent_at = time.monotonic()
            run.send_signal(sig)
            out, err = run.communicate(timeout=60)
            took = time.monotonic() - sent_at
            where = f"seed {seed}, round {rnd}, {sig.name}: {err[-1500:]}"
            assert "Traceback" not in err + out, where
            if run.returncode != 0:
                stopped += 1
                assert run.returncode == (143 if sig == signal.SIGTERM else 130), where
                lines = [line for line in err.splitlines() if line.strip()]
                assert len(lines) == 1, where                  # one line, whatever the run was doing
                assert ("checked and recorded" in lines[0]     # stopped while checking
                        or lines[0] in ("stopped by SIGTERM", "interrupted")), where   # before it began
                assert took < 15, f"{took:.1f} s to stop; {where}"
            report = verify_archive(root)
            assert report.errors == [], (where, [str(p) for p in report.errors])
        assert stopped >= ROUNDS // 2, f"only {stopped} of {ROUNDS} runs were still working when signalled"
        # a run to the end records what the site serves now
        final = subprocess.run([str(BIN / "redline"), "run", "--archive", str(root), "--sources", str(registry)],
                               capture_output=True, text=True, env=env, timeout=180)
        assert final.returncode == 0, final.stderr[-1500:]
    with Archive(root) as archive:
        for k in range(SOURCES):
            assert f"In round {ROUNDS - 1} " in archive.get_text(archive.latest_version(f"s{k}").text_sha256)
    assert verify_archive(root).errors == []


def test_the_prefect_server_dying_mid_run_ends_the_run_in_one_line_within_seconds(tmp_path,
                                                                                  site_and_registry) -> None:
    site, registry = site_and_registry
    for k in range(SOURCES):
        site.put(f"/s{k}.html", page(k, 0))
    root = tmp_path / "archive"
    home = tmp_path / "prefect-home"
    with local_server(home) as api_url:
        port = api_url.rsplit(":", 1)[1].split("/")[0]
        pids = [int(p.name) for p in Path("/proc").iterdir() if p.name.isdigit() and _cmdline_has(p, port)]
        env = env_for(api_url, home)
        run = start_run(root, registry, env)
        deadline = time.monotonic() + 120   # mid-run: once it has read a few pages (a fixed 4 s fell before
        while len(site.requests) < 5:       # the flow began on a loaded machine: Prefect's own traceback)
            assert time.monotonic() < deadline and run.poll() is None, run.poll()
            time.sleep(0.05)
        killed_at = time.monotonic()
        for pid in pids:
            try:
                os.killpg(os.getpgid(pid), signal.SIGKILL)   # the server and the workers it started
            except ProcessLookupError:
                pass
        out, err = run.communicate(timeout=120)
        took = time.monotonic() - killed_at
    assert run.returncode == 1, err[-1500:]
    assert "the Prefect server went away" in err and "checked and recorded" in err, err[-1500:]
    assert took < 20, f"{took:.1f} s"
    assert err.count("Traceback") == 0 and len(err.splitlines()) < 15, err[-3000:]
    assert verify_archive(root).errors == []
