"""The texts of alerts: removed, restored, and the one-line summary of a change."""
from __future__ import annotations

import html
from dataclasses import replace

from redline.core.model import Source
from redline.core.textutil import opening_lines
from redline.store.sqlite import Archive, NewAlert
from redline.text.diff import TextDiff


def removed_alert(archive: Archive, source: Source, state, gone: str) -> NewAlert:
    last = archive.version(state.version_id)
    opening = opening_lines(archive.get_text(last.text_sha256), title=last.title or source.title)
    lines = [f"Its last archived version (v{last.seq}, first seen {last.first_seen[:10]}) and every earlier "
             "one stay in the archive.", "", "It opened:", *(f"  {line}" for line in opening)]
    html_lines = "".join(f"<p>{html.escape(line)}</p>" for line in lines if line)
    return NewAlert(kind="removed", title=source.title or last.title, url=source.url,
                    summary=f"No longer available: {gone}", diff_text="\n".join(lines), diff_html=html_lines,
                    stats={"reason": gone, "last_version": last.seq})


def restored_alert(source: Source, state, url: str, *, change: NewAlert | None = None) -> NewAlert:
    since = (state.state_since or "")[:10] or "an earlier check"
    summary = f"Available again at {url} (removed since {since})"
    if change is not None:
        return replace(change, kind="restored", url=url, summary=f"{summary}; {change.summary}",
                       stats={**(change.stats or {}), "removed_since": state.state_since})
    note = f"Removed since {since} ({state.state_reason}); the text is as archived before it went."
    return NewAlert(kind="restored", title=source.title, url=url, summary=summary + "; text unchanged",
                    diff_text=note, diff_html=f"<p>{html.escape(note)}</p>",
                    stats={"removed_since": state.state_since, "removed_reason": state.state_reason})


def summarize(d: TextDiff) -> str:
    s = d.stats
    places = f"{s.hunks} place" + ("s" if s.hunks != 1 else "")
    parts = []
    if s.deleted_words:
        parts.append(f"{s.deleted_words} word{'s' if s.deleted_words != 1 else ''} removed")
    if s.inserted_words:
        parts.append(f"{s.inserted_words} word{'s' if s.inserted_words != 1 else ''} added")
    return f"Wording changed in {places}: " + (", ".join(parts) or "text moved")
