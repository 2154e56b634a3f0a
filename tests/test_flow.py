"""The Prefect `monitor` flow (under prefect_test_harness: ~17 s to start, so few tests, one harness)."""
from __future__ import annotations

import pytest

pytestmark = pytest.mark.flow


@pytest.fixture(scope="module")
def harness():
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=180):
        yield


def test_monitor_flow_alerts_once_for_a_wording_change_and_publishes_a_summary(harness, stack) -> None:
    from flows.monitor import monitor
    from prefect.artifacts import Artifact

    paths = dict(sources_file=str(stack.registry.path), archive=str(stack.archive.root))
    first = monitor(**paths)
    assert [o["alert_id"] for o in first["outcomes"]] == [None] * 5
    name = next(n for n, t in stack.seeds.items() if "should play a leading role" in t)
    stack.serve(name, stack.seeds[name].replace("leading role", "central role"))
    second = monitor(**paths)
    alerted = [o["source"] for o in second["outcomes"] if o["alert_id"] is not None]
    assert alerted == [name]
    assert second["delivery"]["delivered"] == 1 and second["delivery"]["errors"] == []
    assert stack.archive.alerts_log.read_text().count("\n") == 1
    assert (stack.archive.root / "feeds" / "alerts.xml").exists()
    artifact = Artifact.get("monitor-summary")
    assert artifact is not None and name in artifact.data


def test_monitor_flow_checks_only_the_selected_sources(harness, stack) -> None:
    from flows.monitor import monitor

    name = stack.registry.statements()[1].name
    result = monitor(sources=[name], sources_file=str(stack.registry.path), archive=str(stack.archive.root))
    assert [o["source"] for o in result["outcomes"]] == [name]
