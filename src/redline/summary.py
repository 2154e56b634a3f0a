"""Run summaries: a rich table for the terminal, markdown for Prefect artifacts."""
from __future__ import annotations

from typing import Sequence

from rich.table import Table

from .model import CheckOutcome

COLUMNS = ("source", "HTTP", "new version", "change", "alert", "error")


def _cells(o: CheckOutcome) -> tuple[str, ...]:
    status = "-" if o.status is None else str(o.status)
    if o.not_modified:
        status += " (not modified)"
    return (o.source, status, "yes" if o.new_version else "no", o.change or "-",
            f"#{o.alert_id}" if o.alert_id is not None else "-", o.error or "")


def summary_table(outcomes: Sequence[CheckOutcome], *, title: str = "redline run") -> Table:
    table = Table(title=title)
    table.add_column(COLUMNS[0], no_wrap=True)
    for col in COLUMNS[1:]:
        table.add_column(col, overflow="fold")
    for o in outcomes:
        cells = _cells(o)
        style = "red" if o.error else ("bold yellow" if o.alert_id is not None else None)
        table.add_row(*cells, style=style)
    return table


def markdown_summary(outcomes: Sequence[CheckOutcome], delivery: dict | None = None) -> str:
    def esc(text: str) -> str:
        return text.replace("|", "\\|").replace("\n", " ")

    lines = ["| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    lines += ["| " + " | ".join(esc(c) for c in _cells(o)) + " |" for o in outcomes]
    if delivery:
        lines.append("")
        lines.append(f"Alerts delivered: {delivery.get('delivered', 0)}; "
                     f"delivery errors: {len(delivery.get('errors', []))}")
        lines += [f"- {esc(e)}" for e in delivery.get("errors", [])]
    return "\n".join(lines)
