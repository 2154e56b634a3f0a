"""Fetcher against httpx.MockTransport: no test touches the network or really waits (but two thread tests)."""
from __future__ import annotations

import re
import threading
import time
from datetime import timezone
from pathlib import Path
from typing import Callable

import httpx
import pytest

from redline.ingest.fetch import Fetcher

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "mfa"
EN_URL = "https://www.fmprc.gov.cn/mfa_eng/xwfw_665399/s2510_665401/2511_665403/t1624190.shtml"
ZH_URL = "https://www.fmprc.gov.cn/web/wjdt_674879/fyrbt_674889/t1624087.shtml"
HTML = {"content-type": "text/html"}


class FakeTime:
    """A clock that only moves when something sleeps on it."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def make(handler: Callable[[httpx.Request], httpx.Response], fake: FakeTime | None = None, **options) -> Fetcher:
    fake = fake or FakeTime()
    options.setdefault("per_host_delay", 0.0)
    options.setdefault("robots", False)  # robots.txt has its own tests (test_faults, test_ssrf)
    return Fetcher(transport=httpx.MockTransport(handler), sleep=fake.sleep, clock=fake.clock, **options)


def serve(*responses: httpx.Response | Exception):
    """A handler that answers with the given responses (or raises the given errors) in turn."""
    queue = list(responses)
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        answer = queue.pop(0) if len(queue) > 1 else queue[0]
        if isinstance(answer, Exception):
            raise answer
        try:  # a fresh copy, so an answer can be served again
            return httpx.Response(answer.status_code, headers=answer.headers, content=answer.content)
        except httpx.ResponseNotRead:  # a streamed (generator) body: served once
            return answer

    handler.seen = seen  # type: ignore[attr-defined]
    return handler


# -- decoding ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("url, fixture, phrases", [
    (EN_URL, "cw_en_presser_t1624190_2018-12-21_cyber.html", ["Hua Chunying", "简体中文", "Français", "Русский"]),
    (ZH_URL, "cw_zh_presser_t1624087_2018-12-21_cyber.html", ["2018年12月21日外交部发言人华春莹主持例行记者会",
                                                              "在网络安全问题上对中方进行无端指责"]),
])
def test_utf8_page_served_as_text_html_without_charset_decodes_as_utf8(url, fixture, phrases):
    body = (FIXTURES / fixture).read_bytes()
    with make(serve(httpx.Response(200, headers=HTML, content=body))) as fetcher:
        result = fetcher.fetch(url)
    assert result.ok and result.status == 200
    assert result.encoding == "utf-8" and result.encoding_source == "meta"
    assert result.body == body
    assert all(phrase in result.text for phrase in phrases)


def test_gbk_page_with_meta_charset_gbk_decodes_chinese():
    page = '<html><head><meta http-equiv="Content-Type" content="text/html; charset=gbk"></head>' \
           "<body><p>外交部发言人华春莹主持例行记者会。朱镕基</p></body></html>"
    with make(serve(httpx.Response(200, headers=HTML, content=page.encode("gbk")))) as fetcher:
        result = fetcher.fetch(ZH_URL)
    assert (result.encoding, result.encoding_source) == ("gb18030", "meta")
    assert result.text == page


def test_gbk_page_without_any_declaration_is_detected():
    page = (FIXTURES / "cw_zh_presser_t1624087_2018-12-21_cyber.html").read_text(encoding="utf-8")
    page = re.sub(r"<meta[^>]*charset[^>]*>", "", page, flags=re.I)
    with make(serve(httpx.Response(200, headers=HTML,
                                   content=page.encode("gbk", errors="xmlcharrefreplace")))) as fetcher:
        result = fetcher.fetch(ZH_URL)
    assert (result.encoding, result.encoding_source) == ("gb18030", "detected")
    assert "外交部发言人华春莹主持例行记者会" in result.text


def test_header_charset_wins_over_meta():
    page = '<meta charset="utf-8"><p>外交部发言人</p>'
    with make(serve(httpx.Response(200, headers={"content-type": "text/html; charset=GBK"},
                                   content=page.encode("gbk")))) as fetcher:
        result = fetcher.fetch(ZH_URL)
    assert (result.encoding, result.encoding_source, result.text) == ("gb18030", "header", page)


# -- retries ----------------------------------------------------------------------------------------------

def test_retries_on_503_then_succeeds_with_backoff():
    fake = FakeTime()
    handler = serve(httpx.Response(503), httpx.Response(200, headers=HTML, content=b"<p>ok</p>"))
    with make(handler, fake, backoff=0.5) as fetcher:
        result = fetcher.fetch(EN_URL)
    assert result.ok and result.status == 200 and result.text == "<p>ok</p>"
    assert result.attempts == 2 and len(handler.seen) == 2
    assert fake.sleeps == [0.5]


def test_5xx_on_every_attempt_gives_error_with_last_status_and_exponential_backoff():
    fake = FakeTime()
    handler = serve(httpx.Response(502, headers=HTML, content=b"<h1>Bad Gateway</h1>"))
    with make(handler, fake, retries=2, backoff=0.5) as fetcher:
        result = fetcher.fetch(EN_URL)
    assert result.error == "HTTP 502 Bad Gateway"
    assert result.status == 502 and result.body == b"<h1>Bad Gateway</h1>" and result.text is None
    assert result.attempts == 3 and fake.sleeps == [0.5, 1.0]


def test_retries_on_connect_error_then_succeeds():
    handler = serve(httpx.ConnectError("[Errno 111] Connection refused"),
                    httpx.Response(200, headers=HTML, content=b"<p>ok</p>"))
    with make(handler) as fetcher:
        result = fetcher.fetch(EN_URL)
    assert result.ok and result.attempts == 2 and result.text == "<p>ok</p>"


def test_connect_error_on_every_attempt_is_one_line_error_not_an_exception():
    handler = serve(httpx.ConnectError("[Errno -2] Name or service not known"))
    with make(handler, retries=2) as fetcher:
        result = fetcher.fetch(EN_URL)
    assert result.error == "could not connect to www.fmprc.gov.cn: [Errno -2] Name or service not known"
    assert result.status is None and result.attempts == 3 and result.text is None
    assert result.final_url == EN_URL and result.fetched_at.tzinfo is not None


@pytest.mark.parametrize("error, words", [
    (httpx.ReadTimeout("timed out"), f"timed out after 20 s reading {EN_URL}"),
    (httpx.ConnectTimeout("timed out"), f"timed out after 20 s connecting to {EN_URL}"),
    (httpx.RemoteProtocolError("Server disconnected\nwithout sending a response."),
     f"network error reading {EN_URL}: Server disconnected without sending a response."),
])
def test_timeouts_and_protocol_errors_are_retried_then_reported(error, words):
    handler = serve(error)
    with make(handler, retries=1) as fetcher:
        result = fetcher.fetch(EN_URL)
    assert result.error == words and result.attempts == 2 and len(handler.seen) == 2


def test_no_retry_on_404_and_status_headers_body_are_kept():
    handler = serve(httpx.Response(404, headers={**HTML, "Server": "nginx"}, content=b"<h1>Not Found</h1>"))
    with make(handler, retries=3) as fetcher:
        result = fetcher.fetch(EN_URL)
    assert result.error == "HTTP 404 Not Found" and not result.ok
    assert result.status == 404 and result.attempts == 1 and len(handler.seen) == 1
    assert result.header("server") == "nginx" and result.body == b"<h1>Not Found</h1>" and result.text is None


def test_429_retry_after_seconds_is_honoured_via_injected_sleep():
    fake = FakeTime()
    handler = serve(httpx.Response(429, headers={"Retry-After": "7"}), httpx.Response(200, headers=HTML, content=b"ok"))
    with make(handler, fake, backoff=0.5) as fetcher:
        result = fetcher.fetch(EN_URL)
    assert result.ok and result.attempts == 2
    assert fake.sleeps == [7.0]


def test_retry_after_is_capped_at_60_seconds():
    fake = FakeTime()
    handler = serve(httpx.Response(429, headers={"Retry-After": "3600"}), httpx.Response(200, headers=HTML))
    with make(handler, fake) as fetcher:
        assert fetcher.fetch(EN_URL).ok
    assert fake.sleeps == [60.0]


def test_timeouts_are_set_on_every_phase():
    handler = serve(httpx.Response(200, headers=HTML))
    with make(handler, timeout=7.5) as fetcher:
        fetcher.fetch(EN_URL)
    assert handler.seen[0].extensions["timeout"] == {"connect": 7.5, "read": 7.5, "write": 7.5, "pool": 7.5}


# -- conditional GET, redirects ---------------------------------------------------------------------------

def test_conditional_get_sends_validators_and_304_is_not_modified():
    handler = serve(httpx.Response(304, headers={"ETag": '"abc"'}))
    with make(handler) as fetcher:
        result = fetcher.fetch(EN_URL, etag='"abc"', last_modified="Fri, 21 Dec 2018 10:00:00 GMT")
    sent = handler.seen[0].headers
    assert sent["If-None-Match"] == '"abc"' and sent["If-Modified-Since"] == "Fri, 21 Dec 2018 10:00:00 GMT"
    assert result.ok and result.not_modified and result.status == 304
    assert result.body == b"" and result.text is None and result.error is None
    assert ("If-None-Match", '"abc"') in result.request_headers


def test_plain_get_sends_no_validators():
    handler = serve(httpx.Response(200, headers=HTML))
    with make(handler) as fetcher:
        fetcher.fetch(EN_URL)
    assert "if-none-match" not in handler.seen[0].headers and "if-modified-since" not in handler.seen[0].headers


def test_a_cookie_the_site_sets_is_sent_back_on_its_next_requests_only():
    handler = serve(httpx.Response(200, headers={**HTML, "Set-Cookie": "session=s1; Path=/"}),
                    httpx.Response(200, headers=HTML))
    with make(handler) as fetcher:
        fetcher.fetch(EN_URL)
        fetcher.fetch(EN_URL)
        fetcher.fetch("https://other.example.org/page.html")
    first, again, other = (r.headers.get("cookie") for r in handler.seen)
    assert (first, again, other) == (None, "session=s1", None)


def test_redirects_are_recorded_with_absolute_urls_and_final_url_set():
    def handler(request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path == "/mfa_eng/old.shtml":
            return httpx.Response(301, headers={"Location": "/eng/new.html"})
        if path == "/eng/new.html":
            return httpx.Response(302, headers={"Location": "https://www.mfa.gov.cn/eng/final.html"})
        return httpx.Response(200, headers=HTML, content=b"<p>final</p>")

    with make(handler) as fetcher:
        result = fetcher.fetch("http://www.fmprc.gov.cn/mfa_eng/old.shtml")
    assert result.ok and result.text == "<p>final</p>"
    assert result.redirects == ((301, "http://www.fmprc.gov.cn/eng/new.html"),
                                (302, "https://www.mfa.gov.cn/eng/final.html"))
    assert result.final_url == "https://www.mfa.gov.cn/eng/final.html"
    assert result.url == "http://www.fmprc.gov.cn/mfa_eng/old.shtml"


def test_redirect_loop_gives_error():
    def handler(request: httpx.Request) -> httpx.Response:
        other = "/b" if request.url.path == "/a" else "/a"
        return httpx.Response(302, headers={"Location": other})

    with make(handler, retries=2) as fetcher:
        result = fetcher.fetch("https://example.org/a")
    assert result.error == "redirect loop at https://example.org/a"
    assert result.redirects == ((302, "https://example.org/b"), (302, "https://example.org/a"))
    assert result.status == 302 and result.attempts == 1


def test_too_many_redirects_gives_error():
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(302, headers={"Location": f"/p{int(request.url.path[2:]) + 1}"})

    with make(handler, max_redirects=3) as fetcher:
        result = fetcher.fetch("https://example.org/p0")
    assert result.error.startswith("too many redirects")
    assert len(result.redirects) == 4 and result.final_url == "https://example.org/p3"


# -- body cap, non-HTML -----------------------------------------------------------------------------------

def test_body_over_cap_with_content_length_gives_error_without_reading_it():
    read: list[bytes] = []

    def body():
        for _ in range(20):
            read.append(b"x" * 100)
            yield b"x" * 100

    handler = serve(httpx.Response(200, headers={**HTML, "Content-Length": "2000"}, content=body()))
    with make(handler, max_bytes=1000) as fetcher:
        result = fetcher.fetch(EN_URL)
    assert result.error == f"body larger than 1000 bytes at {EN_URL}"
    assert result.status == 200 and result.body == b"" and result.text is None and result.attempts == 1
    assert read == []


def test_chunked_body_over_cap_without_content_length_stops_reading():
    read: list[int] = []

    def endless():
        while True:
            read.append(1)
            yield b"<p>" + b"x" * 997

    handler = serve(httpx.Response(200, headers=HTML, content=endless()))
    with make(handler, max_bytes=5000) as fetcher:
        result = fetcher.fetch(EN_URL)
    assert result.error == f"body larger than 5000 bytes at {EN_URL}"
    assert result.body == b"" and result.text is None
    assert len(read) <= 10


def test_body_exactly_at_cap_is_fine():
    with make(serve(httpx.Response(200, headers=HTML, content=b"x" * 1000)), max_bytes=1000) as fetcher:
        assert fetcher.fetch(EN_URL).ok


def test_pdf_body_gives_error_and_keeps_the_raw_body():
    pdf = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n"
    with make(serve(httpx.Response(200, headers={"content-type": "application/pdf"}, content=pdf))) as fetcher:
        result = fetcher.fetch(EN_URL)
    assert result.error == "not an HTML page (application/pdf)"
    assert result.status == 200 and result.body == pdf and result.text is None and result.attempts == 1


# -- what is recorded -------------------------------------------------------------------------------------

def test_request_and_response_headers_version_and_times_are_recorded():
    fake = FakeTime()

    def handler(request: httpx.Request) -> httpx.Response:
        fake.now += 0.25
        return httpx.Response(200, headers=[("Content-Type", "text/html"), ("X-B", "2"), ("X-A", "1"),
                                            ("Set-Cookie", "a=1"), ("Set-Cookie", "b=2")], content=b"<p>x</p>")

    with make(handler, fake, user_agent="redline-test/1") as fetcher:
        result = fetcher.fetch(EN_URL)
    assert ("User-Agent", "redline-test/1") in result.request_headers
    assert ("Host", "www.fmprc.gov.cn") in result.request_headers
    names = [name for name, _ in result.response_headers]
    assert names[:5] == ["Content-Type", "X-B", "X-A", "Set-Cookie", "Set-Cookie"]
    assert result.http_version == "HTTP/1.1"
    assert result.elapsed == pytest.approx(0.25)
    assert result.fetched_at.tzinfo == timezone.utc


def test_bad_urls_give_errors_not_exceptions():
    handler = serve(httpx.Response(200))
    with make(handler) as fetcher:
        assert fetcher.fetch("ftp://example.org/x").error == "not an http(s) URL: ftp://example.org/x"
        assert fetcher.fetch("no-scheme").error == "not an http(s) URL: no-scheme"
        assert fetcher.fetch("http://[::1").error.startswith("invalid URL")
    assert handler.seen == []


# -- politeness -------------------------------------------------------------------------------------------

def test_per_host_delay_is_enforced_and_other_hosts_are_not_delayed():
    fake = FakeTime()
    starts: list[tuple[str, float]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        starts.append((request.url.host, fake.now))
        return httpx.Response(200, headers=HTML)

    with make(handler, fake, per_host_delay=0.5) as fetcher:
        for url in ("https://a.example/1", "https://a.example/2", "https://b.example/1", "https://a.example/3"):
            assert fetcher.fetch(url).ok
    assert starts == [("a.example", 1000.0), ("a.example", 1000.5), ("b.example", 1000.5), ("a.example", 1001.0)]
    assert fake.sleeps == [0.5, 0.5]


def test_per_host_delay_covers_redirect_hops_and_retries():
    fake = FakeTime()
    hop = httpx.Response(302, headers={"Location": "/next"})
    handler = serve(hop, httpx.Response(503), hop, httpx.Response(200))
    with make(handler, fake, per_host_delay=2.0, backoff=0.5) as fetcher:
        result = fetcher.fetch("https://a.example/start")
    assert result.ok and result.attempts == 2 and result.redirects == ((302, "https://a.example/next"),)
    # hop 2 waits 2 s for the delay; the retry's backoff (0.5 s) is topped up to the delay (1.5 s more), twice.
    assert fake.sleeps == [2.0, 0.5, 1.5, 2.0]


def test_per_host_delay_is_honoured_across_threads():
    """Four threads at the same instant get start slots one delay apart (a frozen clock and a
    recording sleep make this exact: no wall-clock timing)."""
    waits: list[float] = []
    lock = threading.Lock()

    def sleep(seconds: float) -> None:
        with lock:
            waits.append(round(seconds, 6))

    fetcher = Fetcher(transport=httpx.MockTransport(lambda request: httpx.Response(200, headers=HTML)),
                      per_host_delay=0.05, per_host_concurrency=4, robots=False,
                      clock=lambda: 100.0, sleep=sleep)
    threads = [threading.Thread(target=fetcher.fetch, args=(f"https://a.example/{i}",)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    fetcher.close()
    assert sorted(waits) == [0.05, 0.1, 0.15]


def test_per_host_concurrency_limit_holds_under_threads():
    in_flight: dict[str, int] = {"a.example": 0, "b.example": 0}
    peak = dict(in_flight)
    lock = threading.Lock()

    def handler(request: httpx.Request) -> httpx.Response:
        host = request.url.host
        with lock:
            in_flight[host] += 1
            peak[host] = max(peak[host], in_flight[host])
        time.sleep(0.03)
        with lock:
            in_flight[host] -= 1
        return httpx.Response(200, headers=HTML)

    fetcher = Fetcher(transport=httpx.MockTransport(handler), per_host_delay=0.0, per_host_concurrency=2,
                      robots=False)
    urls = [f"https://{host}/{i}" for i in range(8) for host in ("a.example", "b.example")]
    results = []
    threads = [threading.Thread(target=lambda u=url: results.append(fetcher.fetch(u))) for url in urls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    fetcher.close()
    assert len(results) == 16 and all(result.ok for result in results)
    assert peak == {"a.example": 2, "b.example": 2}


def test_transports_share_one_tls_context_that_still_verifies_certificates() -> None:
    """Loading the CA bundle costs 25-65 ms: a run's host batches share one context, as strict as httpx's own."""
    import ssl

    from redline.ingest.netguard import AddressPolicy
    from redline.ingest.transport import guarded_transport

    contexts = [guarded_transport(AddressPolicy.of(False))._pool._ssl_context for _ in range(2)]
    assert contexts[0] is contexts[1]
    assert contexts[0].verify_mode == ssl.CERT_REQUIRED and contexts[0].check_hostname


def test_a_stray_byte_in_a_declared_utf8_page_is_recorded_in_the_capture_metadata():
    from redline.store.warc import build_capture_warc

    body = '<meta charset="utf-8"><p>“We welcome the café talks.”\xa0</p>'.encode().replace(b"\xc2\xa0", b"\xa0")
    with make(serve(httpx.Response(200, headers={"content-type": "text/html; charset=utf-8"},
                                   content=body))) as fetcher:
        result = fetcher.fetch(EN_URL)
    assert (result.encoding, result.encoding_source, result.undecodable_bytes) == ("utf-8", "header", 1)
    assert "“We welcome the café talks.”\ufffd" in result.text
    data, *_ = build_capture_warc(result)
    import gzip
    assert b"undecodable_bytes: 1\r\n" in gzip.decompress(data)
