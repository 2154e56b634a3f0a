"""Where alerts go: the monitors' channels and the operators' channels, built from the settings."""
from __future__ import annotations

import os
from dataclasses import dataclass

from redline.alerts.sinks import AppriseSink, JsonlSink, Sink, load_notify_config
from redline.core.config import Settings
from redline.store.sqlite import Archive


@dataclass(frozen=True)
class Sinks:
    """Where alerts go: monitors' channels, and operators' channels for failure alerts."""

    monitor: dict[str, Sink]
    operator: dict[str, Sink]

    def all(self) -> dict[str, Sink]:
        return {**self.monitor, **self.operator}


def make_sinks(archive: Archive, settings: Settings) -> Sinks:
    """The alert logs always; Apprise URLs from the environment or the config file
    (REDLINE_APPRISE_URLS / [notify] urls for monitors, REDLINE_OPERATOR_APPRISE_URLS /
    [notify] operator_urls for operators)."""
    notify = load_notify_config(os.environ, settings.config_file)
    monitor: list[Sink] = [JsonlSink(archive.alerts_log, name="alert-log")]  # stable if the archive moves
    monitor += [AppriseSink(url) for url in notify.urls]
    operator: list[Sink] = [JsonlSink(archive.root / "operator-alerts.jsonl", name="operator-log")]
    operator += [AppriseSink(url) for url in notify.operator_urls]
    return Sinks({s.name: s for s in monitor}, {s.name: s for s in operator})
