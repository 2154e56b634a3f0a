"""The read-only web view, in process (httpx over ASGI): every page and its JSON twin,
escaping of a hostile page, the CSP, sandboxed raw captures, 404s and no traversal."""
from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import httpx
import pytest

from support.browse_stack import Client, HOSTILE, HOSTILE_LINE, HOSTILE_TITLE, WITHDRAWN, browse_stack
from redline.store import readmodel as views
from redline.web.app import PAGE_CSP, RAW_CSP, create_app
from redline.web.render import safe_fragment, side_by_side


@pytest.fixture(scope="module", params=("sqlite", "postgresql"))
def web(request, tmp_path_factory):
    """The browse stack's archive on each index backend (tests/conftest.py: pg_server)."""
    with pytest.MonkeyPatch.context() as env:
        if request.param == "postgresql":
            env.setenv("REDLINE_STORE", request.getfixturevalue("pg_server").new_database())
        else:
            env.delenv("REDLINE_STORE", raising=False)
        with browse_stack(tmp_path_factory.mktemp("web")) as bs:
            yield bs, Client(create_app(bs.archive))


def ok(client: Client, url: str) -> httpx.Response:
    r = client.get(url)
    assert r.status_code == 200, (url, r.status_code, r.text[:300])
    return r


def versions_of(bs, name: str) -> list[views.VersionInfo]:
    return views.version_infos(bs.archive, name)


def capture_with_body(bs, name: str) -> int:
    return bs.archive.query("SELECT id FROM captures WHERE source=? AND status=200 AND revisit=0 "
                            "ORDER BY id DESC LIMIT 1", (name,))[0]["id"]


def every_page(bs) -> list[str]:
    name = bs.changed
    old, new = versions_of(bs, name)[:2]
    hv = versions_of(bs, HOSTILE)
    return ["/", "/?tag=un", "/?q=zhang", f"/sources/{name}", f"/sources/{name}/versions/{new.seq}",
            f"/sources/{name}/compare?a={old.seq}&b={new.seq}", f"/sources/{name}/compare?view=changes",
            f"/sources/{name}/compare?view=side", f"/sources/{name}/captures/{capture_with_body(bs, name)}",
            "/alerts", f"/alerts?source={name}", f"/sources/{HOSTILE}", f"/sources/{HOSTILE}/versions/{hv[-1].seq}",
            f"/sources/{HOSTILE}/compare", f"/sources/{HOSTILE}/compare?view=side",
            f"/sources/{HOSTILE}/compare?view=changes", f"/sources/{HOSTILE}/captures/{capture_with_body(bs, HOSTILE)}"]


# --------------------------------------------------------------------------- pages and twins

def test_sources_list_shows_each_source_with_status_last_check_and_versions(web) -> None:
    bs, client = web
    page = ok(client, "/").text
    data = ok(client, "/api/sources").json()
    by_name = {s["name"]: s for s in data["sources"]}
    assert len(by_name) == 7 and all(name in page for name in by_name)
    assert by_name[bs.changed]["versions"] == 2 and by_name[bs.changed]["alerts"] == 1
    assert {s["status"] for n, s in by_name.items() if n != WITHDRAWN} == {"ok"}
    assert all(s["last_check"] and s["captures"] >= 2 for s in data["sources"])
    assert "un" in data["facets"]["tags"] and len(data["facets"]["sites"]) == 1


def test_sources_filter_by_tag_site_and_text(web) -> None:
    bs, client = web
    def names(query: str) -> set[str]:
        return {s["name"] for s in ok(client, "/api/sources" + query).json()["sources"]}
    everyone = names("")
    assert names("?tag=un") == {"mfa-china-un-cyber-workshop-2016", "un-zhang-jun-security-council-cyber-2021"}
    assert names("?q=ZHANG") == {"un-zhang-jun-security-council-cyber-2021"}
    site = ok(client, "/api/sources").json()["facets"]["sites"][0]
    assert names(f"?site={site}") == everyone and names("?site=example.org") == set()
    page = ok(client, "/?tag=un").text
    assert "un-zhang-jun-security-council-cyber-2021" in page and bs.changed not in page


def test_timeline_lists_captures_and_versions_newest_first_a_page_at_a_time(web) -> None:
    bs, client = web
    name = bs.changed
    data = ok(client, f"/api/sources/{name}").json()
    times = [e["at"] for e in data["entries"]]
    assert times == sorted(times, reverse=True)
    captures = [e for e in data["entries"] if e["capture"]]
    assert len(captures) == 2 and data["entries"][-1]["versions"][0]["origin"] == "baseline"
    assert any(v["change"] == "substantive" and v["alert_id"] == bs.alert_id
               for e in data["entries"] for v in e["versions"])
    first, second = (ok(client, f"/api/sources/{name}?size=2&page={n}").json() for n in (1, 2))
    assert first["page"] == {"number": 1, "size": 2, "total": 3, "pages": 2}
    assert first["entries"] + second["entries"] == data["entries"]
    html = ok(client, f"/sources/{name}?size=2").text
    assert f'rel="next" href="/sources/{name}?page=2&amp;size=2"' in html and "page 1 of 2" in html
    assert client.get(f"/sources/{name}?page=3&size=2").status_code == 404


def test_version_page_shows_its_text_and_the_json_twin_carries_it(web) -> None:
    bs, client = web
    old, new = versions_of(bs, bs.changed)
    page = ok(client, f"/sources/{bs.changed}/versions/{new.seq}").text
    data = ok(client, f"/api/sources/{bs.changed}/versions/{new.seq}").json()
    text = bs.archive.get_text(new.text_sha256)
    assert data["text"] == text and data["previous"]["id"] == old.id and data["next"] is None
    assert "should play a central role" in page and f"/compare?a={old.seq}&amp;b={new.seq}" in page
    plain = ok(client, f"/sources/{bs.changed}/versions/{new.seq}/text")
    assert plain.text == text and plain.headers["content-type"].startswith("text/plain")


def test_compare_marks_the_changed_words_inline_changes_only_and_side_by_side(web) -> None:
    bs, client = web
    old, new = versions_of(bs, bs.changed)
    base = f"/sources/{bs.changed}/compare?a={old.seq}&b={new.seq}"
    inline = ok(client, base).text
    assert '<del id="change-1">leading</del>' in inline and "<ins>central</ins>" in inline
    assert '<a href="#change-1">the change</a>' in inline               # jump to it
    assert "The Inaugural ASEAN-China Cyber Dialogue" in inline          # the whole text, not just hunks
    # a menu of every version for each side, the pair shown selected
    menus = re.findall(r'<select name="([ab])">(.*?)</select>', inline, re.S)
    assert [m[0] for m in menus] == ["a", "b"]
    assert '<option value="1" selected>' in menus[0][1] and '<option value="2" selected>' in menus[1][1]
    changes = ok(client, base + "&view=changes").text
    assert changes.count('class="hunk"') == 1 and "The Inaugural" not in changes
    assert '<div class="hunk" id="change-1"' in changes
    side = ok(client, base + "&view=side").text
    row = re.search(r'<tr class="changed" id="change-1"><td>(.*?)</td><td>(.*?)</td></tr>', side, re.S)
    assert row and "<del>leading</del>" in row.group(1) and "<ins>central</ins>" in row.group(2)
    data = ok(client, "/api" + base).json()
    assert data["diff"]["stats"]["inserted_words"] == 1 and data["diff"]["stats"]["deleted_words"] == 1
    assert "[-leading-]{+central+}" in data["text"] and (data["a"]["id"], data["b"]["id"]) == (old.id, new.id)


def test_compare_without_versions_shows_the_latest_against_the_one_before(web) -> None:
    bs, client = web
    old, new = versions_of(bs, bs.changed)
    data = ok(client, f"/api/sources/{bs.changed}/compare").json()
    assert (data["a"]["id"], data["b"]["id"]) == (old.id, new.id)
    swapped = ok(client, f"/api/sources/{bs.changed}/compare?a={new.seq}&b={old.seq}").json()
    assert "[-central-]{+leading+}" in swapped["text"]


def test_raw_capture_is_served_as_archived_under_a_sandbox_csp_and_framed_sandboxed(web) -> None:
    bs, client = web
    cid = capture_with_body(bs, bs.changed)
    page = ok(client, f"/sources/{bs.changed}/captures/{cid}").text
    frame = re.search(r"<iframe[^>]*>", page).group(0)
    assert re.search(r"\ssandbox[\s>]", frame) and f'src="/sources/{bs.changed}/captures/{cid}/raw"' in frame
    raw = ok(client, f"/sources/{bs.changed}/captures/{cid}/raw")
    assert raw.content == bs.archive.raw_body(cid)
    assert raw.headers["content-security-policy"] == RAW_CSP and RAW_CSP.startswith("sandbox; default-src 'none'")
    assert raw.headers["x-content-type-options"] == "nosniff"
    data = ok(client, f"/api/sources/{bs.changed}/captures/{cid}").json()
    assert data["capture"]["status"] == 200 and data["http_status_line"].endswith("200 OK")
    assert ["Content-Type", "text/html"] in data["http_headers"]


def test_a_capture_answered_304_has_no_body_to_show(web) -> None:
    bs, client = web
    cid = bs.archive.query("SELECT id FROM captures WHERE source=? AND not_modified=1", (HOSTILE,))[0]["id"]
    page = ok(client, f"/sources/{HOSTILE}/captures/{cid}").text
    assert "not modified" in page and "<iframe" not in page
    assert client.get(f"/sources/{HOSTILE}/captures/{cid}/raw").status_code == 404


def test_a_revisit_capture_shows_the_body_of_the_capture_it_repeats(web) -> None:
    bs, client = web
    rows = bs.archive.query("SELECT id, revisit FROM captures WHERE source=? AND status=200 ORDER BY id",
                            (bs.revisited,))
    original, revisit = rows[0]["id"], rows[-1]["id"]
    assert rows[-1]["revisit"] == 1 and rows[0]["revisit"] == 0
    data = ok(client, f"/api/sources/{bs.revisited}/captures/{revisit}").json()
    assert data["capture"]["outcome"] == "same" and data["body_from"] == original
    page = ok(client, f"/sources/{bs.revisited}/captures/{revisit}").text
    assert f'href="/sources/{bs.revisited}/captures/{original}">capture #{original}</a>' in page
    raw = ok(client, f"/sources/{bs.revisited}/captures/{revisit}/raw").content
    assert raw == bs.archive.raw_body(original) and len(raw) > 1000


def test_the_capture_warc_download_is_the_archived_file(web) -> None:
    bs, client = web
    cid = capture_with_body(bs, bs.changed)
    row = bs.archive.capture(cid)
    r = ok(client, f"/sources/{bs.changed}/captures/{cid}/warc")
    assert r.content == (bs.archive.root / row["warc_path"]).read_bytes()
    assert r.headers["content-type"] == "application/warc"


def test_alerts_list_links_each_alert_to_its_comparison_and_feeds_parse(web) -> None:
    import feedparser

    bs, client = web
    page = ok(client, "/alerts").text
    data = ok(client, "/api/alerts").json()
    assert [a["id"] for a in data["alerts"]] == sorted([bs.alert_id, bs.hostile_alert_id, bs.removed_alert_id],
                                                       reverse=True)
    alert = bs.archive.alert(bs.alert_id)
    # the link and its words use the versions' numbers within the source, never the archive's ids
    assert f"/sources/{bs.changed}/compare?a={alert.from_seq}&amp;b={alert.to_seq}" in page
    assert f"compare v{alert.from_seq} → v{alert.to_seq}" in page and (alert.from_seq, alert.to_seq) == (1, 2)
    assert data["alerts"][-1 if data["alerts"][0]["id"] != bs.alert_id else 0]["to_version"] == 2
    assert "<del>leading</del>" in page
    assert [a["id"] for a in ok(client, f"/api/alerts?source={bs.changed}").json()["alerts"]] == [bs.alert_id]
    every = feedparser.parse(ok(client, "/alerts/feed.xml").content)
    one = feedparser.parse(ok(client, f"/sources/{bs.changed}/feed.xml").content)
    assert every.bozo == 0 and len(every.entries) == 3
    assert one.bozo == 0 and len(one.entries) == 1 and "central" in one.entries[0].content[0].value


def test_every_page_has_a_json_twin(web) -> None:
    bs, client = web
    index = ok(client, "/api").json()["routes"]
    assert {r["json"] for r in index} >= {"/api/sources", "/api/alerts", "/api/sources/{name}/compare"}
    for url in every_page(bs):
        page = ok(client, url)
        twin = "/api/sources" + url[1:] if url.startswith("/?") or url == "/" else "/api" + url
        assert f'href="{twin.replace("&", "&amp;")}"' in page.text, url
        r = ok(client, twin)
        assert r.headers["content-type"] == "application/json" and isinstance(r.json(), dict)


# --------------------------------------------------------------------------- safety

class Markup(HTMLParser):
    """Every element and attribute a browser would build from the page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.attrs: list[tuple[str, str]] = []
        self.svgs: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attrs += [(k, v or "") for k, v in attrs]
        if tag == "svg":
            self.svgs.append(dict(attrs).get("class") or "")


def test_a_hostile_title_and_text_are_shown_escaped_and_cannot_run(web) -> None:
    bs, client = web
    for url in every_page(bs):
        r = ok(client, url)
        m = Markup()
        m.feed(r.text)
        assert not {"script", "img", "object", "embed", "base", "textarea", "foreignobject"} & set(m.tags), url
        assert m.svgs == (["strip"] if re.fullmatch(r"/sources/[^/]+", url) else []), url   # only our own strip
        assert [t for t in m.tags if t == "iframe"] == (["iframe"] if "/captures/" in url else []), url
        assert not [k for k, _ in m.attrs if k.startswith("on")], url
        assert not [v for _, v in m.attrs if v.strip().lower().startswith("javascript:")], url
    listing = ok(client, "/").text
    assert "&lt;script&gt;document.title=&#34;PWNED&#34;&lt;/script&gt;" in listing  # shown, as text
    text = ok(client, f"/sources/{HOSTILE}/versions/{versions_of(bs, HOSTILE)[-1].seq}").text
    assert "&lt;img src=x onerror=alert(2)&gt;" in text and HOSTILE_LINE not in text
    assert HOSTILE_TITLE not in listing


def test_every_response_carries_a_strict_content_security_policy(web) -> None:
    bs, client = web
    assert "script-src" not in PAGE_CSP and PAGE_CSP.startswith("default-src 'none';")
    for url in [*every_page(bs), "/api/sources", "/static/style.css", "/sources/nope", "/alerts/feed.xml"]:
        r = client.get(url)
        assert r.headers["content-security-policy"] == PAGE_CSP, url
        assert r.headers["x-content-type-options"] == "nosniff" and r.headers["x-frame-options"] == "DENY"


def test_unknown_names_ids_and_path_tricks_are_not_found(web) -> None:
    bs, client = web
    name = bs.changed
    other = len(versions_of(bs, name)) + 1   # a number past the source's last version
    for url in ["/sources/nope", "/sources/..%2F..%2Findex.sqlite", "/sources/%2e%2e/versions/1",
                f"/sources/{name}/versions/999999", f"/sources/{name}/versions/{other}",
                f"/sources/{name}/versions/-1", f"/sources/{name}/versions/abc", f"/sources/{name}/captures/999999",
                f"/sources/{name}/compare?a={other}", "/static/../index.sqlite", "/static/%2e%2e/index.sqlite",
                "/sources/NAME-WITH-CAPS", "/nope", f"/sources/{name}/captures/1/%2e%2e/%2e%2e/%2e%2e/index.sqlite"]:
        r = client.get(url)
        assert r.status_code == 404, (url, r.status_code)
        assert b"SQLite format" not in r.content
    r = client.get(f"/api/sources/{name}/versions/{other}")
    assert r.status_code == 404 and r.json()["status"] == 404 and "no version" in r.json()["error"]
    for url in [f"/sources/{name}/compare?a=x", f"/sources/{name}/compare?view=script", f"/sources/{name}?page=0"]:
        assert client.get(url).status_code == 400, url


def test_browsing_every_page_writes_nothing(web) -> None:
    bs, client = web
    def files() -> dict[str, int]:
        return {str(p.relative_to(bs.root)): p.stat().st_size for p in Path(bs.root).rglob("*")
                if p.is_file() and not p.name.endswith(("-wal", "-shm"))}
    before, counts = files(), bs.archive.counts()
    for url in every_page(bs):
        ok(client, url)
        ok(client, "/api" + url if not url.startswith("/?") and url != "/" else "/api/sources")
    assert files() == before and bs.archive.counts() == counts


# --------------------------------------------------------------------------- renderers

def test_side_by_side_gives_a_whole_new_paragraph_its_own_row_and_pairs_changed_ones() -> None:
    ops = [(0, "Title\nThe UN should play a "), (-1, "leading"), (1, "central"), (0, " role.\n"),
           (1, "A new paragraph.\n"), (0, "Last line.")]
    rows = side_by_side(ops)
    assert [(r.old, r.new, r.changed) for r in rows] == [
        ("Title", "Title", False),
        ("The UN should play a <del>leading</del> role.", "The UN should play a <ins>central</ins> role.", True),
        ("", "<ins>A new paragraph.</ins>", True),
        ("Last line.", "Last line.", False)]


def test_side_by_side_escapes_page_text() -> None:
    rows = side_by_side([(0, "<b>x</b> "), (1, "<script>y</script>")])
    assert rows[0].new == "&lt;b&gt;x&lt;/b&gt; <ins>&lt;script&gt;y&lt;/script&gt;</ins>"


def test_a_stored_diff_fragment_keeps_only_diff_markup() -> None:
    hostile = ('<div class="hunk" data-line="3" onclick="x()">a <del>b</del><ins>c<script>alert(1)</script>'
               '<img src=x onerror=alert(2)></ins><br><a href="javascript:alert(3)">d</a><!-- e --><del>open')
    assert safe_fragment(hostile) == (
        '<div class="hunk" data-line="3">a <del>b</del><ins>c&lt;script&gt;alert(1)&lt;/script&gt;'
        '&lt;img src=x onerror=alert(2)&gt;</ins><br>&lt;a href=&quot;javascript:alert(3)&quot;&gt;d&lt;/a&gt;'
        '&lt;!-- e --&gt;<del>open</del></div>')


def test_timeline_and_history_queries_search_indexes_instead_of_scanning(web) -> None:
    bs, _ = web
    if bs.archive.backend != "sqlite":
        pytest.skip("reads SQLite's EXPLAIN QUERY PLAN")
    def plan(sql: str, params: tuple) -> str:
        return "\n".join(r["detail"] for r in bs.archive.query("EXPLAIN QUERY PLAN " + sql, params))
    name = bs.changed
    page = plan(views.TIMELINE_PAGE_SQL, (name, name, 100, 0))
    assert "captures USING COVERING INDEX captures_source" in page
    assert "versions USING INDEX versions_capture_source (capture_id=? AND source=?)" in page
    assert "SCAN" not in plan(views.TIMELINE_COUNT_SQL, (name, name)).replace("SCAN CONSTANT ROW", "")
    for sql in ("SELECT to_version, kind, from_version FROM changes WHERE to_version IN (?,?)",
                "SELECT to_version, id FROM alerts WHERE to_version IN (?,?)",
                "SELECT * FROM versions WHERE capture_id IN (?,?)"):
        assert "SEARCH" in plan(sql, (1, 2)) and "SCAN" not in plan(sql, (1, 2)), sql


# --------------------------------------------------------------------------- removed statements

def test_a_withdrawn_statement_shows_as_removed_on_every_page_and_in_the_json(web) -> None:
    bs, client = web
    source = ok(client, f"/api/sources/{WITHDRAWN}").json()["source"]
    assert source["status"] == "removed" and source["state_since"] and "placeholder" in source["state_reason"]
    front = ok(client, "/").text
    row = front[front.index(f">{WITHDRAWN}<"):][:2000]
    assert 'class="badge removed"' in row[:row.index("</tr>")] and "OK 200" not in row[:row.index("</tr>")]
    timeline = ok(client, f"/sources/{WITHDRAWN}").text
    assert 'class="badge removed"' in timeline and "OK 200" not in timeline
    assert '<span class="outcome removed">removed</span>' in timeline and "HTTP 200 <span class=\"outcome error" not in timeline


def test_the_alerts_page_renders_removed_alerts_as_paragraphs_not_markup_as_text(web) -> None:
    bs, client = web
    page = ok(client, f"/alerts?source={WITHDRAWN}").text
    assert "&lt;p&gt;" not in page and "<p>Its last archived version (v1," in page
    assert safe_fragment("<p>a &amp; b</p><script>x</script>") == "<p>a &amp; b</p>&lt;script&gt;x&lt;/script&gt;"


# --------------------------------------------------------------------------- order, paragraphs, listings

def test_the_front_page_lists_the_latest_change_first_and_marks_changes_since_a_date(web) -> None:
    bs, client = web
    names = [s["name"] for s in ok(client, "/api/sources").json()["sources"]]
    changed = [s for s in ok(client, "/api/sources").json()["sources"] if s["last_change"]]
    assert names[:len(changed)] == [s["name"] for s in sorted(changed, key=lambda s: s["last_change"], reverse=True)]
    assert names != sorted(names) or len(changed) < 2
    assert [s["name"] for s in ok(client, "/api/sources?sort=name").json()["sources"]] == sorted(names)
    trouble = ok(client, "/api/sources?sort=status").json()["sources"]
    assert trouble[0]["name"] == WITHDRAWN
    marked = ok(client, "/api/sources?since=2000-01-01").json()["sources"]
    assert {s["name"] for s in marked if s["changed_since"]} == {s["name"] for s in changed}
    assert not any(s["changed_since"] for s in ok(client, "/api/sources?since=2999-01-01").json()["sources"])
    page = ok(client, "/?since=2000-01-01").text
    assert "changed since 2000-01-01" in page and 'class="badge new"' in page
    assert client.get("/?sort=nonsense").status_code == 400 and client.get("/?since=yesterday").status_code == 400


def test_a_version_page_numbers_its_paragraphs_with_anchors_to_cite(web) -> None:
    bs, client = web
    v = versions_of(bs, bs.changed)[-1]
    page = ok(client, f"/sources/{bs.changed}/versions/{v.seq}").text
    data = ok(client, f"/api/sources/{bs.changed}/versions/{v.seq}").json()
    paragraphs = [line for line in data["text"].split("\n") if line.strip()]
    assert data["paragraphs"] == paragraphs and len(paragraphs) > 3
    assert '<li id="p4"><a class="pnum" href="#p4"' in page and page.count('<li id="p') == len(paragraphs)


def test_error_pages_never_show_the_archive_s_filesystem_path(web) -> None:
    bs, client = web
    for url in ["/sources/no-such-source", "/api/sources/no-such-source", "/sources/no-such-source/versions/1"]:
        r = client.get(url)
        assert r.status_code == 404 and str(bs.archive.root) not in r.text and "no source named" in r.text
