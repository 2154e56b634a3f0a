"""Site profiles: where a site's template keeps the title, date and body, and how to recognise it.

A profile is data, not code: CSS selectors (soupsieve syntax) tried in order, plus
the hosts and markup that identify the template. ``normalize`` reads them through
the ``PROFILES`` registry (name -> Profile); adding a site means adding an entry.

Selector conventions:
- ``title``/``subtitle``/``date``: the first selector whose element has text wins;
  ``"meta:Name"`` reads ``<meta name="Name" content="...">`` instead of an element.
- ``body``: the first selector that matches anything gives the body; every match
  that is not inside another match is kept, in page order.
- ``drop``: elements removed from the title, date and body before their text is read.
- ``markers``: selectors typical of the template; detection counts how many match
  (a page of another host needs two of them, besides its body, to be taken for this template).
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Profile:
    name: str
    description: str
    hosts: tuple[str, ...] = ()      # host names or parent domains ("fmprc.gov.cn" covers www.fmprc.gov.cn)
    paths: tuple[str, ...] = ()      # regexes on the URL path that point to this template
    markers: tuple[str, ...] = ()    # selectors typical of the template (detection score)
    title: tuple[str, ...] = ()
    subtitle: tuple[str, ...] = ()
    date: tuple[str, ...] = ()
    body: tuple[str, ...] = ()
    drop: tuple[str, ...] = ()


# Chrome that may sit inside an article container on any of these sites.
_COMMON_DROP = (
    "[style*='display:none']", "[style*='display: none']",
    ".print_img", ".share", ".jiathis_style", "#appendix_list", "#relnews_list",
    "#Appendix_article", "#id_RelNewsList",
)

PROFILES: dict[str, Profile] = {
    "mfa_en_legacy": Profile(
        name="mfa_en_legacy",
        description="MFA English site before 2021 (/mfa_eng/): h2.title, div#News_Body_Time, div.content",
        hosts=("fmprc.gov.cn", "mfa.gov.cn"),
        paths=(r"^/mfa_eng/", r"^/eng/(?:wjdt|xwfw|zxxx|wjb|gjhdq|ziliao)[_/]"),
        markers=("h2.title", "div#News_Body_Time", "div.content_mod", "div.urhere"),
        title=("div.content_mod h2.title", "h2.title"),
        subtitle=("#News_Body_subitle",),
        date=("div#News_Body_Time", "#News_Body_Time"),
        body=("div.content_mod div.content",),
        drop=_COMMON_DROP,
    ),
    "mfa_zh": Profile(
        name="mfa_zh",
        description="MFA Chinese site: div#News_Body_Title, span#News_Body_Time, div#News_Body_Txt_A",
        hosts=("fmprc.gov.cn", "mfa.gov.cn"),
        paths=(r"^/web/", r"^/chn/", r"^/ce/"),
        markers=("div#News_Body_Title", "span#News_Body_Time", "div.vibox", "div#News_Body_Txt_A.content"),
        title=("#News_Body_Title",),
        subtitle=("#News_Body_subitle",),
        date=("span#News_Body_Time", "#News_Body_Time"),
        body=("div#News_Body_Txt_A", "#News_Body_Txt_A"),
        drop=_COMMON_DROP,
    ),
    "mfa_en_2024": Profile(
        name="mfa_en_2024",
        description="MFA English site from 2024 on (/eng/): div.news_header_title, span.xltime, "
                    "div.news_content div.TRS_UEDITOR, meta ArticleTitle/PubDate",
        hosts=("fmprc.gov.cn", "mfa.gov.cn"),
        paths=(r"^/eng/(?:xw|zy|wjb|zwjg|gjhdq)/",),
        markers=("div.news_header_title", "span.xltime", "div.news_content", "meta[name=ArticleTitle]"),
        title=("div.news_header_title", "meta:ArticleTitle"),
        subtitle=("div.news_sub_title", ".news_header .news_sub_title"),
        date=("span.xltime", "meta:PubDate"),
        body=("div.news_content div.TRS_UEDITOR", "div.news_content div.TRS_Editor",
              "div.news_content div.content_text", "div.news_content"),
        drop=_COMMON_DROP,
    ),
    "un_mission": Profile(
        name="un_mission",
        description="Chinese missions to the UN (china-mission.gov.cn, china-un.ch, china-un.org): "
                    "TRS pages, bodies in TRS_Editor / TRS_UEDITOR divs",
        hosts=("china-mission.gov.cn", "china-un.ch", "china-un.org", "chinaun.org"),
        markers=("meta[name=SiteName][content*=Mission]", "div.news-detail", "div#News_Body_Time",
                 "div.TRS_Editor"),
        title=("#News_Body_Title", "div.news-detail h1", "h1.news-title", "meta:ArticleTitle"),
        subtitle=("#News_Body_subitle",),
        date=("#News_Body_Time", "div.news-time", "meta:PubDate"),
        body=("#News_Body_Txt_A", "div.TRS_Editor", "div.TRS_UEDITOR", "div.news-content"),
        drop=_COMMON_DROP,
    ),
    "cac": Profile(
        name="cac",
        description="Cyberspace Administration of China (cac.gov.cn) articles: h1#title, span#pubtime, "
                    "div#content (div.main-content)",
        hosts=("cac.gov.cn",),
        paths=(r"^/\d{4}-\d{2}/\d{2}/c_\d+\.htm",),
        markers=("#pubtime", "#bread", "h1#title", "meta[name=SiteName][content*=网信]"),
        title=("h1#title", "#title", "meta:ArticleTitle"),
        subtitle=("#subtitle",),
        date=("#pubtime", "meta:PubDate"),
        body=("#BodyLabel", "div#content", "div.main-content", "div.TRS_Editor"),
        drop=_COMMON_DROP + ("#editor", ".editor"),
    ),
    "generic": Profile(
        name="generic",
        description="fallback for pages of no known template: the main text block by a readability-style "
                    "score, widened until it holds most of the page's prose",
    ),
}
