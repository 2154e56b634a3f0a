"""normalize: real MFA pages against golden texts, chrome rules, profiles, generic fallback."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from redline.text import normalize as normalize_module
from redline.core.model import Normalized
from redline.text.normalize import (CHROME_LINES, NORMALIZER_VERSION, PROFILES, Profile, clean_text, detect_profile,
                               is_placeholder, normalize)

HERE = Path(__file__).resolve().parents[1]
FIXTURES = HERE / "fixtures" / "mfa"
GOLDEN = HERE / "golden"
PAGES = sorted(FIXTURES.glob("*.html"))
PLACEHOLDER = "toruoga_placeholder_system_maintenance_t20210325_9170713.html"

# fixture -> (address it was saved from, the profile auto-detection must pick)
EXPECTED: dict[str, tuple[str, str]] = {
    "boan_zh_zyxw_t1638506_2019-02-17_browser_saved.html":
        ("https://www.fmprc.gov.cn/web/zyxw/t1638506.shtml", "mfa_zh"),
    "cw_en_listing_2511_665403_default.shtml.html":
        ("https://www.fmprc.gov.cn/mfa_eng/xwfw_665399/s2510_665401/2511_665403/default.shtml", "generic"),
    "cw_en_listing_2511_665403_default_1.shtml.html":
        ("https://www.fmprc.gov.cn/mfa_eng/xwfw_665399/s2510_665401/2511_665403/default_1.shtml", "generic"),
    "cw_en_presser_t1559633_2018-05-15.html":
        ("https://www.fmprc.gov.cn/mfa_eng/xwfw_665399/s2510_665401/2511_665403/t1559633.shtml", "mfa_en_legacy"),
    "cw_en_presser_t1624190_2018-12-21_cyber.html":
        ("https://www.fmprc.gov.cn/mfa_eng/xwfw_665399/s2510_665401/2511_665403/t1624190.shtml", "mfa_en_legacy"),
    "cw_zh_listing_fyrbt_674889_default.shtml.html":
        ("https://www.fmprc.gov.cn/web/wjdt_674879/fyrbt_674889/default.shtml", "generic"),
    "cw_zh_presser_t1624087_2018-12-21_cyber.html":
        ("https://www.fmprc.gov.cn/web/wjdt_674879/fyrbt_674889/t1624087.shtml", "mfa_zh"),
    "toruoga_en_new2024_fyrbt_lxjzh_t20251017_11735636.html":
        ("https://www.fmprc.gov.cn/eng/xw/fyrbt/lxjzh/202510/t20251017_11735636.html", "mfa_en_2024"),
    "toruoga_en_new2024_xw_zwbd_t20250922_11712999_rebuilt.html":
        ("https://www.fmprc.gov.cn/eng/xw/zwbd/202509/t20250922_11712999.html", "mfa_en_2024"),
    PLACEHOLDER: ("https://www.fmprc.gov.cn/eng/xwfw_665399/s2510_665401/2511_665403/202103/"
                  "t20210325_9170713.html", "generic"),
}
ARTICLES = [p for p in PAGES if EXPECTED[p.name][1] != "generic"]


def read(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def ids(paths: list[Path]) -> list[str]:
    return [p.name[:40] for p in paths]


# --------------------------------------------------------------------------- golden texts
def test_every_fixture_page_has_a_golden_text_and_an_expected_profile() -> None:
    assert {p.name for p in PAGES} == set(EXPECTED)
    assert {p.stem + ".txt" for p in PAGES} == {g.name for g in GOLDEN.glob("*.txt")}


@pytest.mark.parametrize("page", PAGES, ids=ids(PAGES))
def test_fixture_page_normalizes_exactly_to_its_golden_text(page: Path) -> None:
    result = normalize(read(page))
    assert isinstance(result, Normalized)
    assert result.text + "\n" == (GOLDEN / (page.stem + ".txt")).read_text(encoding="utf-8")


@pytest.mark.parametrize("page", PAGES, ids=ids(PAGES))
def test_normalized_text_obeys_the_line_rules(page: Path) -> None:
    text = normalize(read(page)).text
    assert text and "\n\n" not in text
    for line in text.splitlines():
        assert line == line.strip() and "  " not in line and "\t" not in line
        assert not re.search("[\u200b-\u200d\u2060\ufeff\u202a-\u202e\u2066-\u2069\u00a0\u3000]", line)
    assert clean_text(text) == text  # idempotent: normalized text is already clean


@pytest.mark.parametrize("page", ARTICLES, ids=ids(ARTICLES))
def test_article_text_starts_with_its_title_then_the_date_shown_on_the_page(page: Path) -> None:
    result = normalize(read(page))
    lines = result.text.splitlines()
    assert result.title and lines[0] == result.title
    if result.date:
        assert lines[1] == result.date
    assert len(lines) > 10


def test_dates_are_taken_as_the_page_shows_them() -> None:
    got = {p.name.split("_")[3]: normalize(read(p)).date for p in ARTICLES}
    assert got == {"t1638506": "2019-02-17",
                   "t1559633": "",          # the legacy template leaves News_Body_Time empty
                   "t1624190": "",
                   "t1624087": "2018-12-21",
                   "fyrbt": "October 17, 2025 19:15",
                   "xw": "September 17, 2025 23:55"}


@pytest.mark.parametrize("page", ARTICLES, ids=ids(ARTICLES))
def test_no_page_chrome_reaches_the_text_of_an_article(page: Path) -> None:
    text = normalize(read(page)).text
    for chrome in ("Suggest to a friend", "Copyright", "版权所有", "Related News", "相关新闻", "打印本页",
                   "Please enter", "Tel:", "Contact us", "Español", "Русский", "京ICP备", "Press and Media Service",
                   "外交部长", "Regional Organizations", "Updated:"):
        assert chrome not in text


@pytest.mark.parametrize("page", [p for p in PAGES if EXPECTED[p.name][1] == "generic" and p.name != PLACEHOLDER],
                         ids=lambda p: p.name[:40])
def test_listing_pages_fall_back_to_generic_and_keep_the_whole_list(page: Path) -> None:
    html = read(page)
    result = normalize(html)
    assert result.profile == "generic" and not result.placeholder
    items = re.findall(r'<li><a href="\./t\d+\.shtml"[^>]*>([^<]+)</a>', html)
    assert len(items) >= 15
    for item in items:
        assert item.strip() in result.text


# --------------------------------------------------------------------------- placeholder
def test_system_maintenance_page_is_a_placeholder_with_only_its_message_as_text() -> None:
    html = read(FIXTURES / PLACEHOLDER)
    assert is_placeholder(html)
    result = normalize(html)
    assert result.placeholder and result.text == "您访问的页面不存在或已删除"


@pytest.mark.parametrize("page", [p for p in PAGES if p.name != PLACEHOLDER], ids=lambda p: p.name[:40])
def test_real_pages_are_not_placeholders(page: Path) -> None:
    html = read(page)
    assert not is_placeholder(html) and not normalize(html).placeholder


def test_an_article_quoting_the_not_found_message_is_not_a_placeholder() -> None:
    html = read(FIXTURES / "cw_zh_presser_t1624087_2018-12-21_cyber.html")
    html = html.replace('<div id="News_Body_Txt_A" class="content">',
                        '<div id="News_Body_Txt_A" class="content"><p>页面不存在或已删除</p>', 1)
    assert not is_placeholder(html) and not normalize(html).placeholder


# --------------------------------------------------------------------------- detection and profiles
@pytest.mark.parametrize("page", PAGES, ids=ids(PAGES))
def test_auto_detection_picks_the_profile_of_each_fixture_with_and_without_its_url(page: Path) -> None:
    url, expected = EXPECTED[page.name]
    html = read(page)
    assert detect_profile(html) == expected
    assert detect_profile(html, url) == expected
    assert normalize(html, url=url).profile == expected


@pytest.mark.parametrize(("url", "expected"), [
    ("https://www.fmprc.gov.cn/mfa_eng/wjb_663304/zzjg_663340/jks_665232/kjfywj_665252/202012/"
     "t20201216_599781.html", "mfa_en_legacy"),
    ("https://www.fmprc.gov.cn/mfa_eng/wjbxw/t1380539.shtml", "mfa_en_legacy"),
    ("http://un.china-mission.gov.cn/eng/chinaandun/securitycouncil/thematicissues/other_thematicissues/202106/"
     "t20210629_9127432.htm", "un_mission"),
    ("http://www.china-un.ch/eng/hom/t1444602.htm", "un_mission"),
    ("https://www.cac.gov.cn/2025-12/04/c_1766577618173846.htm", "cac"),
    ("https://www.fmprc.gov.cn/eng/xw/zyxw/202510/t20251017_11735636.html", "mfa_en_2024"),
    ("https://www.mfa.gov.cn/web/wjdt_674879/fyrbt_674889/t1624087.shtml", "mfa_zh"),
    ("https://example.org/news/1.html", "generic"),
])
def test_auto_detection_by_url_alone_when_there_is_no_markup(url: str, expected: str) -> None:
    assert detect_profile("", url) == expected


def test_profiles_registry_is_plain_data_with_the_agreed_names() -> None:
    assert set(PROFILES) == {"mfa_en_legacy", "mfa_zh", "mfa_en_2024", "un_mission", "cac", "generic"}
    for name, profile in PROFILES.items():
        assert isinstance(profile, Profile) and profile.name == name
        if name != "generic":
            assert profile.hosts and profile.body and profile.title and profile.date
    assert isinstance(NORMALIZER_VERSION, int) and NORMALIZER_VERSION >= 1
    assert set(normalize_module.__all__) <= set(dir(normalize_module))


def test_an_explicit_profile_gives_the_same_text_as_auto_and_an_unknown_one_is_refused() -> None:
    html = read(FIXTURES / "cw_en_presser_t1624190_2018-12-21_cyber.html")
    assert normalize(html, profile="mfa_en_legacy").text == normalize(html).text
    with pytest.raises(ValueError, match="unknown normalize profile 'nope'"):
        normalize(html, profile="nope")


def test_a_named_profile_whose_body_is_missing_gives_way_to_the_detected_one() -> None:
    html = read(FIXTURES / "cw_en_presser_t1559633_2018-05-15.html")
    result = normalize(html, profile="mfa_en_2024")  # e.g. a source registered before a site redesign
    assert result.profile == "mfa_en_legacy"
    assert result.text == normalize(html).text


def test_a_named_profile_on_a_page_of_no_known_template_falls_back_to_generic() -> None:
    html = "<html><body><div class='story'>" + "".join(f"<p>{p}</p>" for p in PARAS) + "</div></body></html>"
    result = normalize(html, profile="cac")
    assert result.profile == "generic" and result.text == "\n".join(PARAS)


# --------------------------------------------------------------------------- the key invariant
def _chrome_changed(html: str) -> str:
    """The same page with only its chrome changed: header date stamp, nav item, visitor counter, footer."""
    html = re.sub(r"(<body[^>]*>)", r'\1<div class="header"><span class="stamp">Updated 2026-11-22 10:00</span>'
                  r"</div>", html, count=1, flags=re.I)
    html = html.replace(">Home<", ">Homepage<").replace(">首页<", ">网站首页<")
    html = html.replace("Chaoyangmen", "Chaoyangmenwai").replace("100701", "100702")
    return re.sub(r"(</body>)", r'<div class="footer">Visitors: 48,213</div>\1', html, count=1, flags=re.I)


@pytest.mark.parametrize("page", ARTICLES, ids=ids(ARTICLES))
def test_header_stamp_visitor_counter_nav_and_footer_changes_do_not_change_the_text(page: Path) -> None:
    html = read(page)
    changed = _chrome_changed(html)
    assert changed != html
    assert normalize(changed).text == normalize(html).text


@pytest.mark.parametrize("page", ARTICLES, ids=ids(ARTICLES))
def test_a_wording_change_inside_the_article_does_change_the_text(page: Path) -> None:
    html = read(page)
    before = normalize(html).text
    last = next(line for line in reversed(before.splitlines()) if len(line) > 40)
    word = re.search(r"[A-Za-z]{6,}|[\u4e00-\u9fff]{4}", last).group(0)
    index = html.rfind(word)
    assert index > 0
    after = normalize(html[:index] + "REDLINE" + html[index + len(word):]).text
    assert after != before and "REDLINE" in after and last not in after.splitlines()


# --------------------------------------------------------------------------- clean_text
CHROME = [
    "Suggest to a friend", " Suggest to a friend", "Print", "\u00a0 Print", "[Print]", "[Print](#)",
    "[Print] [Close]", "[ Print ] [ Close ]", "【打印】【关闭】", "【打印】 【关闭窗口】", "打印本页", "分享到：",
    "分享到: 微信 微博", "Copyright©1998-2014, Ministry of Foreign Affairs, the People's Republic of China",
    "Copyright © www.fmprc.gov.cn", "中华人民共和国外交部\u3000版权所有", "版权所有：中国网信网",
    "Contact us Address: No. 2, Chaoyangmen Nandajie, Chaoyang District, Beijing, 100701",
    "Address: 2 Chaoyangmen Nandajie, Chaoyang District, Beijing, 100701", "Tel: 86-10-65961114",
    "电话：+86-10-65961114", "京ICP备06038296号\u3000京公网安备110105002097", "PC版", "手机版",
    "عربي Español Русский Français 中文", "English Français Español Русский عربي",
    "\u00a0\u00a0Home\u00a0>\u00a0China & UN\u00a0>\u00a0Highlights of the Security Council\u00a0>\u00a0Thematic Issues",
    "首页 > 外交动态 > 发言人表态", "当前位置：首页 > 国际交流",
    "Home Meetings & Statements Events & Activities China & UN 中文",
    " fmprc.gov.cn/mfa_eng/wjb_663304/zzjg_663340/jks_665232/kjfywj_665252/202012/t20201216_599781.html",
    "https://www.cac.gov.cn/2025-12/04/c_1766577618173846.htm", "Visitors: 48,213", "访问量：48213",
    "[字体：大 中 小]", "【责任编辑：张三】",
]
KEPT = [
    "Print media and broadcasters attended the briefing.", "Copyright protection is part of the agreement.",
    "Home Affairs officials of both countries met in Beijing.", "Tel Aviv and Jerusalem were discussed.",
    "The address by the Minister was well received.", "Contact between the two sides continued.",
    "China stands ready to work with ASEAN countries.", "English and Chinese texts are equally authentic.",
    "2020-12-16 22:36", "1.Cooperation on Cybersecurity", "Thank you, Madam President.",
]


@pytest.mark.parametrize("line", CHROME)
def test_clean_text_drops_each_kind_of_chrome_line(line: str) -> None:
    assert clean_text(f"Statement begins.\n{line}\nStatement ends.") == "Statement begins.\nStatement ends."


@pytest.mark.parametrize("line", KEPT)
def test_clean_text_keeps_article_lines_that_merely_resemble_chrome(line: str) -> None:
    assert clean_text(line) == line


def test_every_chrome_rule_is_exercised_by_a_case() -> None:
    for kind, rx in CHROME_LINES:
        assert any(rx.match(clean_text_line) for clean_text_line in
                   (" ".join(c.replace("\u00a0", " ").replace("\u3000", " ").split()) for c in CHROME)), kind


def test_a_long_paragraph_is_never_chrome_even_if_it_starts_like_chrome() -> None:
    para = "Copyright © issues, " + "and the protection of intellectual property rights, " * 8
    assert clean_text(para) == para.strip()


def test_clean_text_applies_nfkc() -> None:
    assert clean_text("ＡＳＥＡＮ－Ｃｈｉｎａ ﬁnal ①，（２０２０）") == "ASEAN-China final 1,(2020)"


def test_clean_text_drops_zero_width_characters() -> None:
    assert clean_text("cyber\u200bspace\u200c \u200dgover\u2060nance\ufeff") == "cyberspace governance"


def test_clean_text_drops_bidi_controls() -> None:
    assert clean_text("\u202bعربي\u202c text \u200eleft\u200f \u2067iso\u2069") == "عربي text left iso"


def test_clean_text_collapses_whitespace_strips_lines_and_drops_blank_lines() -> None:
    raw = "  First   paragraph\twith\u00a0spaces \r\n\r\n\n\u3000\u3000第二段。 \n \t \nThird\u2028Fourth"
    assert clean_text(raw) == "First paragraph with spaces\n第二段。\nThird\nFourth"


def test_clean_text_of_a_seed_capture_is_its_baseline() -> None:
    seed = (HERE.parent / "seeds" / "000_f3c8cea24e4c5715.txt").read_text(encoding="utf-8")
    lines = clean_text(seed).splitlines()
    assert lines[:2] == ["Co-Chairs' Statement on the 1st ASEAN-China Cyber Dialogue", "2020-12-16 22:36"]
    assert lines[-1] == "We agreed to hold the 2nd Cyber Dialogue in the year 2022."
    assert len(lines) == 10  # title, date and 8 paragraphs (one split in two by the capture)


# --------------------------------------------------------------------------- HTML structure
def test_one_paragraph_per_line_blocks_and_br_split_inline_elements_do_not() -> None:
    html = ("<html><body><div id='News_Body_Title'>Title <b>here</b></div><span id='News_Body_Time'>2024-01-02"
            "</span><div id='News_Body_Txt_A'><p>Hel<span>lo</span> <b>bold</b>\n  and <a href='#'>linked</a>"
            " words.</p><p>first<br>second<br/><br>third</p><ul><li>item one</li><li>item <i>two</i></li></ul>"
            "<div>block<div>nested</div>tail</div><table><tr><td>cell 1</td><td>cell 2</td></tr></table>"
            "<p>x<script>var a = 1;</script><style>p{}</style>y<!-- comment -->z</p></div></body></html>")
    assert normalize(html, profile="mfa_zh").text == (
        "Title here\n2024-01-02\nHello bold and linked words.\nfirst\nsecond\nthird\nitem one\nitem two\n"
        "block\nnested\ntail\ncell 1\ncell 2\nxyz")


def test_a_gbk_encoded_chinese_page_normalizes_like_its_utf8_original() -> None:
    page = FIXTURES / "cw_zh_presser_t1624087_2018-12-21_cyber.html"
    html = read(page).replace('charset="utf-8"', 'charset="gbk"').replace("charset=UTF-8", "charset=GBK")
    decoded = html.encode("gb18030").decode("gb18030")  # decoding is fetch's job: normalize takes str
    gbk = "<html><head><meta charset='gbk'><title>测试</title></head><body><div class='vibox'>" \
          "<div id='News_Body_Title'>外交部发言人答记者问</div><span id='News_Body_Time'>2018-12-21</span>" \
          "<div id='News_Body_Txt_A' class='content'><p>　　问：请问中方对此有何评论？</p>" \
          "<p>　　答：中方坚决反对。</p></div></div></body></html>"
    raw = gbk.encode("gbk")
    assert normalize(raw.decode("gbk")).text == ("外交部发言人答记者问\n2018-12-21\n问:请问中方对此有何评论?\n"
                                                 "答:中方坚决反对。")
    assert normalize(decoded).text == normalize(read(page)).text


# --------------------------------------------------------------------------- generic fallback
def _page(main: str) -> str:
    nav = "".join(f"<li><a href='/s{i}'>Section number {i}</a></li>" for i in range(30))
    side = "".join(f"<li><a href='/n{i}'>Another related news item headline {i}</a></li>" for i in range(15))
    return (f"<html><head><title>Site</title></head><body><div id='top'><a href='/'>Logo</a>"
            f"<span>Updated 2026-11-22 10:00</span></div><ul class='menu'>{nav}</ul>"
            f"<div class='wrap'><div class='left'>{main}</div><div class='sidebar'><ul>{side}</ul></div></div>"
            f"<div class='footer'>Copyright © 2026 Example Ministry. Visitors: 4821</div></body></html>")


PARAS = [f"Paragraph {i}: the parties reaffirmed, in strong terms, their commitment to an open, secure, stable, "
         f"accessible and peaceful ICT environment, item {i}." for i in range(9)]


def test_generic_fallback_returns_the_main_text_of_a_page_of_no_known_template() -> None:
    main = "<h1>Joint Statement on <span>Cyber</span>space</h1>" + "".join(f"<p>{p}</p>" for p in PARAS)
    result = normalize(_page(main))
    assert result.profile == "generic"
    assert result.text == "\n".join(["Joint Statement on Cyberspace"] + PARAS)


def test_generic_fallback_widens_a_fragment_to_the_whole_article() -> None:
    # the paragraphs sit in three sibling sections: the best-scoring one alone is a third of the article
    sections = "".join("<div class='sec'><div class='inner'>" + "".join(f"<p>{p}</p>" for p in PARAS[i:i + 3])
                       + "</div></div>" for i in (0, 3, 6))
    result = normalize(_page(f"<div class='article'><h1>Joint Statement</h1>{sections}</div>"))
    assert result.text == "\n".join(["Joint Statement"] + PARAS)
    for chrome in ("Section number", "related news", "Copyright", "Visitors", "Updated"):
        assert chrome not in result.text


def test_generic_fallback_never_returns_a_tiny_fragment_of_prose() -> None:
    short = "".join(f"<div class='item'><span>{p}</span></div>" for p in PARAS)
    page = _page(f"<div class='x'><p>{PARAS[0]}</p></div>{short}")
    result = normalize(page)
    assert all(p in result.text for p in PARAS)


@pytest.mark.parametrize("container", ["<div class='content'>", "<div class='TRS_Editor'>", "<div id='content'>"])
def test_a_lone_template_class_on_an_unknown_site_is_not_taken_for_a_known_template(container: str) -> None:
    html = f"<html><body>{container}" + "".join(f"<p>{p}</p>" for p in PARAS) + "</div></body></html>"
    assert detect_profile(html, "https://example.org/a.html") == "generic"
    assert normalize(html).text == "\n".join(PARAS)


def test_an_xhtml_page_prints_no_xml_parsed_as_html_warning() -> None:
    # In a fresh interpreter with Python's default warning filters, as a run has them.
    import subprocess
    import sys
    page = ('<?xml version="1.0" encoding="utf-8"?>\n<x:html xmlns:x="http://www.w3.org/1999/xhtml">'
            "<x:body><x:p>Statement text of the page, long enough to count as prose.</x:p></x:body></x:html>")
    code = ("import sys; from redline.text.normalize import normalize; "
            "print(normalize(sys.stdin.read()).text)")
    done = subprocess.run([sys.executable, "-c", code], input=page, capture_output=True, text=True, check=True)
    assert "Statement text of the page" in done.stdout
    assert done.stderr == ""


def _nested(levels: int, tag: str = "div", attrs: str = "") -> str:
    return ("<html><body>" + "".join(f"<{tag}{attrs}>level {i} text, and more" for i in range(levels))
            + f"</{tag}>" * levels + "</body></html>")


@pytest.mark.parametrize("tag, attrs", [("div", ""), ("blockquote", ""), ("div", " class='nav'")],
                         ids=["divs", "quotes", "chrome divs"])
def test_normalizing_deeply_nested_text_is_linear_in_the_page(tag: str, attrs: str) -> None:
    # Quadratic before: 1,000 levels 0.9 s, 2,000 levels 3.4 s, 5,000 levels 61 s (each string walked its parents).
    import time

    def seconds(levels: int) -> float:
        page = _nested(levels, tag, attrs)
        best = float("inf")
        for _ in range(4):  # the best of four, in CPU time: other processes on a loaded machine do not count
            start = time.process_time()
            text = normalize(page).text
            best = min(best, time.process_time() - start)
        assert f"level {levels - 1} text" in text or attrs  # every level's text is read (chrome is dropped)
        return best

    small, large = seconds(1_000), seconds(4_000)
    assert large < 10 * small + 0.5, (small, large)  # 4x the page: ~4x the time (quadratic: 16x, seconds)
