"""Loopback sites on several loopback addresses (127.0.0.1, 127.0.0.2, ...: another host each,
to redline's per-host politeness and grouping), each logging the body of every answer it gave.

Pages are served whole (no 304), so the log says exactly which wording each check read: the
versions an archive must hold are the distinct wordings in that log, in order. A page change
and an answer never interleave (one lock per site), and `delay` slows every answer (to stop a
run in the middle)."""
from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from redline.demo.loopback import LoopbackSite


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        pass   # a client killed in the middle of a request (the crash test): nothing to report


class LoggedHost(LoopbackSite):
    def __init__(self, address: str) -> None:
        super().__init__(conditional=False)
        handler = self._server.RequestHandlerClass
        self._server.server_close()
        self._server = _QuietServer((address, 0), handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self.served: list[tuple[str, bytes]] = []
        self.delay = 0.0
        self._answering = threading.Lock()

    def put(self, path: str, body: bytes, **kwargs: object) -> None:
        with self._answering:
            super().put(path, body, **kwargs)

    def _serve(self, handler: BaseHTTPRequestHandler) -> None:
        if self.delay:
            time.sleep(self.delay)
        path = handler.path.split("?", 1)[0]
        with self._answering:
            page = self._pages.get(path)
            if page is not None and page.status == 200:
                self.served.append((path, page.body))
            super()._serve(handler)


class Hosts:
    """`n` logged sites on 127.0.0.1 .. 127.0.0.n."""

    def __init__(self, n: int) -> None:
        self.sites = [LoggedHost(f"127.0.0.{i + 1}") for i in range(n)]

    def __enter__(self) -> "Hosts":
        for site in self.sites:
            site.start()
        return self

    def __exit__(self, *exc: object) -> None:
        for site in self.sites:
            site.stop()

    def served(self) -> list[tuple[str, bytes]]:
        """Every (url, body) answered so far, per site in order (sites are independent)."""
        return [(site.url(path), body) for site in self.sites for path, body in list(site.served)]

    def set_delay(self, seconds: float) -> None:
        for site in self.sites:
            site.delay = seconds
