"""The operator's "Refresh now" action in the browse view.

Shown only when an operator token is configured (REDLINE_OPERATOR_TOKEN); a POST
must carry the token (compared in constant time) and says who asks. Each accepted
request is appended to <archive>/operator-actions.jsonl (who, when, what, which
run) and handed to a `Refresher`: a run of the served `monitor/all` deployment
when `redline serve` runs for this archive, else a check in a background thread.
"""
from __future__ import annotations

import hmac
import json
import os
import re
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable
from urllib.parse import parse_qs

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from redline.orchestration.refresh import refresh

Refresher = Callable[[str, str], str]   # (source name, who) -> what was started, one line
_WHO = re.compile(r"^[\w .@-]{1,60}$")


def token_matches(given: str | None, expected: str | None) -> bool:
    return bool(expected) and given is not None and hmac.compare_digest(given.encode(), expected.encode())


def record_action(archive_root: Path, **fields: str) -> None:
    line = json.dumps({"at": datetime.now(timezone.utc).isoformat(timespec="seconds"), **fields},
                      ensure_ascii=False) + "\n"
    fd = os.open(archive_root / "operator-actions.jsonl", os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, line.encode("utf-8"))
        os.fsync(fd)
    finally:
        os.close(fd)


def refresh_endpoint(*, archive_root: Path, token: str | None, refresher: Refresher | None,
                     check_name: Callable[[str], object], error: Callable[[Request, int, str], Response]):
    async def endpoint(request: Request) -> Response:
        if not token or refresher is None:
            return error(request, 404, "refresh is not enabled on this view (no operator token configured)")
        name = request.path_params["name"]
        check_name(name)
        body = (await request.body())[:4096].decode("utf-8", "replace")  # a small urlencoded form
        form = {k: v[0] for k, v in parse_qs(body).items()}
        if not token_matches(form.get("token"), token):
            return error(request, 403, "wrong or missing operator token: nothing was refreshed")
        who = str(form.get("who") or "").strip()
        if not _WHO.match(who):
            return error(request, 400, "say who you are (letters, digits, spaces, . @ -; up to 60)")
        started = await run_in_threadpool(refresher, name, who)  # Prefect's sync client: off the loop
        record_action(archive_root, action="refresh", source=name, by=who, started=started)
        return RedirectResponse(f"/sources/{name}?refreshed=1", status_code=303)
    return endpoint


def make_refresher(settings) -> Refresher:
    """A run of the served deployment if `redline serve` runs for this archive, else an in-process cycle."""
    def refresher(name: str, who: str) -> str:
        return refresh(settings, names=[name], requested_by=who.replace(" ", "_"), background=True,
                       run_id=f"web-refresh-{name}").describe()
    return refresher
