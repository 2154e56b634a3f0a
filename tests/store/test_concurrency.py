"""Two runs at once (a scheduled run and a manual refresh) over one archive: per-source and
delivery locks (redline.store.locks) keep them from duplicating versions, alerts or deliveries.

The site answers slowly (0.2 s a page), so both runs are fetching the same pages at the
same moment; without the locks both record each change (or one fails on the version
number's UNIQUE constraint), and both deliver each alert.
"""
from __future__ import annotations

import fcntl
import json
import multiprocessing
import os
import threading
from collections import Counter
from pathlib import Path

import pytest

from support import cycle_worker
from support.faultsite import FaultSite
from redline.store.sqlite import Archive
from redline.store.locks import source_lock
from redline.store.verify import verify_archive

SOURCES = 4
DELAY = 0.2


def page(k: int, word: str) -> bytes:
    return (f"<html><head><title>Statement {k}</title></head><body><div class='article'><h1>Statement {k}</h1>"
            f"<p>The parties to statement {k} agreed on a {word} approach.</p></div></body></html>").encode()


@pytest.fixture
def slow_site(tmp_path):
    with FaultSite() as site:
        words = {k: "careful" for k in range(SOURCES)}
        for k in range(SOURCES):
            site.route(f"/s{k}.html", lambda ex, k=k: ex.respond_page(page(k, words[k]), delay=DELAY))
        registry = tmp_path / "sources.toml"
        registry.write_text("\n".join(f'[[source]]\nname = "s{k}"\nurl = "{site.url(f"/s{k}.html")}"\n'
                                      f'profile = "generic"\n' for k in range(SOURCES)), encoding="utf-8")
        site.words = words  # type: ignore[attr-defined]
        site.registry = registry  # type: ignore[attr-defined]
        yield site


def assert_each_change_recorded_and_delivered_once(root: Path) -> None:
    with Archive(root) as archive:
        for k in range(SOURCES):
            assert [v.seq for v in archive.versions(f"s{k}")] == [1, 2], k
        alerts = archive.alerts()
        assert sorted(a.source for a in alerts) == [f"s{k}" for k in range(SOURCES)]
        assert archive.pending_deliveries() == []
        assert {d["status"] for a in alerts for d in archive.deliveries(a.id)} == {"delivered"}
    for log in ("alerts.jsonl", "remote.jsonl"):
        ids = Counter(json.loads(line)["id"] for line in (root / log).read_text().splitlines())
        assert sorted(ids) == sorted(a.id for a in alerts) and set(ids.values()) == {1}, (log, ids)
    assert verify_archive(root).errors == []


def test_two_runs_in_threads_at_once_record_and_deliver_each_change_once(tmp_path, slow_site) -> None:
    root = tmp_path / "archive"
    cycle_worker.run_cycles(str(root), str(slow_site.registry))  # the first versions
    for k in range(SOURCES):
        slow_site.words[k] = "bold"
    start = threading.Barrier(2)
    results: list[list] = []

    def run() -> None:
        start.wait()
        results.append(cycle_worker.run_cycles(str(root), str(slow_site.registry))[0])

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert len(results) == 2 and all(o.error is None for r in results for o in r)
    new = Counter(o.source for r in results for o in r if o.new_version)
    assert new == Counter(f"s{k}" for k in range(SOURCES))  # each change recorded by exactly one run
    assert_each_change_recorded_and_delivered_once(root)


def test_a_scheduled_run_and_a_manual_refresh_in_two_processes_at_once(tmp_path, slow_site) -> None:
    ctx = multiprocessing.get_context("forkserver")
    root = tmp_path / "archive"
    cycle_worker.run_cycles(str(root), str(slow_site.registry))
    for k in range(SOURCES):
        slow_site.words[k] = "bold"
    runs = [ctx.Process(target=cycle_worker.run_cycles, args=(str(root), str(slow_site.registry)),
                        kwargs={"store": os.environ.get("REDLINE_STORE")}) for _ in range(2)]
    for p in runs:
        p.start()
    for p in runs:
        p.join(60)
    assert [p.exitcode for p in runs] == [0, 0]
    assert sum(slow_site.hits(f"/s{k}.html") for k in range(SOURCES)) == 3 * SOURCES  # both runs fetched
    assert_each_change_recorded_and_delivered_once(root)


def test_a_source_lock_is_exclusive_between_holders_and_reentrant_in_a_thread(tmp_path) -> None:
    held = threading.Event()
    release = threading.Event()
    first, second = Archive(tmp_path), Archive(tmp_path)  # two openings of one archive (two connections on PG)

    def holder() -> None:
        with source_lock(first, "s1"):
            held.set()
            release.wait(5)

    thread = threading.Thread(target=holder)
    thread.start()
    assert held.wait(5)
    with pytest.raises(Exception, match="source s1 is busy in another run"):
        with source_lock(second, "s1", wait=0.2):
            pass
    with source_lock(second, "s2"), source_lock(second, "s2"):  # another source; re-entrant
        pass
    release.set()
    thread.join(5)
    with source_lock(second, "s1", wait=0.2):  # free again
        pass
    first.close(), second.close()


def test_a_source_lock_held_by_another_machine_is_waited_for(tmp_path, store_backend) -> None:
    """Another process (on PostgreSQL: any client of the database) holds the lock: a check waits, then fails
    in one line; once it lets go, the lock is taken."""
    archive = Archive(tmp_path)
    if store_backend == "postgresql":
        import psycopg

        from redline.store.postgres import lock_key

        other = psycopg.connect(os.environ["REDLINE_STORE"], autocommit=True)
        other.execute("SELECT pg_advisory_lock(%s)", (lock_key("source-s1"),))
        let_go = other.close
    else:
        (tmp_path / "locks").mkdir(exist_ok=True)
        fd = os.open(tmp_path / "locks" / "source-s1.lock", os.O_RDWR | os.O_CREAT)
        fcntl.flock(fd, fcntl.LOCK_EX)
        let_go = lambda: os.close(fd)  # noqa: E731
    with pytest.raises(Exception, match="source s1 is busy in another run"):
        with source_lock(archive, "s1", wait=0.2):
            pass
    let_go()
    with source_lock(archive, "s1", wait=2):
        pass
    archive.close()
