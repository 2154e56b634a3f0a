"""Watched formulations on alerts (issue 16, part 2): the watch list comes from the config file's
[[watch]] (else watch.toml beside the sources file, else seeds/watch.toml) through Sinks to the check,
and a revision that drops or adds a watched phrase carries a formulation reason, graded high."""
from __future__ import annotations

import json

import pytest

from redline.alerts.channels import make_sinks
from redline.alerts.text import alert_body
from redline.core.config import Settings
from redline.core.errors import ConfigError
from redline.monitor.cycle import check_host, finish_cycle
from redline.registry.watch import SEED_WATCH, read_watch_file

WORDING = ("should play a leading role", "should play a central role")
WATCH = '[[watch]]\nphrase = "the UN should play a leading role"\nregex = \'the United Nations \\(UN\\) should ' \
        'play a leading role\'\ntags = ["un"]\n\n[[watch]]\nphrase = "a central role"\n'


def settings(stack, config) -> Settings:
    return Settings.resolve(archive=str(stack.archive.root), sources=str(stack.registry.path),
                            env={"REDLINE_CONFIG": str(config)})


def cycle(stack, sinks, run_id: str) -> dict:
    outcomes = check_host(stack.archive, stack.registry.statements(), fetcher=stack.fetcher, sinks=sinks,
                          run_id=run_id, failure_threshold=3)
    finish_cycle(stack.archive, sinks)
    return {o.source: o for o in outcomes}


def test_a_revision_dropping_one_watched_phrase_and_adding_another_has_both_formulation_reasons(stack, tmp_path) -> None:
    config = tmp_path / "redline.toml"
    config.write_text(WATCH, encoding="utf-8")
    sinks = make_sinks(stack.archive, settings(stack, config))
    assert [w.phrase for w in sinks.watch] == ["the UN should play a leading role", "a central role"]
    name = next(n for n, t in stack.seeds.items() if WORDING[0] in t)
    cycle(stack, sinks, "one")
    stack.serve(name, stack.seeds[name].replace(*WORDING))
    alert = stack.archive.alert(cycle(stack, sinks, "two")[name].alert_id)
    assert alert.significance["grade"] == "high"
    watched = {r["phrase"]: r for r in alert.significance["reasons"] if r.get("phrase")}
    dropped, added = watched["the UN should play a leading role"], watched["a central role"]
    assert (dropped["kind"], dropped["before"], dropped["after"]) == (
        "formulation", "the United Nations (UN) should play a leading role", "")
    assert (added["kind"], added["before"], added["after"]) == ("formulation", "", "a central role")
    line = next(n for n, text in enumerate(stack.archive.get_text(
        stack.archive.versions(name)[-1].text_sha256).splitlines(), 1) if WORDING[1] in text)
    assert dropped["paragraph"] == added["paragraph"] == line
    logged = json.loads(stack.archive.alerts_log.read_text().splitlines()[-1])
    assert logged["significance"] == alert.significance
    assert "formulation ¶" in alert_body(alert)


def test_without_watch_entries_in_the_config_the_list_beside_the_sources_file_is_used_else_the_seeds(
        stack, tmp_path) -> None:
    config = tmp_path / "redline.toml"
    config.write_text('[significance]\nspelling = "low"\n', encoding="utf-8")
    seeded = make_sinks(stack.archive, settings(stack, config)).watch
    assert seeded == read_watch_file(SEED_WATCH) and seeded
    (stack.registry.path.parent / "watch.toml").write_text('[[watch]]\nphrase = "网络主权"\n', encoding="utf-8")
    [own] = make_sinks(stack.archive, settings(stack, config)).watch
    assert (own.phrase, own.language) == ("网络主权", "zh")


def test_a_bad_watch_entry_in_the_config_is_one_line_naming_the_file_and_entry(stack, tmp_path) -> None:
    config = tmp_path / "redline.toml"
    config.write_text('[[watch]]\nphrase = "cyber sovereignty"\n\n[[watch]]\nphrase = "网络主权"\nlang = "zh"\n',
                      encoding="utf-8")
    with pytest.raises(ConfigError) as bad:
        make_sinks(stack.archive, settings(stack, config))
    message = str(bad.value)
    assert message.startswith(f"{config}: [[watch]] entry 2 ('网络主权'): unknown key 'lang'") and "\n" not in message
    config.write_text('[watch]\nphrase = "cyber sovereignty"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"watch must be a list of tables, written \[\[watch\]\]"):
        make_sinks(stack.archive, settings(stack, config))
