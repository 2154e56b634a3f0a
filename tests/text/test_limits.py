"""The normalizer reads a bounded page: over the element cap (memory) or the depth cap, one line, no tree."""
from __future__ import annotations

import tracemalloc

import pytest

from redline.core.errors import PageTooLarge
from redline.text.limits import MAX_DEPTH, MAX_ELEMENTS
from redline.text.normalize import detect_profile, normalize

URL = "https://example.org/statement.html"


def siblings(n: int) -> str:
    return "<html><body><div>" + "<span>x</span>" * n + "</div></body></html>"


def test_a_page_of_200000_sibling_elements_is_refused_before_it_is_parsed() -> None:
    # It took a run to 361 MB (parsed: ~1.2 KB an element); refused, it costs about its own text.
    page = siblings(200_000)
    tracemalloc.start()
    with pytest.raises(PageTooLarge) as caught:
        normalize(page, url=URL)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 3 * len(page) + 5_000_000, peak
    assert str(caught.value) == (f"{URL}: page refused: 200,003 elements (redline reads at most 50,000); "
                                 "the capture is kept, no version is made from it")


def test_a_page_nested_deeper_than_the_cap_is_refused_in_one_line() -> None:
    levels = MAX_DEPTH + 10
    page = "<html><body>" + "<div>x" * levels + "</div>" * levels + "</body></html>"
    with pytest.raises(PageTooLarge, match=r"page refused: elements nested more than 10,000 deep"):
        normalize(page, url=URL)


@pytest.mark.slow
def test_pages_up_to_the_caps_are_read_whole() -> None:
    assert normalize(siblings(MAX_ELEMENTS - 10)).text.count("x") == MAX_ELEMENTS - 10
    nested = "<html><body>" + "<div>level" * 5_000 + "</div>" * 5_000 + "</body></html>"
    assert normalize(nested).text.count("level") == 5_000
    assert detect_profile(siblings(10)) == "generic"
