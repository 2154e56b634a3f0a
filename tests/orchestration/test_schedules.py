"""Schedules from config: defaults, intervals, cron, per-tag; bad values in one line."""
from __future__ import annotations

import pytest

from redline.core.errors import ConfigError
from redline.orchestration.schedules import load_schedules, parse_when


def test_defaults_are_monitor_hourly_and_discover_every_six_hours() -> None:
    s = {x.full_name: (x.interval, x.cron) for x in load_schedules(None)}
    assert s == {"monitor/all": (3600, None), "discover/all": (21600, None)}


def test_config_sets_intervals_cron_and_per_tag_schedules(tmp_path) -> None:
    cfg = tmp_path / "redline.toml"
    cfg.write_text('[schedule]\nmonitor = "30m"\ndiscover = "0 */6 * * *"\n'
                   '[[schedule.tag]]\ntag = "un"\nevery = "5m"\n', encoding="utf-8")
    s = {x.full_name: x for x in load_schedules(cfg)}
    assert s["monitor/all"].interval == 1800
    assert s["discover/all"].cron == "0 */6 * * *"
    assert (s["monitor/tag-un"].interval, s["monitor/tag-un"].tags) == (300, ("un",))


@pytest.mark.parametrize("value, message", [
    ("often", "neither an interval"), ("1s", "too often"), (60, "expected a string"), ("* * *", "neither"),
])
def test_bad_schedule_values_are_one_clear_line(value, message) -> None:
    with pytest.raises(ConfigError, match=message):
        parse_when(value, where="redline.toml: [schedule] monitor")


def test_unknown_schedule_key_names_the_file(tmp_path) -> None:
    cfg = tmp_path / "redline.toml"
    cfg.write_text('[schedule]\nmonitr = "1h"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"redline.toml: \[schedule\]: unknown key 'monitr'"):
        load_schedules(cfg)
