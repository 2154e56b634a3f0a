"""One reader of the config file (redline.toml / $REDLINE_CONFIG) for every part that uses it."""
from __future__ import annotations

from pathlib import Path

import pytest

from redline.alerts.sinks import load_notify_config
from redline.core.config import Settings, read_config_file
from redline.core.errors import ConfigError
from redline.orchestration.schedules import load_schedules


def _config(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "redline.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_config_file_is_read_once_into_its_tables(tmp_path: Path) -> None:
    path = _config(tmp_path, '[notify]\nurls = ["json://127.0.0.1/x"]\n[schedule]\nmonitor = "15m"\n')
    settings = Settings.resolve(archive=str(tmp_path), env={})
    assert settings.config_file == path.resolve()
    assert settings.config == {"notify": {"urls": ["json://127.0.0.1/x"]}, "schedule": {"monitor": "15m"}}
    assert settings.config is settings.config          # parsed once per Settings
    assert load_notify_config({}, path).urls == ("json://127.0.0.1/x",)
    assert [s.when for s in load_schedules(path) if s.flow == "monitor"] == ["every 15m"]


@pytest.mark.parametrize("text, said", [
    ("[notfy]\nurls = []\n", "unknown table or key 'notfy'"),
    ("schedule = 3\n", "schedule must be a table"),
    ("[schedule\n", "TOML syntax error"),
])
def test_a_bad_config_file_is_refused_in_one_line_naming_the_file(tmp_path: Path, text: str, said: str) -> None:
    path = _config(tmp_path, text)
    for read in (read_config_file, lambda p: load_schedules(p), lambda p: load_notify_config({}, p)):
        with pytest.raises(ConfigError) as caught:
            read(path)
        message = str(caught.value)
        assert said in message and message.startswith(str(path)) and "\n" not in message


def test_no_config_file_means_no_tables(tmp_path: Path) -> None:
    assert Settings.resolve(archive=str(tmp_path / "none"), env={}).config == {}
