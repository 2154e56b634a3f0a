"""The monitoring loop end to end, without Prefect: loopback site -> fetch -> normalize -> archive -> diff -> alert."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from redline.alerts.sinks import JsonlSink
from redline.core.errors import DeliveryError
from redline.core.model import Source
from redline.monitor.check import check_batch, check_source
from redline.alerts.delivery import deliver_pending
from redline.monitor.select import group_by_host
from redline.alerts.feeds import refresh_feeds

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"

WORDING = ("should play a leading role", "should play a central role")


def cycle(stack, sinks=("log",)):
    return {o.source: o for o in check_batch(stack.registry.statements(), archive=stack.archive,
                                             fetcher=stack.fetcher, run_id="t", sinks=list(sinks))}


def first_statement(stack) -> str:
    return next(n for n, t in stack.seeds.items() if WORDING[0] in t)


def test_first_cycle_matches_every_baseline_so_nothing_alerts(stack) -> None:
    out = cycle(stack)
    assert len(out) == 5
    for o in out.values():
        assert (o.error, o.status, o.new_version, o.alert_id) == (None, 200, False, None), o
    assert all(len(stack.archive.versions(n)) == 1 for n in out)


def test_a_wording_change_raises_exactly_one_alert_and_chrome_changes_none(stack) -> None:
    cycle(stack)
    changed = first_statement(stack)
    chrome = next(n for n in stack.seeds if n != changed)
    stack.serve(changed, stack.seeds[changed].replace(*WORDING))
    stack.serve(chrome, header_note="Updated 2026-11-22 09:41", visitor_count=48213)
    out = cycle(stack)
    alerted = [n for n, o in out.items() if o.alert_id is not None]
    assert alerted == [changed]
    alert = stack.archive.alert(out[changed].alert_id)
    assert "[-leading-]{+central+}" in alert.diff_text
    assert "<del>leading</del>" in alert.diff_html and "<ins>central</ins>" in alert.diff_html
    assert alert.kind == "change" and alert.url.endswith(stack.path_of(changed))
    assert out[chrome].new_version is False and out[chrome].status == 200
    assert len(stack.archive.versions(chrome)) == 1


def test_an_unchanged_page_answered_304_adds_no_text_and_no_version(stack) -> None:
    cycle(stack)
    texts = sorted((stack.archive.root / "text").rglob("*.gz"))
    out = cycle(stack)
    assert all(o.not_modified and o.status == 304 and not o.new_version for o in out.values())
    assert sorted((stack.archive.root / "text").rglob("*.gz")) == texts
    sent = [h for p, h in stack.site.requests[-5:]]
    assert all("If-None-Match" in h for h in sent)


def test_a_trivial_change_is_a_version_without_an_alert(stack) -> None:
    cycle(stack)
    name = first_statement(stack)
    stack.serve(name, stack.seeds[name].replace("leading role", "leading  role").replace("'", "\u2019"))
    out = cycle(stack)
    assert out[name].change == "trivial" and out[name].alert_id is None
    assert out[name].new_version


def test_unreachable_source_fails_in_one_line_and_others_still_run(stack) -> None:
    dead = Source(name="dead", url="http://127.0.0.1:9/gone.html")
    stack.archive.sync_sources([dead])
    before = stack.archive.counts()
    outcomes = check_batch([dead, *stack.registry.statements()[:1]], archive=stack.archive,
                           fetcher=stack.fetcher, run_id="t")
    assert outcomes[0].error and "\n" not in outcomes[0].error and "127.0.0.1" in outcomes[0].error
    assert outcomes[1].error is None
    after = stack.archive.counts()
    assert after["versions"] == before["versions"] and after["captures"] == before["captures"] + 2
    assert stack.archive.source_row("dead")["failures"] == 1



def test_a_mask_that_backtracks_for_ever_is_refused_in_one_line_and_the_run_goes_on(stack) -> None:
    import dataclasses
    import time

    cycle(stack)
    name = first_statement(stack)
    stack.serve(name, stack.seeds[name] + "\n" + "a" * 32 + "b")   # (a|aa)+$ backtracks on it for ever
    for other in stack.seeds:
        if other != name:
            stack.serve(other, stack.seeds[other].replace(*WORDING))
    sources = [dataclasses.replace(s, masks=("(a|aa)+$",)) if s.name == name else s
               for s in stack.registry.statements()]
    before = len(stack.archive.versions(name))
    start = time.monotonic()
    out = {o.source: o for o in check_batch(sources, archive=stack.archive, fetcher=stack.fetcher, run_id="t")}
    assert time.monotonic() - start < 30
    assert out[name].error == (f"mask '(a|aa)+$' of source {name!r} refused: it ran for over 1 s on this page "
                               "(nested repeats like (a+)+ can run for ever); simplify it in the sources file")
    assert len(stack.archive.versions(name)) == before and out[name].alert_id is None
    assert all(o.error is None for n, o in out.items() if n != name)
    assert stack.archive.source_row(name)["failures"] == 1


def test_a_page_of_200000_elements_is_refused_in_one_line_its_capture_kept_and_the_run_goes_on(stack) -> None:
    cycle(stack)
    name = first_statement(stack)
    stack.site.put(stack.path_of(name), ("<html><body><div>" + "<span>x</span>" * 200_000 + "</div></body></html>").encode())
    before = stack.archive.counts()
    out = cycle(stack)
    assert out[name].error == (f"{stack.site.url(stack.path_of(name))}: page refused: 200,003 elements (redline reads "
                               "at most 50,000); the capture is kept, no version is made from it")
    assert all(o.error is None for n, o in out.items() if n != name)
    after = stack.archive.counts()
    assert after["versions"] == before["versions"] and after["captures"] == before["captures"] + len(out)
    assert stack.archive.source_row(name)["failures"] == 1

PLACEHOLDER = FIXTURES / "mfa" / "toruoga_placeholder_system_maintenance_t20210325_9170713.html"


def check(stack, name: str):
    return check_source(stack.registry.by_name(name), archive=stack.archive, fetcher=stack.fetcher, run_id="t",
                        sinks=["log"])


def test_placeholder_page_served_with_200_is_one_removed_alert_not_a_new_version(stack) -> None:
    cycle(stack)
    name = first_statement(stack)
    stack.site.put(stack.path_of(name), PLACEHOLDER.read_bytes())
    o = check(stack, name)
    assert (o.status, o.change, o.error, o.new_version) == (200, "removed", None, False)
    alert = stack.archive.alert(o.alert_id)
    assert alert.kind == "removed" and "placeholder" in alert.summary and alert.url.endswith(stack.path_of(name))
    assert "It opened:" in alert.diff_text and alert.title == stack.registry.by_name(name).title
    assert len(stack.archive.versions(name)) == 1
    assert stack.archive.state(name).state == "removed"


def test_a_statement_answering_404_is_removed_once_keeps_its_history_and_is_no_failure(stack) -> None:
    cycle(stack)
    name = first_statement(stack)
    stack.site.remove(stack.path_of(name))
    captures = stack.archive.counts()["captures"]
    first, again = check(stack, name), check(stack, name)
    assert (first.status, first.change, first.error) == (404, "removed", None)
    assert "HTTP 404" in stack.archive.alert(first.alert_id).summary
    assert (again.change, again.alert_id) == ("removed", None)  # still removed: no second alert
    assert [a.kind for a in stack.archive.alerts(source=name)] == ["removed"]
    assert stack.archive.counts()["captures"] == captures + 2  # both answers archived
    row = stack.archive.source_row(name)
    assert (row["failures"], row["last_error"], row["state"]) == (0, None, "removed")
    assert len(stack.archive.versions(name)) == 1


def test_a_removed_statement_that_comes_back_unchanged_raises_one_restored_alert(stack) -> None:
    cycle(stack)
    name = first_statement(stack)
    stack.site.remove(stack.path_of(name))
    check(stack, name)
    stack.serve(name)  # the same bytes: the stored validators answer 304
    back = check(stack, name)
    assert (back.status, back.change) == (304, "restored")
    alert = stack.archive.alert(back.alert_id)
    assert alert.kind == "restored" and "text unchanged" in alert.summary and "removed since" in alert.summary
    later = check(stack, name)
    assert later.alert_id is None and later.change is None
    assert [a.kind for a in stack.archive.alerts(source=name)] == ["restored", "removed"]
    assert stack.archive.state(name).state == "active" and len(stack.archive.versions(name)) == 1


def test_a_statement_back_with_new_wording_is_one_restored_alert_carrying_the_diff(stack) -> None:
    cycle(stack)
    name = first_statement(stack)
    stack.site.put(stack.path_of(name), PLACEHOLDER.read_bytes())
    check(stack, name)
    stack.serve(name, stack.seeds[name].replace(*WORDING))
    back = check(stack, name)
    assert back.change == "restored" and back.extra["text_change"] == "substantive" and back.new_version
    alert = stack.archive.alert(back.alert_id)
    assert alert.kind == "restored" and "[-leading-]{+central+}" in alert.diff_text
    assert "Wording changed" in alert.summary and alert.to_version == stack.archive.latest_version(name).id
    assert [a.kind for a in stack.archive.alerts(source=name)] == ["restored", "removed"]


def _mock_source(tmp_path, routes: dict[str, tuple[int, dict, bytes]]):
    """An archive with one statement (a baseline version) on a mock host, and a Fetcher for `routes`."""
    import httpx

    from redline.store.sqlite import Archive
    from redline.ingest.fetch import Fetcher

    def handler(request: httpx.Request) -> httpx.Response:
        status, headers, body = routes.get(request.url.path, (404, {}, b"not found"))
        return httpx.Response(status, headers={"Content-Type": "text/html", **headers}, content=body)

    source = Source(name="gone", url="https://www.fmprc.gov.cn/eng/xw/zyxw/202501/t20250101_1.html",
                    title="A statement")
    archive = Archive(tmp_path / "mock-archive")
    archive.sync_sources([source])
    archive.import_baseline(source, "A statement\nIts text.", normalizer_version=1)
    return source, archive, Fetcher(transport=httpx.MockTransport(handler), per_host_delay=0, retries=0)


HOME = b"<html><head><title>Home</title></head><body><h1>Ministry of Foreign Affairs</h1><p>Welcome.</p></body></html>"


@pytest.mark.parametrize("routes, reason", [
    ({"/eng/xw/zyxw/202501/t20250101_1.html": (410, {}, b"gone")}, "HTTP 410"),
    ({"/eng/xw/zyxw/202501/t20250101_1.html": (302, {"Location": "/"}, b""), "/": (200, {}, HOME)},
     "redirects to the site's home page"),
    ({"/eng/xw/zyxw/202501/t20250101_1.html": (301, {"Location": "https://www.fmprc.gov.cn/eng/"}, b""),
      "/eng/": (200, {}, HOME)}, "redirects to the site's home page"),
])
def test_410_and_a_redirect_to_the_home_page_are_removals(tmp_path, routes, reason) -> None:
    source, archive, fetcher = _mock_source(tmp_path, routes)
    with archive, fetcher:
        o = check_source(source, archive=archive, fetcher=fetcher, run_id="t")
        assert o.change == "removed" and o.error is None and reason in archive.alert(o.alert_id).summary
        assert len(archive.versions("gone")) == 1


def test_a_redirect_to_another_article_is_no_removal(tmp_path) -> None:
    page = b"<html><body><h1>A statement</h1><p>Its text, moved to a new address.</p></body></html>"
    source, archive, fetcher = _mock_source(tmp_path, {
        "/eng/xw/zyxw/202501/t20250101_1.html": (301, {"Location": "/eng/xw/zyxw/202501/t20250101_2.html"}, b""),
        "/eng/xw/zyxw/202501/t20250101_2.html": (200, {}, page)})
    with archive, fetcher:
        o = check_source(source, archive=archive, fetcher=fetcher, run_id="t")
        assert o.change != "removed" and o.new_version and archive.state("gone").state == "active"


def test_an_address_never_archived_that_answers_404_is_a_failure_not_a_removal(stack) -> None:
    new = Source(name="typo", url=stack.site.url("/no/such/page.html"))
    stack.archive.sync_sources([new])
    o = check_source(new, archive=stack.archive, fetcher=stack.fetcher, run_id="t")
    assert o.error == "HTTP 404 Not Found" and o.alert_id is None and o.change is None
    assert stack.archive.source_row("typo")["failures"] == 1 and stack.archive.state("typo").state == "active"


def test_a_normalizer_rule_change_renormalizes_from_raw_bytes_without_alerting(stack) -> None:
    name = first_statement(stack)
    stack.serve(name, stack.seeds[name].replace(*WORDING))
    cycle(stack)  # version 2 comes from a raw capture
    latest = stack.archive.latest_version(name)
    current_rules_text = stack.archive.get_text(latest.text_sha256)
    old_rules_text = current_rules_text + "\nVisitors: 48213"
    digest = stack.archive.put_text(old_rules_text)
    with stack.archive._tx() as db:  # pretend version 2 was made by normalizer rules of version 0
        db.execute("UPDATE versions SET text_sha256=?, normalizer_version=0 WHERE id=?", (digest, latest.id))
    stack.serve(name, stack.seeds[name].replace(*WORDING), visitor_count=1)
    o = check_source(stack.registry.by_name(name), archive=stack.archive, fetcher=stack.fetcher, run_id="t")
    assert o.alert_id is None and o.change == "renormalized"
    versions = stack.archive.versions(name)
    assert versions[-1].origin == "renormalized"
    assert stack.archive.get_text(versions[-1].text_sha256) == current_rules_text


class FlakySink:
    def __init__(self, name: str, fail_times: int) -> None:
        self.name, self.fail_times, self.sent = name, fail_times, []

    def deliver(self, alert) -> None:
        if self.fail_times:
            self.fail_times -= 1
            raise DeliveryError("chat service answered HTTP 503")
        self.sent.append(alert.id)


def test_failed_delivery_is_recorded_retried_next_run_and_never_sent_twice(stack) -> None:
    name = first_statement(stack)
    stack.serve(name, stack.seeds[name].replace(*WORDING))
    log = JsonlSink(stack.archive.alerts_log)
    chat = FlakySink("chat", fail_times=1)
    out = cycle(stack, sinks=(log.name, "chat"))
    alert_id = out[name].alert_id
    sinks = {log.name: log, "chat": chat}
    delivered, errors = deliver_pending(stack.archive, sinks)
    assert delivered == 1 and len(errors) == 1 and "503" in errors[0]
    assert {d["sink"]: d["status"] for d in stack.archive.deliveries(alert_id)} == {log.name: "delivered", "chat": "failed"}
    delivered, errors = deliver_pending(stack.archive, sinks)
    assert (delivered, errors, chat.sent) == (1, [], [alert_id])
    assert deliver_pending(stack.archive, sinks) == (0, [])
    lines = stack.archive.alerts_log.read_text(encoding="utf-8").splitlines()
    assert [json.loads(l)["id"] for l in lines] == [alert_id]


def test_feeds_are_written_for_all_alerts_and_per_source(stack) -> None:
    import feedparser

    name = first_statement(stack)
    stack.serve(name, stack.seeds[name].replace(*WORDING))
    cycle(stack)
    paths = refresh_feeds(stack.archive)
    parsed = feedparser.parse(str(paths[0]))
    assert parsed.bozo == 0 and len(parsed.entries) == 1
    assert "central" in parsed.entries[0].content[0].value
    assert any(p.name == f"{name}.xml" for p in paths)


def test_feeds_are_written_again_only_when_what_they_show_changed(stack) -> None:
    import feedparser
    from dataclasses import replace

    from redline.store.sqlite import NewAlert

    a, b = [s.name for s in stack.registry.statements()[:2]]
    alert = NewAlert(kind="change", title="A statement", url="https://e.org/a", summary="Wording changed in 1 place")
    feeds = stack.archive.feeds_dir

    def refreshed() -> set[str]:
        return {p.name for p in refresh_feeds(stack.archive)}

    stack.archive.add_alert(a, alert)
    assert refreshed() == {"alerts.xml", f"{a}.xml"}
    assert refreshed() == set()  # nothing new: no feed rewritten
    stack.archive.add_alert(b, alert)
    assert refreshed() == {"alerts.xml", f"{b}.xml"}
    stack.archive.add_alert(a, replace(alert, kind="failing"))  # operator alerts never reach the feeds
    assert refreshed() == set()
    stack.archive.move_source(b, "https://e.org/moved")  # the feed's link changes
    assert refreshed() == {f"{b}.xml"}
    (feeds / f"{a}.xml").unlink()
    assert refreshed() == {f"{a}.xml"}
    (feeds / ".written.json").unlink()  # a run stopped between the feeds and their record
    assert refreshed() == {"alerts.xml", f"{a}.xml", f"{b}.xml"}
    assert len(feedparser.parse(str(feeds / "alerts.xml")).entries) == 2
    assert feedparser.parse(str(feeds / f"{b}.xml")).feed.link == "https://e.org/moved"


def test_sources_are_batched_one_group_per_host() -> None:
    groups = group_by_host([Source(name="a", url="https://x.org/1"), Source(name="b", url="https://X.org/2"),
                            Source(name="c", url="http://y.org/")])
    assert {h: [s.name for s in g] for h, g in groups.items()} == {"x.org": ["a", "b"], "y.org": ["c"]}
