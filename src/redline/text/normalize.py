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

The page is read with lxml (text.lxmltree); the rules are text.lines. The BeautifulSoup reader this
replaced (10x slower; now bench/normalize_bs4.py, for bench/bench_normalize.py only) gave byte-identical
results on a parity corpus of ~7,000 cases, so NORMALIZER_VERSION stayed 1; the golden files
(tests/golden/, tests/text/test_normalize.py) pin what this one returns.

Bump ``NORMALIZER_VERSION`` whenever a rule changes what ``normalize`` returns:
stored versions carry it, and older captures are re-normalized from raw bytes.
"""
from __future__ import annotations

from lxml import etree

from redline.core.model import Normalized
from redline.text.lines import (CHROME_ATTR, CHROME_LINES, CHROME_TAGS, PARA_TAGS, SKIP, best_block,
                                choose_profile, clean_text, keeps_chrome, placeholder_message, tidy)
from redline.text.lxmltree import (classes, decompose, exists, first, has_text, lines, parse, prose_lengths,
                                   select, select_any, title_text)
from redline.text.profiles import PROFILES, Profile

__all__ = ["NORMALIZER_VERSION", "PROFILES", "Profile", "CHROME_LINES", "normalize", "detect_profile",
           "clean_text", "is_placeholder"]

NORMALIZER_VERSION: int = 1

Doc = etree._Element  # a parsed page: text.lxmltree.parse


def _field(doc: Doc, selectors: tuple[str, ...]) -> str:
    """The first non-empty text among the selectors, as one line."""
    for sel in selectors:
        if sel.startswith("meta:"):
            meta = next(iter(doc.xpath("descendant::meta[@name=$name]", name=sel[5:])), None)
            text = " ".join(tidy(meta.get("content", "") if meta is not None else ""))
        else:
            text = " ".join(line for el in select(doc, sel) for line in tidy("\n".join(lines(el))))
        if text:
            return text
    return ""


def _body(doc: Doc, selectors: tuple[str, ...]) -> list[etree._Element]:
    for sel in selectors:
        found = [] if sel.startswith("meta:") else select(doc, sel)
        if found:
            return found
    return []


def _strip_chrome(root: etree._Element) -> None:
    """Drop chrome-looking parts (nav, header, footer, share bars...) unless they hold most of the page."""
    prose, _, _ = prose_lengths(root)
    whole = prose.get(root, 0)
    doomed = [el for el in root.iterdescendants(etree.Element)
              if el.tag in CHROME_TAGS or CHROME_ATTR.search(" ".join(classes(el)) + " " + (el.get("id") or ""))]
    decompose(doomed, keep=lambda el: keeps_chrome(prose.get(el, 0), whole))


def _generic_block(doc: Doc) -> etree._Element:
    root = first(doc, "body")
    root = doc if root is None else root
    decompose(list(root.iterdescendants(*SKIP)))
    _strip_chrome(root)
    prose, total, commas = prose_lengths(root)
    paras = []
    for para in root.iterdescendants(*PARA_TAGS):
        up = para.getparent()
        paras.append((para, up, up.getparent() if up is not None else None))
    return best_block(root, paras, prose, total, commas, parent=lambda el: el.getparent())


def _detect(doc: Doc, url: str | None) -> str:
    has_markup = len(doc) > 0 and (has_text(doc) or first(doc, "meta") is not None)
    return choose_profile(url, has_markup=has_markup, has_body=lambda sel: exists(doc, sel),
                          has_marker=lambda sel: exists(doc, sel))


def detect_profile(html: str, url: str | None = None) -> str:
    """The profile name for a page: by its markup, with the URL's host and path as evidence too.
    With no markup, by the URL alone; "generic" when nothing fits."""
    return _detect(parse(html, url), url)


def _placeholder_lines(doc: Doc, *, has_article: bool) -> list[str]:
    body = first(doc, "body")
    return placeholder_message(title_text(doc), lambda: lines(doc if body is None else body),
                               has_article=has_article)


def is_placeholder(html: str) -> bool:
    """True for the "page does not exist / 系统维护" page a site serves (with HTTP 200) for a dead URL."""
    doc = parse(html)
    return bool(_placeholder_lines(doc, has_article=bool(_body(doc, PROFILES[_detect(doc, None)].body))))


def normalize(html: str, *, profile: str = "auto", url: str | None = None) -> Normalized:
    """A page's HTML -> its statement text (see the module docstring).

    ``profile`` names a PROFILES entry or "auto". A named profile whose body is
    not on the page gives way to the detected one, and that to "generic";
    ``Normalized.profile`` says which profile was used in the end. PageTooLarge (one line) for a
    page over the element or nesting cap of redline.text.limits."""
    doc = parse(html, url)
    name = _detect(doc, url) if profile == "auto" else profile
    if name not in PROFILES:
        raise ValueError(f"unknown normalize profile {name!r}; known: auto, {', '.join(PROFILES)}")
    if profile != "auto" and name != "generic" and not _body(doc, PROFILES[name].body):
        name = _detect(doc, url)  # the site changed its template: read the page by the one it has now
    prof = PROFILES[name]
    if prof.drop:
        decompose(select_any(doc, ", ".join(prof.drop)))
    blocks = _body(doc, prof.body)
    message = _placeholder_lines(doc, has_article=bool(blocks))
    if message:  # only the message: the site's nav and footer around it are no version of the statement
        return Normalized(text=clean_text("\n".join(message)), profile=name, placeholder=True)
    title = _field(doc, prof.title)
    subtitle = _field(doc, prof.subtitle)
    date = _field(doc, prof.date)
    if not blocks:
        name = "generic"
        block = _generic_block(doc)
        if not title:
            h1 = first(block, "h1")
            if h1 is None:
                body = first(doc, "body")
                h1 = first(doc if body is None else body, "h1")
            title = " ".join(tidy("\n".join(lines(h1)))) if h1 is not None else ""
            if h1 is not None and any(p is block for p in h1.iterancestors()):
                decompose([h1])  # the title line comes first, once
        blocks = [block]
    all_lines = [title, subtitle, date] + [line for el in blocks for line in lines(el)]
    return Normalized(text=clean_text("\n".join(all_lines)), title=title, date=date, profile=name)
