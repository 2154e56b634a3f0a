"""The timeline strip's bucketing (web.strip): pure, dates in, buckets out."""
from __future__ import annotations

from datetime import date, timedelta

from redline.web.strip import MARKS, Change, bucket_strip, change_mark

D0 = date(2024, 1, 1)      # a Monday


def daily(n: int, per_day: int = 1, start: date = D0) -> dict[date, int]:
    return {start + timedelta(days=i): per_day for i in range(n)}


def test_a_span_of_a_few_days_gets_one_bar_a_day_with_quiet_days_left_empty() -> None:
    days = {D0: 2, D0 + timedelta(days=4): 1}
    s = bucket_strip(days, [])
    assert s.unit == "day" and [b.start for b in s.buckets] == [D0 + timedelta(days=i) for i in range(5)]
    assert [b.captures for b in s.buckets] == [2, 0, 0, 0, 1]


def test_longer_spans_take_weeks_then_months_then_years_within_the_bar_limit() -> None:
    for span, unit in ((60, "day"), (61, "week"), (400, "week"), (430, "month"), (365 * 5, "month"),
                       (365 * 6, "year")):
        s = bucket_strip(daily(span), [])
        assert s.unit == unit, span
        assert len(s.buckets) <= 60 and sum(b.captures for b in s.buckets) == span, span


def test_buckets_cover_the_span_without_gaps_and_their_ends_are_real_days() -> None:
    s = bucket_strip(daily(100, start=D0 + timedelta(days=2)), [])
    assert s.unit == "week"
    assert s.buckets[0].start == D0 + timedelta(days=2) and s.buckets[-1].end == D0 + timedelta(days=101)
    for a, b in zip(s.buckets, s.buckets[1:]):
        assert b.start == a.end + timedelta(days=1)


def test_a_bucket_is_marked_by_its_most_significant_change_and_its_label_names_each() -> None:
    changes = [Change(D0 + timedelta(days=8), 2, "low"), Change(D0 + timedelta(days=9), 3, "high"),
               Change(D0 + timedelta(days=30), 4, "minor")]
    s = bucket_strip(daily(70), changes)
    marked = {b.start: b for b in s.buckets if b.changes}
    assert [b.mark for b in marked.values()] == ["high", "minor"]
    second = marked[D0 + timedelta(days=7)]
    assert "v2 (low)" in second.label and "v3 (high)" in second.label and "7 captures" in second.label
    assert s.marks() == {"high": 1, "low": 1, "minor": 1}


def test_versions_from_before_the_first_capture_gather_in_an_earlier_bucket() -> None:
    baseline = Change(date(2020, 12, 16), 1, "first")
    s = bucket_strip(daily(10), [baseline, Change(D0 + timedelta(days=3), 2, "medium")])
    assert s.unit == "day" and len(s.buckets) == 10            # not six yearly bars from 2020
    assert s.earlier is not None and s.earlier.changes == (baseline,) and s.earlier.end == D0 - timedelta(days=1)
    assert s.marks() == {"medium": 1, "first": 1}


def test_until_stretches_the_strip_to_the_last_check() -> None:
    s = bucket_strip({D0: 1}, [], until=D0 + timedelta(days=9))
    assert len(s.buckets) == 10 and s.buckets[-1].captures == 0


def test_bar_heights_grow_with_captures_and_one_capture_stays_visible() -> None:
    s = bucket_strip({D0: 1, D0 + timedelta(days=1): 100, D0 + timedelta(days=2): 25}, [])
    one, peak, some = (s.height(b) for b in s.buckets)
    assert 0 < one < some < peak and one >= 3
    assert s.height(bucket_strip({D0: 0}, [Change(D0, 1, "first")]).buckets[0]) == 0


def test_nothing_archived_makes_an_empty_strip() -> None:
    assert bucket_strip({}, []).buckets == ()


def test_a_change_is_marked_by_its_grade_else_by_its_kind() -> None:
    assert change_mark(None, None) == "first"
    assert [change_mark("substantive", g) for g in ("low", "medium", "high")] == ["low", "medium", "high"]
    assert change_mark("substantive", None) == "change" and change_mark("trivial", None) == "minor"
    assert set(MARKS) >= {"first", "minor", "change", "low", "medium", "high"}
