"""Alerts a monitor can act on: links to the archived evidence (with a public browse address),
an HTML body for channels that take HTML, and channels routed by tag or source."""
from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest

from support.receiver import Receiver
from redline.alerts.atom import render_atom_feed
from redline.alerts.channels import make_sinks
from redline.alerts.links import evidence_links, public_url, with_links
from redline.alerts.sinks import AppriseSink
from redline.alerts.text import alert_body, alert_html
from redline.core.config import Settings
from redline.core.errors import ConfigError
from redline.core.model import Alert
from redline.monitor.check import check_batch
from redline.monitor.cycle import finish_cycle

BASE = "https://redline.example.org"
WORDING = ("should play a leading role", "should play a central role")


def alert(**kw) -> Alert:
    values = dict(id=7, kind="change", source="un-zhang", title="Remarks", url="http://live.example/p.htm",
                  created_at=datetime(2026, 12, 7, 5, 21, tzinfo=timezone.utc), summary="Wording changed in 1 place",
                  from_version=40, to_version=41, from_seq=1, to_seq=2, capture_id=88,
                  from_seen="2021-06-29T10:00:00+00:00", to_seen="2026-12-07T05:21:00+00:00",
                  diff_text="the UN [-leading-]{+central+} role", diff_html="the UN <del>leading</del><ins>central</ins> role")
    values.update(kw)
    return Alert(**values)


def test_evidence_links_name_the_comparison_both_texts_and_the_raw_capture() -> None:
    links = evidence_links(alert(), BASE)
    assert links["compare"] == f"{BASE}/sources/un-zhang/compare?a=1&b=2"
    assert links["text"] == f"{BASE}/sources/un-zhang/versions/2/text"
    assert links["previous_text"] == f"{BASE}/sources/un-zhang/versions/1/text"
    assert links["raw"] == f"{BASE}/sources/un-zhang/captures/88/raw"
    removed = evidence_links(alert(kind="removed", to_version=None, to_seq=None), BASE)
    assert "compare" not in removed and removed["timeline"] == f"{BASE}/sources/un-zhang"
    assert with_links(alert(), None).links == {}


def test_the_public_address_comes_from_the_environment_or_the_browse_table_and_must_be_http() -> None:
    assert public_url({"REDLINE_PUBLIC_URL": BASE + "/"}, {}) == BASE
    assert public_url({}, {"browse": {"public_url": BASE}}) == BASE
    assert public_url({}, {}) is None
    with pytest.raises(ConfigError, match="must be an http"):
        public_url({"REDLINE_PUBLIC_URL": "redline.example.org"}, {})


def test_plain_text_and_json_carry_the_links_and_both_versions() -> None:
    a = with_links(alert(), BASE)
    body = alert_body(a)
    assert f"Compare: {BASE}/sources/un-zhang/compare?a=1&b=2" in body and "Raw capture:" in body
    record = a.record()
    assert record["links"]["compare"].endswith("compare?a=1&b=2") and record["from_version"] == 1


def test_the_atom_feed_links_each_entry_to_its_comparison_and_itself() -> None:
    import feedparser

    feed = feedparser.parse(render_atom_feed([alert()], feed_id="urn:x", title="t", self_url=f"{BASE}/alerts/feed.xml",
                                             base=BASE))
    assert feed.bozo == 0
    assert any(l.rel == "self" and l.href == f"{BASE}/alerts/feed.xml" for l in feed.feed.links)
    entry = feed.entries[0]
    assert entry.link == f"{BASE}/sources/un-zhang/compare?a=1&b=2"
    content = entry.content[0].value
    assert 'href="http://live.example/p.htm"' in content
    assert "v1 first seen 2021-06-29 10:00 UTC" in content and "v2 first seen 2026-12-07 05:21 UTC" in content
    assert "Wording changed in 1 place" in content and "<del>leading</del>" in content


@pytest.fixture
def receivers():
    made = [Receiver(), Receiver()]
    yield made
    for r in made:
        r.close()


def test_a_channel_that_takes_html_gets_the_change_coloured_and_a_plain_one_gets_marks(receivers) -> None:
    html_rx, text_rx = receivers
    AppriseSink(html_rx.url + "?format=html").deliver(with_links(alert(), BASE))
    AppriseSink(text_rx.url).deliver(with_links(alert(), BASE))
    html_body, text_body = html_rx.bodies[0]["message"], text_rx.bodies[0]["message"]
    assert '<del style="' in html_body and '<ins style="' in html_body and "[-leading-]" not in html_body
    assert f'href="{BASE}/sources/un-zhang/compare?a=1&amp;b=2"' in html_body
    assert "[-leading-]{+central+}" in text_body and "<del" not in text_body
    assert alert_html(alert()).count("<p>") >= 2


def test_routes_send_a_tags_alerts_to_their_own_channel_and_every_alert_to_the_general_one(stack, receivers,
                                                                                          tmp_path) -> None:
    general, un_only = receivers
    config = tmp_path / "redline.toml"
    config.write_text(f'[notify]\nurls = ["{general.url}"]\n\n[[notify.route]]\ntags = ["un"]\nurls = ["{un_only.url}"]\n'
                      f'\n[browse]\npublic_url = "{BASE}"\n', encoding="utf-8")
    settings = Settings.resolve(archive=str(stack.archive.root), env={"REDLINE_CONFIG": str(config)})
    sinks = make_sinks(stack.archive, settings)
    assert sinks.public_url == BASE and len(sinks.routed) == 1
    statements = stack.registry.statements()
    check_batch(statements, archive=stack.archive, fetcher=stack.fetcher, run_id="one", sinks=sinks.for_source)
    un = next(s for s in statements if "un" in s.tags)
    other = next(s for s in statements if "un" not in s.tags and WORDING[0] in stack.seeds[s.name])
    stack.serve(un.name, stack.seeds[un.name] + "\nA new closing paragraph was added to this statement.")
    stack.serve(other.name, stack.seeds[other.name].replace(*WORDING))
    check_batch(statements, archive=stack.archive, fetcher=stack.fetcher, run_id="two", sinks=sinks.for_source)
    finish_cycle(stack.archive, sinks)
    assert len(general.bodies) == 2                     # every alert
    assert len(un_only.bodies) == 1                     # only the un-tagged source's and un.title in un_only.bodies[0]["title"]
    assert f"{BASE}/sources/{un.name}/compare?a=1&b=2" in un_only.bodies[0]["message"]
    assert not any(other.title in p["title"] for p in un_only.bodies)
    line = json.loads(stack.archive.alerts_log.read_text(encoding="utf-8").splitlines()[0])
    assert line["links"]["compare"].startswith(BASE)
