"""A hanging alert channel holds up neither the run nor the other channels, and an alert whose
delivery timed out but arrived late is sent again saying so, with a stable id to de-duplicate on
(issue 17, items 2 and 3)."""
from __future__ import annotations

import time

import pytest

from support.receiver import Receiver
from redline.alerts.delivery import deliver_pending
from redline.alerts.sinks import AppriseSink, JsonlSink
from redline.core.model import Source
from redline.store.sqlite import Archive, NewAlert

ALERTS = 20


def Slow(delay: float | None) -> Receiver:
    """An endpoint that answers after `delay` seconds (None: never), with Apprise's timeouts at 1 s."""
    r = Receiver(delay=delay)
    r.url += "?cto=1&rto=1"
    return r


@pytest.fixture
def archive(tmp_path):
    with Archive(tmp_path / "archive") as a:
        a.sync_sources([Source(name="a-source", url="https://www.example.org/a.html", title="A")])
        yield a


def add_alerts(archive: Archive, sinks: list[str], n: int = ALERTS) -> list[int]:
    return [archive.add_alert("a-source", NewAlert(kind="new_statement", title=f"Statement {i}",
                                                   url=f"https://www.example.org/{i}.html", summary=f"New {i}"),
                              sinks=sinks) for i in range(n)]


def test_a_hanging_channel_times_out_once_and_its_alerts_wait_while_the_others_are_delivered(archive) -> None:
    hang = Slow(None)
    try:
        chat, log = AppriseSink(hang.url), JsonlSink(archive.alerts_log, name="alert-log")
        add_alerts(archive, [chat.name, log.name])
        started = time.monotonic()
        delivered, errors = deliver_pending(archive, {chat.name: chat, log.name: log}, deadline=30)
        elapsed = time.monotonic() - started
    finally:
        hang.close()
    assert delivered == ALERTS                                      # every alert reached the log
    assert elapsed < 10, f"{elapsed:.1f} s (one alert at a time took about 4 s each)"
    assert len(hang.posts) == 1                                     # tried once, not 20 times
    [line] = [e for e in errors if chat.name in e]
    assert "timed out" in line and f"{ALERTS} alerts wait for the next run" in line
    statuses = [d["status"] for i in range(1, ALERTS + 1) for d in archive.deliveries(i) if d["sink"] == chat.name]
    assert statuses.count("delivered") == 0 and len(statuses) == ALERTS


def test_an_alert_that_timed_out_but_arrived_late_is_sent_again_saying_so_with_the_same_id(archive) -> None:
    late = Slow(1.6)                                     # answers after the client's 1 s read timeout
    try:
        chat = AppriseSink(late.url)
        [alert_id] = add_alerts(archive, [chat.name], n=1)
        delivered, errors = deliver_pending(archive, {chat.name: chat}, deadline=30)
        assert delivered == 0 and "timed out" in errors[0]
        time.sleep(1)
        fast = AppriseSink(late.url.replace("rto=1", "rto=5"))  # the same channel, answering in time now
        fast.name = chat.name
        delivered, errors = deliver_pending(archive, {chat.name: fast}, deadline=30)
    finally:
        late.close()
    assert delivered == 1 and errors == []
    first, again = late.bodies                            # it did arrive the first time, late
    assert "sent again" not in first["message"] and "sent again: the last attempt timed out" in again["message"]
    urn = f"id: urn:redline:alert:{alert_id}"
    assert urn in first["message"] and urn in again["message"]   # receivers de-duplicate on it


def test_the_run_waits_for_its_channels_at_most_the_deadline(archive) -> None:
    hang = Slow(None)
    try:
        chat = AppriseSink(hang.url.replace("rto=1", "rto=20"))   # a channel whose own timeout is long
        add_alerts(archive, [chat.name], n=3)
        started = time.monotonic()
        delivered, errors = deliver_pending(archive, {chat.name: chat}, deadline=2)
        elapsed = time.monotonic() - started
    finally:
        hang.close()
    assert delivered == 0 and elapsed < 5
    assert any("did not finish within 2 s" in e for e in errors)
