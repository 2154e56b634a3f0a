"""A source's timeline strip (Wayback-style): captures counted into day, week, month or
year buckets (the finest unit that keeps the strip within MAX_BUCKETS), each bucket
marked with the most significant change it holds. The strip spans the captures; versions
dated before the first capture (a baseline dated by its statement) are gathered in one
``earlier`` bucket ahead of it, so a 2020 statement first captured today does not squeeze
today's captures into one yearly bar. Pure: dates in, buckets out.

Marks, least to most: ``first`` (the first version), ``minor`` (a new version with no
alert: trivial or renormalized), ``low``, ``change`` (a substantive change with no
grade, from before grading), ``medium``, ``high``.
"""
from __future__ import annotations

import math
from bisect import bisect_right
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Iterator, Mapping, Sequence

__all__ = ["Bucket", "Strip", "Change", "MARKS", "UNITS", "bucket_strip", "change_mark"]

UNITS = ("day", "week", "month", "year")
MARKS = ("first", "minor", "low", "change", "medium", "high")
MAX_BUCKETS = 60
BAR_HEIGHT = 30          # the tallest bar (the busiest bucket), in the SVG's units


@dataclass(frozen=True)
class Change:
    day: date
    seq: int
    mark: str            # one of MARKS


def change_mark(change: str | None, grade: str | None) -> str:
    """A version's mark from the kind of change that made it and its alert's grade."""
    if change is None:
        return "first"
    if grade in MARKS:
        return grade
    return "change" if change == "substantive" else "minor"


def _start(day: date, unit: str) -> date:
    if unit == "day":
        return day
    if unit == "week":
        return day - timedelta(days=day.weekday())          # Monday
    if unit == "month":
        return day.replace(day=1)
    return day.replace(month=1, day=1)


def _next(start: date, unit: str) -> date:
    if unit == "day":
        return start + timedelta(days=1)
    if unit == "week":
        return start + timedelta(days=7)
    if unit == "month":
        return date(start.year + start.month // 12, start.month % 12 + 1, 1)
    return date(start.year + 1, 1, 1)


def _starts(first: date, last: date, unit: str) -> Iterator[date]:
    at = _start(first, unit)
    while at <= last:
        yield at
        at = _next(at, unit)


@dataclass(frozen=True)
class Bucket:
    start: date
    end: date                               # its last day
    captures: int
    changes: tuple[Change, ...] = ()

    @property
    def mark(self) -> str | None:
        return max((c.mark for c in self.changes), key=MARKS.index, default=None)

    @property
    def label(self) -> str:
        span = self.start.isoformat() if self.start == self.end else f"{self.start.isoformat()} to {self.end.isoformat()}"
        looks = f"{self.captures} capture{'' if self.captures == 1 else 's'}" if self.captures else "no capture"
        if not self.changes:
            return f"{span}: {looks}, no new version"
        made = ", ".join(f"v{c.seq} ({c.mark})" for c in self.changes)
        return f"{span}: {looks}, new version{'' if len(self.changes) == 1 else 's'} {made}"


@dataclass(frozen=True)
class Strip:
    unit: str
    buckets: tuple[Bucket, ...]
    earlier: Bucket | None = None           # versions from before the first capture

    @property
    def peak(self) -> int:
        return max((b.captures for b in self.buckets), default=0)

    def height(self, bucket: Bucket) -> int:
        """A bar's height: square root of its captures over the busiest bucket's (a few captures stay visible)."""
        if not bucket.captures or not self.peak:
            return 0
        return max(3, round(BAR_HEIGHT * math.sqrt(bucket.captures / self.peak)))

    def marks(self) -> dict[str, int]:
        """How many changes of each mark, most significant first (those present only)."""
        counts = {m: 0 for m in reversed(MARKS)}
        for b in (*([self.earlier] if self.earlier else []), *self.buckets):
            for c in b.changes:
                counts[c.mark] += 1
        return {m: n for m, n in counts.items() if n}


def bucket_strip(capture_days: Mapping[date, int], changes: Sequence[Change], *, until: date | None = None,
                 max_buckets: int = MAX_BUCKETS) -> Strip:
    """Buckets from the first capture (or change, without captures) to the last capture or change (or
    `until`, if later), none skipped: the finest unit (day, week, month, year) with at most
    `max_buckets` of them; changes before the first capture in the strip's `earlier` bucket."""
    captured = [d for d, n in capture_days.items() if n]
    days = captured + [c.day for c in changes]
    if not days:
        return Strip("day", ())
    first, last = min(captured or days), max([*days, *([until] if until else [])])
    before = tuple(c for c in changes if c.day < first)
    earlier = Bucket(start=min(c.day for c in before), end=first - timedelta(days=1), captures=0,
                     changes=before) if before else None
    unit = next((u for u in UNITS if sum(1 for _ in _starts(first, last, u)) <= max_buckets), "year")
    starts = list(_starts(first, last, unit))
    counts = [0] * len(starts)
    held: list[list[Change]] = [[] for _ in starts]
    for d, n in capture_days.items():
        if first <= d <= last:
            counts[bisect_right(starts, d) - 1] += n
    for c in changes:
        if first <= c.day <= last:
            held[bisect_right(starts, c.day) - 1].append(c)
    buckets = []
    for i, start in enumerate(starts):
        end = starts[i + 1] - timedelta(days=1) if i + 1 < len(starts) else last      # the ends: real days
        buckets.append(Bucket(start=max(start, first), end=end, captures=counts[i],
                              changes=tuple(sorted(held[i], key=lambda c: (c.day, c.seq)))))
    return Strip(unit, tuple(buckets), earlier)
