"""Alert sinks, the Atom feed, notification settings. Network: loopback only."""
from __future__ import annotations

import json
import socket
from datetime import datetime, timedelta, timezone
from pathlib import Path
from types import SimpleNamespace
from typing import Iterator

import feedparser
import pytest

from support.receiver import Receiver
from redline.alerts.atom import render_atom_feed, write_atom_feed
from redline.alerts.sinks import AppriseSink, JsonlSink, NotifyConfig, load_notify_config, split_urls
from redline.alerts.text import alert_body
from redline.alerts.redaction import redact_url, scrub, sink_name_for_url
from redline.core.errors import ConfigError, DeliveryError
from redline.core.model import Alert

T0 = datetime(2026, 11, 22, 9, 41, tzinfo=timezone.utc)


def make_alert(id: int = 1, *, minutes: int = 0, **kw) -> Alert:
    values = dict(
        kind="change", source="un-zhang-jun-security-council-cyber-2021",
        title="Remarks by Amb. Zhang Jun at Security Council Open Debate on Cyber Security",
        url="http://un.china-mission.gov.cn/eng/chinaandun/202106/t20210629_9127432.htm",
        created_at=T0 + timedelta(minutes=minutes), summary="Wording changed in 1 place: 1 word removed, 1 word added",
        from_version=11, to_version=12, from_seq=1, to_seq=2,
        diff_text="the UN [-should play a leading role-]{+should play a central role+} in",
        diff_html="<p>the UN should play a <del>leading</del><ins>central</ins> role &lt;here&gt; 网络</p>",
        stats={"hunks": 1, "deleted_words": 1, "inserted_words": 1})
    values.update(kw)
    return Alert(id=id, **values)


# -- JSON lines ------------------------------------------------------------------


def test_jsonl_lines_parse_and_hold_every_field(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "alerts.jsonl"
    sink = JsonlSink(path)
    assert sink.name == f"jsonl:{path}"
    sink.deliver(make_alert(1))
    sink.deliver(make_alert(2, minutes=5, kind="removed", diff_text="", diff_html="", from_version=None,
                            from_seq=None))
    lines = path.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 2
    first, second = (json.loads(line) for line in lines)
    assert set(first) == {"id", "kind", "source", "title", "url", "created_at", "summary", "from_version",
                          "to_version", "from_version_id", "to_version_id", "diff_text", "diff_html", "stats",
                          "capture_id", "from_seen", "to_seen"}
    # people's numbering (v1 -> v2) under the plain names; the archive's ids only as *_version_id
    assert (first["from_version"], first["to_version"]) == (1, 2)
    assert (first["from_version_id"], first["to_version_id"]) == (11, 12)
    assert first["id"] == 1 and first["kind"] == "change" and first["stats"] == {"hunks": 1, "deleted_words": 1,
                                                                                  "inserted_words": 1}
    assert datetime.fromisoformat(first["created_at"]) == T0
    assert first["created_at"] == "2026-11-22T09:41:00+00:00"
    assert "网络" in lines[0]  # UTF-8, not \u escapes
    assert second["id"] == 2 and second["from_version"] is None and second["kind"] == "removed"


def test_jsonl_failure_is_a_delivery_error(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("not a folder")
    with pytest.raises(DeliveryError, match="cannot append to"):
        JsonlSink(tmp_path / "file" / "alerts.jsonl").deliver(make_alert())


# -- Atom ---------------------------------------------------------------------------


def test_atom_feed_parses_newest_first_with_marked_content(tmp_path: Path) -> None:
    path = tmp_path / "feeds" / "alerts.xml"
    alerts = [make_alert(1), make_alert(3, minutes=20, summary="third"), make_alert(2, minutes=10, summary="second")]
    write_atom_feed(path, alerts, feed_id="urn:redline:alerts", title="redline: all alerts",
                    link="http://un.china-mission.gov.cn/")
    parsed = feedparser.parse(path.read_bytes())
    assert parsed.bozo == 0, parsed.get("bozo_exception")
    assert parsed.version == "atom10"
    assert parsed.feed.id == "urn:redline:alerts" and parsed.feed.title == "redline: all alerts"
    assert [e.id for e in parsed.entries] == ["urn:redline:alert:3", "urn:redline:alert:2", "urn:redline:alert:1"]
    entry = parsed.entries[2]
    assert entry.link == make_alert().url
    assert entry.title.startswith("Wording changed: Remarks by Amb. Zhang Jun")
    content = entry.content[0]
    assert content.type == "text/html"
    assert "<del>leading</del>" in content.value and "<ins>central</ins>" in content.value
    assert "&lt;here&gt;" in content.value and "网络" in content.value
    assert parsed.entries[0].updated_parsed[:5] == (2026, 11, 22, 10, 1)
    assert list(tmp_path.joinpath("feeds").iterdir()) == [path]  # no temporary file left behind


def test_atom_feed_is_deterministic_and_survives_control_characters(tmp_path: Path) -> None:
    alerts = [make_alert(1, diff_html="<p>a\x0bb\x00c <ins>d</ins></p>", title="t\x1f")]
    first = render_atom_feed(alerts, feed_id="urn:x", title="x")
    assert first == render_atom_feed(alerts, feed_id="urn:x", title="x")
    parsed = feedparser.parse(first)
    assert parsed.bozo == 0 and "<ins>d</ins>" in parsed.entries[0].content[0].value


def test_empty_feed_is_valid(tmp_path: Path) -> None:
    path = tmp_path / "empty.xml"
    write_atom_feed(path, [], feed_id="urn:redline:source:x", title="redline: x")
    parsed = feedparser.parse(path.read_bytes())
    assert parsed.bozo == 0 and parsed.entries == []


# -- Apprise --------------------------------------------------------------------------


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.close()


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_apprise_json_sink_delivers_to_a_loopback_endpoint(receiver: Receiver) -> None:
    url = f"json://127.0.0.1:{receiver.port}/hook"
    sink = AppriseSink(url)
    assert sink.name == url  # nothing secret in it, so nothing redacted
    alert = make_alert()
    sink.deliver(alert)
    assert len(receiver.posts) == 1
    post = receiver.posts[0]
    assert post["path"] == "/hook"
    assert post["body"]["title"].startswith("Wording changed: Remarks by Amb. Zhang Jun")
    message = post["body"]["message"]
    assert alert.summary in message and alert.url in message and "v1 -> v2" in message
    assert "[-should play a leading role-]{+should play a central role+}" in message


def test_apprise_sink_to_a_closed_port_raises_delivery_error() -> None:
    sink = AppriseSink(f"json://user:hunter2secret@127.0.0.1:{_closed_port()}/hook?cto=2&rto=2")
    with pytest.raises(DeliveryError) as info:
        sink.deliver(make_alert())
    message = str(info.value)
    assert "\n" not in message and "hunter2secret" not in message
    assert "could not deliver" in message


def test_apprise_sink_with_a_bad_url_raises_delivery_error() -> None:
    with pytest.raises(DeliveryError, match="not a valid Apprise URL"):
        AppriseSink("nosuchscheme://whatever").deliver(make_alert())


def test_apprise_sink_uses_an_injected_module() -> None:
    sent: list[dict] = []

    class FakeApprise:
        def add(self, url: str) -> bool:
            return True

        def notify(self, **kw: object) -> bool:
            sent.append(kw)
            return True

    sink = AppriseSink("tgram://123456789:AAHdqTcvSECRET/12345", apprise_module=SimpleNamespace(Apprise=FakeApprise))
    assert "AAHdqTcvSECRET" not in sink.name and "AAHdqTcvSECRET" not in repr(sink)
    sink.deliver(make_alert())
    assert sent[0]["body"] == alert_body(make_alert()) and sent[0]["body_format"] == "text"


@pytest.mark.parametrize("url, expect", [
    ("tgram://123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw/12345678", "tgram://***/***"),
    ("mailtos://me:p%40ss@smtp.example.org:465/?to=boss@example.org&format=text",
     "mailtos://***@smtp.example.org:465/?to=***&format=text"),
    ("json://user:secretpw@127.0.0.1:8080/hook?token=abc", "json://***@127.0.0.1:8080/hook?token=***"),
    ("discord://4174216298/JHMHI8qBe7bk2ZwO5U711o3dV_js", "discord://***/***"),
    ("slack://T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7FQ/#general", "slack://***/***/***/#***"),
    ("https://hooks.slack.com/services/T000/B000/XXXXXXXX", "https://hooks.slack.com/services/***/***/***"),
    ("ntfys://ntfy.sh/my-secret-topic", "ntfys://ntfy.sh/***"),
    ("matrixs://bot:pw@matrix.example.org/#!room:example.org", "matrixs://***@matrix.example.org/#***"),
    ("pover://userkey@apptoken", "pover://***@***"),
    ("json://127.0.0.1:8080/", "json://127.0.0.1:8080/"),
    ("not a url at all", "***"),
])
def test_redact_url_hides_secrets(url: str, expect: str) -> None:
    assert redact_url(url) == expect


def test_sink_names_are_stable_and_tell_apart_urls_that_redact_alike() -> None:
    a, b = "tgram://111:tokenA/1", "tgram://111:tokenB/1"
    assert sink_name_for_url(a) == sink_name_for_url(a) == AppriseSink(a).name
    assert sink_name_for_url(a) != sink_name_for_url(b)
    assert sink_name_for_url(a).startswith("tgram://***/*** [")
    assert "tokenA" not in sink_name_for_url(a)


def test_scrub_removes_secrets_from_messages() -> None:
    url = "mailtos://me:p%40ssword@smtp.example.org/?to=boss@example.org"
    line = scrub("login failed for me:p@ssword\nat smtp.example.org (p%40ssword)", url)
    assert "ssword" not in line and "\n" not in line and "smtp.example.org" in line


def test_alert_body_shape_and_truncation() -> None:
    body = alert_body(make_alert())
    lines = body.splitlines()
    assert lines[0] == make_alert().summary and lines[1] == make_alert().url
    assert "v1 -> v2" in lines[2] and "alert #1" in lines[2] and "2026-11-22 09:41 UTC" in lines[2]
    assert lines[-3] == make_alert().diff_text
    assert lines[-1] == "id: urn:redline:alert:1"      # a stable id in every payload, to de-duplicate on
    long = alert_body(make_alert(diff_text="word " * 2000), max_diff_chars=100)
    assert len(long) < 500 and "more characters in the archive and the feed" in long
    test = alert_body(make_alert(kind="test", from_version=None, to_version=None, diff_text=""))
    assert "version" not in test and test.count("\n") == 4


# -- settings --------------------------------------------------------------------------


def test_split_urls_on_whitespace_and_commas() -> None:
    assert split_urls(" tgram://a/b,json://h/x \n mailto://u:p@x.org?to=a@x.org,b@y.org , ") == [
        "tgram://a/b", "json://h/x", "mailto://u:p@x.org?to=a@x.org,b@y.org"]


def test_notify_config_from_env() -> None:
    env = {"REDLINE_APPRISE_URLS": "tgram://t/1, json://127.0.0.1:1/ tgram://t/1",
           "REDLINE_OPERATOR_APPRISE_URLS": "mailtos://u:p@smtp.example.org"}
    config = load_notify_config(env, None)
    assert config == NotifyConfig(urls=("tgram://t/1", "json://127.0.0.1:1/"),
                                  operator_urls=("mailtos://u:p@smtp.example.org",))
    assert load_notify_config({}, None) == NotifyConfig()


def test_notify_config_from_file_and_env_together(tmp_path: Path) -> None:
    path = tmp_path / "redline.toml"
    path.write_text('[notify]\nurls = ["ntfys://ntfy.sh/topic", "tgram://t/1"]\noperator_urls = "json://h/ops"\n'
                    '[schedule]\nmonitor = "1h"\n', encoding="utf-8")  # another part's table: left to it
    config = load_notify_config({"REDLINE_APPRISE_URLS": "tgram://t/1"}, path)
    assert config.urls == ("tgram://t/1", "ntfys://ntfy.sh/topic")
    assert config.operator_urls == ("json://h/ops",)


@pytest.mark.parametrize("text, expect", [
    ("[notify]\nurls = [1]\n", "[notify] urls must be a list of strings"),
    ("[notify]\nurl = []\n", '[notify] has unknown key "url"'),
    ("notify = 3\n", "notify must be a table"),
    ("[notify\n", "TOML syntax error"),
    ('[notify]\nurls = ["tgram:/secret-token"]\n', "item 1 (***) is not an Apprise URL"),
])
def test_notify_config_problems_are_one_line(tmp_path: Path, text: str, expect: str) -> None:
    path = tmp_path / "redline.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_notify_config({}, path)
    assert expect in str(info.value) and "\n" not in str(info.value) and "secret-token" not in str(info.value)


def test_notify_config_bad_env_and_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="REDLINE_APPRISE_URLS: item 2"):
        load_notify_config({"REDLINE_APPRISE_URLS": "tgram://a/b oops"}, None)
    with pytest.raises(ConfigError, match="config file not found"):
        load_notify_config({}, tmp_path / "missing.toml")
