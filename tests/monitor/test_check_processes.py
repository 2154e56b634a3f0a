"""A host's batch shared with check processes (redline.monitor.workers), as a served run does:
the same outcomes, in the same order, every check recorded once; a dead process loses only its
share, which the retry checks; hosts with a delay stay in one process; the processes die with
their run."""
from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from redline.core.config import Settings
from redline.core.errors import RedlineError
from redline.demo.loopback import LoopbackSite
from redline.monitor import cycle
from redline.monitor.cycle import MIN_SHARE, run_cycle
from redline.monitor.workers import CheckWorkers, WorkerLost, configured_count, install

N = 2 * MIN_SHARE + 8
real_check_share = cycle.check_share


def tagged_share(*args):
    """check_share, each outcome marked with the process that checked it."""
    outcomes = real_check_share(*args)
    for outcome in outcomes:
        outcome.extra["pid"] = os.getpid()
    return outcomes


def dying_share(*args):
    os._exit(3)


def page(i: int, word: str = "leading") -> bytes:
    return (f"<html><head><title>Statement {i}</title></head><body><h1>Statement {i}</h1>"
            f"<p>China should play a {word} role in cyberspace governance, point {i}.</p></body></html>").encode()


@pytest.fixture
def workers():
    pool = CheckWorkers(1)   # forked before the site's threads start
    install(pool)
    yield pool
    install(None)
    pool.close()


@pytest.fixture
def site(workers):
    with LoopbackSite() as s:
        for i in range(N):
            s.put(f"/s{i}.html", page(i))
        yield s


def settings_for(tmp_path: Path, site: LoopbackSite, *, delay: str = "0", concurrency: str = "2") -> Settings:
    lines = ["version = 1", ""]
    for i in range(N):
        lines += ["[[source]]", f'name = "s{i:03d}"', f'url = "{site.url(f"/s{i}.html")}"',
                  f'title = "Statement {i}"', 'language = "en"', ""]
    (tmp_path / "sources.toml").write_text("\n".join(lines), encoding="utf-8")
    env = {"REDLINE_HOST_DELAY": delay, "REDLINE_HOST_CONCURRENCY": concurrency, "REDLINE_ALLOW_PRIVATE": "loopback",
           "REDLINE_FETCH_RETRIES": "0"}
    return Settings.resolve(archive=str(tmp_path / "archive"), sources=str(tmp_path / "sources.toml"), env=env)


def checked_in(outcomes) -> set:
    return {o.extra.get("pid") for o in outcomes}


def test_a_host_batch_is_shared_with_an_idle_check_process_in_input_order_each_check_recorded_once(
        tmp_path, site, workers, monkeypatch) -> None:
    monkeypatch.setattr(cycle, "check_share", tagged_share)
    settings = settings_for(tmp_path, site)
    first = run_cycle(settings, run_id="first")
    assert checked_in(first.outcomes) == {None, *workers.pids()}   # the run's own process and the helper
    assert [o.source for o in first.outcomes] == [f"s{i:03d}" for i in range(N)]
    assert [o.error for o in first.outcomes if o.error] == []
    assert all(o.new_version and o.change == "first" for o in first.outcomes)
    site.put("/s7.html", page(7, "central"))
    second = run_cycle(settings, run_id="second")
    assert checked_in(second.outcomes) == {None, *workers.pids()}
    by_name = {o.source: o for o in second.outcomes}
    assert by_name["s007"].change == "substantive" and by_name["s007"].alert_id is not None
    assert sum(o.new_version for o in second.outcomes) == 1
    from redline.store.sqlite import Archive
    with Archive(settings.archive) as archive:
        for run in ("first", "second"):
            assert len(archive.captures_of_run(run, list(by_name))) == N


def test_a_dead_check_process_loses_only_its_share_and_the_retry_checks_the_rest_here(
        tmp_path, site, workers, monkeypatch) -> None:
    monkeypatch.setattr(cycle, "check_share", dying_share)
    settings = settings_for(tmp_path, site)
    tries: list[str] = []

    def like_prefect(groups, check):   # the host task fails, and its one retry resumes
        outcomes = []
        for sources in groups.values():
            try:
                outcomes += check(sources)
            except WorkerLost as exc:
                tries.append(str(exc))
                outcomes += check(sources, resume=True)
        return outcomes

    report = run_cycle(settings, run_id="crashed", run_hosts=like_prefect)
    assert len(tries) == 1 and "ended before it answered" in tries[0]
    assert [o.error for o in report.outcomes if o.error] == [] and len(report.outcomes) == N
    asked = [path for path, _ in site.requests if path != "/robots.txt"]
    assert sorted(asked) == sorted(f"/s{i}.html" for i in range(N))   # each page fetched once in all
    assert len(workers) == 0   # the dead process is never handed work again


@pytest.mark.parametrize("delay, concurrency, names", [
    ("0.001", "2", None),           # a delay between requests: one process keeps it
    ("0", "1", None),               # one request in flight
    ("0", "2", 2 * MIN_SHARE - 1),  # too few sources to share
])
def test_a_host_with_a_delay_one_request_in_flight_or_few_sources_is_checked_in_the_run_process(
        tmp_path, site, workers, monkeypatch, delay, concurrency, names) -> None:
    monkeypatch.setattr(cycle, "check_share", tagged_share)
    settings = settings_for(tmp_path, site, delay=delay, concurrency=concurrency)
    selected = [f"s{i:03d}" for i in range(names)] if names else ()
    report = run_cycle(settings, names=selected)
    assert checked_in(report.outcomes) == {None}
    assert len(report.outcomes) == (names or N) and not [o for o in report.outcomes if o.error]


def test_check_processes_die_with_their_run(tmp_path) -> None:
    code = ("import time; from redline.monitor.workers import CheckWorkers; "
            "w = CheckWorkers(2); print(*w.pids(), flush=True); time.sleep(120)")
    run = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        pids = [int(p) for p in run.stdout.readline().split()]
        assert len(pids) == 2 and all(alive(p) for p in pids)
    finally:
        run.kill()
        run.wait()
    deadline = time.monotonic() + 10
    while any(alive(p) for p in pids) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(alive(p) for p in pids)


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state not in ("Z", "X")


def test_the_number_of_check_processes_defaults_to_one_fewer_than_the_cores_and_a_bad_value_says_what_to_set(
        ) -> None:
    assert configured_count({}) == max(0, (os.cpu_count() or 1) - 1)
    assert configured_count({"REDLINE_CHECK_PROCESSES": "0"}) == 0
    assert configured_count({"REDLINE_CHECK_PROCESSES": " 3 "}) == 3
    for bad in ("two", "-1"):
        with pytest.raises(RedlineError, match="REDLINE_CHECK_PROCESSES"):
            configured_count({"REDLINE_CHECK_PROCESSES": bad})
