"""Alert sinks (JSON lines, Apprise) and notification settings ([notify], routes).

A sink delivers one Alert or raises DeliveryError with one line; which alert went
to which sink, and retries, are the archive's business (deliveries are keyed on
`sink.name`, so names are stable and never carry a secret).
"""
from __future__ import annotations

import json
import logging
import os
import re
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any, Mapping, Protocol, Sequence

from redline.core.config import read_config_file
from redline.core.errors import ConfigError, DeliveryError
from redline.core.model import Alert
from redline.alerts.redaction import _SCHEME_RE, redact_url, scrub, sink_name_for_url
from redline.alerts.text import alert_body, alert_html, alert_title
from redline.text.significance import GRADES

class Sink(Protocol):
    name: str

    def deliver(self, alert: Alert) -> None:
        """Deliver one alert; raise DeliveryError (one line) when it did not arrive."""


def alert_record(alert: Alert) -> dict[str, Any]:
    """Every Alert field, JSON-ready (datetimes as ISO 8601 text; see Alert.record)."""
    return alert.record()


# -- JSON lines ----------------------------------------------------------------


class JsonlSink:
    """Appends one JSON object per alert to a file, flushed and fsynced.

    It can tell whether an alert arrived (`delivered`), so a delivery interrupted by a
    crash is not written twice. A crash in the middle of a write can leave a partial last
    line; the next append ends it first, and readers skip the line that does not parse."""

    def __init__(self, path: Path | str, *, name: str | None = None) -> None:
        self.path = Path(path)
        self.name = name or f"jsonl:{self.path}"

    def deliver(self, alert: Alert) -> None:
        line = json.dumps(alert_record(alert), ensure_ascii=False, default=str, separators=(",", ":")) + "\n"
        data = line.encode("utf-8")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o644)
            try:
                size = os.fstat(fd).st_size
                if size and os.pread(fd, 1, size - 1) != b"\n":  # a line cut short by a crash: end it
                    data = b"\n" + data
                view = memoryview(data)
                while view:  # one write() almost always; O_APPEND keeps concurrent lines whole
                    view = view[os.write(fd, view):]
                os.fsync(fd)
            finally:
                os.close(fd)
        except OSError as exc:
            raise DeliveryError(f"cannot append to {self.path}: {exc.strerror or exc}") from None

    def delivered(self, alert_id: int) -> bool:
        """Whether a complete line for this alert is in the file."""
        prefix = f'{{"id":{int(alert_id)},'.encode("ascii")
        try:
            with open(self.path, "rb") as fh:
                return any(line.startswith(prefix) and line.endswith(b"\n") for line in fh)
        except FileNotFoundError:
            return False
        except OSError as exc:
            raise DeliveryError(f"cannot read {self.path}: {exc.strerror or exc}") from None


# -- Apprise ---------------------------------------------------------------------


_TIMED_OUT = re.compile(r"timed out|timeout", re.I)
_CHATTY_LOGGERS = ("apprise", "urllib3.connectionpool", "urllib3.connection", "urllib3.util.retry")


class _Scrubbed(logging.Filter):
    """Masks one URL's secrets in every record the logger emits (any level), so a log
    handler, however verbose, never sees a token."""

    def __init__(self, url: str) -> None:
        super().__init__()
        self._url = url

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        clean = scrub(message, self._url)
        if clean != " ".join(message.split()):
            record.msg, record.args = clean, ()
        return True


class AppriseSink:
    """Sends alerts through one Apprise URL (Telegram, e-mail, Matrix, ntfy, JSON webhook, ...).

    Apprise is imported on first delivery; `apprise_module` replaces it in tests."""

    def __init__(self, url: str, *, apprise_module: ModuleType | Any | None = None) -> None:
        self._url = url.strip()
        self._apprise = apprise_module
        self.name = sink_name_for_url(self._url)

    def __repr__(self) -> str:
        return f"AppriseSink({self.name!r})"

    def _module(self) -> Any:
        if self._apprise is None:
            import apprise

            self._apprise = apprise
        return self._apprise

    def deliver(self, alert: Alert) -> None:
        guard = _Scrubbed(self._url)  # Apprise and urllib3 log the URLs they post to, tokens and all, at DEBUG
        loggers = [logging.getLogger(name) for name in _CHATTY_LOGGERS]
        for log in loggers:
            log.addFilter(guard)
        try:
            self._deliver(alert)
        finally:
            for log in loggers:
                log.removeFilter(guard)

    @staticmethod
    def _body(apprise: Any, client: Any, alert: Alert) -> tuple[str, str]:
        """(body, format): HTML, the change coloured, for a service that takes HTML (e-mail, Matrix,
        ...); plain text with [-deleted-]{+inserted+} for the rest (Apprise would strip the tags)."""
        formats = getattr(apprise, "NotifyFormat", None)
        text_format = getattr(formats, "TEXT", "text")
        html_format = getattr(formats, "HTML", "html")
        try:
            takes = [getattr(server, "notify_format", None) for server in client]
        except TypeError:   # a stand-in Apprise (tests) that cannot be iterated
            takes = []
        if takes and all(str(getattr(f, "value", f)) == str(getattr(html_format, "value", html_format)) for f in takes):
            return alert_html(alert), html_format
        return alert_body(alert), text_format

    def _deliver(self, alert: Alert) -> None:
        apprise = self._module()
        client = apprise.Apprise()
        try:
            added = client.add(self._url)
        except Exception as exc:  # a plugin that chokes on its URL
            raise DeliveryError(f"Apprise rejected the URL: {scrub(str(exc), self._url)}") from None
        if not added:
            raise DeliveryError("not a valid Apprise URL (unknown scheme or missing parts); check the notify settings")
        title, body, body_format = alert_title(alert), *self._body(apprise, client, alert)
        capture = getattr(apprise, "LogCapture", None)
        logs = ""
        try:
            if capture is not None:
                with capture(level=logging.DEBUG, fmt="%(levelname)s %(message)s") as out:
                    ok = client.notify(body=body, title=title, body_format=body_format)
                    logs = out.getvalue()
            else:
                ok = client.notify(body=body, title=title, body_format=body_format)
        except Exception as exc:
            raise DeliveryError(f"Apprise failed: {scrub(f'{type(exc).__name__}: {exc}', self._url)}") from None
        if not ok:
            lines = [line for line in logs.splitlines() if line.strip()]
            reasons = [line.partition(" ")[2] for line in lines if line.startswith(("WARNING", "ERROR"))]
            reason = scrub(reasons[-1], self._url) if reasons else "no reason given"
            if any(_TIMED_OUT.search(line) for line in lines):   # said only at DEBUG ("Read timed out")
                reason += " (timed out)"
            raise DeliveryError(f"Apprise could not deliver: {reason}")


# -- notification settings -------------------------------------------------------

ENV_URLS = "REDLINE_APPRISE_URLS"
ENV_OPERATOR_URLS = "REDLINE_OPERATOR_APPRISE_URLS"
_NOTIFY_KEYS = ("urls", "operator_urls", "route")
_ROUTE_KEYS = ("urls", "tags", "sources", "grades")


@dataclass(frozen=True)
class Route:
    """Channels that get only some alerts: of the sources with one of `tags` or named in `sources`
    (any source when it names neither), and of one of `grades` (redline.text.significance; an alert
    without a grade, a removed statement say, counts as "high")."""
    urls: tuple[str, ...]
    tags: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    grades: tuple[str, ...] = ()

    def takes(self, name: str, tags: Sequence[str], grade: str | None = None) -> bool:
        by_source = name in self.sources or bool(set(self.tags) & set(tags)) or not (self.tags or self.sources)
        return by_source and (not self.grades or (grade or "high") in self.grades)


@dataclass(frozen=True)
class NotifyConfig:
    urls: tuple[str, ...] = ()            # where every alert goes
    operator_urls: tuple[str, ...] = ()   # where operational trouble goes (failing sources, delivery errors)
    routes: tuple[Route, ...] = ()        # [[notify.route]]: channels for some sources' alerts only


def split_urls(text: str) -> list[str]:
    """Apprise URLs separated by whitespace or commas. A comma splits only before another
    `scheme://`, so `mailto://...?to=a@x.org,b@y.org` stays one URL."""
    urls: list[str] = []
    for chunk in text.split():
        for piece in re.split(r",(?=[A-Za-z][A-Za-z0-9+.-]*://)", chunk):
            piece = piece.strip(",")
            if piece:
                urls.append(piece)
    return urls


def _check_urls(urls: list[str], where: str) -> list[str]:
    for index, url in enumerate(urls, start=1):
        if not _SCHEME_RE.fullmatch(url):
            raise ConfigError(f"{where}: item {index} ({redact_url(url)}) is not an Apprise URL; "
                              "expected scheme://..., e.g. tgram://BOT_TOKEN/CHAT_ID or mailtos://user:pass@host")
    return urls


def _file_urls(table: Mapping[str, Any], key: str, config_path: Path) -> list[str]:
    value = table.get(key, [])
    where = f"{config_path}: [notify] {key}"
    if isinstance(value, str):
        return _check_urls(split_urls(value), where)
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{where} must be a list of strings (Apprise URLs)")
    return _check_urls([u.strip() for u in value if u.strip()], where)


def load_notify_config(env: Mapping[str, str], config_path: Path | None) -> NotifyConfig:
    """Apprise URLs from $REDLINE_APPRISE_URLS and/or `[notify] urls = [...]` in the config
    file; operator URLs from $REDLINE_OPERATOR_APPRISE_URLS and/or `[notify] operator_urls`.
    Both places count; repeats are dropped. A given config file must exist."""
    urls = _check_urls(split_urls(env.get(ENV_URLS, "")), ENV_URLS)
    operator_urls = _check_urls(split_urls(env.get(ENV_OPERATOR_URLS, "")), ENV_OPERATOR_URLS)
    if config_path is not None:
        config_path = Path(config_path)
        data = read_config_file(config_path)  # the one reader of the config file
        notify = data.get("notify", {})
        unknown = [k for k in notify if k not in _NOTIFY_KEYS]
        if unknown:
            raise ConfigError(f"{config_path}: [notify] has unknown key {json.dumps(unknown[0])} "
                              f"(expected: {', '.join(_NOTIFY_KEYS)})")
        urls += _file_urls(notify, "urls", config_path)
        operator_urls += _file_urls(notify, "operator_urls", config_path)
        routes = _routes(notify.get("route", []), config_path)
    else:
        routes = ()
    return NotifyConfig(urls=tuple(dict.fromkeys(urls)), operator_urls=tuple(dict.fromkeys(operator_urls)),
                        routes=routes)


def _routes(value: Any, config_path: Path) -> tuple[Route, ...]:
    """`[[notify.route]]` tables: urls = [...], and tags = [...] and/or sources = [...]."""
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise ConfigError(f"{config_path}: [notify] route must be tables, written [[notify.route]]")
    routes = []
    for index, table in enumerate(value, start=1):
        where = f"{config_path}: [[notify.route]] {index}"
        unknown = [k for k in table if k not in _ROUTE_KEYS]
        if unknown:
            raise ConfigError(f"{where} has unknown key {json.dumps(unknown[0])} (expected: {', '.join(_ROUTE_KEYS)})")
        lists = {}
        for key in ("tags", "sources", "grades"):
            items = table.get(key, [])
            if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
                raise ConfigError(f"{where}: {key} must be a list of strings")
            lists[key] = tuple(items)
        if not (lists["tags"] or lists["sources"] or lists["grades"]):
            raise ConfigError(f"{where} names no tags, sources or grades: say which alerts it takes, "
                              "or put its URLs in [notify] urls")
        wrong = [g for g in lists["grades"] if g not in GRADES]
        if wrong:
            raise ConfigError(f"{where}: grades has {json.dumps(wrong[0])}; expected some of {', '.join(GRADES)}")
        routes.append(Route(urls=tuple(_file_urls(table, "urls", config_path)), **lists))
    return tuple(routes)
