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


def test_the_first_command_into_a_new_archive_folder_prints_no_prefect_home_warning(tmp_path) -> None:
    """Prefect makes its home at import without the parents; redline makes it first."""
    import os
    import subprocess
    import sys

    home = tmp_path / "new" / "archive" / ".prefect"
    code = ("import sys; from pathlib import Path; from redline.orchestration.api import quiet_prefect_env; "
            "quiet_prefect_env(Path(sys.argv[1])); import prefect.flows")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    r = subprocess.run([sys.executable, "-c", code, str(home)], capture_output=True, text=True, env=env, timeout=120)
    assert r.returncode == 0, r.stderr
    assert "Failed to create the Prefect home directory" not in r.stderr and "Warning" not in r.stderr, r.stderr
    assert home.is_dir()
