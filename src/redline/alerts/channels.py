"""Where alerts go: the monitors' channels (every alert, or routed by tag or source), the
operators' channels, and the browse view's public address for evidence links."""
from __future__ import annotations

import os
from dataclasses import dataclass, field

from redline.alerts.links import public_url
from redline.alerts.sinks import AppriseSink, JsonlSink, Route, Sink, load_notify_config
from redline.core.config import Settings
from redline.core.model import Source
from redline.registry.watch import load_watch
from redline.store.sqlite import Archive
from redline.text.formulations import Watch


@dataclass(frozen=True)
class Sinks:
    """Where alerts go: monitors' channels, and operators' channels for failure alerts."""

    monitor: dict[str, Sink]
    operator: dict[str, Sink]
    routed: dict[str, Route] = field(default_factory=dict)   # sink name -> the alerts it takes
    public_url: str | None = None                            # the browse view's address, for links
    grades: dict[str, str] = field(default_factory=dict)     # [significance]: reason kind -> grade, over the default
    watch: tuple[Watch, ...] = ()                            # watched formulations (redline.registry.watch)

    def all(self) -> dict[str, Sink]:
        return {**self.monitor, **self.operator}

    def for_source(self, source: Source, grade: str | None = None) -> list[str]:
        """The monitors' channels an alert of this source (of this significance grade) goes to: every
        unrouted one, and the routed ones whose tags, sources and grades take it."""
        return [name for name in self.monitor
                if name not in self.routed or self.routed[name].takes(source.name, source.tags, grade)]


def make_sinks(archive: Archive, settings: Settings) -> Sinks:
    """The alert logs always; Apprise URLs from the environment or the config file
    (REDLINE_APPRISE_URLS / [notify] urls for monitors, [[notify.route]] for some sources'
    alerts only, REDLINE_OPERATOR_APPRISE_URLS / [notify] operator_urls for operators)."""
    notify = load_notify_config(os.environ, settings.config_file)
    monitor: list[Sink] = [JsonlSink(archive.alerts_log, name="alert-log")]  # stable if the archive moves
    monitor += [AppriseSink(url) for url in notify.urls]
    everything = {s.name for s in monitor}
    routed: dict[str, Route] = {}
    for route in notify.routes:
        for url in route.urls:
            sink = AppriseSink(url)
            if sink.name in everything:
                continue            # already gets every alert
            old = routed.get(sink.name)   # in two routes: it takes what either takes
            routed[sink.name] = route if old is None else Route(   # a grade filter holds only if both have one
                urls=old.urls, tags=old.tags + route.tags, sources=old.sources + route.sources,
                grades=old.grades + route.grades if old.grades and route.grades else ())
            if old is None:
                monitor.append(sink)
    operator: list[Sink] = [JsonlSink(archive.root / "operator-alerts.jsonl", name="operator-log")]
    operator += [AppriseSink(url) for url in notify.operator_urls]
    return Sinks({s.name: s for s in monitor}, {s.name: s for s in operator}, routed,
                 public_url(os.environ, settings.config), significance_table(settings), load_watch(settings))


def significance_table(settings: Settings) -> dict[str, str]:
    """`[significance]` of the config file: reason kind -> grade, over redline.text.significance's defaults."""
    from redline.core.errors import ConfigError
    from redline.text.significance import parse_grade_table

    table = settings.config.get("significance", {})
    try:
        return parse_grade_table(table, where=str(settings.config_file)) if table else {}
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
