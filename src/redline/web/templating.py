"""The web view's Jinja2 environment: autoescaping, strict undefined, and the filters
and globals the templates use."""
from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from redline.alerts.text import KIND_LABELS, alert_title


def when(value: str | None) -> str:
    """ISO 8601 UTC -> "2026-11-22 03:55 UTC" (dates without a time stay dates)."""
    if not value:
        return "—"
    text = str(value)
    date, _, rest = text.partition("T")
    if not rest:
        return date
    return f"{date} {rest[:5]} UTC"


def size(n: int | None) -> str:
    if n is None:
        return "—"
    for unit in ("bytes", "KB", "MB"):
        if n < 1024 or unit == "MB":
            return f"{n} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1024  # type: ignore[assignment]
    return str(n)


def query(base: str, **params: Any) -> str:
    clean = {k: v for k, v in params.items() if v not in (None, "")}
    return base + ("?" + urlencode(clean) if clean else "")


def make_environment() -> Environment:
    env = Environment(loader=PackageLoader("redline.web", "templates"),
                      autoescape=select_autoescape(default=True, default_for_string=True),
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters["when"] = when
    env.filters["size"] = size
    env.globals["q"] = query
    env.globals["kind_label"] = lambda kind: KIND_LABELS.get(kind, kind)
    env.globals["alert_title"] = alert_title
    return env
