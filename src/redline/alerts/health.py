"""Operators' view of source health: alert once when a source starts failing, once when it recovers.

A source is "failing" after `threshold` failed checks in a row (connection errors,
timeouts, HTTP errors). The episode raises one "failing" alert to the operators'
channels and one "recovered" alert when a check succeeds again: never a flood.
"""
from __future__ import annotations

from typing import Sequence

from redline.core.config import FAILURE_THRESHOLD
from redline.store.sqlite import Archive, NewAlert

OPERATOR_KINDS = ("failing", "recovered")
DEFAULT_THRESHOLD = FAILURE_THRESHOLD


def health_transition(state: str, failures: int, threshold: int) -> tuple[str, str | None]:
    """(new state, alert kind or None) after a check that left `failures` failures in a row."""
    if state != "failing" and failures >= threshold:
        return "failing", "failing"
    if state == "failing" and failures == 0:
        return "ok", "recovered"
    return state, None


def update_health(archive: Archive, name: str, *, threshold: int = DEFAULT_THRESHOLD,
                  sinks: Sequence[str] = ()) -> int | None:
    """Apply the transition for one source after its check; return the operator alert id, if any."""
    row = archive.source_row(name)
    state = archive.health(name)
    new_state, kind = health_transition(state, row["failures"], threshold)
    if kind is None:
        return None
    if kind == "failing":
        summary = f"{name} has failed {row['failures']} checks in a row; last error: {row['last_error']}"
    else:
        summary = f"{name} works again (HTTP {row['last_status']})"
    alert = NewAlert(kind=kind, title=row["title"] or name, url=row["url"], summary=summary,
                     stats={"failures": row["failures"], "last_error": row["last_error"]})
    return archive.record_health(name, new_state, alert=alert, sinks=sinks)
