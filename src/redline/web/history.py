"""The web view's pages over a source's life: what it said as of a date, its timeline strip,
and the grade of a comparison (the same as its change alert's, for adjacent versions)."""
from __future__ import annotations

from datetime import date
from typing import Any, Mapping
from urllib.parse import quote

from redline.store import readhistory, readmodel as views
from redline.store.readvalues import Comparison
from redline.store.sqlite import Archive
from redline.text.significance import grade_change
from redline.web.params import BadRequest
from redline.web.strip import Bucket, Change, Strip, bucket_strip, change_mark


def as_of_url(name: str, when: str, *, api: bool = False) -> str:
    return f"{'/api' if api else ''}/sources/{quote(name)}/at/{quote(when, safe=':+')}"


def as_of(archive: Archive, name: str, asked: str) -> tuple[str, dict[str, Any], Any]:
    try:
        a = readhistory.as_of(archive, name, asked.strip())
    except ValueError:
        raise BadRequest(f"the date must look like 2024-03-01 or 2024-03-01T09:00:00+08:00, not {asked[:60]!r}") \
            from None
    paragraphs = [line for line in a.text.split("\n") if line.strip()]
    twin = {k: v for k, v in views.to_json(a).items() if k != "text"}
    return "asof.html", {"a": a, "source": a.source, "paragraphs": paragraphs}, {**twin, "paragraphs": paragraphs}


def strip(archive: Archive, name: str, *, until: str | None = None) -> Strip:
    h = readhistory.history(archive, name)
    days = {date.fromisoformat(d): n for d, n in h.capture_days.items() if d}
    changes = [Change(date.fromisoformat(v.first_seen[:10]), v.seq, change_mark(v.change, v.grade))
               for v in h.versions]
    return bucket_strip(days, changes, until=date.fromisoformat(until[:10]) if until else None)


def _bucket_json(b: Bucket) -> dict[str, Any]:
    return {"start": b.start.isoformat(), "end": b.end.isoformat(), "captures": b.captures, "mark": b.mark,
            "versions": [{"seq": c.seq, "mark": c.mark} for c in b.changes]}


def strip_json(s: Strip) -> dict[str, Any]:
    return {"unit": s.unit, "earlier": _bucket_json(s.earlier) if s.earlier else None,
            "buckets": [_bucket_json(b) for b in s.buckets]}


def comparison_grade(archive: Archive, c: Comparison, *, table: Mapping[str, str] | None) -> dict[str, Any]:
    """The significance of A -> B: the stored alert's when B is the change from A that raised one,
    else graded now (the archive's configured grade table when the view was given it)."""
    if c.b.alert_id is not None and c.b.previous_seq == c.a.seq:
        stored = archive.alert(c.b.alert_id).significance
        if stored:
            return {**stored, "from": "alert", "alert": c.b.alert_id}
    graded = grade_change(c.a_text, c.b_text, language=readhistory.language(archive, c.source.name), table=table)
    return {**graded.to_json(), "from": "graded now"}
