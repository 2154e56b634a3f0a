"""Discovery end to end, without Prefect: loopback listing -> items -> topic score -> tracked source -> alert."""
from __future__ import annotations

from pathlib import Path

import pytest

from redline.store.sqlite import ItemClaim
from redline.core.urls import url_key
from redline.discovery.cycle import discover_listing, source_name
from redline.core.model import Source
from redline.monitor.check import check_source
from redline.demo.pages import seed_page
from redline.demo.listing_pages import Entry, listing_page
from redline.discovery.topic import default_topic

MFA = Path(__file__).resolve().parents[1] / "fixtures" / "mfa"
LISTING_PATH = "/www.fmprc.gov.cn/eng/wjb/zzjg_663340/jks_665232/kjfywj_665252/"
SEED = "mfa-asean-china-cyber-dialogue-2020"  # tracked; its document id is t20201216_599781
RELATED = Entry("Statement on Cooperation in Cyberspace Governance and Data Security",
                "./202611/t20261121_11800001.html")
UNRELATED = Entry("Foreign Ministry Spokesperson's Remarks on the Spring Festival Gala",
                  "./202611/t20261120_11800000.html")
OLD = [Entry("Wang Yi Meets the Foreign Minister of Peru", "./202610/t20261002_11790000.html"),
       Entry("Joint Statement on Deepening the Partnership on the Digital Economy", "./202609/t20260915_11780000.html")]


class CountingTopic:
    """The built-in topic, counting the titles it scores."""

    def __init__(self) -> None:
        self.topic, self.titles = default_topic(), []
        self.origin = self.topic.origin

    def score(self, title: str):
        self.titles.append(title)
        return self.topic.score(title)

    def __getattr__(self, name: str):  # threshold, terms, body: the built-in topic's
        return getattr(self.topic, name)


@pytest.fixture
def listing(stack) -> Source:
    source = Source(name="test-listing", url=stack.site.url(LISTING_PATH), title="Arms control: documents",
                    kind="listing", tags=("listing", "mfa"))
    stack.archive.sync_sources([source])
    return source


def serve_listing(stack, entries: list[Entry], **kw) -> None:
    stack.site.put(LISTING_PATH, listing_page(entries, title="Documents", **kw))


def serve_statement(stack, entry: Entry, body: str = "The parties agreed to deepen cooperation.\nA second line.",
                    *, base: str = LISTING_PATH) -> None:
    text = f"{entry.title}\n2026-11-21 10:00\n{body}"
    stack.site.put(base + entry.href.removeprefix("./"), seed_page(text, template="mfa_en_2024"))


def run(stack, listing: Source, topic=None, **kw):
    return discover_listing(listing, archive=stack.archive, fetcher=stack.fetcher, topic=topic or default_topic(),
                            run_id="t", sinks=["log"], **kw)


def by_outcome(out) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for item in out.found:
        found.setdefault(item.outcome, []).append(item.title)
    return found


def test_the_first_read_of_a_listing_is_its_baseline_related_items_tracked_without_alerts(stack, listing) -> None:
    serve_listing(stack, OLD)
    serve_statement(stack, OLD[1])
    out = run(stack, listing)
    assert out.baseline and out.status == 200 and out.error is None
    assert by_outcome(out) == {"unrelated": [OLD[0].title], "baseline": [OLD[1].title]}
    assert out.alerts == [] and stack.archive.alerts() == []
    tracked = stack.archive.discovered_sources()
    assert [s.title for s in tracked] == [OLD[1].title]
    assert len(stack.archive.versions(tracked[0].name)) == 1  # archived in the same run


def test_a_related_new_statement_is_tracked_archived_and_alerted_once(stack, listing) -> None:
    serve_listing(stack, OLD)
    run(stack, listing)
    serve_listing(stack, [RELATED, UNRELATED, *OLD])
    serve_statement(stack, RELATED)
    out = run(stack, listing)
    assert not out.baseline and by_outcome(out) == {"new": [RELATED.title], "unrelated": [UNRELATED.title]}
    [alert] = stack.archive.alerts()
    assert alert.kind == "new_statement" and alert.id == out.alerts[0] and alert.title == RELATED.title
    assert alert.url == stack.site.url(LISTING_PATH + "202611/t20261121_11800001.html")
    assert "2026-11-21" in alert.summary and "cyberspace" in alert.summary
    for fact in ("Date: 2026-11-21", "Score: 6", "title mentions", "Opening lines:",
                 "The parties agreed to deepen cooperation."):
        assert fact in alert.diff_text, fact
    row = stack.archive.source_row(alert.source)
    assert (row["origin"], row["listing"], row["score"], row["kind"]) == ("discovered", "test-listing", 6.0,
                                                                          "statement")
    assert '"cyberspace"' in row["terms"] and "discovered" in row["tags"]
    assert len(stack.archive.versions(alert.source)) == 1
    assert [i["outcome"] for i in stack.archive.listing_items(outcomes=("unrelated",))] == ["unrelated"] * 2
    assert not any(s.title == UNRELATED.title for s in stack.archive.discovered_sources())


def test_items_met_before_are_never_scored_or_alerted_again(stack, listing) -> None:
    serve_listing(stack, [RELATED, UNRELATED])
    serve_statement(stack, RELATED)
    run(stack, listing, baseline=False)
    topic = CountingTopic()
    stack.site.put(LISTING_PATH, listing_page([RELATED, UNRELATED], title="Documents (updated)"))  # a 200 again
    again = run(stack, listing, topic=topic)
    assert again.status == 200 and again.found == [] and topic.titles == []
    assert len(stack.archive.alerts()) == 1


def test_an_unchanged_listing_answers_304_and_nothing_more_is_read(stack, listing) -> None:
    serve_listing(stack, OLD, count_page=5)
    run(stack, listing)
    before = len(stack.site.requests)
    out = run(stack, listing)
    assert out.not_modified and out.pages == 0 and len(stack.site.requests) == before + 1
    assert "If-None-Match" in stack.site.requests[-1][1]


def test_a_chinese_listing_reveals_a_related_chinese_statement(stack) -> None:
    path = "/www.fmprc.gov.cn/web/wjdt_674879/fyrbt_674889/"
    html = (MFA / "cw_zh_listing_fyrbt_674889_default.shtml.html").read_text(encoding="utf-8")
    listing = Source(name="zh-listing", url=stack.site.url(path), kind="listing", language="zh")
    stack.archive.sync_sources([listing])
    stack.site.put(path, html.encode("utf-8"))
    assert run(stack, listing).found and not stack.archive.alerts()  # the baseline: 15 press conferences
    new = '<li><a href="./t1794999.shtml" target="_blank">关于加强网络空间国际合作的联合声明</a>(2020-07-04)</li>'
    stack.site.put(path, html.replace("<ul>\n\t\t\t\t\t\n\t\t\t\t<li>", f"<ul>\n{new}\n<li>", 1).encode("utf-8"))
    stack.site.put(path + "t1794999.shtml", seed_page("关于加强网络空间国际合作的联合声明\n2020-07-04\n各方同意加强合作。",
                                                      template="mfa_zh"))
    out = run(stack, listing)
    assert by_outcome(out) == {"new": ["关于加强网络空间国际合作的联合声明"]}
    alert = stack.archive.alert(out.alerts[0])
    assert "网络空间" in alert.summary and "各方同意加强合作。" in alert.diff_text
    assert stack.archive.source_row(alert.source)["language"] == "zh"


def test_the_same_statement_reached_by_another_address_is_not_new(stack, listing) -> None:
    seed_url = stack.registry.by_name(SEED).url          # .../mfa_eng/wjb_663304/.../202012/t20201216_599781.html
    entries = [Entry("Co-Chairs' Statement on the 1st ASEAN-China Cyber Dialogue", seed_url + "?utm_source=feed#top"),
               Entry("Co-Chairs' Statement (the /eng/ form)", seed_url.replace("/mfa_eng/", "/eng/")),
               Entry("Co-Chairs' Statement on the ASEAN-China Cyber Dialogue (republished)",
                     "./202012/t20201216_599781.html")]
    serve_listing(stack, entries)
    out = run(stack, listing, baseline=False)
    assert out.items == 2  # the first two are one address (tracking parameters, fragment, /mfa_eng/ = /eng/)
    assert [(i.outcome, i.source) for i in out.found] == [("known", SEED), ("republication", SEED)]
    assert out.alerts == [] and stack.archive.discovered_sources() == []
    [republished] = stack.archive.listing_items(outcomes=("republication",))
    assert republished["source"] == SEED and "t20201216_599781" in republished["note"]


def test_a_removed_statement_found_at_a_new_address_suggests_the_move(stack, listing) -> None:
    seed = stack.registry.by_name(SEED)
    stack.site.remove(stack.path_of(SEED))
    assert check_source(seed, archive=stack.archive, fetcher=stack.fetcher, run_id="t").change == "removed"
    moved = Entry("Co-Chairs' Statement on the 1st ASEAN-China Cyber Dialogue", "./202012/t20201216_599781.html")
    retitled = Entry("China-UN International Workshop on Cyber Security Held in Beijing", "./201607/new.html")
    other = stack.registry.by_name("mfa-china-un-cyber-workshop-2016")
    stack.site.remove(stack.path_of(other.name))
    check_source(other, archive=stack.archive, fetcher=stack.fetcher, run_id="t")
    serve_listing(stack, [moved, retitled])
    out = run(stack, listing, baseline=False)
    assert [(i.outcome, i.source) for i in out.found] == [("moved", SEED), ("moved", other.name)]
    alert = stack.archive.alert(out.found[0].alert_id)
    new_url = stack.site.url(LISTING_PATH + "202012/t20201216_599781.html")
    assert alert.kind == "moved" and alert.source == SEED and alert.url == new_url
    assert f"redline sources move {SEED} {new_url}" in alert.diff_text and "document id" in alert.summary
    assert "(title)" in stack.archive.alert(out.found[1].alert_id).summary
    assert stack.archive.discovered_sources() == []  # suggested, not tracked twice


def test_a_listing_with_hundreds_of_links_tracks_and_alerts_only_the_related_ones(stack, listing) -> None:
    entries = [Entry(f"Wang Yi Meets the Foreign Minister of Country {n}", f"./202611/t202611{1 + n % 28:02d}_{n}.html")
               for n in range(400)]
    related = [Entry(f"Statement {n} on Cyberspace and Data Security", f"./202611/t20261130_{900 + n}.html")
               for n in range(3)]
    for entry in related:
        serve_statement(stack, entry)
    serve_listing(stack, related[:1] + entries[:200] + related[1:] + entries[200:])
    topic = CountingTopic()
    out = run(stack, listing, topic=topic, baseline=False)
    assert out.items == 403 and len(topic.titles) == 403
    assert by_outcome(out)["new"] == [e.title for e in related] and len(out.alerts) == 3
    assert len(by_outcome(out)["unrelated"]) == 400
    assert len(stack.archive.discovered_sources()) == 3


def test_pagination_is_followed_to_the_depth_and_stops_at_a_page_met_before(stack, listing) -> None:
    folder = LISTING_PATH
    pages = [[Entry(f"Item {p}-{i}", f"./2026{p + 1:02d}/t2026{p + 1:02d}01_{p * 10 + i}.html") for i in range(2)]
             for p in range(5)]
    for p, entries in enumerate(pages):
        stack.site.put(folder if p == 0 else f"{folder}default_{p}.shtml",
                       listing_page(entries, count_page=5, current_page=p))
    first = run(stack, listing, depth=3)
    asked = [path for path, _ in stack.site.requests]
    assert first.pages == 3 and first.items == 6
    assert f"{folder}default_2.shtml" in asked and f"{folder}default_3.shtml" not in asked
    fresh = Entry("Item new", "./202612/t20261201_99.html")
    stack.site.put(folder, listing_page([fresh, *pages[0]], count_page=5))
    second = run(stack, listing, depth=3)
    assert second.pages == 2 and [i.title for i in second.found] == ["Item new"]  # page 2 holds nothing new


def test_a_related_statement_that_cannot_be_fetched_is_tracked_and_alerted_without_opening_lines(stack, listing):
    serve_listing(stack, [RELATED])  # its page is not served: 404
    out = run(stack, listing, baseline=False)
    [item] = out.found
    assert item.outcome == "new" and item.error == "HTTP 404 Not Found"
    alert = stack.archive.alert(item.alert_id)
    assert "Not fetched yet (HTTP 404 Not Found)" in alert.diff_text and "Opening lines" not in alert.diff_text
    assert [s.name for s in stack.archive.discovered_sources()] == [item.source]


def test_an_alert_left_unraised_by_an_interrupted_run_is_raised_by_the_next(stack, listing) -> None:
    url = stack.site.url(LISTING_PATH + "202611/t20261121_11800001.html")
    new = Source(name="interrupted", url=url, title=RELATED.title, origin="discovered")
    score = default_topic().score(RELATED.title)
    stack.archive.claim_listing_item(listing=listing.name, url=url, title=RELATED.title, date="2026-11-21",
                                     score=score.score, terms=score.terms, reason=score.reason,
                                     decide=lambda match: ItemClaim("new", new.name, new))
    serve_listing(stack, [RELATED])
    out = run(stack, listing)
    assert out.found == []  # the item was claimed before the interruption
    [alert] = stack.archive.alerts()
    assert alert.kind == "new_statement" and alert.source == "interrupted"
    assert stack.archive.listing_items(listing.name)[0]["alert_id"] == alert.id
    run(stack, listing)
    assert len(stack.archive.alerts()) == 1


def test_discovered_source_names_are_valid_unique_slugs() -> None:
    url = "https://www.fmprc.gov.cn/eng/xw/zyxw/202611/t20261121_11800001.html"
    name = source_name("Wang Yi's Remarks on Cyberspace: a Statement!", url, taken=())
    assert name == "wang-yis-remarks-on-cyberspace-a-t20261121-11800001"
    assert source_name("Wang Yi's Remarks on Cyberspace: a Statement!", url, taken={name}) == name + "-2"
    assert source_name("关于网络空间的声明", "https://x.org/a.html", taken=()).startswith("statement-")
    assert url_key(url)  # smoke: keys exist for what names are made of


@pytest.mark.parametrize("args, message", [
    (["--listing", "no-such-listing"], 'no source named "no-such-listing"'),
    (["--listing", SEED], "not a listing"),
    (["--depth", "0"], "a depth of 0 reads nothing"),
    (["--topic", "/no/such/topic.toml"], "topic file not found"),
])
def test_discover_refuses_bad_input_in_one_line_before_starting_prefect(tmp_path, capsys, args, message) -> None:
    from redline.cli.main import main

    code = main(["discover", *args, "--archive", str(tmp_path / "archive")])
    err = capsys.readouterr().err
    assert code == 1 and message in err and len(err.strip().splitlines()) == 1, err
    assert not (tmp_path / "archive").exists()


def test_a_bad_depth_in_the_environment_is_one_line(tmp_path, capsys, monkeypatch) -> None:
    from redline.cli.main import main

    monkeypatch.setenv("REDLINE_DISCOVER_DEPTH", "deep")
    assert main(["discover", "--archive", str(tmp_path / "a")]) == 1
    err = capsys.readouterr().err
    assert "REDLINE_DISCOVER_DEPTH='deep' is not a number" in err and len(err.strip().splitlines()) == 1


def test_each_read_of_a_listing_shows_in_browse_with_the_items_it_met_and_their_sources(stack, listing) -> None:
    from redline.store import readmodel as views
    from redline.web.app import create_app
    from support.browse_stack import Client

    serve_listing(stack, OLD)
    serve_statement(stack, OLD[1])
    run(stack, listing)                                       # the baseline read: two items
    serve_listing(stack, [RELATED, UNRELATED, *OLD])
    serve_statement(stack, RELATED)
    run(stack, listing)                                       # the same second, often: two more items
    t = views.timeline(stack.archive, listing.name)
    newest, oldest = [e.capture.id for e in t.entries]
    assert sorted(i.title for i in t.items[oldest]) == sorted(e.title for e in OLD)
    assert sorted(i.title for i in t.items[newest]) == sorted([RELATED.title, UNRELATED.title])
    new = next(i for i in t.items[newest] if i.title == RELATED.title)
    assert new.outcome == "new" and new.source and new.alert_id and new.score == 6
    page = Client(create_app(stack.archive)).get(f"/sources/{listing.name}").text
    assert "What each read of this listing found" in page and "2 items first met" in page
    assert f'<a href="/sources/{new.source}">{new.source}</a>' in page and '<span class="badge new">new</span>' in page


def test_a_new_statement_holding_watched_formulations_names_them_in_its_alert(stack, listing) -> None:
    from redline.text.formulations import parse_watch_list

    watch = parse_watch_list([{"phrase": "cyber sovereignty"}, {"phrase": "网络空间命运共同体"},
                              {"phrase": "peaceful reunification"}], where="w.toml")
    serve_listing(stack, OLD)
    run(stack, listing)
    serve_listing(stack, [RELATED, *OLD])
    serve_statement(stack, RELATED, "The parties respect Cyber Sovereignty.\n双方携手构建网络空间命运共同体。")
    out = run(stack, listing, watch=watch)
    [alert] = stack.archive.alerts()
    assert alert.id == out.alerts[0] and alert.kind == "new_statement"
    text = stack.archive.get_text(stack.archive.versions(alert.source)[-1].text_sha256).splitlines()
    lines = {p: next(n for n, t in enumerate(text, 1) if p in t) for p in ("Cyber Sovereignty", "网络空间命运共同体")}
    assert alert.record()["formulations"] == [
        {"phrase": "cyber sovereignty", "text": "Cyber Sovereignty", "paragraph": lines["Cyber Sovereignty"]},
        {"phrase": "网络空间命运共同体", "text": "网络空间命运共同体", "paragraph": lines["网络空间命运共同体"]}]
    assert "holds cyber sovereignty, 网络空间命运共同体" in alert.summary
    assert (f"Watched formulations: cyber sovereignty (¶{lines['Cyber Sovereignty']}); 网络空间命运共同体 "
            f"(¶{lines['网络空间命运共同体']})") in alert.diff_text


def test_a_new_statement_without_watched_formulations_says_nothing_of_them(stack, listing) -> None:
    from redline.text.formulations import parse_watch_list

    serve_listing(stack, OLD)
    run(stack, listing)
    serve_listing(stack, [RELATED, *OLD])
    serve_statement(stack, RELATED)
    run(stack, listing, watch=parse_watch_list([{"phrase": "cyber sovereignty"}], where="w.toml"))
    [alert] = stack.archive.alerts()
    assert "formulations" not in alert.record() and "Watched" not in alert.diff_text and "holds" not in alert.summary
