"""Listing pages -> items (title, URL, date) and pagination: pure.

No network, disk or Prefect here: ``discovery`` fetches the pages and decides
what to do with each item; this module only reads HTML and URLs.

Listing profiles are data, like ``profiles.PROFILES`` for article pages: the
selectors of a site's listing template (``LISTING_PROFILES``, name -> profile).
A page is read by the first profile whose markers and item selectors match it,
else by the generic fallback, which keeps every link that carries a date (in
the link's URL, like ``/202510/t20251017_11735636.html``, or next to the link,
like ``<li><a ...>Title</a>(2020-07-03)</li>``).

URL keys and document ids: redline.core.urls; dates and titles: redline.core.textutil.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from redline.core.textutil import find_date, tidy, url_date
from redline.core.urls import doc_id, key_of_normalized, normalize_url, url_key

if TYPE_CHECKING:
    from bs4 import BeautifulSoup, Tag

__all__ = ["ListingItem", "Pagination", "ListingPage", "ListingProfile", "LISTING_PROFILES", "parse_listing",
           "detect_listing_profile", "page_urls", "parse_pagination"]

# --------------------------------------------------------------------------- listing profiles
@dataclass(frozen=True)
class ListingProfile:
    """Where a listing template keeps its items (CSS selectors, tried in order).

    ``markers``: the template is recognised when one of them matches; ``items``: the first
    selector that matches gives one element per item (its first link with text is the item);
    ``date``: selectors inside an item for its date (else a date written in the item's text,
    then in the title, then in the URL); ``stem``/``extension``: how further pages are named
    when the page does not say (``index_1.html``, ``default_1.shtml``)."""

    name: str
    description: str
    markers: tuple[str, ...]
    items: tuple[str, ...]
    date: tuple[str, ...] = ()
    stem: str = "index"
    extension: str = "html"


LISTING_PROFILES: dict[str, ListingProfile] = {
    "mfa_en_legacy_list": ListingProfile(
        name="mfa_en_legacy_list",
        description="MFA English listings before 2021 (/mfa_eng/): div.newsLst_mod li, the date in the title, "
                    "pages default.shtml, default_1.shtml, ...",
        markers=("div.newsLst_mod",),
        items=("div.newsLst_mod li",),
        stem="default", extension="shtml",
    ),
    "mfa_zh_list": ListingProfile(
        name="mfa_zh_list",
        description="MFA Chinese listings: div.rebox_news li, \"(2020-07-03)\" after the link, "
                    "pages default.shtml / index.shtml with _1, _2, ...",
        markers=("div.rebox_news",),
        items=("div.rebox_news li",),
        stem="default", extension="shtml",
    ),
    "mfa_en_2024_list": ListingProfile(
        name="mfa_en_2024_list",
        description="MFA English listings from 2024 on (/eng/): div.news_list items (div.news_item or a div "
                    "holding the link and a date div), also list_box / data_list_module / activities_list; "
                    "pages index.html, index_1.html, ...",
        markers=("div.news_list", "div.list_box", "div.data_list_module", "div.activities_list"),
        items=("div.news_list .news_item", "div.news_list li", "div.news_list > div", "div.list_box li",
               "div.list_box > div", "div.data_list_module > div", "div.activities_list > div"),
        date=(".news_item_time", ".time", ".date", "span", "div"),
    ),
}


@dataclass(frozen=True)
class ListingItem:
    title: str
    url: str          # absolute, as normalize_url gives it
    date: str = ""    # "YYYY-MM-DD", "YYYY-MM" or ""


@dataclass(frozen=True)
class Pagination:
    count: int | None  # pages the listing has, as the page says (None: not said)
    current: int       # this page's number, from 0
    stem: str          # "index" | "default"
    extension: str     # "html" | "shtml" | "htm"


@dataclass(frozen=True)
class ListingPage:
    items: tuple[ListingItem, ...]
    profile: str       # a LISTING_PROFILES name or "generic"
    pagination: Pagination


def _parse(html: str) -> BeautifulSoup:
    # imported here: the archive and the monitor import this module for its URL keys only,
    # and bs4 with its CSS engine takes ~80 ms to import
    from bs4 import BeautifulSoup

    return BeautifulSoup(html, "lxml")


def _profile_items(soup: BeautifulSoup, profile: ListingProfile) -> list[Tag]:
    if not any(soup.select_one(m) is not None for m in profile.markers):
        return []
    for sel in profile.items:
        found = [el for el in soup.select(sel) if el.find("a", href=True) is not None]
        if found:
            return found
    return []


def detect_listing_profile(html: str) -> str:
    """The LISTING_PROFILES name whose template the page has, else "generic"."""
    soup = _parse(html)
    return next((name for name, p in LISTING_PROFILES.items() if _profile_items(soup, p)), "generic")


def _link_title(a: Tag) -> str:
    text = tidy(a.get_text(" "))
    full = tidy(str(a.get("title") or ""))
    # listings often cut long titles ("...") and keep the whole one in the title attribute
    return full if len(full) > len(text) else text


def _inside(node: object, ancestor: Tag) -> bool:
    return any(p is ancestor for p in node.parents)  # identity: bs4's == compares markup


def _outside_link_text(el: Tag, a: Tag) -> str:
    return tidy(" ".join(s for s in el.find_all(string=True) if not _inside(s, a)))


def _item_from(el: Tag, base: str, profile: ListingProfile | None) -> ListingItem | None:
    a = next((x for x in el.find_all("a", href=True) if _link_title(x)), None)
    if a is None:
        return None
    url = normalize_url(str(a["href"]), base)
    title = _link_title(a)
    if url is None or not title:
        return None
    when = ""
    for sel in profile.date if profile else ():
        for d in el.select(sel):
            if d is a or _inside(d, a) or _inside(a, d):
                continue
            when = find_date(d.get_text(" "))
            if when:
                break
        if when:
            break
    when = when or find_date(_outside_link_text(el, a)) or find_date(title) or url_date(url)
    return ListingItem(title=title, url=url, date=when)


_ITEM_BLOCKS = ("li", "tr", "dd", "dt", "p")
_MIN_TITLE = 4


def _generic_items(soup: BeautifulSoup, base: str) -> list[ListingItem]:
    """Every link that carries a date in its URL or next to it, in page order."""
    items = []
    for a in soup.find_all("a", href=True):
        title = _link_title(a)
        if len(title) < _MIN_TITLE:
            continue
        url = normalize_url(str(a["href"]), base)
        if url is None:
            continue
        when = url_date(url)
        if len(when) < 10:  # a month from the path is no evidence alone; look next to the link
            block = a.find_parent(_ITEM_BLOCKS)
            near = find_date(_outside_link_text(block, a)) if block is not None else ""
            # a document link (t1794629.shtml) may carry its date only in its title
            when = near or ((when or find_date(title)) if doc_id(url) else "")
        if when:
            items.append(ListingItem(title=title, url=url, date=when))
    return items


# --------------------------------------------------------------------------- pagination
_CREATE_PAGE = re.compile(r"createPageHTML\(\s*['\"]?(\d+)['\"]?\s*,\s*['\"]?(\d+)['\"]?\s*,\s*['\"](\w+)['\"]\s*,"
                          r"\s*['\"](\w+)['\"]")
_COUNT_PAGE = re.compile(r"\bcountPage\s*=\s*['\"]?(\d+)")
_CURRENT_PAGE = re.compile(r"\bcurrentPage\s*=\s*['\"]?(\d+)")
# "default_3.shtml", and the pieces a script glues together: "default"+"_" + i + "."+"shtml"
_PAGE_SCRIPT = re.compile(r"\b(index|default)[\"'\s+]*_[\"'\s+]*(?:\d+|[A-Za-z(][^\"'<>]{0,30}?)[\"'\s+]*\."
                          r"[\"'\s+]*(s?html?)\b")
_PAGE_LINK = re.compile(r"\b(index|default)_(\d+)\.(s?html?)\b")
_PAGE_FILE = re.compile(r"/(index|default)(?:_(\d+))?\.(s?html?)$", re.I)
MAX_PAGES = 1000  # a page that claims more is taken to have this many


def parse_pagination(html: str, url: str, profile: ListingProfile | None = None) -> Pagination:
    """How many pages the listing has and how they are named, from the page's script
    (``createPageHTML(count, current, "index", "html")``, ``var countPage = 13``), its links
    (``index_1.html``) or its URL (``default_2.shtml``); the profile's naming otherwise."""
    count: int | None = None
    current: int | None = None
    stem = ext = None
    if m := _CREATE_PAGE.search(html):
        count, current, stem, ext = int(m.group(1)), int(m.group(2)), m.group(3), m.group(4)
    if count is None and (m := _COUNT_PAGE.search(html)):
        count = int(m.group(1))
    if current is None and (m := _CURRENT_PAGE.search(html)):
        current = int(m.group(1))
    if m := _PAGE_FILE.search(urlsplit(url).path):
        stem, ext = stem or m.group(1).lower(), ext or m.group(3).lower()
        if current is None:
            current = int(m.group(2) or 0)
    if stem is None and (m := _PAGE_SCRIPT.search(html)):
        stem, ext = m.group(1), m.group(2)
    if count is None:
        numbers = [int(m.group(2)) for m in _PAGE_LINK.finditer(html)]
        if numbers:
            count = max(numbers) + 1
    if stem is None:
        stem, ext = (profile.stem, profile.extension) if profile else ("index", "html")
    if count is not None:
        count = max(1, min(count, MAX_PAGES))
    return Pagination(count=count, current=current or 0, stem=stem, extension=ext or "html")


def page_urls(url: str, pagination: Pagination, depth: int) -> list[str]:
    """The listing's first ``depth`` pages, this one first: ``.../`` (or ``index.html``),
    ``.../index_1.html``, ``.../index_2.html``, ... up to the page count."""
    folder = url[: url.rfind("/") + 1] if "/" in urlsplit(url).path else url.rstrip("/") + "/"
    first = url if pagination.current == 0 else folder + f"{pagination.stem}.{pagination.extension}"
    pages = [first]
    total = min(pagination.count or 1, max(depth, 1))
    pages += [folder + f"{pagination.stem}_{i}.{pagination.extension}" for i in range(1, total)]
    return pages


# --------------------------------------------------------------------------- the page
def parse_listing(html: str, url: str, *, profile: str = "auto") -> ListingPage:
    """A listing page -> its items (each link once, in page order) and its pagination.

    ``profile`` is a LISTING_PROFILES name, "generic" or "auto" (by the page's markup)."""
    soup = _parse(html)
    chosen: ListingProfile | None = None
    elements: list[Tag] = []
    if profile not in ("auto", "generic"):
        if profile not in LISTING_PROFILES:
            raise ValueError(f"unknown listing profile {profile!r}; known: auto, generic, "
                             f"{', '.join(LISTING_PROFILES)}")
        chosen = LISTING_PROFILES[profile]
        elements = _profile_items(soup, chosen)
    elif profile == "auto":
        for candidate in LISTING_PROFILES.values():
            elements = _profile_items(soup, candidate)
            if elements:
                chosen = candidate
                break
    if chosen is not None and elements:
        found = [item for el in elements if (item := _item_from(el, url, chosen)) is not None]
        name = chosen.name
    else:
        found, name, chosen = _generic_items(soup, url), "generic", None
    own = url_key(url)
    seen: set[str] = set()
    items = []
    for item in found:
        key = key_of_normalized(item.url)
        if key != own and key not in seen:
            seen.add(key)
            items.append(item)
    return ListingPage(items=tuple(items), profile=name, pagination=parse_pagination(html, url, chosen))
