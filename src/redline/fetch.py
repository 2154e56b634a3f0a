"""HTTP fetching: the one module of redline that talks to the network.

A Fetcher wraps one sync httpx.Client and may be shared by several threads. It
is polite per host (at most `per_host_concurrency` requests in flight, request
starts at least `per_host_delay` apart), retries what is worth retrying
(connection trouble, timeouts, 5xx, 429) with exponential backoff, follows
redirects itself so each hop is recorded, caps the body size while streaming,
and never raises for network trouble: every failure is a FetchResult whose
.error is one line saying what happened and where.
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from typing import Callable

import httpx

from .charset import decode_body, is_probably_text, media_type
from .model import FetchResult

DEFAULT_UA = "redline/0.1 (statement change monitor; polite, conditional GETs)"
ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
RETRY_AFTER_CAP = 60.0
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
    def __init__(self, *, transport: httpx.BaseTransport | None = None, timeout: float = 20.0, retries: int = 2,
                 backoff: float = 0.5, max_bytes: int = 5_000_000, per_host_concurrency: int = 2,
                 per_host_delay: float = 0.5, max_redirects: int = 5, user_agent: str = DEFAULT_UA,
                 sleep: Callable[[float], None] = time.sleep, clock: Callable[[], float] = time.monotonic) -> None:
        self._timeout = timeout
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
        self._client = httpx.Client(transport=transport, timeout=httpx.Timeout(timeout), follow_redirects=False,
                                    headers={"User-Agent": user_agent, "Accept": ACCEPT})

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

    def _attempt(self, url: str, start: httpx.URL,
                 headers: dict[str, str]) -> tuple[FetchResult, bool, float | None]:
        """(result, worth retrying, seconds the server asked us to wait)."""
        current, redirects, seen = start, [], {str(start)}
        first: _Hop | None = None
        while True:
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
                kind = media_type(content_type) or "no Content-Type"
                return result(body=hop.body, error=f"not an HTML page ({kind})"), False, None
            text, encoding, source = decode_body(hop.body, content_type)
            return result(body=hop.body, text=text, encoding=encoding, encoding_source=source), False, None

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
            try:
                hop.response = self._client.send(request, stream=True)
                try:
                    hop.body, hop.error = self._read(hop.response, url)
                finally:
                    hop.response.close()
            except httpx.TransportError as exc:
                hop.response, hop.body = None, b""
                hop.error = self._describe(exc, url)
                hop.retryable = not isinstance(exc, httpx.UnsupportedProtocol)
            except httpx.HTTPError as exc:  # e.g. a body that does not gunzip: the server's fault, no retry
                hop.response, hop.body = None, b""
                hop.error = f"could not read {url}: {_one_line(str(exc)) or type(exc).__name__}"
        return hop

    def _read(self, response: httpx.Response, url: httpx.URL) -> tuple[bytes, str | None]:
        """The whole body, or (b"", error) as soon as it is known to exceed max_bytes."""
        too_big = f"body larger than {self._max_bytes} bytes at {url}"
        declared = response.headers.get("content-length", "").strip()
        if declared.isdigit() and int(declared) > self._max_bytes:
            return b"", too_big
        chunks: list[bytes] = []
        size = 0
        for chunk in response.iter_bytes():
            size += len(chunk)
            if size > self._max_bytes:
                return b"", too_big
            chunks.append(chunk)
        return b"".join(chunks), None

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
