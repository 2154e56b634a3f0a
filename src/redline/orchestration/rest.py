"""Ask a running `redline serve` for a run, over Prefect's REST API with plain httpx.

`redline refresh` and `redline run` use this when a serve runs for the archive: creating a
flow run of a deployment and polling its state are two small HTTP calls, and importing
Prefect to make them would cost about 2 s of the command's time. Nothing here imports
Prefect (tests/orchestration/test_rest.py holds it so).
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Callable, Sequence

import httpx

from redline.core.errors import RedlineError

FINAL = frozenset({"COMPLETED", "FAILED", "CANCELLED", "CRASHED"})


@dataclass(frozen=True)
class FlowRunRef:
    """A flow run as the API named it."""

    id: str
    name: str


@dataclass(frozen=True)
class RunState:
    type: str      # Prefect's StateType: SCHEDULED, PENDING, RUNNING, COMPLETED, ...
    name: str      # what Prefect's UI shows: "Late", "AwaitingConcurrencySlot", "Completed", ...
    message: str = ""

    @property
    def final(self) -> bool:
        return self.type in FINAL

    @property
    def completed(self) -> bool:
        return self.type == "COMPLETED"


RETRY_STATUSES = frozenset({429, 502, 503})   # a busy server (SQLite locked): Prefect's own client retries these
RETRY_DELAYS = (0.2, 0.5, 1.0, 2.0, 4.0)


def _call(client: httpx.Client, method: str, path: str, *, expect: tuple[int, ...] = (), **kwargs) -> httpx.Response:
    """One API call, retried on a busy server; a failure is one RedlineError line. A read that
    times out is asked again (a loaded SQLite server can take over 30 s to answer); a write is
    not, since the server may have done it."""
    for delay in (*RETRY_DELAYS, None):
        try:
            response = client.request(method, path, **kwargs)
        except httpx.TimeoutException as exc:
            if method != "GET" or delay is None:
                raise RedlineError(f"the Prefect API at {client.base_url} did not answer {method} {path} in "
                                   f"time ({exc or type(exc).__name__}); is `redline serve` still running?") from None
            time.sleep(delay)
            continue
        except httpx.HTTPError as exc:
            raise RedlineError(f"the Prefect API at {client.base_url} did not answer ({exc}); "
                               "is `redline serve` still running?") from None
        if response.status_code not in RETRY_STATUSES or delay is None:
            break
        time.sleep(delay)
    if response.is_success or response.status_code in expect:
        return response
    raise RedlineError(f"the Prefect API at {client.base_url} answered {response.status_code} to {method} "
                       f"{path}: {response.text[:200]}")


def _client(api_url: str) -> httpx.Client:
    return httpx.Client(base_url=api_url.rstrip("/") + "/", timeout=30)


def create_run(api_url: str, deployment: str, *, parameters: dict, name: str, tags: Sequence[str]) -> FlowRunRef:
    """A new flow run of `deployment` ("flow/deployment"), due now; its parameters merged by
    the server over the deployment's own."""
    with _client(api_url) as client:
        found = _call(client, "GET", f"deployments/name/{deployment}", expect=(404,))
        if found.status_code == 404:
            raise RedlineError(f"the Prefect server at {api_url} has no deployment {deployment!r}; is "
                               "`redline serve` running for this archive?")
        now = datetime.now(timezone.utc).isoformat()
        made = _call(client, "POST", f"deployments/{found.json()['id']}/create_flow_run", json={
            "parameters": parameters, "name": name, "tags": list(tags),
            "state": {"type": "SCHEDULED", "name": "Scheduled", "state_details": {"scheduled_time": now}}})
        run = made.json()
        return FlowRunRef(id=run["id"], name=run["name"])


def read_state(client: httpx.Client, run_id: str) -> RunState:
    state = _call(client, "GET", f"flow_runs/{run_id}").json().get("state") or {}
    return RunState(type=state.get("type", "UNKNOWN"), name=state.get("name", "unknown"),
                    message=state.get("message") or "")


def wait_for_run(api_url: str, run_id: str, *, on_poll: Callable[[RunState], None] | None = None,
                 timeout: float = 3600, poll: float = 0.2) -> RunState:
    """Poll a flow run until it ends; on_poll(state) each time; its final state."""
    deadline = time.monotonic() + timeout
    with _client(api_url) as client:
        while True:
            state = read_state(client, run_id)
            if on_poll:
                on_poll(state)
            if state.final:
                return state
            if time.monotonic() > deadline:
                raise RedlineError(f"flow run {run_id} did not finish within {timeout:.0f} s "
                                   f"(still {state.name}); see it in Prefect's UI")
            time.sleep(poll)
