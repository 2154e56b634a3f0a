"""The index locked by another process during a run (issue 17, item 19): a short lock is waited
for; a long one fails each source in one line, loses nothing, and the next run completes with
`verify` clean. (A real 60 s lock behaves as the long one here with REDLINE_INDEX_WAIT=60; the
test shortens both to keep `make test` quick.)"""
from __future__ import annotations

import sqlite3
import threading
import time

import pytest


from redline.monitor.check import check_batch
from redline.store.sqlite import Archive
from redline.store.verify import verify_archive

pytestmark = pytest.mark.sqlite_only  # SQLite's own lock on index.sqlite

WORDING = ("should play a leading role", "should play a central role")


def hold_exclusive(path, seconds: float) -> threading.Thread:
    started = threading.Event()

    def hold() -> None:
        db = sqlite3.connect(path, timeout=30, isolation_level=None)
        db.execute("BEGIN EXCLUSIVE")
        started.set()
        time.sleep(seconds)
        db.execute("ROLLBACK")
        db.close()

    t = threading.Thread(target=hold, daemon=True)
    t.start()
    started.wait(10)
    return t


def run(stack, archive):
    return {o.source: o for o in check_batch(stack.registry.statements(), archive=archive, fetcher=stack.fetcher,
                                             run_id=f"r{time.monotonic_ns()}", sinks=["alert-log"])}


def test_a_short_lock_on_the_index_is_waited_for_and_the_run_completes(stack, monkeypatch) -> None:
    monkeypatch.setenv("REDLINE_INDEX_WAIT", "15")
    archive = Archive(stack.archive.root)
    try:
        holder = hold_exclusive(archive.root / "index.sqlite", 2)
        out = run(stack, archive)
        holder.join()
    finally:
        archive.close()
    assert all(o.error is None for o in out.values()), out
    assert verify_archive(stack.archive.root).errors == []


def test_a_long_lock_fails_each_source_in_one_line_loses_nothing_and_the_next_run_completes(stack, monkeypatch) -> None:
    name = next(n for n, t in stack.seeds.items() if WORDING[0] in t)
    run(stack, stack.archive)                                  # every source has its first version
    stack.serve(name, stack.seeds[name].replace(*WORDING))
    monkeypatch.setenv("REDLINE_INDEX_WAIT", "0.5")
    archive = Archive(stack.archive.root)
    try:
        holder = hold_exclusive(archive.root / "index.sqlite", 6)
        out = run(stack, archive)
        holder.join()
        errors = [o.error for o in out.values() if o.error]
        assert errors and all("locked by another process" in e and "\n" not in e for e in errors), errors
        assert archive.query("SELECT COUNT(*) AS n FROM alerts")[0]["n"] == 0
        again = run(stack, archive)                            # the lock is gone: the change is recorded now
    finally:
        archive.close()
    assert all(o.error is None for o in again.values()), again
    assert again[name].alert_id is not None
    assert verify_archive(stack.archive.root).errors == []
