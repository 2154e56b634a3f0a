"""replay: the seed statements rebuilt in their sites' templates normalize back to their baselines."""
from __future__ import annotations

from pathlib import Path

import pytest

import redline
from redline.text.normalize import clean_text, detect_profile, normalize
from redline.demo.pages import SEED_TEMPLATES, TEMPLATES, seed_page, split_seed, template_for_url

SEEDS_DIR = Path(__file__).resolve().parents[2] / "seeds"
SEEDS = {p.name[:3]: p.read_text(encoding="utf-8") for p in sorted(SEEDS_DIR.glob("00[0-4]_*.txt"))}
URLS = {
    "000": "https://www.fmprc.gov.cn/mfa_eng/wjb_663304/zzjg_663340/jks_665232/kjfywj_665252/202012/"
           "t20201216_599781.html",
    "001": "https://www.fmprc.gov.cn/mfa_eng/wjbxw/t1380539.shtml",
    "002": "http://un.china-mission.gov.cn/eng/chinaandun/securitycouncil/thematicissues/other_thematicissues/"
           "202106/t20210629_9127432.htm",
    "003": "http://www.china-un.ch/eng/hom/t1444602.htm",
    "004": "https://www.cac.gov.cn/2025-12/04/c_1766577618173846.htm",
}
ALL = [(seed, template) for seed in sorted(SEEDS) for template in TEMPLATES]
CHROME = {"header_note": "Updated 2026-11-22 10:00", "visitor_count": 48213}


def test_the_five_seeds_and_their_templates_are_known() -> None:
    assert sorted(SEEDS) == ["000", "001", "002", "003", "004"]
    assert SEED_TEMPLATES == {"000": "mfa_en_2024", "001": "mfa_en_legacy", "002": "un_mission",
                              "003": "un_mission", "004": "cac"}
    assert set(TEMPLATES) == {"mfa_en_legacy", "mfa_en_2024", "mfa_zh", "un_mission", "cac"}


@pytest.mark.parametrize("seed", sorted(SEED_TEMPLATES))
def test_seed_page_in_its_own_template_normalizes_to_the_seed_baseline(seed: str) -> None:
    page = seed_page(SEEDS[seed], template=SEED_TEMPLATES[seed])
    result = normalize(page.decode("utf-8"), url=URLS[seed])
    assert result.profile == SEED_TEMPLATES[seed]
    assert result.text == clean_text(SEEDS[seed])


@pytest.mark.parametrize(("seed", "template"), ALL)
def test_seed_page_in_any_template_normalizes_to_the_seed_baseline(seed: str, template: str) -> None:
    page = seed_page(SEEDS[seed], template=template).decode("utf-8")
    assert normalize(page).text == clean_text(SEEDS[seed])
    assert detect_profile(page) == template


@pytest.mark.parametrize(("seed", "template"), ALL)
def test_header_note_and_visitor_counter_change_the_page_but_not_the_text(seed: str, template: str) -> None:
    plain = seed_page(SEEDS[seed], template=template)
    chrome = seed_page(SEEDS[seed], template=template, **CHROME)
    assert plain != chrome
    page = chrome.decode("utf-8")
    assert "Updated 2026-11-22 10:00" in page and ("48,213" in page)
    assert normalize(page).text == normalize(plain.decode("utf-8")).text == clean_text(SEEDS[seed])


@pytest.mark.parametrize("seed", sorted(SEED_TEMPLATES))
def test_markup_outweighs_the_url_when_detecting_a_replayed_page(seed: str) -> None:
    page = seed_page(SEEDS[seed], template=SEED_TEMPLATES[seed]).decode("utf-8")
    assert detect_profile(page, URLS[seed]) == SEED_TEMPLATES[seed]


@pytest.mark.parametrize(("seed", "title", "date", "first", "last"), [
    ("000", "Co-Chairs' Statement on the 1st ASEAN-China Cyber Dialogue", "2020-12-16 22:36",
     "The Inaugural ASEAN-China Cyber Dialogue", "We agreed to hold the 2nd Cyber Dialogue in the year 2022."),
    ("001", "China-UN International Workshop on Cyber Security Held in Beijing", "2016/07/11",
     "On July 11, 2016", "providing support for UN Group of Governmental Experts"),
    ("002", "Remarks by Amb. Zhang Jun at Security Council Open Debate on Cyber Security", "2021-06-29 11:08",
     "Thank you, Madam President,", "Thank you, Madam President."),
    ("003", "Statement by Ambassador Fu Cong in CD on International Strategy of Cooperation on Cyberspace", "",
     "Mr. President,", "Thank you, Mr. President."),
    ("004", "", "", "In September 2025, Chinese President Xi Jinping", "3.3 On the basis of the Global"),
])
def test_split_seed_finds_title_date_and_body_as_the_seed_has_them(seed: str, title: str, date: str, first: str,
                                                                    last: str) -> None:
    parts = split_seed(SEEDS[seed])
    assert (parts.title, parts.date) == (title, date)
    assert parts.body[0].startswith(first) and last in parts.body[-1]
    assert "\n".join(filter(None, (parts.title, parts.date, *parts.body))) == clean_text(SEEDS[seed])


def test_an_explicit_title_fills_the_title_slot() -> None:
    title = "China–ASEAN Proposal on Digital Governance Cooperation"
    page = seed_page(SEEDS["004"], template="cac", title=title).decode("utf-8")
    result = normalize(page)
    assert result.title == title and result.text == title + "\n" + clean_text(SEEDS["004"])
    assert f"<title>{title}_中国网信网</title>" in page


def test_empty_slots_stay_empty_when_the_seed_has_no_title_or_date() -> None:
    page = seed_page(SEEDS["004"], template="mfa_en_2024").decode("utf-8")
    assert '<div class="news_header_title"></div>' in page and '<span class="xltime"></span>' in page
    assert normalize(page).title == "" and normalize(page).date == ""


@pytest.mark.parametrize(("template", "chrome"), [
    ("mfa_en_legacy", ["Suggest to a friend", "Copyright©1998-2014", "Русский", 'class="urhere"', "<script"]),
    ("mfa_en_2024", ["Copyright&copy;", "Русский", 'class="breadcrumbs"', "<nav>", "<footer>", "<script"]),
    ("mfa_zh", ["版权所有", "打印本页", "分享到", 'class="menu"', "<script"]),
    ("un_mission", ["Suggest to a friend", "Meetings &amp; Statements", "Print", "中文", "<script"]),
    ("cac", ["PC版", "分享到", "【打印】", "版权所有", 'id="bread"']),
])
def test_pages_keep_their_sites_real_chrome_around_the_article(template: str, chrome: list[str]) -> None:
    page = seed_page(SEEDS["002"], template=template).decode("utf-8")
    for piece in chrome:
        assert piece in page
    assert "{{" not in page and "}}" not in page


@pytest.mark.parametrize("template", TEMPLATES)
def test_pages_are_utf8_and_declare_it(template: str) -> None:
    body = seed_page("标题\n2024-01-02\n正文第一段。\nÉtat, «citation».", template=template)
    assert b"<meta charset=\"utf-8\"" in body or b"<meta charset=utf-8" in body
    assert "正文第一段。".encode("utf-8") in body


def test_seed_text_is_escaped_into_the_page_not_interpreted() -> None:
    seed = "Title with <b>tags</b> & ampersands\n2024-01-02\nA <script>alert(1)</script> paragraph & more."
    page = seed_page(seed, template="mfa_zh").decode("utf-8")
    assert "<script>alert(1)</script>" not in page
    assert normalize(page).text == clean_text(seed)


def test_templates_are_package_data_not_test_files() -> None:
    from redline.demo.listing_pages import LISTING_TEMPLATES, PAGES

    folder = Path(redline.__file__).parent / "demo" / "templates"
    assert sorted(p.stem for p in folder.glob("*.html")) == sorted((*TEMPLATES, *LISTING_TEMPLATES, *PAGES))


def test_template_auto_chooses_by_url_and_unknown_templates_are_refused() -> None:
    assert template_for_url(URLS["004"]) == "cac"
    assert seed_page(SEEDS["004"], template="auto", url=URLS["004"]) == seed_page(SEEDS["004"], template="cac")
    with pytest.raises(ValueError, match="unknown replay template 'generic'"):
        seed_page(SEEDS["004"], template="generic")
    with pytest.raises(ValueError, match="no replay template"):
        template_for_url("https://example.org/a.html")
