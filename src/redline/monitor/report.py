"""Run summaries: a table for the terminal (redline.core.table), markdown for Prefect artifacts.

A run of more than FULL_TABLE_MAX sources lists only the sources with news (a new
version, a change, an alert, an error, an operator alert), then one line of totals:
a thousand rows saying "unchanged" help nobody (urlwatch prints nothing for an
unchanged page), and rich takes ~0.7 ms a row to lay a table out. Smaller runs,
or `all_rows=True`, list every source.
"""
from __future__ import annotations

from collections import Counter
from typing import Sequence

from rich.console import Console

from redline.core.model import CheckOutcome
from redline.core.table import Column, Grid, print_grid

COLUMNS = ("source", "HTTP", "new version", "change", "alert", "error")
_GRID_COLUMNS = (Column("source", priority=0), Column("HTTP", priority=0), Column("new version", priority=3),
                 Column("change", priority=0), Column("alert", priority=0), Column("error", priority=2, flex=True))
FULL_TABLE_MAX = 20  # runs of up to this many sources list every one
# one category per outcome, in the order the totals line names them
_CATEGORIES = ("unchanged", "changed", "new", "removed", "restored", "failed")
_NEW = frozenset({"first", "baseline"})


def _cells(o: CheckOutcome) -> tuple[str, ...]:
    status = "-" if o.status is None else str(o.status)
    change = o.change or ("not modified" if o.not_modified else "-")
    return (o.source, status, "yes" if o.new_version else "no", change,
            f"#{o.alert_id}" if o.alert_id is not None else "-",
            o.error or (f"warning: {o.extra['warning']}" if o.extra.get("warning") else ""))


def has_news(o: CheckOutcome) -> bool:
    """Anything to tell about this check: a new version or a change, an alert, an error, an operator alert."""
    return bool(o.error or o.change or o.new_version or o.alert_id is not None
                or o.extra.get("operator_alert") is not None or o.extra.get("warning"))


def rows_to_show(outcomes: Sequence[CheckOutcome], *, all_rows: bool = False) -> list[CheckOutcome]:
    """Every outcome of a small run (or when asked), else those with news."""
    if all_rows or len(outcomes) <= FULL_TABLE_MAX:
        return list(outcomes)
    return [o for o in outcomes if has_news(o)]


def _category(o: CheckOutcome) -> str:
    if o.error:
        return "failed"
    if o.change in _NEW:
        return "new"
    if o.change in ("removed", "restored"):
        return o.change
    return "changed" if o.change or o.new_version else "unchanged"


def totals_line(outcomes: Sequence[CheckOutcome]) -> str:
    """"1,000 checked: 990 unchanged, 8 changed, 2 failed; 8 alerts" (zero counts left out)."""
    counts = Counter(_category(o) for o in outcomes)
    parts = [f"{counts[c]:,} {c}" for c in _CATEGORIES if counts[c]]
    alerts = sum(o.alert_id is not None for o in outcomes)
    operator = sum(o.extra.get("operator_alert") is not None for o in outcomes)
    told = f"{alerts:,} alert{'s' if alerts != 1 else ''}" if alerts else "no alerts"
    if operator:
        told += f", {operator:,} operator alert{'s' if operator != 1 else ''}"
    return f"{len(outcomes):,} checked: {', '.join(parts) or 'nothing'}; {told}"


def summary_table(outcomes: Sequence[CheckOutcome], *, title: str = "redline run") -> Grid:
    """A table of these outcomes, one row each (see rows_to_show for which to pass)."""
    grid = Grid(title, _GRID_COLUMNS)
    for o in outcomes:
        style = "red" if o.error else ("bold yellow" if o.alert_id is not None or o.extra.get("warning") else None)
        grid.add(*_cells(o), style=style, value={
            "source": o.source, "status": o.status, "not_modified": o.not_modified, "new_version": o.new_version,
            "change": o.change, "alert": o.alert_id, "error": o.error, "warning": o.extra.get("warning"),
            "url": o.url})
    return grid


def print_summary(console: Console, outcomes: Sequence[CheckOutcome], *, title: str = "redline run",
                  all_rows: bool = False, as_json: bool = False) -> None:
    """The run's table (its sources with news only, when there are many), then the totals
    when rows were left out. As JSON: every outcome."""
    if as_json:
        print_grid(console, summary_table(outcomes, title=title), as_json=True)
        return
    rows = rows_to_show(outcomes, all_rows=all_rows)
    if rows:
        print_grid(console, summary_table(rows, title=title))
    if len(rows) < len(outcomes):
        console.print(f"{title}: {totals_line(outcomes)} (unchanged sources not listed; --all-rows lists "
                      "every source)", highlight=False)


def markdown_summary(outcomes: Sequence[CheckOutcome], delivery: dict | None = None, *,
                     all_rows: bool = False) -> str:
    """The table in markdown (for the `monitor-summary` artifact), with the same rows as
    print_summary and the totals when rows were left out."""
    def esc(text: str) -> str:
        return text.replace("|", "\\|").replace("\n", " ")

    rows = rows_to_show(outcomes, all_rows=all_rows)
    blocks = []
    if rows:
        lines = ["| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
        lines += ["| " + " | ".join(esc(c) for c in _cells(o)) + " |" for o in rows]
        blocks.append("\n".join(lines))
    if len(rows) < len(outcomes):
        blocks.append(f"{totals_line(outcomes)} (unchanged sources not listed)")
    if delivery:
        lines = [f"Alerts delivered: {delivery.get('delivered', 0)}; "
                 f"delivery errors: {len(delivery.get('errors', []))}"]
        lines += [f"- {esc(e)}" for e in delivery.get("errors", [])]
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)
