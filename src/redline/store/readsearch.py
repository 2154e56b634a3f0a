"""Search the whole record (`redline search`, the web view's search, /api/search): pure shaping
of the search index's rows (redline.store.sqlite.search) into hits people read.

A hit is one paragraph of one source that holds the query, with the span of versions in
which it stood: first seen in vN (date), last seen in vM, and either "stands" (it is in
the latest version) or "ended in vM+1" (date): a phrase that was removed shows where.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

SNIPPET_CHARS = 160   # of context around the first match


@dataclass(frozen=True)
class SearchHit:
    source: str
    title: str
    first_seq: int
    first_seen: str
    last_seq: int
    last_seen: str
    ended_seq: int | None      # the version that dropped it (None: it stands in the latest version)
    ended_seen: str | None
    text: str                  # the whole paragraph
    before: str                # the snippet: text before the match, the match, text after
    match: str
    after: str

    @property
    def stands(self) -> bool:
        return self.ended_seq is None

    def record(self) -> dict[str, Any]:
        out = asdict(self)
        out["stands"] = self.stands
        out["snippet"] = f"{self.before}[{self.match}]{self.after}"
        return out


def snippet(text: str, query: str, *, width: int = SNIPPET_CHARS) -> tuple[str, str, str]:
    """(before, match, after) around the first case-insensitive match, cut to about `width` characters
    with "…" where cut."""
    at = text.casefold().find(query.casefold())
    if at < 0:
        return "", "", text[:width] + ("…" if len(text) > width else "")
    end = at + len(query)
    room = max(0, (width - len(query)) // 2)
    start, stop = max(0, at - room), min(len(text), end + room)
    return (("…" if start else "") + text[start:at], text[at:end], text[end:stop] + ("…" if stop < len(text) else ""))


def hits_from_rows(rows: list[Any], query: str) -> list[SearchHit]:
    out = []
    for r in rows:
        before, match, after = snippet(r["text"], " ".join(query.split()))
        out.append(SearchHit(
            source=r["source"], title=r["source_title"] or "", first_seq=r["from_seq"], first_seen=r["from_seen"],
            last_seq=r["to_seq"], last_seen=r["to_seen"], ended_seq=r["ended_seq"], ended_seen=r["ended_seen"],
            text=r["text"], before=before, match=match, after=after))
    return out


def search(archive: Any, query: str, *, source: str | None = None, since: str | None = None,
           limit: int = 200) -> list[SearchHit]:
    """Every paragraph of every archived version that holds `query`, with the versions it stood in."""
    return hits_from_rows(archive.search_lines(query, source=source, since=since, limit=limit), query)
