"""The Atom feeds of alerts (feedgen): each entry links to its evidence when the archive's browse
view has a public address, and says the summary and both versions' dates in its content."""
from __future__ import annotations

import html
import re
from datetime import datetime, timezone
from pathlib import Path
from typing import Sequence

from redline.alerts.links import with_links
from redline.alerts.text import alert_title, alert_urn, significance_line, utc, version_dates
from redline.core.atomic import atomic_write_bytes
from redline.core.model import Alert

_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def _xml_text(text: str) -> str:
    return _XML_INVALID.sub("", text)


def _content(alert: Alert) -> str:
    esc = html.escape
    parts = [f"<p>{esc(alert.summary)}</p>"]
    if alert.links:
        parts.append(f'<p>Live page: <a href="{esc(alert.url, quote=True)}">{esc(alert.url)}</a></p>')
    dates = version_dates(alert)
    if dates:
        parts.append(f"<p>{esc(dates)}</p>")
    if alert.significance:
        parts.append(f"<p>{esc(significance_line(alert))}</p>")
    if alert.links:
        parts.append("<p>" + " · ".join(f'<a href="{esc(url, quote=True)}">{esc(key.replace("_", " "))}</a>'
                                        for key, url in alert.links.items()) + "</p>")
    if alert.diff_html:
        parts.append(alert.diff_html)
    return "\n".join(parts)


def render_atom_feed(alerts: Sequence[Alert], *, feed_id: str, title: str, link: str | None = None,
                     self_url: str | None = None, base: str | None = None) -> bytes:
    """An Atom document, newest alert first; same alerts in, same bytes out. With `base` (the
    browse view's address), each entry links to its comparison (else the live page)."""
    from feedgen.feed import FeedGenerator

    ordered = sorted(alerts, key=lambda a: (utc(a.created_at), a.id), reverse=True)
    fg = FeedGenerator()
    fg.id(feed_id)
    fg.title(_xml_text(title))
    fg.author({"name": "redline"})
    fg.generator("redline")
    if link:
        fg.link(href=link, rel="alternate")
    if self_url:
        fg.link(href=self_url, rel="self")
    fg.updated(utc(ordered[0].created_at) if ordered else _EPOCH)
    for alert in ordered:
        alert = with_links(alert, base)
        entry = fg.add_entry(order="append")
        entry.id(alert_urn(alert))
        entry.title(_xml_text(alert_title(alert)))
        evidence = alert.links.get("compare") or alert.links.get("version") or alert.links.get("timeline")
        # one link per entry: feedgen 1.0 drops an entry link's rel, so a second one would read as a
        # second "alternate" (invalid Atom); the live page is named in the content instead
        entry.link(href=evidence or alert.url, rel="alternate")
        entry.updated(utc(alert.created_at))
        entry.published(utc(alert.created_at))
        entry.summary(_xml_text(alert.summary))
        entry.category(term=alert.kind)
        if alert.significance:
            entry.category(term=f"significance:{alert.significance['grade']}")
        entry.category(term=alert.source)
        entry.content(_xml_text(_content(alert)), type="html")
    return fg.atom_str(pretty=True)


def write_atom_feed(path: Path, alerts: Sequence[Alert], *, feed_id: str, title: str,
                    link: str | None = None, self_url: str | None = None, base: str | None = None) -> None:
    """Write the feed atomically: a reader sees the old feed or the new one, never half."""
    atomic_write_bytes(Path(path), render_atom_feed(alerts, feed_id=feed_id, title=title, link=link,
                                                    self_url=self_url, base=base))
