"""A small loopback HTTP site for the demo and the whole-stack tests.

Serves pages from memory on 127.0.0.1 with ETag / Last-Modified and 304 answers
to conditional GETs, like the real sites; pages can be changed while it runs.
Content-Type is sent without a charset, as the MFA servers do.
"""
from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit


@dataclass
class Page:
    body: bytes
    content_type: str = "text/html"
    status: int = 200
    etag: str = ""
    last_modified: str = ""


class LoopbackSite:
    """`with LoopbackSite() as site: site.put("/a.html", b"...")`; URLs from site.url(path)."""

    def __init__(self, *, conditional: bool = True) -> None:
        self.conditional = conditional
        self._pages: dict[str, Page] = {}
        self._lock = threading.Lock()
        self.requests: list[tuple[str, dict[str, str]]] = []
        site = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
                site._serve(self)

            def log_message(self, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def url(self, path: str) -> str:
        return self.base_url + path

    def put(self, path: str, body: bytes, *, content_type: str = "text/html", status: int = 200) -> None:
        digest = hashlib.sha1(body).hexdigest()[:16]
        with self._lock:
            old = self._pages.get(path)
            if old and old.etag == f'"{digest}"':
                return
            self._pages[path] = Page(body, content_type, status, f'"{digest}"', formatdate(usegmt=True))

    def remove(self, path: str) -> None:
        with self._lock:
            self._pages.pop(path, None)

    def _serve(self, handler: BaseHTTPRequestHandler) -> None:
        path = handler.path.split("?", 1)[0]
        with self._lock:
            self.requests.append((path, dict(handler.headers.items())))
            page = self._pages.get(path)
        if page is None:
            body = b"<html><body><h1>404 Not Found</h1></body></html>"
            handler.send_response(404)
            handler.send_header("Content-Type", "text/html")
            handler.send_header("Content-Length", str(len(body)))
            handler.end_headers()
            handler.wfile.write(body)
            return
        if self.conditional and page.status == 200 and (
                handler.headers.get("If-None-Match") == page.etag
                or (not handler.headers.get("If-None-Match")
                    and handler.headers.get("If-Modified-Since") == page.last_modified)):
            handler.send_response(304)
            handler.send_header("ETag", page.etag)
            handler.send_header("Content-Length", "0")
            handler.end_headers()
            return
        handler.send_response(page.status)
        handler.send_header("Content-Type", page.content_type)
        handler.send_header("Content-Length", str(len(page.body)))
        if self.conditional:
            handler.send_header("ETag", page.etag)
            handler.send_header("Last-Modified", page.last_modified)
        handler.end_headers()
        handler.wfile.write(page.body)

    def start(self) -> "LoopbackSite":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> "LoopbackSite":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def loopback_path(url: str) -> str:
    """http://host/a/b.html -> /host/a/b.html: one loopback site stands in for every host."""
    parts = urlsplit(url)
    return f"/{parts.hostname}{parts.path or '/'}"
