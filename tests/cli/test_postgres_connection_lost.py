"""A worker whose PostgreSQL connection drops (its backend terminated, the server restarted):
the next operation connects again, a check whose transaction was cut is made again as a whole
(or, cut again, is that source's failure in one line), nothing is half-written, and the
archive verifies clean afterwards."""
from __future__ import annotations

from dataclasses import replace

import pytest

from redline.core.errors import IndexConnectionLost
from redline.monitor.check import check_batch
from redline.store.verify import verify_archive

WORDING = ("should play a leading role", "should play a central role")
LEFTOVER = "no capture row names this WARC file"   # the WARC file of a cut check: a warning, by design


@pytest.fixture
def pg_stack(pg_server, monkeypatch, request):
    """The stack with its archive's index in a fresh PostgreSQL database."""
    monkeypatch.setenv("REDLINE_STORE", pg_server.new_database())
    monkeypatch.delenv("REDLINE_BLOBS", raising=False)
    stack = request.getfixturevalue("stack")
    assert stack.archive.backend == "postgresql"
    return stack


def _backend_pid(archive) -> int:
    return archive.query("SELECT pg_backend_pid() AS pid")[0]["pid"]


class _Hook:
    """The stack's fetcher, calling `before(url)` ahead of each fetch."""

    def __init__(self, fetcher, before) -> None:
        self._fetcher, self._before = fetcher, before
        self.per_host_concurrency = 1

    def fetch(self, url, **kw):
        self._before(url)
        return self._fetcher.fetch(url, **kw)


def _cycle(stack, fetcher=None):
    return check_batch(stack.registry.statements(), archive=stack.archive, fetcher=fetcher or stack.fetcher,
                       run_id="t", workers=1, batch_size=1, sinks=["log"])


def _clean(archive) -> None:
    report = verify_archive(archive.root)
    assert report.errors == [], report.errors
    assert all(LEFTOVER in p.message for p in report.warnings), report.warnings


def test_a_backend_terminated_between_two_checks_is_connected_again_and_every_source_completes(
        pg_stack, pg_server) -> None:
    _cycle(pg_stack)
    before = pg_stack.archive.counts()
    second = pg_stack.registry.statements()[1].url
    killed = []

    def before_fetch(url):
        if url == second and not killed:
            killed.append(_backend_pid(pg_stack.archive))
            pg_server.terminate(killed[0])
    outcomes = _cycle(pg_stack, _Hook(pg_stack.fetcher, before_fetch))
    assert killed and [o.error for o in outcomes] == [None] * len(outcomes)
    assert _backend_pid(pg_stack.archive) != killed[0]
    assert pg_stack.archive.counts()["captures"] == before["captures"] + len(outcomes)
    _clean(pg_stack.archive)


def _cut_inside_the_capture_insert(pg_stack, pg_server, monkeypatch, *, victim: str, times: int) -> list[int]:
    """Terminate the archive's backend inside the transaction that records `victim`'s check (one
    capture row: execute; a batch of unchanged ones: insert_many), `times` times."""
    index, cut = pg_stack.archive._pg, []

    def hooked(plain, rows_of):
        def call(sql, params=()):
            if sql.lstrip().startswith("INSERT INTO captures") and victim in rows_of(params) and len(cut) < times:
                cut.append(_backend_pid(pg_stack.archive))
                pg_server.terminate(cut[-1])
            return plain(sql, params)
        return call
    monkeypatch.setattr(index, "execute", hooked(index.execute, lambda params: params))
    monkeypatch.setattr(index, "insert_many", hooked(index.insert_many, lambda rows: [v for r in rows for v in r]))
    return cut


def test_a_check_whose_transaction_was_cut_is_made_again_whole_and_the_others_complete(
        pg_stack, pg_server, monkeypatch) -> None:
    _cycle(pg_stack)
    before = pg_stack.archive.counts()
    victim = next(n for n, t in pg_stack.seeds.items() if WORDING[0] in t)
    pg_stack.serve(victim, pg_stack.seeds[victim].replace(*WORDING))   # a new version: the check's own transaction
    cut = _cut_inside_the_capture_insert(pg_stack, pg_server, monkeypatch, victim=victim, times=1)
    outcomes = _cycle(pg_stack)
    assert len(cut) == 1 and [o.error for o in outcomes] == [None] * len(outcomes)
    assert [o.source for o in outcomes if o.new_version] == [victim]
    assert pg_stack.archive.counts()["versions"] == before["versions"] + 1
    rows = pg_stack.archive.query("SELECT source, COUNT(*) AS n FROM captures WHERE run_id='t' GROUP BY source")
    assert {r["source"]: r["n"] for r in rows}[victim] == 2          # the first cycle's and the retried one
    assert pg_stack.archive.counts()["captures"] == before["captures"] + len(outcomes)
    _clean(pg_stack.archive)


def test_a_check_cut_twice_is_that_sources_failure_in_one_line_and_nothing_of_it_is_written(
        pg_stack, pg_server, monkeypatch) -> None:
    _cycle(pg_stack)
    before = pg_stack.archive.counts()
    victim = pg_stack.registry.statements()[0].name   # unchanged: the batch's transaction, tried again once
    checks = pg_stack.archive.source_row(victim)["checks"]
    _cut_inside_the_capture_insert(pg_stack, pg_server, monkeypatch, victim=victim, times=2)
    outcomes = {o.source: o for o in _cycle(pg_stack)}
    error = outcomes.pop(victim).error
    assert error and "\n" not in error and "lost the connection to the archive index" in error
    assert "nothing of it was written" in error and "Traceback" not in error
    assert [o.error for o in outcomes.values()] == [None] * len(outcomes)
    assert pg_stack.archive.counts()["captures"] == before["captures"] + len(outcomes)
    assert pg_stack.archive.source_row(victim)["checks"] == checks   # not half-written: no count, no capture
    _clean(pg_stack.archive)


def test_a_restarted_server_is_connected_again_by_the_next_cycle(pg_stack, pg_server) -> None:
    _cycle(pg_stack)
    before = pg_stack.archive.counts()
    pg_server.restart()
    outcomes = _cycle(pg_stack)
    assert [o.error for o in outcomes] == [None] * len(outcomes)
    assert pg_stack.archive.counts()["captures"] == before["captures"] + len(outcomes)
    _clean(pg_stack.archive)


def test_a_lock_another_run_took_while_the_connection_was_down_fails_the_next_write_in_one_line(
        pg_stack, pg_server) -> None:
    import psycopg

    from redline.store.postgres.connection import lock_key

    archive = pg_stack.archive
    name = pg_stack.registry.statements()[0].name
    with archive.lock(f"source-{name}", wait=0):
        pg_server.terminate(_backend_pid(archive))
        with psycopg.connect(archive._pg.url, autocommit=True) as other:   # another run takes the source's lock
            assert other.execute("SELECT pg_try_advisory_lock(%s)", (lock_key(f"source-{name}"),)).fetchone()[0]
            with pytest.raises(IndexConnectionLost, match="another run holds it now"):
                archive.sync_sources([replace(s, title=f"{s.title} (retitled)")   # a write
                                      for s in pg_stack.registry.statements()[:1]])
    assert archive.counts()["sources"] == len(pg_stack.registry.statements())   # the archive reads on
