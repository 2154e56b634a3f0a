"""The network transport of redline's Fetcher: httpx over a guarded httpcore backend.

The address check (redline.ingest.netguard) runs inside the connection: the host is resolved
once, every address it resolves to is checked, and the socket connects to a checked
address, so a DNS answer that changes between check and connect (rebinding) does not
get through. The same backend enforces a total deadline per request on every connect,
read and write, so a server that sends a byte a second (headers included) is cut off.
"""
from __future__ import annotations

import functools
import ssl
import time
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Iterable, Iterator

import httpcore
import httpx

from redline.ingest.netguard import AddressPolicy, AddressRefused, Resolver, resolve

# -- a total deadline per request ------------------------------------------------------------------------

class Deadline:
    """The end of one request's time (time.monotonic()); `expired` turns True when an
    operation was cut short because that time was up."""

    def __init__(self, seconds: float) -> None:
        self.at = time.monotonic() + seconds
        self.expired = False

    def time_left(self, timeout: float | None, error: type[Exception]) -> tuple[float | None, bool]:
        """(the timeout to use, whether the deadline is what limits it)."""
        left = self.at - time.monotonic()
        if left <= 0:
            self.expired = True
            raise error("the request's total time limit is up")
        if timeout is None or left < timeout:
            return left, True
        return timeout, False


_DEADLINE: ContextVar[Deadline | None] = ContextVar("redline_request_deadline", default=None)


@contextmanager
def request_deadline(seconds: float | None) -> Iterator[Deadline | None]:
    """Within this block (in this thread), network I/O of a guarded transport ends
    `seconds` from now: each connect, read and write gets at most the time left."""
    deadline = None if seconds is None else Deadline(seconds)
    token = _DEADLINE.set(deadline)
    try:
        yield deadline
    finally:
        _DEADLINE.reset(token)


def _bounded(call, timeout: float | None, error: type[Exception]):  # type: ignore[no-untyped-def]
    """call(timeout) with the timeout cut to the current deadline; a timeout caused by
    the deadline marks it expired."""
    deadline = _DEADLINE.get()
    if deadline is None:
        return call(timeout)
    limit, by_deadline = deadline.time_left(timeout, error)
    try:
        return call(limit)
    except (httpcore.ReadTimeout, httpcore.WriteTimeout, httpcore.ConnectTimeout):
        if by_deadline:
            deadline.expired = True
        raise


class _DeadlineStream(httpcore.NetworkStream):
    def __init__(self, inner: httpcore.NetworkStream) -> None:
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return _bounded(lambda t: self._inner.read(max_bytes, t), timeout, httpcore.ReadTimeout)

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        _bounded(lambda t: self._inner.write(buffer, t), timeout, httpcore.WriteTimeout)

    def close(self) -> None:
        self._inner.close()

    def start_tls(self, ssl_context, server_hostname: str | None = None,  # type: ignore[no-untyped-def]
                  timeout: float | None = None) -> httpcore.NetworkStream:
        inner = _bounded(lambda t: self._inner.start_tls(ssl_context, server_hostname, t), timeout,
                         httpcore.ConnectTimeout)
        return _DeadlineStream(inner)

    def get_extra_info(self, info: str) -> object:
        return self._inner.get_extra_info(info)


class GuardedBackend(httpcore.NetworkBackend):
    """httpcore's sync backend, connecting only to addresses the policy permits (pinned)."""

    def __init__(self, policy: AddressPolicy, *, resolver: Resolver = resolve,
                 inner: httpcore.NetworkBackend | None = None) -> None:
        self._policy = policy
        self._resolve = resolver
        self._inner = inner or httpcore.SyncBackend()

    def addresses(self, host: str, port: int) -> list[str]:
        """The addresses to connect to; AddressRefused when any is refused (a name that
        resolves to both a public and an internal address is refused too)."""
        if self._policy.allow_all:
            return [host]  # nothing to check: let the socket layer resolve
        try:
            found = list(self._resolve(host, port))
        except OSError as exc:
            raise httpcore.ConnectError(str(exc) or f"cannot resolve {host}") from None
        if not found:
            raise httpcore.ConnectError(f"{host} resolves to no address")
        for address in found:
            refusal = self._policy.refusal(host, address)
            if refusal:
                raise AddressRefused(refusal)
        return found

    def connect_tcp(self, host: str, port: int, timeout: float | None = None, local_address: str | None = None,
                    socket_options: Iterable | None = None) -> httpcore.NetworkStream:
        last: Exception | None = None
        for address in self.addresses(host, port):
            try:
                stream = _bounded(lambda t: self._inner.connect_tcp(address, port, t, local_address, socket_options),
                                  timeout, httpcore.ConnectTimeout)
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                last = exc  # like socket.create_connection: try the next address
                continue
            return _DeadlineStream(stream)
        assert last is not None
        raise last

    def connect_unix_socket(self, path: str, timeout: float | None = None,
                            socket_options: Iterable | None = None) -> httpcore.NetworkStream:
        raise AddressRefused(f"refused: a Unix socket ({path})")

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


@functools.cache
def tls_context() -> ssl.SSLContext:
    """The verifying TLS context (httpx's default: certifi, or SSL_CERT_FILE / SSL_CERT_DIR)
    that redline's HTTP clients share (each Fetcher's transport, the Prefect health check):
    making one loads the CA bundle, 25-65 ms here, which each host batch of a run paid
    before; one context is safe to share between connections and threads."""
    return httpx.create_ssl_context()


def guarded_transport(policy: AddressPolicy, *, resolver: Resolver = resolve) -> httpx.HTTPTransport:
    """An httpx transport whose connections go through GuardedBackend. Environment proxies
    (HTTP_PROXY, ...) do not apply: redline connects to the sites directly."""
    transport = httpx.HTTPTransport(verify=tls_context())
    pool = getattr(transport, "_pool", None)
    if not isinstance(pool, httpcore.ConnectionPool) or not hasattr(pool, "_network_backend"):
        raise RuntimeError("this httpx/httpcore version hides its connection pool; redline's address guard "
                           "cannot be installed (see requirements.lock for the tested versions)")
    pool._network_backend = GuardedBackend(policy, resolver=resolver)
    return transport
