"""HTML (+ site profile) -> the statement's text: pure, no network, disk or Prefect.

The text is the article's title line (and subtitle, where the page has one),
then its publication date as the page shows it, then the body, one paragraph
per line: block elements and <br> split lines, inline elements don't; no blank
lines; each line stripped, whitespace runs collapsed, Unicode NFKC, zero-width
and bidi control characters (and soft hyphens) dropped.
Everything outside the article (header date stamps, visitor counters, nav,
language bars, share bars, footers) stays out, so changing it never changes
the text. ``clean_text`` applies the same line rules to plain text and drops
lines that are page chrome ("Print", "Suggest to a friend", copyright lines...),
which turns a captured seed text into its baseline.

Bump ``NORMALIZER_VERSION`` whenever a rule changes what ``normalize`` returns:
stored versions carry it, and older captures are re-normalized from raw bytes.
"""
from __future__ import annotations

import re
import unicodedata
import warnings
from collections.abc import Callable, Iterable, Iterator
from urllib.parse import urlsplit

from bs4 import BeautifulSoup, CData, Comment, NavigableString, Tag, XMLParsedAsHTMLWarning
from bs4.element import Declaration, Doctype, PageElement, ProcessingInstruction

from redline.core.textutil import INVISIBLE
from redline.core.model import Normalized
from redline.text.limits import check_markup, check_tree
from redline.text.profiles import PROFILES, Profile

__all__ = ["NORMALIZER_VERSION", "PROFILES", "Profile", "CHROME_LINES", "normalize", "detect_profile",
           "clean_text", "is_placeholder"]

NORMALIZER_VERSION: int = 1

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


def _tidy(text: str) -> list[str]:
    """NFKC, invisible characters out, one stripped, collapsed line per input line, blanks dropped."""
    text = INVISIBLE.sub("", unicodedata.normalize("NFKC", text))
    lines = (_SPACES.sub(" ", line).strip() for line in text.splitlines())
    return [line for line in lines if line]


def clean_text(text: str) -> str:
    """Plain text -> normalized text: the line rules above, and chrome lines dropped."""
    return "\n".join(line for line in _tidy(text) if not _is_chrome(line))


# --------------------------------------------------------------------------- HTML -> lines
_SKIP = frozenset("""script style noscript template iframe object embed svg canvas head title meta link
    input select option textarea button map area audio video source track""".split())
_BLOCK = frozenset("""address article aside blockquote body caption center dd details dialog dir div dl dt
    fieldset figcaption figure footer form h1 h2 h3 h4 h5 h6 header hgroup hr html li main menu nav ol p
    pre section summary table tbody td tfoot th thead tr ul""".split())
_NOT_TEXT = (Comment, Declaration, Doctype, ProcessingInstruction)


def _lines(el: Tag) -> list[str]:
    """The element's visible text, a line per block (raw: whitespace collapsed, nothing else)."""
    out: list[str] = []
    buf: list[str] = []

    def flush() -> None:
        line = _SPACES.sub(" ", "".join(buf)).strip()
        buf.clear()
        if line:
            out.append(line)

    stack: list[tuple[Iterator[PageElement], bool]] = [(iter(el.children), False)]  # iterative: deep pages
    while stack:
        children, is_block = stack[-1]
        child = next(children, None)
        if child is None:
            stack.pop()
            if is_block:
                flush()
        elif isinstance(child, NavigableString):
            if not isinstance(child, _NOT_TEXT):
                buf.append(str(child))
        elif isinstance(child, Tag) and child.name not in _SKIP:
            if child.name == "br":
                flush()
                continue
            block = child.name in _BLOCK
            if block:
                flush()
            stack.append((iter(child.children), block))
    flush()
    return out


# An XHTML page (<?xml ...?>, <html:html>) is read by the HTML parser on purpose: its text is what
# matters, and bs4's ten-line advice to use an XML parser would otherwise reach the operator's terminal
# on every run. One process-wide filter (warnings.catch_warnings is not thread-safe).
warnings.filterwarnings("ignore", category=XMLParsedAsHTMLWarning)


def _parse(html: str, url: str | None = None) -> BeautifulSoup:
    """The page as a tree; PageTooLarge over the element or depth cap (redline.text.limits)."""
    check_markup(html, url=url)
    soup = BeautifulSoup(html, "lxml")
    check_tree(soup, url=url)
    return soup


def _select(soup: BeautifulSoup, selector: str) -> list[Tag]:
    """Matches of one profile selector, outermost only ("meta:Name" yields nothing here)."""
    if selector.startswith("meta:"):
        return []
    found = soup.select(selector)
    ids = {id(t) for t in found}
    covered: dict[int, bool] = {}  # id(el) -> el or one of its parents is a match (each worked out once)

    def inside_a_match(el: Tag | None) -> bool:
        path: list[Tag] = []
        while el is not None and id(el) not in covered and id(el) not in ids:
            path.append(el)
            el = el.parent
        answer = el is not None and (id(el) in ids or covered[id(el)])
        covered.update((id(p), answer) for p in path)
        return answer
    return [t for t in found if not inside_a_match(t.parent)]


def _field(soup: BeautifulSoup, selectors: tuple[str, ...]) -> str:
    """The first non-empty text among the selectors, as one line."""
    for sel in selectors:
        if sel.startswith("meta:"):
            meta = soup.find("meta", attrs={"name": sel[5:]})
            value = meta.get("content", "") if isinstance(meta, Tag) else ""
            text = " ".join(_tidy(str(value)))
        else:
            text = " ".join(line for el in _select(soup, sel) for line in _tidy("\n".join(_lines(el))))
        if text:
            return text
    return ""


def _body(soup: BeautifulSoup, selectors: tuple[str, ...]) -> list[Tag]:
    for sel in selectors:
        found = _select(soup, sel)
        if found:
            return found
    return []


# --------------------------------------------------------------------------- generic fallback
_CHROME_ATTR = re.compile(r"(?:^|[\s_-])(?:nav|navbar|menu|header|footer|foot|breadcrumbs?|crumbs?|urhere|"
                          r"position|lang|language|share|jiathis|copyright|search|sidebar|side|links?|related|"
                          r"relnews|print|tools?|toolbar|top|bottom|banner|ads?|comment|counter)(?:$|[\s_-])", re.I)
_CHROME_TAGS = ("nav", "header", "footer", "aside", "form")
_PARA_TAGS = ("p", "td", "pre", "blockquote", "li", "dd", "h2", "h3", "h4")
_WIDEN_SHARE = 0.6  # the chosen block must hold at least this share of the page's prose


_COUNTED = (NavigableString, CData)  # the string types get_text() joins (no comments, <rt>, <rp>...)


def _prose_lengths(root: Tag) -> tuple[dict[int, int], dict[int, int], dict[int, int]]:
    """For every element under root (and root): characters of text outside links, of all text, and the
    commas in its get_text(). One walk, each count summed from the children up: linear in the page
    (walking every string's parents was quadratic in the nesting depth)."""
    prose: dict[int, int] = {}
    total: dict[int, int] = {}
    commas: dict[int, int] = {}
    in_link = root.name == "a" or root.find_parent("a") is not None
    # (element, its children, inside an <a>, [prose, total, commas] so far); iterative: deep pages
    stack: list[tuple[Tag, Iterator[PageElement], bool, list[int]]] = [(root, iter(root.children), in_link,
                                                                         [0, 0, 0])]
    while stack:
        el, children, linked, counts = stack[-1]
        child = next(children, None)
        if child is None:
            stack.pop()
            for table, n in zip((prose, total, commas), counts):
                if n:
                    table[id(el)] = n
            if stack:
                above = stack[-1][3]
                for i, n in enumerate(counts):
                    above[i] += n
        elif isinstance(child, Tag):
            stack.append((child, iter(child.children), linked or child.name == "a", [0, 0, 0]))
        elif isinstance(child, NavigableString) and not isinstance(child, _NOT_TEXT):
            if type(child) in _COUNTED:
                counts[2] += child.count(",") + child.count("，")
            n = len(child.strip())
            if n:
                counts[1] += n
                if not linked:
                    counts[0] += n
    return prose, total, commas


def _decompose(elements: Iterable[Tag], *, keep: Callable[[Tag], bool] = lambda el: False) -> None:
    """Decompose each of `elements` (in document order) that is not `keep` and not inside one decomposed
    before. Linear: bs4's `decomposed` property searches the element's whole subtree (for a tag named
    "_decomposed"), which made nested chrome quadratic."""
    gone: set[int] = set()
    for el in elements:
        if id(el) not in gone and not keep(el):
            gone.update(map(id, el.descendants))
            el.decompose()


def _strip_chrome(root: Tag) -> None:
    """Drop chrome-looking parts (nav, header, footer, share bars...) unless they hold most of the page."""
    prose, _, _ = _prose_lengths(root)
    whole = max(prose.get(id(root), 0), 1)
    doomed = [el for el in root.find_all(True)
              if el.name in _CHROME_TAGS
              or _CHROME_ATTR.search(" ".join(el.get("class") or []) + " " + str(el.get("id") or ""))]
    _decompose(doomed, keep=lambda el: prose.get(id(el), 0) >= 0.3 * whole)


def _generic_block(soup: BeautifulSoup) -> Tag:
    root = soup.body or soup
    _decompose(root.find_all(list(_SKIP)))
    _strip_chrome(root)
    prose, total, commas = _prose_lengths(root)
    scores: dict[int, float] = {}
    tags: dict[int, Tag] = {}
    for para in root.find_all(_PARA_TAGS):
        n = prose.get(id(para), 0)
        if n < 25:
            continue
        score = 1 + commas.get(id(para), 0) + min(n // 100, 3)
        for parent, share in ((para.parent, 1.0), (para.parent.parent if para.parent else None, 0.5)):
            if isinstance(parent, Tag):
                tags[id(parent)] = parent
                scores[id(parent)] = scores.get(id(parent), 0.0) + score * share
    if not scores:
        return root

    def final(key: int) -> float:
        return scores[key] * prose.get(key, 0) / max(total.get(key, 1), 1)  # penalize link-heavy blocks

    best = tags[max(scores, key=final)]
    page = prose.get(id(root), 0)
    while best is not root and prose.get(id(best), 0) < _WIDEN_SHARE * page and isinstance(best.parent, Tag):
        best = best.parent
    return best


# --------------------------------------------------------------------------- detection, placeholder
_PLACEHOLDER_TITLE = re.compile(r"^\s*(?:系统维护|页面不存在|404\b|page not found)", re.I)
_PLACEHOLDER_TEXT = re.compile(r"您访问的页面不存在或已删除|页面不存在或已删除|(?:the )?page you (?:are looking for|"
                               r"visited|requested) (?:does not exist|has been (?:deleted|removed))", re.I)


def _host_matches(host: str, domains: tuple[str, ...]) -> bool:
    return any(host == d or host.endswith("." + d) for d in domains)


def _detect(soup: BeautifulSoup, url: str | None) -> str:
    parts = urlsplit(url or "")
    host, path = (parts.hostname or "").lower(), parts.path or "/"
    has_markup = soup.find(True) is not None and bool(soup.get_text(strip=True) or soup.find("meta"))
    best, best_score = "generic", 0
    for name, p in PROFILES.items():
        if not p.body:
            continue
        host_ok = _host_matches(host, p.hosts)
        if has_markup and not any(_select(soup, sel) for sel in p.body):
            continue
        if not has_markup and not host_ok:
            continue
        markers = sum(1 for sel in p.markers if soup.select_one(sel) is not None)
        if has_markup and not host_ok and markers < 2:
            continue  # one stray class name on some other site is no evidence of this template
        path_ok = any(re.search(rx, path) for rx in p.paths)
        score = 3 * markers + 2 * host_ok + path_ok
        if score > best_score:
            best, best_score = name, score
    return best


def detect_profile(html: str, url: str | None = None) -> str:
    """The profile name for a page: by its markup, with the URL's host and path as evidence too.
    With no markup, by the URL alone; "generic" when nothing fits."""
    return _detect(_parse(html, url), url)


def _placeholder_lines(soup: BeautifulSoup, *, has_article: bool) -> list[str]:
    """The "page does not exist" message of a placeholder page; [] for any other page.
    A page whose template shows an article body is no placeholder unless its <title> says so."""
    title = " ".join(_tidy(soup.title.get_text())) if soup.title else ""
    by_title = bool(_PLACEHOLDER_TITLE.match(title))
    if has_article and not by_title:
        return []
    lines = [line for line in _tidy("\n".join(_lines(soup.body or soup)))
             if len(line) < 200 and _PLACEHOLDER_TEXT.search(line)]
    return lines or ([title] if by_title else [])


def is_placeholder(html: str) -> bool:
    """True for the "page does not exist / 系统维护" page a site serves (with HTTP 200) for a dead URL."""
    soup = _parse(html)
    return bool(_placeholder_lines(soup, has_article=bool(_body(soup, PROFILES[_detect(soup, None)].body))))


# --------------------------------------------------------------------------- normalize
def _drop(soup: BeautifulSoup, selectors: tuple[str, ...]) -> None:
    _decompose(soup.select(", ".join(selectors)) if selectors else ())


def normalize(html: str, *, profile: str = "auto", url: str | None = None) -> Normalized:
    """A page's HTML -> its statement text (see the module docstring).

    ``profile`` names a PROFILES entry or "auto". A named profile whose body is
    not on the page gives way to the detected one, and that to "generic";
    ``Normalized.profile`` says which profile was used in the end. PageTooLarge (one line) for a
    page over the element or nesting cap of redline.text.limits."""
    soup = _parse(html, url)
    name = _detect(soup, url) if profile == "auto" else profile
    if name not in PROFILES:
        raise ValueError(f"unknown normalize profile {name!r}; known: auto, {', '.join(PROFILES)}")
    if profile != "auto" and name != "generic" and not _body(soup, PROFILES[name].body):
        name = _detect(soup, url)  # the site changed its template: read the page by the one it has now
    prof = PROFILES[name]
    _drop(soup, prof.drop)
    blocks = _body(soup, prof.body)
    message = _placeholder_lines(soup, has_article=bool(blocks))
    if message:  # only the message: the site's nav and footer around it are no version of the statement
        return Normalized(text=clean_text("\n".join(message)), profile=name, placeholder=True)
    title = _field(soup, prof.title)
    subtitle = _field(soup, prof.subtitle)
    date = _field(soup, prof.date)
    if not blocks:
        name = "generic"
        block = _generic_block(soup)
        if not title:
            h1 = block.find("h1") or (soup.body or soup).find("h1")
            title = " ".join(_tidy("\n".join(_lines(h1)))) if isinstance(h1, Tag) else ""
            if isinstance(h1, Tag) and any(p is block for p in h1.parents):
                h1.decompose()  # the title line comes first, once
        blocks = [block]
    lines = [title, subtitle, date] + [line for el in blocks for line in _lines(el)]
    return Normalized(text=clean_text("\n".join(lines)), title=title, date=date, profile=name)
