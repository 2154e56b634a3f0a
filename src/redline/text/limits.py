"""How much page the normalizer reads: a cap on elements (memory) and on nesting depth (time). Pure.

A parsed element cost about 1.2 KB in BeautifulSoup (the reader before lxml): a page of 200,000 sibling
elements took a run to 361 MB (ordinary pages: about 115 MB), so the tags are counted on the text before it is parsed.
Normalizing is linear in the page, and the depth cap bounds what is left of any walk up the tree.
Real pages have a few thousand elements, nested a few dozen deep; a listing of 10,000 links about 30,000.
"""
from __future__ import annotations

import re

from redline.core.errors import PageTooLarge

__all__ = ["MAX_ELEMENTS", "MAX_DEPTH", "check_markup", "refuse_depth"]

MAX_ELEMENTS = 50_000   # start tags in a page (~60 MB parsed, ~4 s to normalize)
MAX_DEPTH = 10_000      # elements inside one another (5,000 levels: 0.6 s)
_START_TAG = re.compile(r"<[A-Za-z]")


def _refuse(url: str | None, what: str) -> PageTooLarge:
    where = f"{url}: " if url else ""
    return PageTooLarge(f"{where}page refused: {what}; the capture is kept, no version is made from it")


def check_markup(html: str, *, url: str | None = None, max_elements: int = MAX_ELEMENTS) -> None:
    """PageTooLarge before parsing when the page holds more start tags than `max_elements`."""
    if html.count("<") <= max_elements:  # the quick bound: most pages stop here
        return
    tags = sum(1 for _ in _START_TAG.finditer(html))  # one match at a time: no copy of the page
    if tags > max_elements:
        raise _refuse(url, f"{tags:,} elements (redline reads at most {max_elements:,})")


def refuse_depth(url: str | None, max_depth: int = MAX_DEPTH) -> PageTooLarge:
    """The error for a page whose elements nest deeper than `max_depth`."""
    return _refuse(url, f"elements nested more than {max_depth:,} deep")
