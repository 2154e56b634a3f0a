"""Query parameters of the web view's pages, checked: a bad one is a BadRequest (HTTP 400)
with one line saying what the page takes."""
from __future__ import annotations

from datetime import datetime, timezone

from starlette.requests import Request

from redline.core.errors import RedlineError
from redline.store import readmodel as views
from redline.text.significance import GRADES


class BadRequest(RedlineError):
    """A query parameter that is not what the page takes (HTTP 400)."""


def int_param(request: Request, name: str, default: int | None = None) -> int | None:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise BadRequest(f"{name} must be a whole number, not {raw!r}") from None
    if value < 1:
        raise BadRequest(f"{name} must be 1 or more")
    return value


def since_param(raw: str | None) -> datetime | None:
    """?since=2026-12-01 (from the start of that day) or a moment (2026-12-01T09:00, with or without zone)."""
    if not raw:
        return None
    try:
        if len(raw) == 10:
            return datetime.fromisoformat(raw).replace(tzinfo=timezone.utc)
        return views.parse_moment(raw)
    except ValueError:
        raise BadRequest(f"since must be a date like 2026-12-01, not {raw!r}") from None


def text_param(request: Request, name: str) -> str | None:
    raw = (request.query_params.get(name) or "").strip()
    return raw[:200] or None


def grade_param(request: Request) -> str | None:
    """?grade=high|medium|low (change alerts graded so), or none."""
    raw = (request.query_params.get("grade") or "").strip()
    if raw and raw not in GRADES:
        raise BadRequest(f"grade must be one of {', '.join(reversed(GRADES))}, not {raw[:40]!r}")
    return raw or None
