"""How a command's flow run is set up in Prefect (redline.orchestration.api)."""
from __future__ import annotations


def test_a_foreground_flow_run_sends_no_heartbeats_unless_they_are_configured() -> None:
    """A flow run waits up to 1 s at its end for Prefect's heartbeat thread; `redline run`
    does without it, unless PREFECT_FLOWS_HEARTBEAT_FREQUENCY (or a profile) asks for it."""
    from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, get_current_settings, temporary_settings

    from redline.orchestration.api import foreground_run

    default = get_current_settings().flows.heartbeat_frequency
    assert default is not None  # Prefect's own default sends them
    with foreground_run():
        assert get_current_settings().flows.heartbeat_frequency is None
    assert get_current_settings().flows.heartbeat_frequency == default
    with temporary_settings(updates={PREFECT_FLOWS_HEARTBEAT_FREQUENCY: 60}), foreground_run():
        assert get_current_settings().flows.heartbeat_frequency == 60


def test_the_served_runner_looks_for_runs_every_two_seconds_unless_configured() -> None:
    """Prefect's 10 s made a refresh wait up to 10 s before it started (bench/bench_served.py)."""
    from prefect.runner import Runner
    from prefect.settings import PREFECT_RUNNER_POLL_FREQUENCY, temporary_settings

    from redline.orchestration.serve import RUNNER_POLL_SECONDS, runner_poll

    assert Runner().query_seconds == 10  # Prefect's default
    with runner_poll():
        assert Runner().query_seconds == RUNNER_POLL_SECONDS == 2
    with temporary_settings(updates={PREFECT_RUNNER_POLL_FREQUENCY: 30}), runner_poll():
        assert Runner().query_seconds == 30
