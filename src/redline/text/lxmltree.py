"""A page as an lxml tree, read the way BeautifulSoup (bs4 + its "lxml" tree builder + soupsieve) read it: pure.

``parse`` gives a *document*: an element (tag ``DOCUMENT``) holding the page's root, standing for bs4's
BeautifulSoup object, so that anything (even <html>) can be taken out and nothing is above it. What bs4 did,
kept exactly (a parity test held the two to the same output on a ~7,000-case corpus until bs4's reader
left src/ for bench/normalize_bs4.py; the golden files pin the output now):

- the same parser, libxml2's HTML parser fed the str whole (recover, no huge_tree), a leading BOM dropped.
  libxml2's own tree builder stops at 256 levels (bs4 built its tree from parser events, unbounded), so a
  page that deep is parsed again into an ``etree.TreeBuilder``, from the same events;
- strings are an element's ``text`` and its children's ``tail`` (bs4's NavigableStrings, cut at the same
  places); comments and processing instructions are nodes whose text is no text, and their tail is;
- taking an element out (``decompose``) leaves a comment where it was, holding its tail: bs4 kept the
  strings around a decomposed tag apart, and lengths are counted per string;
- strings inside <script>, <style>, <template>, <rt>, <rp> (``CONTAINED``) are not get_text() strings;
- ``select``: the CSS subset profiles use (type, #id, .class, [attr], [attr=v], [attr*=v], descendant
  combinator, lists), soupsieve's semantics (classes split on whitespace, = exact, *= contains), candidates
  found by XPath and each checked in Python.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache

from lxml import etree

from redline.text.limits import MAX_DEPTH, check_markup, refuse_depth
from redline.text.lines import BLOCK, CONTAINED, SKIP, collapse

__all__ = ["DOCUMENT", "parse", "select", "select_any", "exists", "lines", "prose_lengths", "decompose",
           "first", "title_text", "has_text", "classes"]

DOCUMENT = "redline-document"  # no selector, tag set or HTML name matches it
_NATIVE_DEPTH = 256  # libxml2's tree builder keeps no element deeper than this
_TOO_DEEP = etree.XPath("boolean(" + "/".join(["*"] * (_NATIVE_DEPTH - 1)) + ")")  # from the root, level 1
_WORDS = re.compile(r"\S+")


def _native(html: str) -> etree._Element | None:
    parser = etree.HTMLParser(recover=True)
    parser.feed(html)
    return parser.close()


def _from_events(html: str) -> etree._Element | None:
    parser = etree.HTMLParser(recover=True, target=etree.TreeBuilder())
    parser.feed(html)
    try:
        return parser.close()
    except etree.XMLSyntaxError:  # no element at all
        return None


def _check_depth(root: etree._Element, url: str | None) -> None:
    depth = 0  # the document's level: its root is level 1
    for event, el in etree.iterwalk(root, events=("start", "end")):
        if isinstance(el.tag, str):
            if event == "start":
                depth += 1
                if depth > MAX_DEPTH:
                    raise refuse_depth(url)
            else:
                depth -= 1


def parse(html: str, url: str | None = None) -> etree._Element:
    """The page as a document; PageTooLarge over the element or depth cap (redline.text.limits)."""
    check_markup(html, url=url)
    if html[:1] == "\ufeff":
        html = html[1:]
    root = _native(html)
    if root is not None and _TOO_DEEP(root):
        root = _from_events(html)
        if root is not None:
            _check_depth(root, url)
    doc = etree.Element(DOCUMENT)
    if root is not None:
        doc.append(root)
    return doc


# --------------------------------------------------------------------------- strings and text
def _contained(el: etree._Element) -> bool:
    """Strings directly in `el` are no get_text() strings (el or an element above it is CONTAINED)."""
    return el.tag in CONTAINED or any(p.tag in CONTAINED for p in el.iterancestors())


def has_text(doc: etree._Element) -> bool:
    """bs4's bool(soup.get_text(strip=True)): a non-blank string outside CONTAINED elements."""
    return any(not held and s.strip() for s, held in _walk_strings(doc))


def title_text(doc: etree._Element) -> str | None:
    """bs4's soup.title.get_text(): the first <title>'s strings; None without a <title>."""
    title = first(doc, "title")
    if title is None:
        return None
    return "".join(s for s, held in _walk_strings(title) if not held)


def _walk_strings(el: etree._Element) -> Iterator[tuple[str, bool]]:
    """(string, contained) for every string inside el (not el's tail), in document order."""
    held = _contained(el)
    if el.text:
        yield el.text, held
    stack: list[tuple[Iterator[etree._Element], bool, etree._Element | None]] = [(iter(el), held, None)]
    while stack:
        children, inside, owner = stack[-1]
        child = next(children, None)
        if child is None:
            stack.pop()
            if owner is not None and owner.tail:
                yield owner.tail, stack[-1][1]
        elif isinstance(child.tag, str):
            inner = inside or child.tag in CONTAINED
            if child.text:
                yield child.text, inner
            stack.append((iter(child), inner, child))
        elif child.tail:
            yield child.tail, inside


def lines(el: etree._Element) -> list[str]:
    """The element's visible text, a line per block (raw: whitespace collapsed, nothing else)."""
    out: list[str] = []
    buf: list[str] = []

    def flush() -> None:
        line = collapse(buf)
        buf.clear()
        if line:
            out.append(line)

    if el.text:
        buf.append(el.text)
    stack: list[tuple[Iterator[etree._Element], bool, etree._Element | None]] = [(iter(el), False, None)]
    while stack:  # iterative: deep pages
        children, is_block, owner = stack[-1]
        child = next(children, None)
        if child is None:
            stack.pop()
            if is_block:
                flush()
            if owner is not None and owner.tail:
                buf.append(owner.tail)
            continue
        tag = child.tag
        if not isinstance(tag, str) or tag in SKIP or tag == "br":
            if tag == "br":
                flush()
            if child.tail:
                buf.append(child.tail)
            continue
        block = tag in BLOCK
        if block:
            flush()
        if child.text:
            buf.append(child.text)
        stack.append((iter(child), block, child))
    flush()
    return out


def prose_lengths(root: etree._Element) -> tuple[dict[etree._Element, int], dict[etree._Element, int],
                                                 dict[etree._Element, int]]:
    """For every element under root (and root): characters of text outside links, of all text, and the
    commas in its get_text() strings; one walk, each count summed from the children up."""
    prose: dict[etree._Element, int] = {}
    total: dict[etree._Element, int] = {}
    commas: dict[etree._Element, int] = {}
    linked = root.tag == "a" or any(p.tag == "a" for p in root.iterancestors())

    def count(s: str | None, counts: list[int], in_link: bool, held: bool) -> None:
        if not s:
            return
        if not held:
            counts[2] += s.count(",") + s.count("，")
        n = len(s.strip())
        if n:
            counts[1] += n
            if not in_link:
                counts[0] += n

    # (element, its children, inside an <a>, strings contained, [prose, total, commas] so far)
    stack: list[tuple[etree._Element, Iterator[etree._Element], bool, bool, list[int]]] = []
    counts = [0, 0, 0]
    held = _contained(root)
    count(root.text, counts, linked, held)
    stack.append((root, iter(root), linked, held, counts))
    while stack:
        el, children, in_link, held, counts = stack[-1]
        child = next(children, None)
        if child is None:
            stack.pop()
            for table, n in zip((prose, total, commas), counts):
                if n:
                    table[el] = n
            if stack:
                above = stack[-1]
                for i, n in enumerate(counts):
                    above[4][i] += n
                count(el.tail, above[4], above[2], above[3])
        elif isinstance(child.tag, str):
            inner = [0, 0, 0]
            child_link, child_held = in_link or child.tag == "a", held or child.tag in CONTAINED
            count(child.text, inner, child_link, child_held)
            stack.append((child, iter(child), child_link, child_held, inner))
        else:
            count(child.tail, counts, in_link, held)
    return prose, total, commas


def decompose(elements: Iterable[etree._Element], *,
              keep: Callable[[etree._Element], bool] = lambda el: False) -> None:
    """Take out each of `elements` (in document order) that is not `keep` and not inside one taken out
    before; an empty comment holds its place and its tail."""
    gone: set[etree._Element] = set()
    for el in elements:
        if el in gone or keep(el):
            continue
        gone.update(el.iter())
        parent = el.getparent()
        if parent is None:
            continue
        mark = etree.Comment("")
        mark.tail = el.tail
        parent.replace(el, mark)


def first(root: etree._Element, tag: str) -> etree._Element | None:
    """The first element named `tag` below root (bs4's root.find(tag))."""
    return next(root.iterdescendants(tag), None)


def classes(el: etree._Element) -> list[str]:
    """The element's classes as bs4 split them (on any whitespace)."""
    return _WORDS.findall(el.get("class") or "")


# --------------------------------------------------------------------------- selectors
@dataclass(frozen=True)
class _Compound:
    tag: str | None
    ids: tuple[str, ...]
    classes: tuple[str, ...]
    attrs: tuple[tuple[str, re.Pattern[str] | None], ...]

    def xpath(self) -> str:
        steps = [f"[@id='{i}']" for i in self.ids] + [f"[contains(@class, '{c}')]" for c in self.classes]
        steps += [f"[@{name}]" for name, _ in self.attrs]
        return f"descendant::{self.tag or '*'}" + "".join(steps)

    def matches(self, el: etree._Element) -> bool:
        tag = el.tag
        if not isinstance(tag, str) or (self.tag is not None and tag.lower() != self.tag):
            return False
        if any(el.get("id") != i for i in self.ids):
            return False
        if self.classes and not set(self.classes) <= set(classes(el)):
            return False
        for name, pattern in self.attrs:
            value = " ".join(classes(el)) if name == "class" else el.get(name)
            if value is None or (pattern is not None and pattern.search(value) is None):
                return False
        return True


_TOKEN = re.compile(r"(?P<space>\s+)|(?P<tag>[A-Za-z][\w-]*|\*)|#(?P<id>[\w-]+)|\.(?P<cls>[\w-]+)"
                    r"|\[\s*(?P<attr>[A-Za-z][\w-]*)\s*(?:(?P<op>\*?=)\s*(?P<value>'[^'\\]*'|\"[^\"\\]*\"|[\w-]+)\s*)?\]")
_CASE_FREE = frozenset("""accept accept-charset align alink axis bgcolor charset checked clear codetype color
    compact declare defer dir direction disabled enctype face frame hreflang http-equiv lang language link
    media method multiple nohref noresize noshade nowrap readonly rel rev rules scope scrolling selected
    shape target text type valign valuetype vlink""".split())  # soupsieve's case-insensitive values


def _compile_complex(text: str) -> tuple[_Compound, ...]:
    """'div.a #b[x*=y]' -> its compounds, outermost first; ValueError for syntax outside the subset."""
    compounds: list[_Compound] = []
    parts: dict[str, list] = {"tag": [], "id": [], "cls": [], "attr": []}

    def end() -> None:
        if any(parts.values()):
            compounds.append(_Compound((parts["tag"] or [None])[0], tuple(parts["id"]), tuple(parts["cls"]),
                                       tuple(parts["attr"])))
        for v in parts.values():
            v.clear()
    pos, text = 0, text.strip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None or (m["tag"] and any(parts.values())):
            raise ValueError(f"selector {text!r}: not in the subset redline reads at {pos}")
        pos = m.end()
        if m["space"]:
            end()
        elif m["tag"]:
            parts["tag"].append(None if m["tag"] == "*" else m["tag"].lower())
        elif m["id"]:
            parts["id"].append(m["id"])
        elif m["cls"]:
            parts["cls"].append(m["cls"])
        else:
            name = m["attr"].lower()
            if name in _CASE_FREE:
                raise ValueError(f"selector {text!r}: [{name}] values are case-insensitive; not supported")
            value = (m["value"] or "").strip("'\"") if m["value"] and m["value"][0] in "'\"" else m["value"]
            pattern = None
            if m["op"]:
                source = ("(?!)" if not value else re.escape(value)) if m["op"] == "*=" else fr"^{re.escape(value)}\Z"
                pattern = re.compile(source, re.DOTALL)
            parts["attr"].append((name, pattern))
    end()
    if not compounds:
        raise ValueError(f"empty selector {text!r}")
    return tuple(compounds)


@lru_cache(maxsize=None)
def _compile(selector: str) -> tuple[etree.XPath, tuple[tuple[_Compound, ...], ...]]:
    """A selector list -> (XPath of candidates in document order, its complex selectors)."""
    chains = tuple(_compile_complex(part) for part in selector.split(","))
    return etree.XPath(" | ".join(chain[-1].xpath() for chain in chains)), chains


def _chain_matches(el: etree._Element, chain: tuple[_Compound, ...]) -> bool:
    if not chain[-1].matches(el):
        return False
    at = el
    for compound in reversed(chain[:-1]):  # descendant combinators: the nearest match above is best
        at = next((p for p in at.iterancestors() if compound.matches(p)), None)
        if at is None:
            return False
    return True


def _matches(doc: etree._Element, selector: str) -> Iterator[etree._Element]:
    xpath, chains = _compile(selector)
    return (el for el in xpath(doc) if any(_chain_matches(el, chain) for chain in chains))


def select_any(doc: etree._Element, selector: str) -> list[etree._Element]:
    """Every element matching the selector (list), in document order (soupsieve's select)."""
    return list(_matches(doc, selector))


def exists(doc: etree._Element, selector: str) -> bool:
    """soupsieve's select_one(selector) is not None."""
    return next(_matches(doc, selector), None) is not None


def select(doc: etree._Element, selector: str) -> list[etree._Element]:
    """Matches of one selector, outermost only."""
    found = select_any(doc, selector)
    if len(found) < 2:
        return found
    matched = set(found)
    covered: dict[etree._Element, bool] = {}  # el -> el or one of its parents is a match (worked out once)

    def inside_a_match(el: etree._Element | None) -> bool:
        path: list[etree._Element] = []
        while el is not None and el not in covered and el not in matched:
            path.append(el)
            el = el.getparent()
        answer = el is not None and (el in matched or covered[el])
        covered.update((p, answer) for p in path)
        return answer
    return [el for el in found if not inside_a_match(el.getparent())]
