"""HTTP fetching: the one module of redline that talks to the network.

A Fetcher wraps one sync httpx.Client and may be shared by several threads. It
is polite per host (at most `per_host_concurrency` requests in flight, request
starts at least `per_host_delay` apart), retries what is worth retrying
(connection trouble, timeouts, 5xx, 429) with exponential backoff, follows
redirects itself so each hop is recorded, caps the body size while streaming,
and never raises for network trouble: every failure is a FetchResult whose
.error is one line saying what happened and where.

Hostile servers: the body cap counts decoded bytes (gzip and deflate are inflated
here, a bounded piece at a time, so a gzip bomb stops at the cap); each request has
a total time limit (`max_time`, default twice `timeout`) besides the per-read
timeout, so a server that trickles a byte a second is given up on. Unless
`allow_private` says otherwise, connections to loopback, private and link-local
addresses are refused, redirects included (redline.ingest.netguard). robots.txt is read once
per site and Fetcher, and a page it disallows is not fetched (`robots=False` turns that off).
"""
from __future__ import annotations

import threading
import time
import zlib
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from typing import Callable, Iterator
from urllib.robotparser import RobotFileParser

import httpx

from redline.ingest.charset import decode, is_probably_text, media_type
from redline.core.model import FetchResult
from redline.ingest.netguard import AddressPolicy, AddressRefused, Resolver, resolve
from redline.ingest.transport import guarded_transport, request_deadline
from redline.core.config import FetchSettings

DEFAULT_UA = "redline/0.1 (statement change monitor; polite, conditional GETs)"
ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
RETRY_AFTER_CAP = 60.0
ROBOTS_AGENT = "redline"            # the token robots.txt groups are matched against
ROBOTS_MAX_BYTES = 512_000          # RFC 9309: parse at least 500 KiB
ROBOTS_RETRY = 60.0                 # seconds before asking again for a robots.txt that could not be read
INFLATE_PIECE = 64 * 1024           # decoded bytes produced per step when inflating
_TIMEOUT_VERBS = ((httpx.ConnectTimeout, "connecting to"), (httpx.ReadTimeout, "reading"),
                  (httpx.WriteTimeout, "sending the request to"), (httpx.PoolTimeout, "waiting for a connection to"))


class _Host:
    """Politeness state of one host: a slot semaphore and the earliest next request start."""

    def __init__(self, concurrency: int) -> None:
        self.slots = threading.BoundedSemaphore(max(1, concurrency))
        self.lock = threading.Lock()
        self.next_start = float("-inf")


@dataclass
class _Hop:
    """One request/response exchange (no redirect following, no retry)."""

    request: httpx.Request
    started: datetime
    t0: float
    response: httpx.Response | None = None
    body: bytes = b""
    error: str | None = None
    retryable: bool = False


def _pairs(raw: list[tuple[bytes, bytes]]) -> tuple[tuple[str, str], ...]:
    return tuple((k.decode("latin-1"), v.decode("latin-1")) for k, v in raw)


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _retry_after(response: httpx.Response) -> float | None:
    """Seconds a Retry-After header asks for (delta-seconds or an HTTP date), None if absent/bad."""
    value = (response.headers.get("retry-after") or "").strip()
    if not value:
        return None
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - datetime.now(timezone.utc)).total_seconds())


class Fetcher:
    def __init__(self, *, transport: httpx.BaseTransport | None = None,
                 timeout: float = FetchSettings.timeout, retries: int = FetchSettings.retries,
                 backoff: float = FetchSettings.backoff, max_bytes: int = FetchSettings.max_bytes,
                 per_host_concurrency: int = FetchSettings.per_host_concurrency,
                 per_host_delay: float = FetchSettings.per_host_delay, max_redirects: int = 5, user_agent: str = DEFAULT_UA,
                 sleep: Callable[[float], None] = time.sleep, clock: Callable[[], float] = time.monotonic,
                 max_time: float | None = None, allow_private: AddressPolicy | str | bool = False,
                 resolver: Resolver = resolve, robots: bool = FetchSettings.robots) -> None:
        """`transport`: a test double in place of the network (no address guard: it reaches no
        network); `allow_private`: internal addresses to connect to anyway (AddressPolicy, or
        "loopback" / "1" / networks, or True for all); `resolver`: host name -> addresses, for
        the guard; `max_time`: seconds one request may take in all (default 2 x timeout)."""
        self._timeout = timeout
        self._max_time = max_time if max_time is not None else 2 * timeout
        self._robots = robots
        self._robot_rules: dict[str, tuple[RobotFileParser | None, float]] = {}  # site -> (rules, until)
        self._robot_locks: dict[str, threading.Lock] = {}
        if transport is None:
            transport = guarded_transport(AddressPolicy.of(allow_private), resolver=resolver)
        self._retries = max(0, retries)
        self._backoff = backoff
        self._max_bytes = max_bytes
        self._concurrency = per_host_concurrency
        self._delay = per_host_delay
        self._max_redirects = max_redirects
        self._sleep = sleep
        self._clock = clock
        self._hosts: dict[str, _Host] = {}
        self._hosts_lock = threading.Lock()
        self._transport = transport
        self._client = httpx.Client(transport=transport, timeout=httpx.Timeout(timeout), follow_redirects=False,
                                    headers={"User-Agent": user_agent, "Accept": ACCEPT})

    @property
    def per_host_concurrency(self) -> int:
        """Requests in flight to one host at most (callers size their thread pools by it)."""
        return max(1, self._concurrency)

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        self._client.close()

    # -- public ---------------------------------------------------------------------------------------------

    def fetch(self, url: str, *, etag: str | None = None, last_modified: str | None = None) -> FetchResult:
        """GET url (conditionally when etag / last_modified are given). Never raises for network trouble."""
        try:
            start = httpx.URL(url)
        except (httpx.InvalidURL, TypeError) as exc:
            return self._unfetched(url, f"invalid URL {url!r}: {_one_line(str(exc))}")
        if start.scheme not in ("http", "https") or not start.host:
            return self._unfetched(url, f"not an http(s) URL: {url}")
        headers: dict[str, str] = {}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        attempt = 0
        while True:
            attempt += 1
            result, retryable, asked = self._attempt(url, start, headers)
            if not retryable or attempt > self._retries:
                return replace(result, attempts=attempt)
            delay = self._backoff * 2 ** (attempt - 1)
            if asked is not None:
                delay = max(delay, asked)
            self._sleep(min(delay, RETRY_AFTER_CAP))

    # -- one attempt: follow redirects ----------------------------------------------------------------------

    def _attempt(self, url: str, start: httpx.URL, headers: dict[str, str], *,
                 robots: bool = True) -> tuple[FetchResult, bool, float | None]:
        """(result, worth retrying, seconds the server asked us to wait)."""
        current, redirects, seen = start, [], {str(start)}
        first: _Hop | None = None
        while True:
            refusal = self._robots_refusal(current) if self._robots and robots else None
            if refusal:
                return FetchResult(url=url, final_url=str(current), status=None, redirects=tuple(redirects),
                                   fetched_at=first.started if first else datetime.now(timezone.utc),
                                   error=refusal), False, None
            hop = self._send(current, headers)
            first = first or hop
            response = hop.response

            def result(**fields: object) -> FetchResult:
                if response is None:
                    fields["status"] = None
                else:
                    fields.update(status=response.status_code, http_version=response.http_version,
                                  response_headers=_pairs(response.headers.raw))
                return FetchResult(url=url, final_url=str(current), fetched_at=first.started,
                                   request_headers=_pairs(hop.request.headers.raw), redirects=tuple(redirects),
                                   elapsed=max(0.0, self._clock() - first.t0), **fields)

            if response is None or hop.error:
                return result(error=hop.error), hop.retryable, None
            status = response.status_code
            location = response.headers.get("location")
            if status in REDIRECT_STATUSES and location:
                try:
                    target = current.join(location.strip())
                except httpx.InvalidURL as exc:
                    return result(error=f"bad redirect Location {location!r} at {current}: {exc}"), False, None
                redirects.append((status, str(target)))
                if target.scheme not in ("http", "https"):
                    return result(error=f"redirect to a non-http(s) URL {target} at {current}"), False, None
                if str(target) in seen:
                    return result(error=f"redirect loop at {target}"), False, None
                if len(redirects) > self._max_redirects:
                    return result(error=f"too many redirects (more than {self._max_redirects}) from {url}"), False, None
                seen.add(str(target))
                current = target
                continue
            if status == 304:
                return result(not_modified=True), False, None
            if status >= 300:
                reason = response.reason_phrase or "error"
                error = f"HTTP {status} {reason}" + (" without a Location header" if status in REDIRECT_STATUSES else "")
                retry = status >= 500 or status == 429
                return result(body=hop.body, error=error), retry, _retry_after(response) if retry else None
            content_type = response.headers.get("content-type")
            if not is_probably_text(content_type, hop.body):
                mime = media_type(content_type)
                kind = mime or "no Content-Type"
                if is_probably_text(content_type, b""):  # a text type, but the bytes are binary (magic, NULs)
                    kind = f"a binary body served as {mime}" if mime else "a binary body without a Content-Type"
                return result(body=hop.body, error=f"not an HTML page ({kind})"), False, None
            d = decode(hop.body, content_type)
            return result(body=hop.body, text=d.text, encoding=d.encoding, encoding_source=d.source,
                          undecodable_bytes=d.replaced, repaired=d.repaired), False, None

    # -- one request: politeness, streaming, body cap -------------------------------------------------------

    def _host(self, name: str) -> _Host:
        with self._hosts_lock:
            host = self._hosts.get(name)
            if host is None:
                host = self._hosts[name] = _Host(self._concurrency)
            return host

    def _wait_turn(self, host: _Host) -> None:
        """Reserve the next start slot for this host (under its lock), then sleep until it comes."""
        with host.lock:
            now = self._clock()
            start = max(now, host.next_start)
            host.next_start = start + self._delay
        if start > now:
            self._sleep(start - now)

    def _send(self, url: httpx.URL, headers: dict[str, str]) -> _Hop:
        request = self._client.build_request("GET", url, headers=headers)
        host = self._host(url.host.lower())
        with host.slots:
            self._wait_turn(host)
            hop = _Hop(request=request, started=datetime.now(timezone.utc), t0=self._clock())
            with request_deadline(self._max_time) as deadline:
                try:
                    # Client.send(stream=True) minus unused layers (auth, redirects, hooks, a log line): 0.1 ms a request
                    hop.response = response = self._transport.handle_request(request)
                    response.request = request
                    if "set-cookie" in response.headers or "set-cookie2" in response.headers:  # the jar costs 20 us
                        self._client.cookies.extract_cookies(response)
                    try:
                        hop.body, hop.error = self._read(hop.response, url, hop.t0)
                    finally:
                        hop.response.close()
                except AddressRefused as exc:
                    hop.response, hop.body, hop.error = None, b"", str(exc)
                except httpx.TransportError as exc:
                    hop.response, hop.body = None, b""
                    if isinstance(exc, httpx.TimeoutException) and deadline is not None and deadline.expired:
                        hop.error = self._too_slow(url)  # a trickling server: retrying would not help
                    else:
                        hop.error = self._describe(exc, url)
                        hop.retryable = not isinstance(exc, httpx.UnsupportedProtocol)
                except httpx.HTTPError as exc:  # e.g. a body that does not gunzip: the server's fault, no retry
                    hop.response, hop.body = None, b""
                    hop.error = f"could not read {url}: {_one_line(str(exc)) or type(exc).__name__}"
        return hop

    def _read(self, response: httpx.Response, url: httpx.URL, t0: float) -> tuple[bytes, str | None]:
        """The whole (decoded) body, or (b"", error) as soon as it is known to exceed
        max_bytes or to take longer than max_time."""
        too_big = f"body larger than {self._max_bytes} bytes at {url}"
        declared = response.headers.get("content-length", "").strip()
        if declared.isdigit() and int(declared) > self._max_bytes:  # compressed or not, the text is bigger
            return b"", too_big
        chunks: list[bytes] = []
        size = 0
        for chunk in _decoded(response, response.request):
            size += len(chunk)
            if size > self._max_bytes:
                return b"", too_big
            if self._clock() - t0 > self._max_time:
                return b"", self._too_slow(url)
            chunks.append(chunk)
        return b"".join(chunks), None

    def _too_slow(self, url: httpx.URL) -> str:
        return f"gave up after {self._max_time:g} s: {url} sends too slowly"

    # -- robots.txt -----------------------------------------------------------------------------------------

    def _robots_refusal(self, url: httpx.URL) -> str | None:
        """One line when the site's robots.txt disallows url for redline; None when it is allowed."""
        site = f"{url.scheme}://{url.netloc.decode('ascii')}"
        with self._hosts_lock:
            lock = self._robot_locks.setdefault(site, threading.Lock())
        with lock:  # one robots.txt request per site, even with several threads asking at once
            rules, until = self._robot_rules.get(site, (None, float("-inf")))
            if self._clock() >= until:
                rules, final = self._fetch_robots(site)
                # a site that could not say (5xx, timeout) is allowed, and asked again after ROBOTS_RETRY
                until = float("inf") if final else self._clock() + ROBOTS_RETRY
                self._robot_rules[site] = (rules, until)
        path = url.raw_path.decode("ascii") or "/"
        if rules is None or rules.can_fetch(ROBOTS_AGENT, f"{site}{path}"):
            return None
        shown = url.host + (f":{url.port}" if url.port else "")
        return f"robots.txt of {shown} disallows {path}; set REDLINE_IGNORE_ROBOTS=1 to fetch it anyway"

    def _fetch_robots(self, site: str) -> tuple[RobotFileParser | None, bool]:
        """(rules or None for "everything allowed", whether that answer is final for this Fetcher).

        RFC 9309: a robots.txt that is missing or refused (4xx) allows everything; one that
        cannot be read (5xx, network trouble) would mean "disallow all", but redline then
        fetches the page anyway (its own failure, if the site is down, is reported there)
        and asks for robots.txt again after ROBOTS_RETRY seconds (so a site that is down
        costs one robots.txt timeout per minute, not one per page)."""
        url = httpx.URL(f"{site}/robots.txt")
        result, _, _ = self._attempt(str(url), url, {}, robots=False)
        if result.status is None or result.status >= 500 or result.status == 429:
            return None, False
        if result.status >= 400 or result.not_modified or not result.text:
            return None, True
        rules = RobotFileParser(str(url))
        rules.parse(result.text[:ROBOTS_MAX_BYTES].splitlines())
        return rules, True

    def _describe(self, exc: httpx.TransportError, url: httpx.URL) -> str:
        for kind, verb in _TIMEOUT_VERBS:
            if isinstance(exc, kind):
                return f"timed out after {self._timeout:g} s {verb} {url}"
        detail = _one_line(str(exc)) or type(exc).__name__
        if isinstance(exc, httpx.ConnectError):
            return f"could not connect to {url.host}: {detail}"
        if isinstance(exc, httpx.UnsupportedProtocol):
            return f"unsupported URL {url}: {detail}"
        return f"network error reading {url}: {detail}"

    def _unfetched(self, url: str, error: str) -> FetchResult:
        return FetchResult(url=url, final_url=url, status=None, fetched_at=datetime.now(timezone.utc), error=error)


def _decoded(response: httpx.Response, request: httpx.Request) -> Iterator[bytes]:
    """The body's bytes, decoded. gzip and deflate are inflated here at most INFLATE_PIECE
    bytes per step, so a caller that stops at a size cap never holds much more than
    the cap (httpx would inflate a whole network read at once: ~1000x its size)."""
    encoding = response.headers.get("content-encoding", "").strip().lower()
    if encoding not in ("gzip", "x-gzip", "deflate"):
        yield from response.iter_bytes()
        return
    gzip = encoding != "deflate"
    inflater = zlib.decompressobj(zlib.MAX_WBITS | 16 if gzip else zlib.MAX_WBITS)
    started = False
    for raw in response.iter_raw():
        data = raw
        while data:
            try:
                piece = inflater.decompress(data, INFLATE_PIECE)
            except zlib.error as exc:
                if gzip or started:
                    raise httpx.DecodingError(f"bad {encoding} body: {exc}", request=request) from None
                inflater = zlib.decompressobj(-zlib.MAX_WBITS)  # "deflate" sent as raw deflate (as httpx allows)
                started = True
                continue
            started = True
            if piece:
                yield piece
            data = inflater.unconsumed_tail
            if not data and len(piece) == INFLATE_PIECE:
                data = b""  # output may be pending: drain it below
                while True:
                    more = inflater.decompress(b"", INFLATE_PIECE)
                    if not more:
                        break
                    yield more
    rest = inflater.flush()
    if rest:
        yield rest


def make_fetcher(fs: FetchSettings) -> Fetcher:
    """A Fetcher with these settings (the defaults of both are FetchSettings' own)."""
    return Fetcher(timeout=fs.timeout, retries=fs.retries, backoff=fs.backoff,
                   per_host_delay=fs.per_host_delay, per_host_concurrency=fs.per_host_concurrency,
                   max_bytes=fs.max_bytes, max_time=fs.max_time, allow_private=fs.allow_private,
                   robots=fs.robots)
