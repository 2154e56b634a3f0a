"""Crash safety: the monitor process is SIGKILLed at a random point of a cycle, 25 times in a row.

Each round the loopback site changes the wording of most of its eight statements; a
child process (forked from a preloaded forkserver, so it starts in milliseconds) runs the
monitoring loop (tests/support/cycle_worker.py: check, deliver, feeds) and is killed after a
random delay within about one cycle. After each kill `verify` must find no error, and a
clean run must then record exactly what the site serves. At the end: every wording the
site served is a version, in order, once; every change has one alert; the alert log has
each alert exactly once; the remote-like channel has each at least once, any repeat marked.

REDLINE_CRASH_SEED=<n> replays a run; REDLINE_CRASH_ROUNDS=<n> changes the number of kills.
"""
from __future__ import annotations

import json
import multiprocessing
import os
import random
import time
from collections import Counter
from pathlib import Path

import pytest

from support import cycle_worker
from support.wording import WORDS, page, word_in
from redline.store.sqlite import Archive
from redline.demo.loopback import LoopbackSite
from redline.store.verify import verify_archive

pytestmark = [pytest.mark.slow, pytest.mark.e2e]

SOURCES = 8
ROUNDS = int(os.environ.get("REDLINE_CRASH_ROUNDS", "25"))


def word_for(k: int, rnd: int) -> str:
    """Source k keeps its wording in one round of three, changes it otherwise."""
    changes = sum(1 for r in range(1, rnd + 1) if (r + k) % 3 != 0)
    return WORDS[(k + changes) % len(WORDS)]


def write_registry(path: Path, site: LoopbackSite) -> None:
    entries = [f'[[source]]\nname = "s{k}"\nurl = "{site.url(f"/s{k}.html")}"\ntitle = "Statement {k}"\n'
               f'profile = "generic"\n' for k in range(SOURCES)]
    path.write_text("\n".join(entries), encoding="utf-8")


@pytest.fixture(scope="module")
def forkserver():
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(["redline.monitor.check", "redline.alerts.feeds", "redline.store.verify"])  # not tests/: 3.11's
    # forkserver ignores the parent's sys.path when preloading (children get it, and import cycle_worker fast)
    return ctx


def test_sigkill_at_random_points_loses_nothing_and_never_writes_an_alert_twice(tmp_path, forkserver) -> None:
    seed = int(os.environ.get("REDLINE_CRASH_SEED", time.time_ns() % 2**32))
    rng = random.Random(seed)
    root, registry = tmp_path / "archive", tmp_path / "sources.toml"
    served: dict[int, list[str]] = {k: [] for k in range(SOURCES)}
    stats: Counter = Counter()
    with LoopbackSite() as site:
        write_registry(registry, site)

        def serve(rnd: int) -> None:
            for k in range(SOURCES):
                word = word_for(k, rnd)
                site.put(f"/s{k}.html", page(k, word))
                if not served[k] or served[k][-1] != word:
                    served[k].append(word)

        serve(0)
        started = time.monotonic()
        cycle_worker.run_cycles(str(root), str(registry))  # round 0, not killed: it also times a cycle
        budget = max(0.05, time.monotonic() - started)  # kill within about one cycle (most fall in the first)
        seen_warnings: set[str] = set()
        for rnd in range(1, ROUNDS + 1):
            where = f"round {rnd} (REDLINE_CRASH_SEED={seed})"
            serve(rnd)
            ready = forkserver.Event()
            child = forkserver.Process(target=cycle_worker.run_cycles, args=(str(root), str(registry), 3, ready))
            child.start()
            assert ready.wait(30), where
            time.sleep(rng.uniform(0, budget))
            child.kill()
            child.join(30)
            killed = child.exitcode == -9
            stats["killed" if killed else "finished before the kill"] += 1

            report = verify_archive(root)
            assert report.errors == [], (where, report.errors)
            new_warnings = [w for w in report.warnings if str(w) not in seen_warnings]
            seen_warnings |= {str(w) for w in report.warnings}
            for w in new_warnings:
                stats[w.message.split(" (")[0].split(";")[0]] += 1
            with Archive(root) as archive:
                behind = sum(f"build a {served[k][-1]} cyberspace" not in
                             archive.get_text(archive.latest_version(f"s{k}").text_sha256) for k in range(SOURCES))
                interrupted = killed and bool(behind or archive.pending_deliveries() or new_warnings)
                stats["kills that interrupted work"] += interrupted

            outcomes = cycle_worker.run_cycles(str(root), str(registry))[0]  # the next run, not killed
            assert [o.error for o in outcomes] == [None] * SOURCES, (where, outcomes)
            with Archive(root) as archive:
                for k in range(SOURCES):
                    text = archive.get_text(archive.latest_version(f"s{k}").text_sha256)
                    assert f"build a {served[k][-1]} cyberspace" in text, (where, k)
                assert archive.pending_deliveries() == [], where

    print(f"\ncrash test (seed {seed}): {dict(stats)}")
    report = verify_archive(root)
    assert report.errors == [], report.errors
    with Archive(root) as archive:
        alerts = archive.alerts(limit=10_000)
        assert [a.kind for a in alerts if a.kind != "change"] == []  # no failure, no operator alert
        for k in range(SOURCES):
            versions = archive.versions(f"s{k}")
            words = [word_in(archive.get_text(v.text_sha256))
                     for v in versions]
            assert words == served[k], (k, words, served[k])  # every wording, in order, once
            assert [v.seq for v in versions] == list(range(1, len(versions) + 1))
            assert len(archive.alerts(source=f"s{k}", limit=10_000)) == len(versions) - 1
        for d in archive.query("SELECT status, COUNT(*) AS n FROM deliveries GROUP BY status"):
            assert d["status"] == "delivered", dict(d)
    ids = {a.id for a in alerts}
    logged = Counter(json.loads(line)["id"] for line in (root / "alerts.jsonl").read_text().splitlines()
                     if line.startswith("{") and line.endswith("}"))
    assert set(logged) == ids and max(logged.values()) == 1  # the log: exactly once each
    remote = [json.loads(line) for line in (root / "remote.jsonl").read_text().splitlines()
              if line.startswith("{") and line.endswith("}")]
    sent = Counter(r["id"] for r in remote)
    assert set(sent) == ids  # the remote channel: at least once each ...
    for alert_id, times in sent.items():
        repeats = [r for r in remote if r["id"] == alert_id][1:]
        assert all("sent again" in r["summary"] for r in repeats)  # ... and a repeat says it may be one
    assert stats["kills that interrupted work"] >= ROUNDS // 5, stats  # the kills did land mid-cycle
