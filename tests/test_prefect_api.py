"""How a command's flow run is set up in Prefect (redline.prefect_api)."""
from __future__ import annotations


def test_a_foreground_flow_run_sends_no_heartbeats_unless_they_are_configured() -> None:
    """A flow run waits up to 1 s at its end for Prefect's heartbeat thread; `redline run`
    does without it, unless PREFECT_FLOWS_HEARTBEAT_FREQUENCY (or a profile) asks for it."""
    from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, get_current_settings, temporary_settings

    from redline.prefect_api import foreground_run

    default = get_current_settings().flows.heartbeat_frequency
    assert default is not None  # Prefect's own default sends them
    with foreground_run():
        assert get_current_settings().flows.heartbeat_frequency is None
    assert get_current_settings().flows.heartbeat_frequency == default
    with temporary_settings(updates={PREFECT_FLOWS_HEARTBEAT_FREQUENCY: 60}), foreground_run():
        assert get_current_settings().flows.heartbeat_frequency == 60
