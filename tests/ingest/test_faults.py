"""Bad input, one test per case, each against a misbehaving loopback server (tests/support/faultsite.py).

Every case runs the same check twice over three sources on one host: a good page, the
bad one, another good page. Each must end with one clear line recorded against the bad
source (or, for pages that are odd but readable, the right text), the good sources
unaffected, `verify` finding no error, and at most one operator alert however often the
bad source fails.
"""
from __future__ import annotations

import gzip
import time
import tracemalloc
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import pytest

from support.faultsite import Exchange, FaultSite
from redline.alerts.sinks import JsonlSink
from redline.store.sqlite import Archive
from redline.cli.main import main
from redline.discovery.listing import parse_listing
from redline.core.errors import ArchiveError, RegistryError
from redline.ingest.fetch import Fetcher
from redline.core.model import CheckOutcome, Source
from redline.monitor.check import check_batch
from redline.alerts.delivery import deliver_pending
from redline.registry.load import load_registry
from redline.store.verify import verify_archive

CAP = 100_000


def statement(title: str, *paragraphs: str, charset: str | None = "utf-8") -> str:
    meta = f'<meta charset="{charset}">' if charset else ""
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return (f"<html><head>{meta}<title>{title}</title></head><body><div class='article'><h1>{title}</h1>"
            f"{body}</div></body></html>")


GOOD = {"good-a": "/good-a.html", "good-b": "/good-b.html"}
GOOD_TEXT = "The parties reaffirmed their commitment to an open, secure and peaceful cyberspace."


@pytest.fixture(scope="module")
def site():
    with FaultSite() as s:
        s.page("/robots.txt", b"User-agent: *\nDisallow: /private/\n", headers={"Content-Type": "text/plain"})
        for name, path in GOOD.items():
            s.page(path, statement(f"Statement {name}", GOOD_TEXT).encode())
        yield s


def fetcher(**options) -> Fetcher:
    settings = dict(timeout=0.5, retries=0, per_host_delay=0, max_bytes=CAP, max_time=1.0, allow_private="loopback")
    return Fetcher(**{**settings, **options})


@dataclass
class Run:
    archive: Archive
    runs: list[dict[str, CheckOutcome]]

    @property
    def bad(self) -> CheckOutcome:
        return self.runs[-1]["bad"]

    def text(self, name: str = "bad") -> str:
        return self.archive.get_text(self.archive.latest_version(name).text_sha256)


def run_case(tmp_path: Path, site: FaultSite, path: str, *, runs: int = 2, fetch: Fetcher | None = None,
             between: Callable[[], None] | None = None, bad_source: Source | None = None) -> Run:
    """Check good-a, bad, good-b `runs` times (threshold 1: the first failure is an episode),
    delivering alerts after each run; then verify the archive."""
    root = tmp_path / "archive"
    bad = bad_source or Source(name="bad", url=site.url(path), title="The bad page", profile="generic")
    sources = [Source(name="good-a", url=site.url(GOOD["good-a"]), profile="generic"), bad,
               Source(name="good-b", url=site.url(GOOD["good-b"]), profile="generic")]
    archive = Archive(root)
    archive.sync_sources([s for s in sources if s is not bad or bad_source is None])
    sinks = {"alert-log": JsonlSink(archive.alerts_log, name="alert-log"),
             "operator-log": JsonlSink(root / "operator-alerts.jsonl", name="operator-log")}
    history = []
    with (fetch or fetcher()) as f:
        for i in range(runs):
            if i and between:
                between()
            outcomes = check_batch(sources, archive=archive, fetcher=f, run_id=f"run-{i}", sinks=["alert-log"],
                                   operator_sinks=["operator-log"], failure_threshold=1)
            deliver_pending(archive, sinks)
            history.append({o.source: o for o in outcomes})
    return Run(archive, history)


def assert_contained(run: Run, *, error: str | None, failing: bool | None = None) -> None:
    """The promise of every case: one line against the bad source, the others unaffected,
    the archive whole, at most one operator alert."""
    bad = run.bad
    if error is None:
        assert bad.error is None, bad.error
    else:
        assert bad.error is not None and error in bad.error, bad.error
        assert "\n" not in bad.error and len(bad.error) < 300
        last = run.archive.query("SELECT error FROM captures WHERE source='bad' ORDER BY id DESC LIMIT 1")
        assert last and last[0]["error"] == bad.error
    for outcomes in run.runs:
        for name in GOOD:
            assert outcomes[name].error is None and outcomes[name].status in (200, 304), outcomes[name]
    for name in GOOD:
        assert len(run.archive.versions(name)) == 1
        assert run.archive.alerts(source=name) == []
    report = verify_archive(run.archive.root)
    assert report.errors == [], report.errors
    operator = run.archive.alerts(kinds=("failing", "recovered"))
    assert all(a.source == "bad" for a in operator)
    assert len(operator) <= 1
    if failing is not None:
        assert [a.kind for a in operator] == (["failing"] if failing else [])
    if failing:
        lines = (run.archive.root / "operator-alerts.jsonl").read_text(encoding="utf-8").splitlines()
        assert len(lines) == 1 and error in lines[0]


# -- pages that are odd but readable -------------------------------------------------------------------------

def test_malformed_html_still_yields_its_text(tmp_path, site) -> None:
    site.page("/malformed.html", b"<html><head><title>Broken</title><body><div class='article'><h1>Broken"
                                 b"<p>Unclosed <b>bold <i>and italic</p><p>Second &amp paragraph &nbsp<table><tr>"
                                 b"<td>a cell</div></span></body></html></html><p>after the end")
    run = run_case(tmp_path, site, "/malformed.html")
    assert_contained(run, error=None, failing=False)
    text = run.text()
    assert "Unclosed bold and italic" in text and "Second & paragraph" in text
    assert len(run.archive.versions("bad")) == 1


def test_a_truncated_html_document_yields_the_text_that_arrived(tmp_path, site) -> None:
    page = statement("Cut short", "The first paragraph arrived whole.", "The second paragraph was cut")
    site.page("/truncated.html", page[: page.index("was cut") + 3].encode())
    run = run_case(tmp_path, site, "/truncated.html")
    assert_contained(run, error=None, failing=False)
    assert "The first paragraph arrived whole." in run.text()


def test_a_connection_closed_before_the_declared_length_is_one_line(tmp_path, site) -> None:
    def short(ex: Exchange) -> None:
        ex.sock.sendall(ex.head(200, {"Content-Type": "text/html"}, length=5000) + b"<html><body><p>only this")

    site.route("/short.html", short)
    run = run_case(tmp_path, site, "/short.html")
    assert_contained(run, error="network error reading", failing=True)
    assert "incomplete" in run.bad.error or "complete message body" in run.bad.error


def test_a_binary_body_served_as_html_is_refused(tmp_path, site) -> None:
    site.page("/image.html", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(200), headers={"Content-Type": "text/html"})
    run = run_case(tmp_path, site, "/image.html")
    assert_contained(run, error="not an HTML page (a binary body served as text/html)", failing=True)


def test_a_pdf_where_html_was_expected_is_refused_and_kept_raw(tmp_path, site) -> None:
    pdf = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n"
    site.page("/statement.pdf", pdf, headers={"Content-Type": "application/pdf"})
    run = run_case(tmp_path, site, "/statement.pdf")
    assert_contained(run, error="not an HTML page (application/pdf)", failing=True)
    capture = run.archive.query("SELECT id FROM captures WHERE source='bad' ORDER BY id DESC LIMIT 1")[0]
    assert run.archive.raw_body(capture["id"]) == pdf  # the evidence is kept in the WARC


def test_a_body_over_the_size_cap_is_refused_without_reading_it_all(tmp_path, site) -> None:
    def endless(ex: Exchange) -> None:  # no Content-Length: the cap must stop the stream itself
        ex.sock.sendall(ex.head(200, {"Content-Type": "text/html"}))
        chunk = b"<p>" + b"x" * 8189 + b"</p>"
        for _ in range(1000):  # up to 8 MB, far past the cap
            if ex.stop.is_set():
                return
            ex.sock.sendall(chunk)

    site.route("/huge.html", endless)
    run = run_case(tmp_path, site, "/huge.html")
    assert_contained(run, error=f"body larger than {CAP} bytes", failing=True)


def test_a_gzip_bomb_stops_at_the_cap_on_decoded_bytes_and_memory_stays_small(tmp_path, site) -> None:
    bomb = gzip.compress(b"\0" * 10_000_000, compresslevel=9)  # 10 MB of zeros in ~10 KB
    assert len(bomb) < 20_000
    site.page("/bomb.html", bomb, headers={"Content-Type": "text/html", "Content-Encoding": "gzip"})
    with fetcher() as f:
        tracemalloc.start()
        result = f.fetch(site.url("/bomb.html"))
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    assert result.error == f"body larger than {CAP} bytes at {site.url('/bomb.html')}"
    assert peak < 4 * CAP + 1_000_000, peak  # not the 10 MB the bomb holds
    run = run_case(tmp_path, site, "/bomb.html")
    assert_contained(run, error=f"body larger than {CAP} bytes", failing=True)


# -- charsets ------------------------------------------------------------------------------------------------

ZH = "中华人民共和国外交部发言人就网络安全问题答记者问。各方应当共同维护和平、安全、开放、合作的网络空间。"
ZH_TRAD = "中華人民共和國外交部發言人就網絡安全問題答記者問。各方應當共同維護和平、安全、開放、合作的網絡空間。"


@pytest.mark.parametrize("case, body, content_type, expected", [
    ("no-charset", statement("声明", ZH, charset=None).encode("utf-8"), "text/html", ZH),
    ("header-says-latin1", statement("声明", ZH, charset=None).encode("utf-8"), "text/html; charset=iso-8859-1", ZH),
    ("header-says-utf8-but-gbk", statement("声明", ZH, charset=None).encode("gbk"), "text/html; charset=utf-8", ZH),
    ("gbk", statement("声明", ZH, charset="gbk").encode("gbk"), "text/html", ZH),
    ("big5", statement("聲明", ZH_TRAD, charset=None).encode("big5"), "text/html; charset=big5", ZH_TRAD),
])
def test_charsets_missing_wrong_gbk_and_big5_decode_to_the_right_text(tmp_path, site, case, body, content_type,
                                                                      expected) -> None:
    site.page(f"/{case}.html", body, headers={"Content-Type": content_type})
    run = run_case(tmp_path, site, f"/{case}.html")
    assert_contained(run, error=None, failing=False)
    assert expected in run.text()


# -- redirects -----------------------------------------------------------------------------------------------

def test_a_redirect_loop_is_one_line_and_not_retried(tmp_path, site) -> None:
    site.page("/loop-a.html", b"", status=302, headers={"Location": "/loop-b.html"})
    site.page("/loop-b.html", b"", status=302, headers={"Location": "/loop-a.html"})
    run = run_case(tmp_path, site, "/loop-a.html", fetch=fetcher(retries=2))
    assert_contained(run, error=f"redirect loop at {site.url('/loop-a.html')}", failing=True)
    assert site.hits("/loop-b.html") == 2  # once per run: no retries


@pytest.mark.parametrize("target, words", [
    ("http://169.254.169.254/latest/meta-data/", "refused: 169.254.169.254 is a link-local address"),
    ("http://10.1.2.3/admin", "refused: 10.1.2.3 is a private address"),
    ("http://[::1]:9/", "refused: ::1 is a loopback address"),
])
def test_a_redirect_to_a_private_or_loopback_address_is_refused(tmp_path, site, target, words) -> None:
    path = f"/to-internal-{abs(hash(target))}.html"
    site.page(path, b"", status=302, headers={"Location": target})
    only_this_host = fetcher(allow_private="127.0.0.1/32")  # the site itself is allowed, nothing else
    run = run_case(tmp_path, site, path, fetch=only_this_host)
    assert_contained(run, error=words, failing=True)
    assert "REDLINE_ALLOW_PRIVATE" in run.bad.error


# -- HTTP errors ---------------------------------------------------------------------------------------------

def test_404_on_an_address_never_archived_is_a_failure(tmp_path, site) -> None:
    run = run_case(tmp_path, site, "/no-such-page.html")
    assert_contained(run, error="HTTP 404 Not Found", failing=True)


def test_410_on_an_archived_statement_is_one_removed_alert_not_a_failure(tmp_path, site) -> None:
    site.page("/withdrawn.html", statement("Withdrawn", "A statement that will be withdrawn.").encode())
    run = run_case(tmp_path, site, "/withdrawn.html", runs=3,
                   between=lambda: site.page("/withdrawn.html", b"<h1>Gone</h1>", status=410))
    assert_contained(run, error=None, failing=False)
    assert run.bad.change == "removed"
    last = run.archive.query("SELECT error FROM captures WHERE source='bad' ORDER BY id DESC LIMIT 1")[0]
    assert last["error"] == f"removed: HTTP 410 at {site.url('/withdrawn.html')}"
    assert [a.kind for a in run.archive.alerts(source="bad")] == ["removed"]
    assert "A statement that will be withdrawn." in run.text()  # the last version stays


def test_429_with_retry_after_is_honoured_then_the_page_is_fetched(tmp_path, site) -> None:
    asked: list[str] = []

    def busy_once(ex: Exchange) -> None:
        asked.append(ex.path)
        if len(asked) % 2:
            ex.respond(429, b"slow down", {"Retry-After": "2"})
        else:
            ex.respond(200, statement("Busy", "Answered on the second try.").encode())

    site.route("/busy.html", busy_once)
    waits: list[float] = []
    run = run_case(tmp_path, site, "/busy.html", fetch=fetcher(retries=1, sleep=waits.append))
    assert_contained(run, error=None, failing=False)
    assert 2.0 in waits and len(asked) == 4  # two runs, each: 429, wait as asked, 200
    assert "Answered on the second try." in run.text()


def test_500_is_retried_then_recorded_in_one_line(tmp_path, site) -> None:
    site.page("/broken.html", b"<h1>Internal Server Error</h1>", status=500)
    run = run_case(tmp_path, site, "/broken.html", fetch=fetcher(retries=1, backoff=0.01))
    assert_contained(run, error="HTTP 500 Internal Server Error", failing=True)
    assert site.hits("/broken.html") == 4 and run.bad.status == 500  # two runs, each retried once


def test_503_once_is_retried_and_the_check_succeeds(tmp_path, site) -> None:
    calls: list[int] = []

    def flaky(ex: Exchange) -> None:
        calls.append(1)
        if len(calls) == 1:
            ex.respond(503, b"maintenance", {"Retry-After": "0"})
        else:
            ex.respond(200, statement("Flaky", "Back after a 503.").encode())

    site.route("/flaky.html", flaky)
    run = run_case(tmp_path, site, "/flaky.html", fetch=fetcher(retries=2, backoff=0.01))
    assert_contained(run, error=None, failing=False)
    assert run.runs[0]["bad"].status == 200 and "Back after a 503." in run.text()


# -- servers that misbehave on the wire ----------------------------------------------------------------------

def test_a_server_that_accepts_and_never_answers_times_out(tmp_path, site) -> None:
    site.route("/silent.html", lambda ex: ex.wait())
    started = time.monotonic()
    run = run_case(tmp_path, site, "/silent.html")
    assert_contained(run, error=f"timed out after 0.5 s reading {site.url('/silent.html')}", failing=True)
    assert time.monotonic() - started < 5


@pytest.mark.parametrize("where", ["body", "headers"])
def test_a_server_sending_a_byte_at_a_time_hits_the_total_deadline(tmp_path, site, where) -> None:
    page = statement("Slow", "Every byte arrives on its own, well within the read timeout.").encode()

    def drip(ex: Exchange) -> None:  # a byte every 0.2 s: the 0.5 s read timeout never fires
        head = ex.head(200, {"Content-Type": "text/html"}, length=len(page))
        if where == "headers":
            ex.trickle(head + page, 0.2)
        else:
            ex.sock.sendall(head)
            ex.trickle(page, 0.2)

    site.route(f"/drip-{where}.html", drip)
    started = time.monotonic()
    run = run_case(tmp_path, site, f"/drip-{where}.html")
    assert_contained(run, error=f"gave up after 1 s: {site.url(f'/drip-{where}.html')} sends too slowly",
                     failing=True)
    assert time.monotonic() - started < 6  # two runs of ~1 s each, not 2 x len(page) x 0.2 s


def test_a_connection_reset_mid_body_is_one_line(tmp_path, site) -> None:
    def reset(ex: Exchange) -> None:
        ex.sock.sendall(ex.head(200, {"Content-Type": "text/html"}, length=20_000) + b"<html><body><p>" + b"x" * 2000)
        time.sleep(0.05)
        ex.reset()

    site.route("/reset.html", reset)
    run = run_case(tmp_path, site, "/reset.html")
    assert_contained(run, error="network error reading", failing=True)


# -- pages with nothing to keep ------------------------------------------------------------------------------

def test_an_empty_200_has_no_text_and_is_a_failure(tmp_path, site) -> None:
    site.page("/empty.html", b"")
    run = run_case(tmp_path, site, "/empty.html")
    assert_contained(run, error="has no text after normalization", failing=True)
    assert run.archive.versions("bad") == []


def test_a_not_found_placeholder_served_with_200_is_not_a_version(tmp_path, site) -> None:
    page = ("<html><head><title>页面不存在</title></head><body><div class='box'><p>对不起，您访问的页面不存在或已删除。</p>"
            "<p><a href='/'>返回首页</a></p></div></body></html>")
    site.page("/placeholder.html", page.encode("utf-8"), headers={"Content-Type": "text/html; charset=utf-8"})
    run = run_case(tmp_path, site, "/placeholder.html")
    assert_contained(run, error="placeholder", failing=True)
    assert run.archive.versions("bad") == []


def test_a_page_robots_txt_disallows_is_not_fetched(tmp_path, site) -> None:
    site.page("/private/statement.html", statement("Private", "Not for robots.").encode())
    run = run_case(tmp_path, site, "/private/statement.html")
    assert_contained(run, error=f"robots.txt of {site.netloc} disallows /private/statement.html", failing=True)
    assert site.hits("/private/statement.html") == 0


def test_a_listing_with_10000_links_is_checked_and_parsed_in_bounded_time(tmp_path, site) -> None:
    links = "".join(f'<li><a href="/eng/zxxx/202401/t2024010{i % 10}_{i}.html">Statement number {i} on '
                    f"cyberspace</a><span>2024-01-0{i % 9 + 1}</span></li>" for i in range(10_000))
    page = f"<html><head><title>News</title></head><body><ul class='list'>{links}</ul></body></html>".encode()
    site.page("/listing.html", page)
    started = time.monotonic()  # 1.2 MB of HTML: one run (normalizing it takes ~3 s here)
    run = run_case(tmp_path, site, "/listing.html", runs=1, fetch=fetcher(max_bytes=5_000_000, max_time=5))
    checked = time.monotonic() - started
    assert_contained(run, error=None, failing=False)
    started = time.monotonic()
    listing = parse_listing(page.decode(), site.url("/listing.html"))
    parsed = time.monotonic() - started
    assert len(listing.items) == 10_000
    assert checked < 20 and parsed < 10, (checked, parsed)


def test_bidi_controls_and_zero_width_characters_never_reach_the_text_or_alert(tmp_path, site) -> None:
    clean = statement("Invisible", "The parties agreed to cooperate.", "They will meet again.").encode()
    hidden = statement("Invis\u200bible", "The parties \u202eagreed\u202c to co\u200doperate.\ufeff",
                       "They will \u2066meet\u2069 again.\u200f").encode()
    site.page("/invisible.html", clean)
    run = run_case(tmp_path, site, "/invisible.html", between=lambda: site.page("/invisible.html", hidden))
    assert_contained(run, error=None, failing=False)
    assert len(run.archive.versions("bad")) == 1 and run.archive.alerts(source="bad") == []
    assert run.runs[-1]["bad"].new_version is False
    text = run.text()
    assert not any(ch in text for ch in "\u200b\u200d\u202e\u202c\u2066\u2069\u200f\ufeff")


# -- bad configuration ---------------------------------------------------------------------------------------

def test_an_invalid_sources_file_is_refused_line_by_line_and_the_archive_is_untouched(tmp_path, site, capsys) -> None:
    run = run_case(tmp_path, site, GOOD["good-a"])  # an archive with history
    run.archive.close()
    before = {p: p.read_bytes() for p in run.archive.root.rglob("*") if p.is_file()}
    bad = tmp_path / "sources.toml"
    bad.write_text('[[source]]\nname = "Bad Name"\nurl = "file:///etc/passwd"\n\n[[source]]\nname = "x"\n'
                   'url = "https://example.org/x"\nprofile = "nope"\nsurprise = 1\n', encoding="utf-8")
    with pytest.raises(RegistryError) as err:
        load_registry(bad)
    assert len(err.value.problems) >= 4 and all("\n" not in p and str(bad) in p for p in err.value.problems)
    code = main(["run", "--sources", str(bad), "--archive", str(run.archive.root)])
    out = capsys.readouterr().err
    assert code == 2 and "Traceback" not in out
    assert len([line for line in out.splitlines() if line.startswith("error: ")]) == len(err.value.problems)
    after = {p: p.read_bytes() for p in run.archive.root.rglob("*") if p.is_file()}
    assert after == before


def test_a_source_name_that_tries_to_escape_the_archive_is_refused(tmp_path, site) -> None:
    evil = Source(name="../../escaped", url=site.url(GOOD["good-a"]), profile="generic")
    registry = tmp_path / "sources.toml"
    registry.write_text(f'[[source]]\nname = "../../escaped"\nurl = "{evil.url}"\n', encoding="utf-8")
    with pytest.raises(RegistryError, match="name"):
        load_registry(registry)
    run = run_case(tmp_path, site, GOOD["good-a"], bad_source=evil)
    outcome = run.runs[-1]["../../escaped"]
    assert outcome.error.startswith("refused: source name '../../escaped' is not a slug")
    for outcomes in run.runs:
        assert all(outcomes[n].error is None for n in GOOD)
    with pytest.raises(ArchiveError, match="not a slug"):
        run.archive.sync_sources([evil])
    with pytest.raises(ArchiveError, match="not a slug"):
        with fetcher() as f:
            run.archive.write_warc("../../escaped", f.fetch(site.url(GOOD["good-a"])))
    assert not list(tmp_path.parent.glob("escaped*")) and not list(tmp_path.glob("escaped*"))
    assert [p for p in tmp_path.rglob("*escaped*")] == []
    assert verify_archive(run.archive.root).errors == []
