"""A change alert says how much it matters (issue 16, part 1): its grade and reasons in the alert
log, the plain-text and HTML bodies Apprise sends, the Atom feed and the web view."""
from __future__ import annotations

import json

import pytest

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


def test_routes_by_grade_send_high_alerts_to_chat_and_every_alert_to_the_general_channel(stack, tmp_path) -> None:
    from redline.alerts.channels import make_sinks
    from redline.core.config import Settings
    from support.receiver import Receiver

    general, chat = Receiver(), Receiver()
    try:
        config = tmp_path / "redline.toml"
        config.write_text(f'[notify]\nurls = ["{general.url}"]\n\n[[notify.route]]\ngrades = ["high"]\n'
                          f'urls = ["{chat.url}"]\n', encoding="utf-8")
        settings = Settings.resolve(archive=str(stack.archive.root), env={"REDLINE_CONFIG": str(config)})
        sinks = make_sinks(stack.archive, settings)
        negated = next(n for n, t in stack.seeds.items() if WORDING[0] in t)
        misspelt = next(n for n, t in stack.seeds.items() if SPELLING[0] in t and n != negated)
        check_host(stack.archive, stack.registry.statements(), fetcher=stack.fetcher, sinks=sinks, run_id="one",
                   failure_threshold=3)
        stack.serve(negated, stack.seeds[negated].replace(*WORDING))
        stack.serve(misspelt, stack.seeds[misspelt].replace(*SPELLING, 1))
        check_host(stack.archive, stack.registry.statements(), fetcher=stack.fetcher, sinks=sinks, run_id="two",
                   failure_threshold=3)
        finish_cycle(stack.archive, sinks)
        assert len(general.bodies) == 2                                   # every alert
        assert [b["title"].split(":")[0] for b in chat.bodies] == ["Wording changed (high)"]   # the high one only
    finally:
        general.close()
        chat.close()


def test_the_config_file_can_grade_a_kind_up_and_a_bad_entry_is_one_line(stack, tmp_path) -> None:
    from redline.alerts.channels import make_sinks
    from redline.core.config import Settings
    from redline.core.errors import ConfigError

    config = tmp_path / "redline.toml"
    config.write_text('[significance]\nspelling = "high"\n', encoding="utf-8")
    settings = Settings.resolve(archive=str(stack.archive.root), env={"REDLINE_CONFIG": str(config)})
    sinks = make_sinks(stack.archive, settings)
    name = next(n for n, t in stack.seeds.items() if SPELLING[0] in t and WORDING[0] not in t)
    check_host(stack.archive, stack.registry.statements(), fetcher=stack.fetcher, sinks=sinks, run_id="one",
               failure_threshold=3)
    stack.serve(name, stack.seeds[name].replace(*SPELLING, 1))
    [o] = [o for o in check_host(stack.archive, stack.registry.statements(), fetcher=stack.fetcher, sinks=sinks,
                                 run_id="two", failure_threshold=3) if o.source == name]
    assert stack.archive.alert(o.alert_id).significance["grade"] == "high"
    config.write_text('[significance]\nspeling = "high"\n', encoding="utf-8")
    with pytest.raises(ConfigError) as bad:
        make_sinks(stack.archive, Settings.resolve(archive=str(stack.archive.root),
                                                   env={"REDLINE_CONFIG": str(config)}))
    assert str(config) in str(bad.value) and "speling" in str(bad.value) and "\n" not in str(bad.value)
