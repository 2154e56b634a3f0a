"""The lxml normalizer (text.normalize) gives byte-identical results to the BeautifulSoup one it replaced
(text.normalize_bs4) on every page of a corpus: the project's HTML files, the HTML literals of the tests,
the demo and benchmark-site pages, hand-made fault pages and 600 seeded random pages (tests/text/corpus_pages.py),
each read with every profile, auto-detection and the placeholder test."""
from __future__ import annotations

import pytest

from redline.text import normalize as lxml_normalizer
from redline.text import normalize_bs4
from redline.text.profiles import PROFILES

from corpus_pages import corpus, fault_pages, generated_pages, project_pages

pytestmark = pytest.mark.slow   # about 65 s: 7,110 cases (make test runs it; make test-fast does not)

PROFILE_NAMES = ("auto", *PROFILES)


def _outcome(fn, *args, **kwargs):  # noqa: ANN001, ANN202 - a result or the error it raised
    try:
        return fn(*args, **kwargs)
    except Exception as error:  # noqa: BLE001 - the same error for the same page is part of parity
        return ("error", type(error).__name__, str(error))


def _differences(pages) -> list[str]:  # noqa: ANN001
    wrong = []
    for name, html, url in pages:
        for profile in PROFILE_NAMES:
            old = _outcome(normalize_bs4.normalize, html, profile=profile, url=url)
            new = _outcome(lxml_normalizer.normalize, html, profile=profile, url=url)
            if old != new:
                wrong.append(f"{name} ({profile}, {url}): {old!r:.200} != {new!r:.200}")
        for what, args in (("detect_profile", (html, url)), ("is_placeholder", (html,))):
            old, new = (_outcome(getattr(m, what), *args) for m in (normalize_bs4, lxml_normalizer))
            if old != new:
                wrong.append(f"{name} {what}: {old!r:.200} != {new!r:.200}")
    return wrong


def test_lxml_normalizer_matches_beautifulsoup_on_fixture_pages() -> None:
    assert not _differences(project_pages())


def test_lxml_normalizer_matches_beautifulsoup_on_fault_pages() -> None:
    assert not _differences(fault_pages())


def test_lxml_normalizer_matches_beautifulsoup_on_600_generated_pages() -> None:
    assert not _differences(generated_pages(600))


def test_lxml_normalizer_matches_beautifulsoup_on_the_whole_corpus() -> None:
    pages = corpus(generated=0)
    assert len(pages) > 200
    assert not _differences(pages)
