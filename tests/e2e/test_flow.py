"""The Prefect `monitor` flow (under prefect_test_harness: ~17 s to start, so few tests, one harness)."""
from __future__ import annotations

import pytest

pytestmark = [pytest.mark.flow, pytest.mark.slow, pytest.mark.e2e]


@pytest.fixture(autouse=True)
def loopback_allowed(monkeypatch):
    """The stack's site is on 127.0.0.1, which redline refuses unless told (see test_ssrf)."""
    monkeypatch.setenv("REDLINE_ALLOW_PRIVATE", "loopback")


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


def test_a_command_runs_the_flow_without_heartbeats_and_returns_with_its_events_sent(harness, stack) -> None:
    """`redline run`'s way in (commands.run.run_monitor_flow, under prefect_api.foreground_run)."""
    from prefect.events.worker import EventsWorker

    from redline.orchestration.foreground import run_monitor_flow
    from redline.core.config import Settings

    settings = Settings.resolve(archive=str(stack.archive.root), sources=str(stack.registry.path))
    outcomes, delivery = run_monitor_flow(settings)
    assert [o.source for o in outcomes] == [s.name for s in stack.registry.statements()]
    assert delivery["errors"] == []
    assert EventsWorker.instance()._queue.unfinished_tasks == 0  # nothing left for the exit to send


def test_monitor_flow_checks_only_the_selected_sources(harness, stack) -> None:
    from flows.monitor import monitor

    name = stack.registry.statements()[1].name
    result = monitor(sources=[name], sources_file=str(stack.registry.path), archive=str(stack.archive.root))
    assert [o["source"] for o in result["outcomes"]] == [name]


def test_discover_flow_tracks_and_alerts_a_related_new_statement_which_monitor_then_checks(harness, stack,
                                                                                           tmp_path) -> None:
    from flows.discover import discover
    from flows.monitor import monitor
    from prefect.artifacts import Artifact

    from redline.demo.run import write_demo_registry
    from redline.demo.loopback import loopback_path
    from redline.demo.pages import seed_page
    from redline.demo.listing_pages import Entry, listing_page

    name = "mfa-listing-arms-control-documents"
    registry = tmp_path / "with-listing.toml"
    write_demo_registry(registry, stack.seed_registry, stack.site.base_url, listings=[name])
    path = loopback_path(stack.seed_registry.by_name(name).url)
    old = Entry("Wang Yi Meets the Foreign Minister of Peru", "./202610/t20261002_11790000.html")
    new = Entry("Statement on Cooperation in Cyberspace Governance and Data Security",
                "./202611/t20261121_11800001.html")
    unrelated = Entry("Remarks on the Spring Festival Gala", "./202611/t20261120_11800000.html")
    paths = dict(sources_file=str(registry), archive=str(stack.archive.root))
    stack.site.put(path, listing_page([old]))
    first = discover(**paths)
    assert first["listings"][0]["baseline"] and first["delivery"]["delivered"] == 0
    stack.site.put(path, listing_page([new, unrelated, old]))
    stack.site.put(path + new.href[2:], seed_page(f"{new.title}\n2026-11-21\nThe parties agreed.",
                                                  template="mfa_en_2024"))
    second = discover(**paths)
    [listing] = second["listings"]
    assert [(i["outcome"], i["alert_id"] is not None) for i in listing["found"]] == [("new", True),
                                                                                    ("unrelated", False)]
    assert second["delivery"]["delivered"] == 1
    assert new.title in Artifact.get("discover-summary").data
    checked = monitor(**paths)
    assert listing["found"][0]["source"] in [o["source"] for o in checked["outcomes"]]
    assert [o["alert_id"] for o in checked["outcomes"]] == [None] * 6
