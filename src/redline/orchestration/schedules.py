"""Schedules from config (pure): which deployments `redline serve` runs, and how often.

    [schedule]
    monitor = "1h"            # an interval (30s, 15m, 1h, 1d) or a cron expression ("0 * * * *")
    discover = "6h"

    [[schedule.tag]]          # optional: check some tags more often
    tag = "un"
    every = "15m"
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from redline.core.config import read_config_file
from redline.core.errors import ConfigError

DEFAULTS = {"monitor": "1h", "discover": "6h"}
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_EVERY = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhd])\s*$")
_CRON_FIELD = re.compile(r"^[\d*/,\-A-Za-z?LW#]+$")


@dataclass(frozen=True)
class Schedule:
    """One deployment to serve: a flow, a deployment name, parameters, and when."""

    flow: str                      # "monitor" | "discover"
    name: str                      # deployment name: "all", "tag-un"
    interval: float | None = None  # seconds
    cron: str | None = None
    tags: tuple[str, ...] = ()

    @property
    def full_name(self) -> str:
        return f"{self.flow}/{self.name}"

    @property
    def when(self) -> str:
        return f"cron {self.cron}" if self.cron else f"every {_human(self.interval or 0)}"


def _human(seconds: float) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{int(seconds // size)}{unit}"
    return f"{seconds:g}s"


def parse_when(value: object, *, where: str) -> tuple[float | None, str | None]:
    """An interval like "15m" -> (900, None); a 5-field cron -> (None, cron)."""
    if not isinstance(value, str):
        raise ConfigError(f"{where}: expected a string like \"1h\" or \"0 * * * *\", got {value!r}")
    m = _EVERY.match(value)
    if m:
        seconds = float(m.group(1)) * _UNITS[m.group(2)]
        if seconds < 10:
            raise ConfigError(f"{where}: {value!r} is too often; use 10s or more")
        return seconds, None
    fields = value.split()
    if len(fields) == 5 and all(_CRON_FIELD.match(f) for f in fields):
        return None, value.strip()
    raise ConfigError(f"{where}: {value!r} is neither an interval (30s, 15m, 1h, 1d) nor a 5-field cron expression")


def load_schedules(config_file: Path | None) -> list[Schedule]:
    """The schedules to serve: defaults, overridden by the [schedule] table of the config file."""
    table: dict = {}
    if config_file is not None and config_file.exists():
        table = read_config_file(config_file).get("schedule", {})  # the one reader of the config file
    where = f"{config_file}: [schedule]" if config_file else "[schedule]"
    unknown = set(table) - {"monitor", "discover", "tag"}
    if unknown:
        raise ConfigError(f"{where}: unknown key {sorted(unknown)[0]!r} (expected monitor, discover, tag)")
    schedules = []
    for flow in ("monitor", "discover"):
        interval, cron = parse_when(table.get(flow, DEFAULTS[flow]), where=f"{where} {flow}")
        schedules.append(Schedule(flow, "all", interval, cron))
    for i, entry in enumerate(table.get("tag", []), 1):
        here = f"{where} tag #{i}"
        if not isinstance(entry, dict) or set(entry) != {"tag", "every"}:
            raise ConfigError(f"{here}: expected exactly the keys tag and every")
        if not re.fullmatch(r"[a-z0-9][a-z0-9-]*", str(entry["tag"])):
            raise ConfigError(f"{here}: tag {entry['tag']!r} is not a tag name")
        interval, cron = parse_when(entry["every"], where=f"{here} every")
        schedules.append(Schedule("monitor", f"tag-{entry['tag']}", interval, cron, (entry["tag"],)))
    return schedules
