"""Discovery summaries: tables for the terminal (redline.core.table), markdown for the Prefect artifact."""
from __future__ import annotations

from typing import Sequence

from redline.core.table import Column, Grid
from redline.discovery.cycle import ItemOutcome, ListingOutcome

LISTING_COLUMNS = ("listing", "HTTP", "pages", "items", "first met", "alerts", "error")
FOUND_LABELS = (("new", ("new",)), ("tracked", ("baseline",)), ("unrelated", ("unrelated",)),
                ("known", ("known", "republication")), ("moved", ("moved",)), ("waiting for their page", ("pending",)))
ITEM_COLUMNS = ("outcome", "date", "score", "page", "title", "source", "alert", "reason")
SHOWN_OUTCOMES = ("new", "baseline", "moved", "republication", "pending")  # unrelated, known: only counted


def _found(o: ListingOutcome) -> str:
    if o.error and not o.found:
        return "-"
    parts = [f"{n} {label}" for label, outcomes in FOUND_LABELS if (n := sum(o.count(x) for x in outcomes))]
    return ("baseline: " if o.baseline else "") + (", ".join(parts) or "nothing")


def _listing_cells(o: ListingOutcome) -> tuple[str, ...]:
    status = "-" if o.status is None else str(o.status)
    return (o.listing, status, str(o.pages), str(o.items), _found(o),
            ", ".join(f"#{a}" for a in o.alerts) or "-", o.error or "")


def page_read(i: ItemOutcome) -> str:
    """Whether an inconclusive title's page was read: "read", "not read" or "-" (the title decided)."""
    return "-" if i.body is None else ("read" if i.body.startswith("read:") else "not read")


def _item_cells(i: ItemOutcome) -> tuple[str, ...]:
    return (i.outcome, i.date or "-", f"{i.score:g}", page_read(i), i.title, i.source or "-",
            f"#{i.alert_id}" if i.alert_id is not None else "-", i.error or i.reason)


def shown_items(outcomes: Sequence[ListingOutcome]) -> list[ItemOutcome]:
    """The items worth a line: new, tracked, moved, republished, and every inconclusive one
    (its page read or not, whatever it was decided to be)."""
    return [i for o in outcomes for i in o.found if i.outcome in SHOWN_OUTCOMES or i.body is not None]


_LISTING_PRIORITY = {"listing": 0, "HTTP": 0, "pages": 3, "items": 2, "first met": 0, "alerts": 0, "error": 1}
_ITEM_PRIORITY = {"outcome": 0, "date": 2, "score": 1, "page": 1, "title": 0, "source": 0, "alert": 0, "reason": 3}


def listing_table(outcomes: Sequence[ListingOutcome], *, title: str = "redline discover: listings") -> Grid:
    errors = any(o.error for o in outcomes)
    names = LISTING_COLUMNS if errors else LISTING_COLUMNS[:-1]  # no empty error column
    grid = Grid(title, [Column(n, priority=_LISTING_PRIORITY[n], flex=n in ("first met", "error")) for n in names])
    for o in outcomes:
        grid.add(*_listing_cells(o)[:len(names)], style="red" if o.error else ("bold yellow" if o.alerts else None))
    return grid


def items_table(outcomes: Sequence[ListingOutcome], *, title: str = "new on the listings") -> Grid:
    grid = Grid(title, [Column(n, priority=_ITEM_PRIORITY[n], flex=n in ("title", "source", "reason"))
                        for n in ITEM_COLUMNS])
    for i in shown_items(outcomes):
        grid.add(*_item_cells(i), style="red" if i.error else ("bold yellow" if i.alert_id else None))
    return grid


def _esc(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def discover_markdown(outcomes: Sequence[ListingOutcome], delivery: dict | None = None, *, topic: str = "") -> str:
    lines = ["| " + " | ".join(LISTING_COLUMNS) + " |", "|" + "---|" * len(LISTING_COLUMNS)]
    lines += ["| " + " | ".join(_esc(c) for c in _listing_cells(o)) + " |" for o in outcomes]
    items = shown_items(outcomes)
    if items:
        lines += ["", "| " + " | ".join(ITEM_COLUMNS) + " |", "|" + "---|" * len(ITEM_COLUMNS)]
        lines += ["| " + " | ".join(_esc(c) for c in _item_cells(i)) + " |" for i in items]
    if topic:
        lines += ["", f"Topic profile: {_esc(topic)}"]
    if delivery:
        lines += ["", f"Alerts delivered: {delivery.get('delivered', 0)}; "
                      f"delivery errors: {len(delivery.get('errors', []))}"]
        lines += [f"- {_esc(e)}" for e in delivery.get("errors", [])]
    return "\n".join(lines)
