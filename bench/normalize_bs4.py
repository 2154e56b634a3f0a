"""The BeautifulSoup normalizer (bs4 + its lxml tree builder + soupsieve) that ``redline.text.normalize``
(lxml) replaced, kept only for bench/bench_normalize.py's old-vs-new timing. Not on the product path.

A parity test held the two byte-identical on a corpus of ~7,000 cases (the project's pages, fault pages,
600 generated ones) until this module left src/ (issue 14: "until the old one is removed"; it cost CI ~140 s).
The rules it applies (redline.text.lines) are still shared with ``text.normalize``; the tree work is its own.
"""
from __future__ import annotations

import warnings
from collections.abc import Callable, Iterable, Iterator

from bs4 import BeautifulSoup, CData, Comment, NavigableString, Tag, XMLParsedAsHTMLWarning
from bs4.element import Declaration, Doctype, PageElement, ProcessingInstruction

from redline.core.model import Normalized
from redline.text.limits import MAX_DEPTH, check_markup, refuse_depth
from redline.text.lines import (BLOCK, CHROME_ATTR, CHROME_TAGS, PARA_TAGS, SKIP, best_block, choose_profile, clean_text,
                                collapse, keeps_chrome, placeholder_message, tidy)
from redline.text.profiles import PROFILES

__all__ = ["normalize", "detect_profile", "is_placeholder"]

_NOT_TEXT = (Comment, Declaration, Doctype, ProcessingInstruction)
_COUNTED = (NavigableString, CData)  # the string types get_text() joins (no comments, <rt>, <rp>...)


def _lines(el: Tag) -> list[str]:
    """The element's visible text, a line per block (raw: whitespace collapsed, nothing else)."""
    out: list[str] = []
    buf: list[str] = []

    def flush() -> None:
        line = collapse(buf)
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
        elif isinstance(child, Tag) and child.name not in SKIP:
            if child.name == "br":
                flush()
                continue
            block = child.name in BLOCK
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
            text = " ".join(tidy(str(value)))
        else:
            text = " ".join(line for el in _select(soup, sel) for line in tidy("\n".join(_lines(el))))
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
    whole = prose.get(id(root), 0)
    doomed = [el for el in root.find_all(True)
              if el.name in CHROME_TAGS
              or CHROME_ATTR.search(" ".join(el.get("class") or []) + " " + str(el.get("id") or ""))]
    _decompose(doomed, keep=lambda el: keeps_chrome(prose.get(id(el), 0), whole))


def _generic_block(soup: BeautifulSoup) -> Tag:
    root = soup.body or soup
    _decompose(root.find_all(list(SKIP)))
    _strip_chrome(root)
    prose, total, commas = _prose_lengths(root)
    tags: dict[int, Tag] = {id(root): root}

    def key(el: Tag | None) -> int | None:
        if not isinstance(el, Tag):
            return None
        tags[id(el)] = el
        return id(el)
    paras = [(id(p), key(p.parent), key(p.parent.parent if p.parent else None)) for p in root.find_all(PARA_TAGS)]
    return tags[best_block(id(root), paras, prose, total, commas, parent=lambda k: key(tags[k].parent))]


# --------------------------------------------------------------------------- detection, placeholder
def _detect(soup: BeautifulSoup, url: str | None) -> str:
    has_markup = soup.find(True) is not None and bool(soup.get_text(strip=True) or soup.find("meta"))
    return choose_profile(url, has_markup=has_markup, has_body=lambda sel: bool(_select(soup, sel)),
                          has_marker=lambda sel: soup.select_one(sel) is not None)


def detect_profile(html: str, url: str | None = None) -> str:
    """The profile name for a page (see text.normalize.detect_profile)."""
    return _detect(_parse(html, url), url)


def _placeholder_lines(soup: BeautifulSoup, *, has_article: bool) -> list[str]:
    title = soup.title.get_text() if soup.title else None
    return placeholder_message(title, lambda: _lines(soup.body or soup), has_article=has_article)


def is_placeholder(html: str) -> bool:
    """True for a site's "page does not exist" page (see text.normalize.is_placeholder)."""
    soup = _parse(html)
    return bool(_placeholder_lines(soup, has_article=bool(_body(soup, PROFILES[_detect(soup, None)].body))))


# --------------------------------------------------------------------------- normalize
def _drop(soup: BeautifulSoup, selectors: tuple[str, ...]) -> None:
    _decompose(soup.select(", ".join(selectors)) if selectors else ())


def normalize(html: str, *, profile: str = "auto", url: str | None = None) -> Normalized:
    """A page's HTML -> its statement text (see text.normalize.normalize)."""
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
            title = " ".join(tidy("\n".join(_lines(h1)))) if isinstance(h1, Tag) else ""
            if isinstance(h1, Tag) and any(p is block for p in h1.parents):
                h1.decompose()  # the title line comes first, once
        blocks = [block]
    lines = [title, subtitle, date] + [line for el in blocks for line in _lines(el)]
    return Normalized(text=clean_text("\n".join(lines)), title=title, date=date, profile=name)


def check_tree(soup: BeautifulSoup, *, url: str | None = None, max_depth: int = MAX_DEPTH) -> None:
    """PageTooLarge when elements nest deeper than `max_depth` (one walk, in document order)."""
    depth: dict[int, int] = {id(soup): 0}
    for el in soup.descendants:
        if isinstance(el, Tag):
            d = depth[id(el.parent)] + 1
            if d > max_depth:
                raise refuse_depth(url, max_depth)
            depth[id(el)] = d
