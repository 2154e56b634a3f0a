"""A loopback HTTP server (127.0.0.1) that can misbehave, for the fault tests.

Raw sockets, one thread per connection, `Connection: close` on every answer. Each
path has a behaviour: answer normally, never answer, trickle bytes, reset the
connection mid-body, close before the declared length. Every behaviour that waits
stops when the site stops, so no test leaves a thread behind.
"""
from __future__ import annotations

import hashlib
import socket
import socketserver
import struct
import threading
import time
from typing import Callable

Behaviour = Callable[["Exchange"], None]

REASONS = {200: "OK", 301: "Moved Permanently", 302: "Found", 404: "Not Found", 410: "Gone",
           429: "Too Many Requests", 500: "Internal Server Error", 503: "Service Unavailable"}


class Exchange:
    """One request on one connection, and ways to answer it."""

    def __init__(self, sock: socket.socket, path: str, headers: dict[str, str], stop: threading.Event,
                 rest: bytes = b"") -> None:
        self.sock, self.path, self.headers, self.stop = sock, path, headers, stop
        self._rest = rest  # what arrived after the request head

    def body(self) -> bytes:
        """The request body (Content-Length bytes)."""
        data, size = self._rest, int(self.headers.get("content-length", "0") or 0)
        while len(data) < size:
            chunk = self.sock.recv(65536)
            if not chunk:
                break
            data += chunk
        return data[:size]

    def head(self, status: int, headers: dict[str, str] | None = None, *, length: int | None = None) -> bytes:
        lines = [f"HTTP/1.1 {status} {REASONS.get(status, 'Status')}"]
        fields = {"Connection": "close", **(headers or {})}
        if length is not None:
            fields.setdefault("Content-Length", str(length))
        lines += [f"{k}: {v}" for k, v in fields.items()]
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")

    def respond(self, status: int = 200, body: bytes = b"", headers: dict[str, str] | None = None) -> None:
        self.sock.sendall(self.head(status, {"Content-Type": "text/html", **(headers or {})}, length=len(body)) + body)

    def respond_page(self, body: bytes, *, delay: float = 0.0) -> None:
        """A 200 with an ETag, or a 304 to a conditional GET that has it; after `delay` seconds."""
        if delay:
            self.stop.wait(delay)
        etag = '"' + hashlib.sha1(body).hexdigest()[:16] + '"'
        if self.headers.get("if-none-match") == etag:
            self.sock.sendall(self.head(304, {"ETag": etag}, length=0))
        else:
            self.respond(200, body, {"ETag": etag})

    def wait(self, seconds: float = 30.0) -> None:
        """Hold the connection open, answering nothing, until the site stops (or `seconds`)."""
        self.stop.wait(seconds)

    def trickle(self, data: bytes, interval: float) -> None:
        """Send data one byte at a time, `interval` seconds apart (until the peer goes or the site stops)."""
        for i in range(len(data)):
            if self.stop.is_set():
                return
            try:
                self.sock.sendall(data[i:i + 1])
            except OSError:
                return
            time.sleep(interval)

    def reset(self) -> None:
        """Close with a TCP RST instead of a FIN."""
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.sock.close()


class FaultSite:
    """`with FaultSite() as site: site.route("/x", behaviour)`; site.url("/x")."""

    def __init__(self) -> None:
        self.stop_event = threading.Event()
        self.routes: dict[str, Behaviour] = {}
        self.requests: list[str] = []
        self._lock = threading.Lock()
        site = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                site._handle(self.request)

        class Server(socketserver.ThreadingTCPServer):
            daemon_threads = True
            allow_reuse_address = True

        self._server = Server(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def netloc(self) -> str:
        return self.base_url.removeprefix("http://")

    def url(self, path: str) -> str:
        return self.base_url + path

    def route(self, path: str, behaviour: Behaviour) -> str:
        with self._lock:
            self.routes[path] = behaviour
        return self.url(path)

    def page(self, path: str, body: bytes, *, status: int = 200, headers: dict[str, str] | None = None) -> str:
        return self.route(path, lambda ex: ex.respond(status, body, headers))

    def hits(self, path: str) -> int:
        with self._lock:
            return self.requests.count(path)

    def _handle(self, sock: socket.socket) -> None:
        sock.settimeout(10)
        data = b""
        try:
            while b"\r\n\r\n" not in data:
                chunk = sock.recv(65536)
                if not chunk:
                    return
                data += chunk
        except OSError:
            return
        raw_head, rest = data.split(b"\r\n\r\n", 1)
        head = raw_head.decode("latin-1").split("\r\n")
        parts = head[0].split(" ")
        path = parts[1].split("?", 1)[0] if len(parts) > 1 else "/"
        headers = {k.lower(): v for k, v in (line.split(": ", 1) for line in head[1:] if ": " in line)}
        with self._lock:
            self.requests.append(path)
            behaviour = self.routes.get(path)
        exchange = Exchange(sock, path, headers, self.stop_event, rest)
        try:
            if behaviour is None:
                exchange.respond(404, b"<html><body><h1>404 Not Found</h1></body></html>")
            else:
                behaviour(exchange)
        except OSError:
            pass

    def start(self) -> "FaultSite":
        self._thread.start()
        return self

    def stop(self) -> None:
        self.stop_event.set()
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> "FaultSite":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
