"""discover (listing pages -> items, pagination, URL keys, document ids) and topic (scoring): pure units."""
from __future__ import annotations

from pathlib import Path

import pytest

from redline.core.urls import doc_id, doc_key, is_home_url, normalize_url, url_key
from redline.core.textutil import find_date, opening_lines, url_date
from redline.discovery.listing import Pagination, page_urls, parse_listing, parse_pagination
from redline.core.errors import ConfigError
from redline.demo.listing_pages import Entry, listing_page
from redline.registry.load import load_registry
from redline.discovery.topic import DEFAULT_TERMS, default_topic, load_topic, parse_topic, topic_path

MFA = Path(__file__).resolve().parents[1] / "fixtures" / "mfa"
PROJECT = Path(__file__).resolve().parents[2]
EN_URL = "https://www.fmprc.gov.cn/mfa_eng/xwfw_665399/s2510_665401/2511_665403/default.shtml"
EN2_URL = "https://www.fmprc.gov.cn/mfa_eng/xwfw_665399/s2510_665401/2511_665403/default_1.shtml"
ZH_URL = "https://www.fmprc.gov.cn/web/wjdt_674879/fyrbt_674889/default.shtml"


def fixture(name: str) -> str:
    return (MFA / name).read_text(encoding="utf-8")


# --------------------------------------------------------------------------- the fixture listings

def test_english_listing_before_2021_gives_forty_dated_items_and_thirteen_pages() -> None:
    page = parse_listing(fixture("cw_en_listing_2511_665403_default.shtml.html"), EN_URL)
    assert page.profile == "mfa_en_legacy_list" and len(page.items) == 40
    first, last = page.items[0], page.items[-1]
    assert first.title == "Foreign Ministry Spokesperson Zhao Lijian's Regular Press Conference on July 3, 2020"
    assert first.url == "https://www.fmprc.gov.cn/mfa_eng/xwfw_665399/s2510_665401/2511_665403/t1794629.shtml"
    assert (first.date, last.date) == ("2020-07-03", "2020-05-06")  # from the titles: the page shows no dates
    assert page.pagination == Pagination(count=13, current=0, stem="default", extension="shtml")
    assert not any("CV of" in i.title for i in page.items)  # the sidebar's links are no items


def test_second_page_of_the_english_listing_knows_it_is_page_two() -> None:
    one = parse_listing(fixture("cw_en_listing_2511_665403_default.shtml.html"), EN_URL)
    two = parse_listing(fixture("cw_en_listing_2511_665403_default_1.shtml.html"), EN2_URL)
    assert two.pagination.current == 1 and len(two.items) == 40
    assert not {i.url for i in one.items} & {i.url for i in two.items}
    assert two.items[0].date == "2020-04-30" and one.items[-1].date > two.items[0].date


def test_chinese_listing_gives_chinese_titles_with_the_dates_printed_beside_them() -> None:
    page = parse_listing(fixture("cw_zh_listing_fyrbt_674889_default.shtml.html"), ZH_URL)
    assert page.profile == "mfa_zh_list" and len(page.items) == 15
    assert page.items[0].title == "2020年7月3日外交部发言人赵立坚主持例行记者会"
    assert page.items[3].title == "外交部发言人就全国人大常委会审议通过香港国安法发表谈话"
    assert page.items[3].date == "2020-06-30"
    assert page.items[0].url == "https://www.fmprc.gov.cn/web/wjdt_674879/fyrbt_674889/t1794584.shtml"
    assert page.pagination.count == 67


def test_generic_fallback_reads_the_chinese_listing_like_its_profile_does() -> None:
    html = fixture("cw_zh_listing_fyrbt_674889_default.shtml.html")
    assert parse_listing(html, ZH_URL, profile="generic").items == parse_listing(html, ZH_URL).items


def test_generic_fallback_keeps_dated_links_and_drops_navigation() -> None:
    html = """<html><body><ul class="nav"><li><a href="/eng/">Home</a></li><li><a href="/eng/hyyfy/">Meetings</a></li>
      </ul><table>
      <tr><td><a href="./202106/t20210629_9127432.htm">Remarks by Amb. Zhang Jun on Cyber Security</a></td></tr>
      <tr><td><a href="/eng/hyyfy/speech_12.htm">Statement at the Open-ended Working Group</a></td>
          <td>2021-03-12</td></tr>
      <tr><td><a href="https://other.org/about.html">About this site</a></td></tr>
      <tr><td><a href="./202106/t20210628_9127400.htm#top?">Remarks on Peacekeeping</a></td></tr>
      </table></body></html>"""
    page = parse_listing(html, "http://un.china-mission.gov.cn/eng/hyyfy/")
    assert page.profile == "generic"
    assert [(i.title, i.date) for i in page.items] == [
        ("Remarks by Amb. Zhang Jun on Cyber Security", "2021-06-29"),
        ("Statement at the Open-ended Working Group", "2021-03-12"),
        ("Remarks on Peacekeeping", "2021-06-28")]
    assert page.items[0].url == "http://un.china-mission.gov.cn/eng/hyyfy/202106/t20210629_9127432.htm"


def test_listing_from_2024_on_reads_news_list_items_and_index_pages() -> None:
    """No saved 2024+ listing page was at hand: this markup follows the listing classes that the
    2024 template's stylesheet styles (.news_list > div a, .news_list > div div for the date)."""
    html = """<html><body><div class="news_list">
      <div><a href="./202510/t20251017_11735636.html">Foreign Ministry Spokesperson Lin Jian's Regular Press
        Conference on October 17, 2025</a><div>2025-10-17</div></div>
      <div><a href="./202510/t20251016_11735001.html" title="Wang Yi Attends the High-level Meeting on Global
        Data Security and Cyberspace Governance">Wang Yi Attends the High-level Meeting on Global Data...</a>
        <div>2025-10-16</div></div>
      </div><div class="page"><script>createPageHTML(20, 0, "index", "html");</script></div></body></html>"""
    url = "https://www.fmprc.gov.cn/eng/xw/zyxw/"
    page = parse_listing(html, url)
    assert page.profile == "mfa_en_2024_list" and len(page.items) == 2
    assert page.items[1].title.endswith("Data Security and Cyberspace Governance")  # the title attribute, uncut
    assert [i.date for i in page.items] == ["2025-10-17", "2025-10-16"]
    assert page_urls(url, page.pagination, 3) == [url, url + "index_1.html", url + "index_2.html"]


# --------------------------------------------------------------------------- pagination

def test_pagination_follows_the_page_count_up_to_the_depth() -> None:
    p = parse_pagination("var currentPage = 0;\nvar countPage = 13//", EN_URL)
    folder = EN_URL.rsplit("/", 1)[0] + "/"
    assert page_urls(EN_URL, p, 3) == [EN_URL, folder + "default_1.shtml", folder + "default_2.shtml"]
    assert page_urls(EN_URL, p, 1) == [EN_URL]
    assert len(page_urls(EN_URL, p, 50)) == 13


def test_pagination_naming_comes_from_script_links_url_or_profile() -> None:
    assert parse_pagination('createPageHTML(7, 0, "index", "shtml");', "https://x.org/list/") == \
        Pagination(count=7, current=0, stem="index", extension="shtml")
    by_links = parse_pagination('<a href="index_1.html">2</a> <a href="index_4.html">5</a>', "https://x.org/l/")
    assert (by_links.count, by_links.stem, by_links.extension) == (5, "index", "html")
    by_url = parse_pagination("", "https://x.org/l/index_2.htm")
    assert (by_url.current, by_url.stem, by_url.extension, by_url.count) == (2, "index", "htm", None)
    assert page_urls("https://x.org/l/index_2.htm", by_url, 3) == ["https://x.org/l/index.htm"]
    assert parse_pagination("var countPage = 99999", "https://x.org/l/").count == 1000  # a cap, not a crawl


def test_a_listing_without_pagination_is_one_page() -> None:
    p = parse_pagination("<p>no pages</p>", "https://x.org/list/")
    assert p.count is None and page_urls("https://x.org/list/", p, 5) == ["https://x.org/list/"]


# --------------------------------------------------------------------------- URLs and document ids

def test_normalize_url_makes_links_absolute_and_drops_fragments_and_tracking() -> None:
    base = "https://WWW.fmprc.gov.cn:443/eng/xw/zyxw/"
    assert normalize_url("./202510/t1.html#p2", base) == "https://www.fmprc.gov.cn/eng/xw/zyxw/202510/t1.html"
    assert normalize_url("../a.html?utm_source=x&spm=1&id=5&from=timeline", base) == \
        "https://www.fmprc.gov.cn/eng/xw/a.html?id=5"
    assert normalize_url("http://x.org:8080/a", None) == "http://x.org:8080/a"
    for bad in ("javascript:void(0)", "mailto:a@b.org", "#top", "", "ftp://x.org/a"):
        assert normalize_url(bad, base) is None


@pytest.mark.parametrize("other", [
    "http://www.fmprc.gov.cn/eng/wjdt/202012/t20201216_599781.html",              # http and https
    "https://fmprc.gov.cn/eng/wjdt/202012/t20201216_599781.html",                 # www. or not
    "https://www.mfa.gov.cn/eng/wjdt/202012/t20201216_599781.html",               # the alias host
    "https://www.fmprc.gov.cn/mfa_eng/wjdt/202012/t20201216_599781.html",         # /mfa_eng/ before 2024
    "https://www.fmprc.gov.cn/eng/wjdt/202012/t20201216_599781.html?utm_medium=x#top",
])
def test_url_key_matches_the_forms_of_one_address(other: str) -> None:
    assert url_key(other) == url_key("https://www.fmprc.gov.cn/eng/wjdt/202012/t20201216_599781.html")


def test_url_key_reads_an_index_page_as_its_folder_and_keeps_other_pages_apart() -> None:
    assert url_key("https://x.org/eng/xw/index.html") == url_key("https://x.org/eng/xw/")
    assert url_key("https://x.org/a?b=1&a=2") == url_key("https://x.org/a?a=2&b=1")
    assert url_key("https://x.org/eng/a.html") != url_key("https://x.org/eng/b.html")
    assert url_key("https://x.org/eng/a.html") != url_key("https://y.org/eng/a.html")


def test_document_id_is_shared_by_the_mfa_and_mission_sites_and_older_ids_stay_per_site() -> None:
    mfa = "https://www.fmprc.gov.cn/eng/wjb/zzjg_663340/jks_665232/kjfywj_665252/202106/t20210629_9127432.html"
    mission = "http://un.china-mission.gov.cn/eng/chinaandun/202106/t20210629_9127432.htm"
    assert doc_id(mfa) == doc_id(mission) == "t20210629_9127432"
    assert doc_key(mfa) == doc_key(mission) == "mfa/t20210629_9127432"
    assert doc_key("https://www.cac.gov.cn/2021/t20210629_9127432.htm") != doc_key(mfa)  # another WCM
    old = "https://www.fmprc.gov.cn/mfa_eng/wjbxw/t1380539.shtml"
    assert doc_id(old) == "t1380539" and doc_key(old) == "fmprc.gov.cn/t1380539"
    assert doc_key("http://www.china-un.ch/eng/hom/t1380539.htm") != doc_key(old)
    for none in ("https://www.cac.gov.cn/2025-12/04/c_1766577618173846.htm", "https://x.org/t20201399_5.html",
                 "https://x.org/eng/"):
        assert doc_id(none) is None


def test_home_pages_are_the_root_and_one_folder_deep() -> None:
    for home in ("https://www.mfa.gov.cn/", "https://www.mfa.gov.cn", "https://www.fmprc.gov.cn/eng/",
                 "https://www.fmprc.gov.cn/web/index.shtml", "https://www.fmprc.gov.cn/index.html"):
        assert is_home_url(home), home
    for page in ("https://www.fmprc.gov.cn/eng/xw/zyxw/", "https://www.fmprc.gov.cn/t1380539.shtml",
                 "https://www.fmprc.gov.cn/mfa_eng/wjbxw/t1380539.shtml"):
        assert not is_home_url(page), page


@pytest.mark.parametrize("text, expected", [
    ("(2020-07-03)", "2020-07-03"), ("2020/7/3 10:00", "2020-07-03"), ("2020年7月3日外交部", "2020-07-03"),
    ("Regular Press Conference on July 3, 2020", "2020-07-03"), ("held on 3 Sept. 2019", "2019-09-03"),
    ("2020-02-30", ""), ("no date here 12345", ""),
])
def test_dates_are_read_in_the_forms_the_sites_write_them(text: str, expected: str) -> None:
    assert find_date(text) == expected


def test_url_dates_come_from_document_ids_and_dated_folders() -> None:
    assert url_date("https://x.org/202012/t20201216_599781.html") == "2020-12-16"
    assert url_date("https://www.cac.gov.cn/2025-12/04/c_1766577618173846.htm") == "2025-12-04"
    assert url_date("https://x.org/eng/202012/abc.html") == "2020-12"
    assert url_date("https://x.org/eng/abc.html") == ""


def test_opening_lines_skip_the_title_and_date_lines() -> None:
    text = "A Title\n2026-11-21 10:00\nFirst paragraph.\nSecond.\nThird.\nFourth."
    assert opening_lines(text, title="A  title") == ["First paragraph.", "Second.", "Third."]
    assert opening_lines("x" * 500, count=1, width=10) == ["x" * 9 + "…"]


# --------------------------------------------------------------------------- many links

def test_a_listing_with_hundreds_of_links_gives_every_item_once() -> None:
    entries = [Entry(f"Statement number {n} on cooperation", f"./2026{1 + n % 12:02d}/t2026{1 + n % 12:02d}"
                     f"{1 + n % 28:02d}_{11000000 + n}.html") for n in range(600)]
    entries += entries[:50]  # a listing may link an item twice (a "top story" box)
    html = listing_page(entries, count_page=40).decode("utf-8")
    page = parse_listing(html, "https://www.fmprc.gov.cn/eng/zy/gb/")
    assert len(page.items) == 600 and all(i.date for i in page.items)
    assert page.pagination.count == 40
    generic = parse_listing(html, "https://www.fmprc.gov.cn/eng/zy/gb/", profile="generic")
    assert [i.url for i in generic.items] == [i.url for i in page.items]


# --------------------------------------------------------------------------- the topic

def test_every_seed_statement_title_is_related_under_the_built_in_topic() -> None:
    registry = load_registry(PROJECT / "seeds" / "sources.toml")
    topic = default_topic()
    for s in registry.statements():
        assert topic.score(s.title).related, (s.title, topic.score(s.title))


@pytest.mark.parametrize("title, related, terms", [
    ("Wang Yi on Global Data Security and Cyberspace Governance", True, ("cyberspace", "data security")),
    ("关于加强网络安全和数据安全国际合作的倡议", True, ("数据安全", "网络安全")),
    ("全球人工智能治理倡议", True, ("人工智能治理",)),
    ("China-ASEAN Forum on the Digital Economy", True, ("digital economy",)),
    ("Remarks on ICTs in the Context of International Security", True, ("ICT",)),
    ("2020年7月3日外交部发言人赵立坚主持例行记者会", False, ()),
    ("外交部发言人就全国人大常委会审议通过香港国安法发表谈话", False, ()),
    ("Foreign Ministry Spokesperson's Regular Press Conference on July 3, 2020", False, ()),
    ("Said he would aid the fair", False, ()),           # "ai" inside words, or lower case, is no AI
    ("Internet cafés and data", True, ("data", "internet")),  # two weak terms together
    ("Open data", False, ("data",)),                     # one weak term alone
])
def test_titles_are_scored_by_the_topic_terms_they_mention(title: str, related: bool, terms: tuple) -> None:
    score = default_topic().score(title)
    assert (score.related, score.terms) == (related, terms), score


def test_a_longer_term_claims_its_words_so_nothing_counts_twice() -> None:
    score = default_topic().score("Statement on Data Security")
    assert score.terms == ("data security",) and score.score == DEFAULT_TERMS["data security"]
    assert "data security" in score.reason and "≥ 2" in score.reason


def test_an_operator_topic_file_replaces_or_extends_the_built_in_terms(tmp_path: Path) -> None:
    only = parse_topic('version = 1\nthreshold = 3\ninclude_defaults = false\n[terms]\n"semiconductor*" = 2\n'
                       '"export control" = 1\n"半导体" = 3\n', path="topic.toml")
    assert only.score("Semiconductors and export controls").score == 3
    assert only.score("Cyberspace governance").score == 0
    assert only.score("半导体出口").related
    extended = parse_topic('[terms]\n"cyber" = 0\n"regular press conference" = -5\n"Semiconductor" = 3\n')
    assert extended.score("Cyberspace").related and not extended.score("Cyber Dialogue").related
    assert not extended.score("Regular Press Conference on cyberspace").related
    assert extended.score("semiconductor").related


@pytest.mark.parametrize("text, problem", [
    ('[terms]\n"cyber" = "high"\n', "weight must be a number"),
    ('threshold = 0\n', "threshold = 0"),
    ('thresold = 2\n', 'unknown key "thresold"'),
    ('terms = ["cyber"]\n', "must be a table"),
    ('[terms]\n"a*b" = 1\n', "* may only end a term"),
    ('version = 2\n', "version = 2 is not supported"),
    ('include_defaults = false\n', "no terms"),
    ('[terms\n', "TOML syntax error"),
])
def test_a_bad_topic_file_is_one_line_naming_the_file_and_the_problem(text: str, problem: str) -> None:
    with pytest.raises(ConfigError) as err:
        parse_topic(text, path="/etc/redline/topic.toml")
    message = str(err.value)
    assert message.startswith("/etc/redline/topic.toml: ") and problem in message and "\n" not in message


def test_the_topic_file_is_the_given_one_then_the_environment_then_next_to_the_sources(tmp_path: Path) -> None:
    sources = tmp_path / "sources.toml"
    assert topic_path(sources, env={}) is None and load_topic(None).origin == "built-in"
    (tmp_path / "topic.toml").write_text("[terms]\nx = 1\n", encoding="utf-8")
    assert topic_path(sources, env={}) == tmp_path / "topic.toml"
    assert topic_path(sources, env={"REDLINE_TOPIC": "/o/t.toml"}) == Path("/o/t.toml")
    assert topic_path(sources, env={"REDLINE_TOPIC": "/o/t.toml"}, given="g.toml") == Path("g.toml").resolve()
    with pytest.raises(ConfigError, match="topic file not found"):
        load_topic(tmp_path / "missing.toml")
