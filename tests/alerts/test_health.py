"""Operators hear once when a source starts failing and once when it recovers."""
from __future__ import annotations

import pytest

from redline.alerts.health import health_transition
from redline.monitor.check import check_batch
from redline.alerts.feeds import refresh_feeds


@pytest.mark.parametrize("state, failures, expected", [
    ("ok", 0, ("ok", None)),
    ("ok", 2, ("ok", None)),
    ("ok", 3, ("failing", "failing")),
    ("failing", 4, ("failing", None)),
    ("failing", 0, ("ok", "recovered")),
])
def test_health_transition_alerts_only_on_entering_and_leaving_failure(state, failures, expected) -> None:
    assert health_transition(state, failures, 3) == expected


def test_a_source_failing_n_checks_in_a_row_alerts_operators_once_and_once_on_recovery(stack) -> None:
    source = stack.registry.statements()[0]
    path = stack.path_of(source.name)
    stack.site.put(path, b"<html><body>Service Unavailable</body></html>", status=503)
    kinds = []
    for _ in range(5):
        [o] = check_batch([source], archive=stack.archive, fetcher=stack.fetcher, run_id="t",
                          sinks=["alert-log"], operator_sinks=["operator-log", "pager"], failure_threshold=3)
        kinds.append(o.extra.get("operator_alert"))
    assert [k is not None for k in kinds] == [False, False, True, False, False]
    failing = stack.archive.alert(kinds[2])
    assert failing.kind == "failing" and "3 checks in a row" in failing.summary and "503" in failing.summary
    assert [d["sink"] for d in stack.archive.deliveries(failing.id)] == ["operator-log", "pager"]

    stack.serve(source.name)
    [o] = check_batch([source], archive=stack.archive, fetcher=stack.fetcher, run_id="t",
                      operator_sinks=["operator-log"], failure_threshold=3)
    recovered = stack.archive.alert(o.extra["operator_alert"])
    assert recovered.kind == "recovered" and o.error is None
    [o] = check_batch([source], archive=stack.archive, fetcher=stack.fetcher, run_id="t",
                      operator_sinks=["operator-log"], failure_threshold=3)
    assert "operator_alert" not in o.extra
    assert stack.archive.counts()["alerts"] == 2


def test_operator_alerts_stay_out_of_the_monitors_feed(stack) -> None:
    import feedparser

    source = stack.registry.statements()[0]
    stack.site.put(stack.path_of(source.name), b"down", status=500)
    check_batch([source], archive=stack.archive, fetcher=stack.fetcher, run_id="t",
                operator_sinks=["operator-log"], failure_threshold=1)
    assert stack.archive.counts()["alerts"] == 1
    feed = feedparser.parse(str(refresh_feeds(stack.archive)[0]))
    assert feed.entries == []
