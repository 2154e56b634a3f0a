"""The normalizer's rules that need no HTML tree: line rules, page-chrome lines, the tag vocabulary, and
the choices made from counts (which profile fits, which block is the article, which page is a placeholder).

``text.normalize`` (lxml) uses them, and so does its BeautifulSoup predecessor, bench/normalize_bs4.py
(kept for bench/bench_normalize.py's old-vs-new timing only). Pure: no I/O.
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Hashable, Iterable
from typing import TypeVar
from urllib.parse import urlsplit

from redline.core.textutil import INVISIBLE
from redline.text.profiles import PROFILES

__all__ = ["CHROME_LINES", "clean_text", "tidy", "collapse", "SKIP", "BLOCK", "CHROME_ATTR", "CHROME_TAGS",
           "PARA_TAGS", "CONTAINED", "keeps_chrome", "choose_profile", "placeholder_message", "best_block"]

# --------------------------------------------------------------------------- text rules
_SPACES = re.compile(r"\s+")
_LANGUAGES = frozenset("""عربي العربية español русский français 中文 简体中文 繁體中文 繁体中文 english deutsch
    日本語 한국어 português italiano en cn zh fr es ru ar de pyc""".split())
_SHORT = r"(?=.{0,200}$)"  # chrome lines are short: never drop a long paragraph that merely starts alike

# (kind, regex): a line (after NFKC and whitespace rules) that fully matches is page chrome.
CHROME_LINES: tuple[tuple[str, re.Pattern[str]], ...] = tuple((kind, re.compile(rx, re.I)) for kind, rx in (
    ("suggest", r"^suggest (?:this )?to a friend\b.{0,40}$"),
    ("print/close", r"^(?:[\[【(]?\s*(?:print(?: this page)?|close(?: window)?|打印(?:本页)?|关闭(?:窗口)?)\s*[\]】)]?"
                    r"(?:\((?:#|javascript:[^)]*)\))?[\s|/]*)+$"),
    ("share", _SHORT + r"^(?:分享到|share(?: to| this)?\s*:).*$"),
    ("font size", r"^[\[【]?\s*字体\s*[:：].{0,20}$"),
    ("copyright", _SHORT + r"^(?:copyright\s*(?:©|\(c\)|\d{4})|©|.*版权所有|.*all rights reserved\.?$).*$"),
    ("contact", _SHORT + r"^(?:contact us\b|联系我们\s|address\s*:|地址\s*:).*$"),
    ("telephone", _SHORT + r"^(?:tel|fax|phone|电话|传真|邮编)\s*[:.：].*$"),
    ("licence", _SHORT + r"^.*(?:icp备|公网安备|网站标识码).*$"),
    ("mobile switch", r"^(?:pc版|手机版|移动版|电脑版|返回顶部|back to top)$"),
    ("breadcrumb", _SHORT + r"^(?:(?:当前位置|您的位置|您现在的位置|location|you are here)\s*:\s*)?(?:home|首页)\s*"
                   r"(?:>|»|›|→).*$"),
    ("nav", _SHORT + r"^(?:home|首页)(?: [^.,;:!?。，；]+)? (?:" + "|".join(sorted(_LANGUAGES, key=len)[::-1])
            + r")$"),
    ("visitor counter", r"^(?:visitors?|visits|page views|hits|访问量|访问次数|浏览次数|点击数|阅读量)\s*[:：]?\s*[\d,]+$"),
    ("editor", r"^[\[【]\s*(?:责任编辑|编辑)\s*[:：].{0,30}[\]】]$"),
    ("bare url", r"^(?:https?://)?(?:[\w-]+\.)+[a-z]{2,}(?::\d+)?/\S*$|^(?:https?://|www\.)\S+$"),
))


def _is_language_bar(line: str) -> bool:
    words = line.casefold().split(" ")
    return len(words) >= 2 and all(w in _LANGUAGES for w in words)


def _is_chrome(line: str) -> bool:
    return _is_language_bar(line) or any(rx.match(line) for _, rx in CHROME_LINES)


def tidy(text: str) -> list[str]:
    """NFKC, invisible characters out, one stripped, collapsed line per input line, blanks dropped."""
    text = INVISIBLE.sub("", unicodedata.normalize("NFKC", text))
    lines = (_SPACES.sub(" ", line).strip() for line in text.splitlines())
    return [line for line in lines if line]


def collapse(parts: list[str]) -> str:
    """Strings read in a row as one raw line: whitespace runs collapsed, stripped (nothing else)."""
    return _SPACES.sub(" ", "".join(parts)).strip()


def clean_text(text: str) -> str:
    """Plain text -> normalized text: the line rules above, and chrome lines dropped."""
    return "\n".join(line for line in tidy(text) if not _is_chrome(line))


# --------------------------------------------------------------------------- tag vocabulary
SKIP = frozenset("""script style noscript template iframe object embed svg canvas head title meta link
    input select option textarea button map area audio video source track""".split())
BLOCK = frozenset("""address article aside blockquote body caption center dd details dialog dir div dl dt
    fieldset figcaption figure footer form h1 h2 h3 h4 h5 h6 header hgroup hr html li main menu nav ol p
    pre section summary table tbody td tfoot th thead tr ul""".split())
# Strings inside these elements are not page text to get_text() (bs4's Script, Stylesheet, TemplateString,
# RubyTextString, RubyParenthesisString): they count no commas and make no page "have text".
CONTAINED = frozenset(("script", "style", "template", "rt", "rp"))

# --------------------------------------------------------------------------- generic fallback
CHROME_ATTR = re.compile(r"(?:^|[\s_-])(?:nav|navbar|menu|header|footer|foot|breadcrumbs?|crumbs?|urhere|"
                         r"position|lang|language|share|jiathis|copyright|search|sidebar|side|links?|related|"
                         r"relnews|print|tools?|toolbar|top|bottom|banner|ads?|comment|counter)(?:$|[\s_-])", re.I)
CHROME_TAGS = ("nav", "header", "footer", "aside", "form")
PARA_TAGS = ("p", "td", "pre", "blockquote", "li", "dd", "h2", "h3", "h4")
T = TypeVar("T", bound=Hashable)  # an element, or its key
_WIDEN_SHARE = 0.6  # the chosen block must hold at least this share of the page's prose
_CHROME_KEEP_SHARE = 0.3  # a chrome-looking part holding this share of the page's prose stays


def keeps_chrome(part_prose: int, page_prose: int) -> bool:
    """A chrome-looking part that holds this much of the page's prose is kept."""
    return part_prose >= _CHROME_KEEP_SHARE * max(page_prose, 1)


def best_block(root: T, paras: Iterable[tuple[T, T | None, T | None]], prose: dict[T, int],
                            total: dict[T, int], commas: dict[T, int], parent: Callable[[T], T | None]) -> T:
    """The article block of a page of no known template: each paragraph (para, its parent, grandparent)
    of 25+ characters of prose scores its parent fully and grandparent half (more for commas and length);
    the best block, links penalized, is widened until it holds most of the page's prose."""
    scores: dict[T, float] = {}
    for para, up, upper in paras:
        n = prose.get(para, 0)
        if n < 25:
            continue
        score = 1 + commas.get(para, 0) + min(n // 100, 3)
        for block, share in ((up, 1.0), (upper, 0.5)):
            if block is not None:
                scores[block] = scores.get(block, 0.0) + score * share
    if not scores:
        return root

    def final(key: T) -> float:
        return scores[key] * prose.get(key, 0) / max(total.get(key, 1), 1)  # penalize link-heavy blocks

    best = max(scores, key=final)
    page = prose.get(root, 0)
    while best != root and prose.get(best, 0) < _WIDEN_SHARE * page and (up := parent(best)) is not None:
        best = up
    return best


# --------------------------------------------------------------------------- detection, placeholder
_PLACEHOLDER_TITLE = re.compile(r"^\s*(?:系统维护|页面不存在|404\b|page not found)", re.I)
_PLACEHOLDER_TEXT = re.compile(r"您访问的页面不存在或已删除|页面不存在或已删除|(?:the )?page you (?:are looking for|"
                               r"visited|requested) (?:does not exist|has been (?:deleted|removed))", re.I)


def _host_matches(host: str, domains: tuple[str, ...]) -> bool:
    return any(host == d or host.endswith("." + d) for d in domains)


def choose_profile(url: str | None, *, has_markup: bool, has_body: Callable[[str], bool],
                   has_marker: Callable[[str], bool]) -> str:
    """The profile whose body is on the page (or, with no markup, whose host is the URL's), scored by
    its markers, host and path; "generic" when none fits. `has_body`/`has_marker` test one selector."""
    parts = urlsplit(url or "")
    host, path = (parts.hostname or "").lower(), parts.path or "/"
    best, best_score = "generic", 0
    for name, p in PROFILES.items():
        if not p.body:
            continue
        host_ok = _host_matches(host, p.hosts)
        if has_markup and not any(has_body(sel) for sel in p.body):
            continue
        if not has_markup and not host_ok:
            continue
        markers = sum(1 for sel in p.markers if has_marker(sel))
        if has_markup and not host_ok and markers < 2:
            continue  # one stray class name on some other site is no evidence of this template
        path_ok = any(re.search(rx, path) for rx in p.paths)
        score = 3 * markers + 2 * host_ok + path_ok
        if score > best_score:
            best, best_score = name, score
    return best


def placeholder_message(title: str | None, body_lines: Callable[[], list[str]], *, has_article: bool) -> list[str]:
    """The "page does not exist" message of a placeholder page; [] for any other page. `title` is the
    <title> text (None: no <title>), `body_lines` the raw lines of the body. A page whose template shows
    an article body is no placeholder unless its <title> says so."""
    title = " ".join(tidy(title)) if title is not None else ""
    by_title = bool(_PLACEHOLDER_TITLE.match(title))
    if has_article and not by_title:
        return []
    lines = [line for line in tidy("\n".join(body_lines())) if len(line) < 200 and _PLACEHOLDER_TEXT.search(line)]
    return lines or ([title] if by_title else [])
