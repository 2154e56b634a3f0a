"""The web view in a real headless browser (Debian's chromium): what a person sees on
the sources list, a timeline and a comparison, and that a hostile capture runs
nothing and loads nothing. Screenshots are kept in tests/artifacts/.

Skips when chromium is missing locally; in CI (.ci/run installs it) it must run.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import threading
import time
from html import unescape
from pathlib import Path

import pytest
import uvicorn

from support.browse_stack import HOSTILE, HOSTILE_TITLE, WITHDRAWN, browse_stack
from support.listing_stack import LATER, LISTING, listing_stack
from redline.web.app import create_app

pytestmark = [pytest.mark.slow, pytest.mark.e2e]

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"


def chromium_path() -> str:
    found = shutil.which("chromium") or (os.path.exists("/usr/bin/chromium") and "/usr/bin/chromium")
    if not found:
        if os.environ.get("CI"):
            pytest.fail("chromium is missing; .ci/run installs Debian's chromium package before `make test`")
        pytest.skip("chromium is not installed (apt-get install chromium); CI installs it and runs this test")
    return str(found)


class Served:
    """The ASGI app under uvicorn on 127.0.0.1 in a thread, recording the paths asked for."""

    def __init__(self, app) -> None:
        self.paths: list[str] = []

        async def recording(scope, receive, send):
            if scope["type"] == "http":
                self.paths.append(scope["path"])
            await app(scope, receive, send)

        self.server = uvicorn.Server(uvicorn.Config(recording, host="127.0.0.1", port=0, log_level="warning",
                                                    lifespan="off"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> "Served":
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.02)
        port = self.server.servers[0].sockets[0].getsockname()[1]
        self.base = f"http://127.0.0.1:{port}"
        return self

    def __exit__(self, *exc) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


def page_opener(exe: str, base: str, profiles: Path):
    def open_page(path: str, *, screenshot: str | None = None, width: int = 1280) -> str:
        """The page's DOM after loading (and its screenshot, when asked), as chromium renders it."""
        profile = profiles / f"p{len(list(profiles.iterdir()))}"
        args = [exe, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-dev-shm-usage", f"--user-data-dir={profile}", "--hide-scrollbars",
                f"--window-size={width},900", "--virtual-time-budget=3000"]
        if screenshot:
            ARTIFACTS.mkdir(exist_ok=True)
            target = ARTIFACTS / screenshot
            target.unlink(missing_ok=True)
            args.append(f"--screenshot={target}")
        out = subprocess.run([*args, "--dump-dom", base + path], capture_output=True, text=True, timeout=90)
        assert out.returncode == 0 and "</html>" in out.stdout, out.stderr[-2000:]
        if screenshot:
            assert target.exists() and target.stat().st_size > 10_000, out.stderr[-2000:]
        return out.stdout
    return open_page


@pytest.fixture(scope="module")
def listing_browser(tmp_path_factory):
    exe = chromium_path()
    with listing_stack(tmp_path_factory.mktemp("listing")) as archive, Served(create_app(archive)) as served:
        yield archive, page_opener(exe, served.base, tmp_path_factory.mktemp("chromium-listing"))


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    exe = chromium_path()
    with browse_stack(tmp_path_factory.mktemp("browser")) as bs, Served(create_app(bs.archive)) as served:
        open_page = page_opener(exe, served.base, tmp_path_factory.mktemp("chromium-profiles"))
        yield bs, served, open_page


def visible_text(dom: str) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", dom)).split())


def title_of(dom: str) -> str:
    return unescape(re.search(r"<title>(.*?)</title>", dom, re.S).group(1))


def test_a_person_sees_the_sources_list(browser) -> None:
    bs, served, open_page = browser
    dom = open_page("/", screenshot="browse-sources.png")
    text = visible_text(dom)
    assert title_of(dom) == "Sources · redline"
    for row in bs.archive.sources():
        assert row["name"] in text
    assert "7 of 7 sources" in text and "Co-Chairs' Statement on the 1st ASEAN-China Cyber Dialogue" in text
    assert "sorted by last change" in text
    # the withdrawn statement reads as removed, not "OK 200"
    row = dom[dom.index(f">{WITHDRAWN}<"):]
    row = row[:row.index("</tr>")]
    assert "removed since" in visible_text(row) and "OK" not in visible_text(row)
    assert HOSTILE_TITLE in text                  # the hostile title is there, as words on the page
    assert "<script" not in dom


def test_a_person_sees_a_timeline_and_follows_it_to_a_comparison(browser) -> None:
    bs, served, open_page = browser
    dom = open_page(f"/sources/{bs.changed}", screenshot="browse-timeline.png")
    text = visible_text(dom)
    assert "Timeline" in text and "v1" in text and "v2" in text and "substantive" in text
    assert "baseline" in text and "HTTP 200" in text
    link = re.search(r'href="(/sources/[^"]+/compare\?a=\d+&amp;b=\d+)"', dom)
    assert link, "no 'compare with previous' link"
    dom = open_page(unescape(link.group(1)) + "&view=side", screenshot="browse-compare.png")
    assert re.search(r"<del>leading</del>", dom) and re.search(r"<ins>central</ins>", dom)
    text = visible_text(dom)
    assert "Compare v1 → v2" in text and "1 word removed" in text and "1 word added" in text
    assert "Jump to the change" in text and '<select name="a">' in dom and '<select name="b">' in dom
    dom = open_page(f"/sources/{bs.changed}/versions/2", screenshot="browse-version.png")
    assert '<li id="p4">' in dom and "¶4" in visible_text(dom)


def test_a_person_sees_a_withdrawn_statement_as_removed_and_alerts_without_markup_as_text(browser) -> None:
    bs, served, open_page = browser
    text = visible_text(open_page(f"/sources/{WITHDRAWN}", screenshot="browse-removed.png"))
    assert "removed since" in text and "no longer available" in text and "OK 200" not in text
    dom = open_page("/alerts", screenshot="browse-alerts.png")
    text = visible_text(dom)
    assert "<p>" not in text and "&lt;p&gt;" not in dom            # the removed alert's paragraphs render
    assert "Its last archived version (v1," in text and "compare v1 → v2" in text
    assert "compare versions" not in text                            # one numbering: no archive ids


def test_a_person_sees_what_each_read_of_a_listing_found(listing_browser) -> None:
    archive, open_page = listing_browser
    dom = open_page(f"/sources/{LISTING}", screenshot="browse-listing.png")
    text = visible_text(dom)
    assert "What each read of this listing found" in text and "2 items first met" in text
    for entry in LATER:
        assert entry.title in text
    tracked = archive.query("SELECT source FROM listing_items WHERE title=?", (LATER[0].title,))[0]["source"]
    assert tracked and f'href="/sources/{tracked}"' in dom and "unrelated" in text and "new" in text


def test_a_hostile_capture_runs_nothing_and_loads_nothing_from_the_live_site(browser) -> None:
    bs, served, open_page = browser
    cid = bs.archive.query("SELECT id FROM captures WHERE source=? AND status=200 ORDER BY id DESC LIMIT 1",
                           (HOSTILE,))[0]["id"]
    dom = open_page(f"/sources/{HOSTILE}/captures/{cid}", screenshot="browse-hostile-capture.png")
    assert f"/sources/{HOSTILE}/captures/{cid}/raw" in served.paths     # the sandboxed frame did load
    assert title_of(dom) == f"capture #{cid} · {HOSTILE_TITLE} · redline"
    assert f"Capture #{cid}" in visible_text(dom) and "Shown sandboxed" in visible_text(dom)
    raw = open_page(f"/sources/{HOSTILE}/captures/{cid}/raw")          # even opened directly, not framed
    assert title_of(raw) == HOSTILE_TITLE                                # its script did not set "PWNED"
    # no script, meta refresh, image, stylesheet, frame, object or form of the page reached the live site
    assert bs.beacon_hits() == []


def test_a_person_sees_where_a_watched_formulation_stands_and_where_it_was_dropped(browser) -> None:
    bs, served, open_page = browser
    dom = open_page("/phrases", screenshot="browse-phrases.png")
    text = visible_text(dom)
    assert title_of(dom) == "Formulations · redline" and "Watched formulations" in text
    assert "“the UN should play a leading role”" in text and "the United Nations (UN) should play a leading role" in text
    assert re.search(rf'href="/sources/{bs.changed}/compare\?a=1&amp;b=2">v2</a>', dom)   # dropped in v2
    assert "stands" in text and "No archived version holds it." in text                   # 网络主权: never


# --------------------------------------------------------------------------- issue 16: search, grades, as of, strip

@pytest.fixture(scope="module")
def history_browser(tmp_path_factory):
    from support.history_stack import history_stack

    exe = chromium_path()
    with history_stack(tmp_path_factory.mktemp("history")) as hs, Served(create_app(hs.archive)) as served:
        yield hs, page_opener(exe, served.base, tmp_path_factory.mktemp("chromium-history"))


def both_widths(open_page, path: str, shot: str) -> str:
    """The page at desktop width and at 400 px (screenshots shot.png and shot-narrow.png); the desktop DOM."""
    narrow = open_page(path, screenshot=f"{shot}-narrow.png", width=400)
    dom = open_page(path, screenshot=f"{shot}.png")
    assert visible_text(narrow) == visible_text(dom)
    return dom


def test_a_person_searches_every_version_and_sees_where_a_phrase_ended(history_browser) -> None:
    hs, open_page = history_browser
    dom = both_widths(open_page, "/search?q=leading+role", "browse-search")
    text = visible_text(dom)
    assert title_of(dom) == "Search: leading role · redline"
    assert "2 paragraphs holding “leading role”" in text and "ended in v3" in text and "stands" in text
    assert dom.count("<mark>leading role</mark>") == 2
    assert 'name="q" value="leading role"' in dom          # the nav box keeps the query


def test_a_person_filters_the_alerts_by_grade(history_browser) -> None:
    hs, open_page = history_browser
    dom = both_widths(open_page, "/alerts?grade=high", "browse-alerts-high")
    text = visible_text(dom)
    assert "Alerts graded high" in text and "1 alert" in text and "modality" in text
    assert dom.count('<article class="alert">') == 1 and 'aria-current="page" class="grade-high"' in dom
    assert "cyberspce" not in text                         # the low (spelling) alert is filtered out


def test_a_person_reads_what_a_statement_said_on_a_date(history_browser) -> None:
    from support.history_stack import NAME

    hs, open_page = history_browser
    dom = both_widths(open_page, f"/sources/{NAME}?at=2024-01-31", "browse-as-of")   # the form's address
    text = re.sub(r"\(\s+", "(", re.sub(r"\s+([,;.)])", r"\1", visible_text(dom)))      # as read, no tag gaps
    assert title_of(dom) == "as of 2024-01-31 · A statement watched daily · redline"
    assert "As of 2024-01-31 (the end of that day, UTC): version v2, captured 2024-01-21 09:00 UTC" in text
    assert "the next version, v3, came on 2024-02-15 09:00 UTC" in text
    assert "cyberspce" in text and "should play a leading role" in text     # v2's words: spelling fixed, not yet "must"
    before = visible_text(open_page(f"/sources/{NAME}/at/2023-06-01"))
    assert "had no version yet on 2023-06-01: its first version, v1, is from 2024-01-01" in before


def test_a_person_sees_a_sources_life_in_the_timeline_strip(history_browser) -> None:
    from support.history_stack import NAME

    hs, open_page = history_browser
    dom = both_widths(open_page, f"/sources/{NAME}", "browse-strip")
    strip = re.search(r'<svg class="strip".*?</svg>', dom, re.S).group(0)
    links = re.findall(rf'<a href="/sources/{NAME}/at/(\d{{4}}-\d{{2}}-\d{{2}})"', strip)
    assert len(links) == 18 and links == sorted(links)     # a bar a week from January to April, each linked
    assert [m for m in re.findall(r'class="mark (\w+)"', strip)] == ["first", "low", "high", "medium", "minor"]
    assert strip.count("<title>") == 18 and "new version v3 (high)" in strip
    text = visible_text(dom)
    assert "One bar a week" in text and "high ×1" in text and "What did it say on" in text
