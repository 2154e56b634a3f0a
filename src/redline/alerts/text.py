"""The words of an alert, as each channel shows it: a title, a plain-text body, an HTML body
(the change coloured as in the web view, styles inline because mail clients drop style sheets).
Pure: no I/O."""
from __future__ import annotations

import html
import re
from datetime import datetime, timezone

from redline.alerts.links import LINK_LABELS
from redline.core.model import Alert

KIND_LABELS = {
    "change": "Wording changed",
    "new_statement": "New statement",
    "removed": "Removed",
    "restored": "Restored",
    "failing": "Failing",
    "recovered": "Recovered",
    "test": "Test alert",
}
MAX_BODY_DIFF_CHARS = 3000  # chat services cut long messages; the feed and the log keep the whole diff
DEL_STYLE = "background:#ffebe9;color:#82071e;text-decoration:line-through"
INS_STYLE = "background:#dafbe1;color:#116329;text-decoration:none;font-weight:600"


def utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment.astimezone(timezone.utc)


def alert_urn(alert: Alert) -> str:
    """The alert's stable id, the same in every channel and the feed: receivers de-duplicate on it."""
    return f"urn:redline:alert:{alert.id}"


def alert_title(alert: Alert) -> str:
    label = KIND_LABELS.get(alert.kind, alert.kind.replace("_", " ").capitalize())
    grade = (alert.significance or {}).get("grade")
    return f"{label}{f' ({grade})' if grade else ''}: {alert.title or alert.source}"


REASONS_SHOWN = 5


def significance_line(alert: Alert) -> str:
    """"significance: high · negation ¶3: "will" -> "will not"; modality ¶5: ..." ("" without a grade)."""
    sig = alert.significance
    if not sig:
        return ""
    reasons = []
    for r in sig.get("reasons", [])[:REASONS_SHOWN]:
        change = " -> ".join(f'"{x}"' if x else "-" for x in (r.get("before", ""), r.get("after", "")))
        reasons.append(f"{r.get('kind', '?').replace('_', ' ')} ¶{r.get('paragraph', '?')}: {change}")
    more = len(sig.get("reasons", [])) - REASONS_SHOWN
    return (f"significance: {sig['grade']}" + (" · " + "; ".join(reasons) if reasons else "")
            + (f"; {more} more" if more > 0 else ""))


def alert_facts(alert: Alert) -> str:
    """"source X · v1 -> v2 · alert #3, 2026-12-07 05:21 UTC"."""
    facts = [f"source {alert.source}"]
    if alert.from_seq is not None and alert.to_seq is not None and alert.from_seq != alert.to_seq:
        facts.append(f"v{alert.from_seq} -> v{alert.to_seq}")
    elif alert.to_seq is not None or alert.from_seq is not None:
        facts.append(f"v{alert.to_seq or alert.from_seq}")
    facts.append(f"alert #{alert.id}, {utc(alert.created_at).strftime('%Y-%m-%d %H:%M UTC')}")
    return " · ".join(facts)


def version_dates(alert: Alert) -> str:
    """"v1 first seen 2020-12-16 22:36 UTC; v2 first seen 2026-12-07 05:21 UTC" ("" when unknown)."""
    parts = []
    for seq, seen in ((alert.from_seq, alert.from_seen), (alert.to_seq, alert.to_seen)):
        if seq is not None and seen and f"v{seq} " not in " ".join(parts):
            parts.append(f"v{seq} first seen {seen[:16].replace('T', ' ')} UTC")
    return "; ".join(parts)


def _links(alert: Alert) -> list[tuple[str, str]]:
    return [(label, alert.links[key]) for key, label in LINK_LABELS if key in alert.links]


def alert_body(alert: Alert, *, max_diff_chars: int = MAX_BODY_DIFF_CHARS) -> str:
    """What a plain-text chat or e-mail alert shows: summary, URL, versions, evidence links, the marked-up diff."""
    lines = [alert.summary, alert.url, alert_facts(alert)]
    lines += [significance_line(alert)] if alert.significance else []
    lines += [f"{label}: {url}" for label, url in _links(alert)]
    diff = alert.diff_text.strip("\n")
    if diff:
        if len(diff) > max_diff_chars:
            cut = diff[:max_diff_chars].rstrip()
            diff = f"{cut}\n… ({len(diff) - len(cut)} more characters in the archive and the feed)"
        lines += ["", diff]
    lines += ["", f"id: {alert_urn(alert)}"]
    return "\n".join(lines)


def _coloured(fragment: str) -> str:
    """Our own diff HTML (<del>/<ins>/<div class="hunk">, page text escaped) with inline colours."""
    fragment = re.sub(r"<del>", f'<del style="{DEL_STYLE}">', fragment)
    fragment = re.sub(r"<ins>", f'<ins style="{INS_STYLE}">', fragment)
    return re.sub(r'<div class="hunk"[^>]*>', '<div style="margin:.6em 0;padding:.4em .6em;border-left:3px solid #d0d7de">',
                  fragment)


def alert_html(alert: Alert, *, max_diff_chars: int = MAX_BODY_DIFF_CHARS) -> str:
    """The HTML body for channels that take HTML (Apprise e-mail, Matrix, ...)."""
    esc = html.escape
    parts = [f"<p><strong>{esc(alert.summary)}</strong></p>",
             f'<p><a href="{esc(alert.url, quote=True)}">{esc(alert.url)}</a><br>{esc(alert_facts(alert))}</p>']
    dates = version_dates(alert)
    if dates:
        parts.append(f"<p>{esc(dates)}</p>")
    if alert.significance:
        parts.append(f"<p>{esc(significance_line(alert))}</p>")
    links = _links(alert)
    if links:
        parts.append("<p>" + " · ".join(f'<a href="{esc(url, quote=True)}">{esc(label)}</a>' for label, url in links)
                     + "</p>")
    diff = alert.diff_html
    if diff and len(diff) <= max_diff_chars * 3:
        parts.append(_coloured(diff))
    elif alert.diff_text:
        parts.append(f"<pre>{esc(alert.diff_text[:max_diff_chars])}…</pre>")
    parts.append(f'<p style="color:#57606a;font-size:small">id: {esc(alert_urn(alert))}</p>')
    return "\n".join(parts)
