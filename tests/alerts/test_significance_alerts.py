"""A change alert says how much it matters (issue 16, part 1): its grade and reasons in the alert
log, the plain-text and HTML bodies Apprise sends, the Atom feed and the web view."""
from __future__ import annotations

import json

from redline.alerts.channels import Sinks
from redline.alerts.sinks import JsonlSink
from redline.alerts.text import alert_body, alert_html, alert_title
from redline.monitor.cycle import check_host, finish_cycle
from redline.web.app import create_app
from support.browse_stack import Client

WORDING = ("should play a leading role", "should not play a leading role")
SPELLING = ("cyberspace", "cyberspce")


def _cycle(stack) -> dict:
    sinks = Sinks({"alert-log": JsonlSink(stack.archive.alerts_log, name="alert-log")}, {})
    outcomes = check_host(stack.archive, stack.registry.statements(), fetcher=stack.fetcher, sinks=sinks,
                          run_id="r", failure_threshold=3)
    finish_cycle(stack.archive, sinks)
    return {o.source: o for o in outcomes}


def test_a_negation_added_is_a_high_alert_with_its_reason_in_every_channel(stack) -> None:
    name = next(n for n, t in stack.seeds.items() if WORDING[0] in t)
    _cycle(stack)
    stack.serve(name, stack.seeds[name].replace(*WORDING))
    alert = stack.archive.alert(_cycle(stack)[name].alert_id)
    assert alert.significance["grade"] == "high"
    assert "negation" in [r["kind"] for r in alert.significance["reasons"]]
    logged = json.loads(stack.archive.alerts_log.read_text().splitlines()[-1])
    assert logged["significance"] == alert.significance                          # alerts.jsonl, top level
    assert alert_title(alert).startswith("Wording changed (high):")
    assert "significance: high · negation" in alert_body(alert) and "significance: high" in alert_html(alert)
    feed = (stack.archive.root / "feeds" / "alerts.xml").read_text()
    assert 'term="significance:high"' in feed and "significance: high" in feed
    page = Client(create_app(stack.archive)).get("/alerts").text
    assert 'class="significance grade-high"' in page and "negation" in page


def test_a_spelling_fix_is_graded_low(stack) -> None:
    name = next(n for n, t in stack.seeds.items() if SPELLING[0] in t and WORDING[0] not in t)
    _cycle(stack)
    stack.serve(name, stack.seeds[name].replace(*SPELLING, 1))
    outcome = _cycle(stack)[name]
    alert = stack.archive.alert(outcome.alert_id)
    assert alert.significance["grade"] == "low"
    assert [r["kind"] for r in alert.significance["reasons"]] == ["spelling"]
