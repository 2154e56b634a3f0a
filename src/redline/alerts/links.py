"""Links from an alert to its evidence in the archive's web view (pure).

With a public address for the browse view (`REDLINE_PUBLIC_URL` or `[browse] public_url`
in redline.toml), every alert carries links to its comparison page, the archived text of
both versions, the version page and the raw capture, so a monitor reads the evidence,
not the live page (which, for a removed statement, is the site's "page not found").
"""
from __future__ import annotations

from dataclasses import replace
from typing import Any, Mapping
from urllib.parse import quote, urlsplit

from redline.core.errors import ConfigError
from redline.core.model import Alert

ENV_PUBLIC_URL = "REDLINE_PUBLIC_URL"


def public_url(env: Mapping[str, str], config: Mapping[str, Any]) -> str | None:
    """The browse view's public address, without a trailing slash; None when not configured."""
    value = (env.get(ENV_PUBLIC_URL) or "").strip() or config.get("browse", {}).get("public_url")
    if value is None or value == "":
        return None
    if not isinstance(value, str) or urlsplit(value).scheme not in ("http", "https") or not urlsplit(value).netloc:
        raise ConfigError(f"the browse view's public URL {value!r} ({ENV_PUBLIC_URL} or [browse] public_url) "
                          "must be an http(s) address, like https://redline.example.org")
    return value.rstrip("/")


def evidence_links(alert: Alert, base: str) -> dict[str, str]:
    """{name: URL} for what the alert is about: its source's timeline, the comparison, both texts,
    the version page and the raw capture (each only when the alert has it)."""
    source = f"{base}/sources/{quote(alert.source)}"
    links = {"timeline": source}
    old, new = alert.from_seq, alert.to_seq
    if old is not None and new is not None and old != new:
        links["compare"] = f"{source}/compare?a={old}&b={new}"
    if new is not None:
        links["version"] = f"{source}/versions/{new}"
        links["text"] = f"{source}/versions/{new}/text"
    if old is not None and old != new:
        links["previous_text"] = f"{source}/versions/{old}/text"
    if alert.capture_id is not None:
        links["capture"] = f"{source}/captures/{alert.capture_id}"
        links["raw"] = f"{source}/captures/{alert.capture_id}/raw"
    links["alerts"] = f"{base}/alerts?source={quote(alert.source)}"
    return links


def with_links(alert: Alert, base: str | None) -> Alert:
    return alert if not base or alert.kind == "test" else replace(alert, links=evidence_links(alert, base))


LINK_LABELS = (("compare", "Compare"), ("text", "Archived text"), ("previous_text", "Text before"),
               ("raw", "Raw capture"), ("timeline", "Timeline"))
