"""The run summary: every source for a small run, only the sources with news (and the totals) for a large one."""
from __future__ import annotations

import io
import time

from rich.console import Console

from redline.cli.main import build_parser
from redline.core.model import CheckOutcome
from redline.monitor.report import FULL_TABLE_MAX, markdown_summary, print_summary, totals_line


def unchanged(i: int) -> CheckOutcome:
    return CheckOutcome(source=f"page-{i:05d}", status=304, not_modified=True)


def run_of(n: int, news: dict[int, CheckOutcome] | None = None) -> list[CheckOutcome]:
    news = news or {}
    return [news.get(i) or unchanged(i) for i in range(n)]


NEWS = {
    3: CheckOutcome(source="page-00003", status=200, new_version=True, change="substantive", alert_id=41),
    5: CheckOutcome(source="page-00005", status=200, new_version=True, change="trivial"),
    8: CheckOutcome(source="page-00008", error="connection refused"),
    13: CheckOutcome(source="page-00013", status=404, change="removed", alert_id=42),
}


def printed(outcomes, **kw) -> str:
    console = Console(file=io.StringIO(), width=200)
    print_summary(console, outcomes, **kw)
    return console.file.getvalue()


def test_run_summary_lists_only_sources_with_news_when_many() -> None:
    out = printed(run_of(1000, NEWS))
    for o in NEWS.values():
        assert o.source in out
    assert "page-00004" not in out and "page-00999" not in out  # unchanged: not listed
    assert "1,000 checked: 996 unchanged, 2 changed, 1 removed, 1 failed; 2 alerts" in out
    assert "--all-rows" in out


def test_a_small_run_lists_every_source_without_totals() -> None:
    outcomes = run_of(FULL_TABLE_MAX, NEWS)
    out = printed(outcomes)
    assert all(o.source in out for o in outcomes)
    assert "checked:" not in out


def test_all_rows_lists_every_source_of_a_large_run() -> None:
    outcomes = run_of(FULL_TABLE_MAX + 1)
    out = printed(outcomes, all_rows=True)
    assert all(o.source in out for o in outcomes) and "checked:" not in out


def test_a_large_run_without_news_prints_only_its_totals() -> None:
    out = printed(run_of(500), title="refresh (completed)")
    assert out.strip().splitlines() == [
        "refresh (completed): 500 checked: 500 unchanged; no alerts (unchanged sources not listed; "
        "--all-rows lists every source)"]


def test_totals_count_each_kind_of_outcome_once_and_operator_alerts_apart() -> None:
    recovered = CheckOutcome(source="r", status=304, not_modified=True, extra={"operator_alert": 7})
    outcomes = [unchanged(0), CheckOutcome(source="f", status=200, new_version=True, change="first"),
                CheckOutcome(source="b", status=304, change="restored", alert_id=9),
                CheckOutcome(source="x", error="HTTP 500", extra={"operator_alert": 8}), recovered]
    assert totals_line(outcomes) == ("5 checked: 2 unchanged, 1 new, 1 restored, 1 failed; 1 alert, "
                                     "2 operator alerts")
    assert "r" in printed(run_of(FULL_TABLE_MAX) + [recovered]).split()  # a recovery is news to an operator


def test_the_summary_of_10000_outcomes_lists_their_news_quickly() -> None:
    news = {i: CheckOutcome(source=f"page-{i:05d}", status=200, new_version=True, change="substantive",
                            alert_id=i) for i in range(7, 10_000, 100)}
    started = time.perf_counter()
    out = printed(run_of(10_000, news))
    elapsed = time.perf_counter() - started
    assert "10,000 checked: 9,900 unchanged, 100 changed; 100 alerts" in out
    assert sum(line.startswith("page-") for line in out.splitlines()) == 100
    assert elapsed < 2.0, f"{elapsed:.2f} s (a table of every row took ~7 s here)"


def test_the_artifact_lists_the_same_sources_as_the_terminal_and_the_totals() -> None:
    md = markdown_summary(run_of(1000, NEWS), {"delivered": 2, "errors": []})
    rows = [line for line in md.splitlines() if line.startswith("| page-")]
    assert [r.split(" | ")[0][2:] for r in rows] == [o.source for o in NEWS.values()]
    assert "1,000 checked: 996 unchanged" in md and md.endswith("Alerts delivered: 2; delivery errors: 0")
    assert len(markdown_summary(run_of(5)).splitlines()) == 2 + 5  # a small run: header, rule, every row


def test_run_and_refresh_take_all_rows() -> None:
    parser = build_parser()
    assert parser.parse_args(["run", "--all-rows"]).all_rows is True
    assert parser.parse_args(["run"]).all_rows is False
    assert parser.parse_args(["refresh", "--all", "--wait", "--all-rows"]).all_rows is True
