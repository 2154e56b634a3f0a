"""The browse view's "Refresh now": only with an operator token, which it requires and never shows."""
from __future__ import annotations

import json
import time

import pytest
from support.browse_stack import Client

from redline.core.config import Settings
from redline.web.app import create_app
from redline.web.refresh import make_refresher

TOKEN = "op-secret-4c1d9e7a"


@pytest.fixture
def calls():
    return []


def _client(stack, calls, token=TOKEN):
    def refresher(name: str, who: str) -> str:
        calls.append((name, who))
        return "flow run test-run"
    return Client(create_app(stack.archive, operator_token=token, refresher=refresher))


def test_without_a_token_there_is_no_button_and_the_action_is_refused(stack, calls) -> None:
    client = _client(stack, calls, token=None)
    name = stack.registry.statements()[0].name
    assert "Refresh now" not in client.get(f"/sources/{name}").text
    r = client.post(f"/sources/{name}/refresh", data={"token": "x", "who": "ana"})
    assert r.status_code == 404 and calls == []


def test_wrong_token_is_refused_and_nothing_is_started_or_recorded(stack, calls) -> None:
    client = _client(stack, calls)
    name = stack.registry.statements()[0].name
    page = client.get(f"/sources/{name}").text
    assert "Refresh now" in page and TOKEN not in page
    for data in ({"who": "ana"}, {"token": "guess", "who": "ana"}):
        r = client.post(f"/sources/{name}/refresh", data=data)
        assert r.status_code == 403 and "nothing was refreshed" in r.text
    assert calls == [] and not (stack.archive.root / "operator-actions.jsonl").exists()


def test_right_token_starts_a_refresh_and_records_who_and_when(stack, calls) -> None:
    client = _client(stack, calls)
    name = stack.registry.statements()[0].name
    r = client.post(f"/sources/{name}/refresh", data={"token": TOKEN, "who": "ana"})
    assert r.status_code == 303 and r.headers["location"] == f"/sources/{name}?refreshed=1"
    assert calls == [(name, "ana")]
    [line] = (stack.archive.root / "operator-actions.jsonl").read_text().splitlines()
    record = json.loads(line)
    assert (record["action"], record["source"], record["by"], record["started"]) == (
        "refresh", name, "ana", "flow run test-run") and record["at"]
    assert TOKEN not in line
    assert client.post("/sources/no-such-source/refresh", data={"token": TOKEN, "who": "ana"}).status_code == 404


def test_without_serve_the_refresher_checks_in_process(stack, monkeypatch) -> None:
    monkeypatch.setenv("REDLINE_ALLOW_PRIVATE", "loopback")
    settings = Settings.resolve(archive=str(stack.archive.root), sources=str(stack.registry.path))
    name = stack.registry.statements()[0].name
    before = stack.archive.counts()["captures"]
    assert "in-process" in make_refresher(settings)(name, "ana")
    deadline = time.monotonic() + 30
    while stack.archive.counts()["captures"] == before and time.monotonic() < deadline:
        time.sleep(0.1)
    assert stack.archive.counts()["captures"] == before + 1
