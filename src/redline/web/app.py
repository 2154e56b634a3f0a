"""The read-only web view of an archive: a Starlette (ASGI) app with Jinja2 templates.

Every HTML page has a JSON twin under /api with the same path and query
(``/sources/x?page=2`` and ``/api/sources/x?page=2``); docs/browse.md lists them.

Safety: templates autoescape everything, and every response carries a strict
Content-Security-Policy (no scripts at all, styles and images from this server
only). A raw capture is served from its own route with
``Content-Security-Policy: sandbox; default-src 'none'`` and shown in an
``<iframe sandbox>``: its scripts never run and it loads nothing, from the live
site or anywhere else. Source names are checked against the registry's slug rule
and the archive; version and capture ids are integers in the path and must
belong to the source named.
"""
from __future__ import annotations

import html
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Awaitable, Callable, Mapping
from urllib.parse import urlencode

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Mount, Route

from redline.web.refresh import Refresher, refresh_endpoint
from redline.web.phrases import PHRASES_ROUTE, phrases_page
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from redline.store import readmodel as views
from redline.store import readsearch
from redline.alerts.atom import render_atom_feed
from redline.alerts.text import KIND_LABELS, alert_title
from redline.store.sqlite import Archive
from redline.text.render import render_html, render_text
from redline.core.errors import ArchiveError, NotFoundError, RedlineError
from redline.web.render import anchor_hunks, inline_html, safe_fragment, side_by_side

STATIC = Path(__file__).resolve().parent / "static"

PAGE_CSP = ("default-src 'none'; style-src 'self'; img-src 'self' data:; frame-src 'self'; "
            "form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
RAW_CSP = ("sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
           "form-action 'none'; base-uri 'none'; frame-ancestors 'self'")
COMPARE_VIEWS = ("inline", "changes", "side")
MENU_SIZE = 500          # versions offered in the comparison page's menus (the latest ones)
FEED_SIZE = 100

Handler = Callable[[Request], "tuple[str, dict[str, Any], Any]"]


class BadRequest(RedlineError):
    """A query parameter that is not what the page takes (HTTP 400)."""


class SecurityHeaders:
    """Adds the page CSP and friends to every response that did not set its own CSP."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                names = {k.lower() for k, _ in headers}
                extra = {b"content-security-policy": PAGE_CSP.encode(), b"x-content-type-options": b"nosniff",
                         b"referrer-policy": b"no-referrer", b"x-frame-options": b"DENY",
                         b"cross-origin-opener-policy": b"same-origin"}
                if b"content-security-policy" in names:      # the raw capture route: framed by our own page
                    extra[b"x-frame-options"] = b"SAMEORIGIN"
                headers += [(k, v) for k, v in extra.items() if k not in names]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


# --------------------------------------------------------------------------- template helpers

def _when(value: str | None) -> str:
    """ISO 8601 UTC -> "2026-11-22 03:55 UTC" (dates without a time stay dates)."""
    if not value:
        return "—"
    text = str(value)
    date, _, rest = text.partition("T")
    if not rest:
        return date
    return f"{date} {rest[:5]} UTC"


def _size(n: int | None) -> str:
    if n is None:
        return "—"
    for unit in ("bytes", "KB", "MB"):
        if n < 1024 or unit == "MB":
            return f"{n} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1024  # type: ignore[assignment]
    return str(n)


def _query(base: str, **params: Any) -> str:
    clean = {k: v for k, v in params.items() if v not in (None, "")}
    return base + ("?" + urlencode(clean) if clean else "")


def make_environment() -> Environment:
    env = Environment(loader=PackageLoader("redline.web", "templates"),
                      autoescape=select_autoescape(default=True, default_for_string=True),
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters["when"] = _when
    env.filters["size"] = _size
    env.globals["q"] = _query
    env.globals["kind_label"] = lambda kind: KIND_LABELS.get(kind, kind)
    env.globals["alert_title"] = alert_title
    return env


# --------------------------------------------------------------------------- parameters

def _int_param(request: Request, name: str, default: int | None = None) -> int | None:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise BadRequest(f"{name} must be a whole number, not {raw!r}") from None
    if value < 1:
        raise BadRequest(f"{name} must be 1 or more")
    return value


def _since_param(raw: str | None) -> datetime | None:
    """?since=2026-12-01 (from the start of that day) or a moment (2026-12-01T09:00, with or without zone)."""
    if not raw:
        return None
    try:
        if len(raw) == 10:
            return datetime.fromisoformat(raw).replace(tzinfo=timezone.utc)
        return views.parse_moment(raw)
    except ValueError:
        raise BadRequest(f"since must be a date like 2026-12-01, not {raw!r}") from None


def _text_param(request: Request, name: str) -> str | None:
    raw = (request.query_params.get(name) or "").strip()
    return raw[:200] or None


# --------------------------------------------------------------------------- the app

class BrowseApp:
    """Pages over one archive. Each page function returns (template, context, JSON twin)."""

    def __init__(self, archive: Archive, *, title: str = "redline") -> None:
        self.archive = archive
        self.title = title
        self.env = make_environment()

    # -- pages ---------------------------------------------------------------

    def sources(self, request: Request) -> tuple[str, dict[str, Any], Any]:
        tag, site, text = (_text_param(request, k) for k in ("tag", "site", "q"))
        order = request.query_params.get("sort") or "changed"
        if order not in views.SOURCE_ORDERS:
            raise BadRequest(f"sort must be one of {', '.join(views.SOURCE_ORDERS)}")
        since_text = _text_param(request, "since")
        since = _since_param(since_text)
        every = views.list_sources(self.archive)
        found = views.mark_changed_since(views.sort_sources(
            views.filter_sources(every, tag=tag, site=site, text=text), order), since)
        filters = {"tag": tag, "site": site, "q": text, "sort": order, "since": since_text}
        facets = views.facets(every)
        ctx = {"sources": found, "facets": facets, "filters": filters, "total": len(every), "orders": views.SOURCE_ORDERS,
               "changed_since": sum(s.changed_since for s in found)}
        return "sources.html", ctx, {"sources": views.to_json(found), "facets": facets, "filters": filters}

    def timeline(self, request: Request) -> tuple[str, dict[str, Any], Any]:
        name = request.path_params["name"]
        t = views.timeline(self.archive, name, page=_int_param(request, "page", 1) or 1,
                           size=_int_param(request, "size", views.PAGE_SIZE) or views.PAGE_SIZE)
        return "timeline.html", {"t": t, "source": t.source}, views.to_json(t)

    def version(self, request: Request) -> tuple[str, dict[str, Any], Any]:
        v = views.version_view(self.archive, request.path_params["name"], request.path_params["vid"])
        paragraphs = [line for line in v.text.split("\n") if line.strip()]   # numbered from 1: "¶4 of v3"
        return "version.html", {"v": v, "source": v.source, "paragraphs": paragraphs}, \
            {**views.to_json(v), "paragraphs": paragraphs}

    def compare(self, request: Request) -> tuple[str, dict[str, Any], Any]:
        name = request.path_params["name"]
        view = request.query_params.get("view") or "inline"
        if view not in COMPARE_VIEWS:
            raise BadRequest(f"view must be one of {', '.join(COMPARE_VIEWS)}")
        a, b = views.default_pair(self.archive, name, _int_param(request, "a"), _int_param(request, "b"))
        c = views.compare(self.archive, name, a, b)
        body = ""
        rows: list = []
        if view == "inline":
            body = inline_html(c.diff.ops) if c.diff.ops else html.escape(c.a_text)
        elif view == "changes":
            body = anchor_hunks(render_html(c.diff))
        else:
            rows = side_by_side(c.diff.ops) if c.diff.ops else []
        versions = views.version_infos(self.archive, name, limit=MENU_SIZE)
        ctx = {"c": c, "source": c.source, "view": view, "body": body, "rows": rows, "versions": versions[::-1],
               "changes": body.count('id="change-') if view != "side" else sum(r.changed for r in rows)}
        twin = {"source": views.to_json(c.source), "a": views.to_json(c.a), "b": views.to_json(c.b),
                "diff": views.to_json(c.diff), "text": render_text(c.diff)}
        return "compare.html", ctx, twin

    def capture(self, request: Request) -> tuple[str, dict[str, Any], Any]:
        cv = views.capture_view(self.archive, request.path_params["name"], request.path_params["cid"])
        return "capture.html", {"cv": cv, "source": cv.source}, views.to_json(cv)

    def alerts(self, request: Request) -> tuple[str, dict[str, Any], Any]:
        source = _text_param(request, "source")
        if source:
            views.check_name(source)
        ap = views.alerts_page(self.archive, source=source, page=_int_param(request, "page", 1) or 1,
                               size=_int_param(request, "size", views.PAGE_SIZE) or views.PAGE_SIZE)
        fragments = {a.id: safe_fragment(a.diff_html) for a in ap.alerts}
        return "alerts.html", {"ap": ap, "fragments": fragments}, views.to_json(ap)

    def search(self, request: Request) -> tuple[str, dict[str, Any], Any]:
        q, source, since = (_text_param(request, k) for k in ("q", "source", "since"))
        if source:
            views.check_name(source)
        hits = readsearch.search(self.archive, q, source=source, since=since) if q else []
        return "search.html", {"query": q or "", "source": source, "since": since, "hits": hits}, {
            "query": q, "source": source, "since": since, "hits": [h.record() for h in hits]}

    # -- raw captures, texts, feeds -------------------------------------------------

    def raw(self, request: Request) -> Response:
        c, body = views.capture_body(self.archive, request.path_params["name"], request.path_params["cid"])
        media = (c.content_type or "").split(";")[0].strip().lower()
        charset = c.encoding or "utf-8"
        headers = {"Content-Security-Policy": RAW_CSP, "Cache-Control": "no-store"}
        if media in ("text/html", "application/xhtml+xml"):
            media_type = f"text/html; charset={charset}"
        elif media.startswith("text/") or media.endswith(("+xml", "/xml", "/json")):
            media_type = f"text/plain; charset={charset}"
        else:
            media_type = "application/octet-stream"
            headers["Content-Disposition"] = f'attachment; filename="capture-{c.id}.bin"'
        if request.query_params.get("download"):
            ext = "html" if media_type.startswith("text/html") else "bin"
            headers["Content-Disposition"] = f'attachment; filename="{c.source}-capture-{c.id}.{ext}"'
        return Response(body, media_type=media_type, headers=headers)

    def warc(self, request: Request) -> Response:
        c = views.capture_info(self.archive, request.path_params["name"], request.path_params["cid"])
        piece = views.capture_warc(self.archive, c)
        if not piece.exists():
            raise NotFoundError(f"the WARC file of capture {c.id} is not in the archive")
        name = piece.name if piece.offset is None else f"{c.source}-capture-{c.id}.warc.gz"
        return Response(piece.read(), media_type="application/warc", headers={
            "Content-Disposition": f'attachment; filename="{name}"'})

    def version_text(self, request: Request) -> Response:
        v = views.version_info(self.archive, request.path_params["name"], request.path_params["vid"])
        return Response(views.version_text(self.archive, v), media_type="text/plain; charset=utf-8")

    def feed(self, request: Request) -> Response:
        name = request.path_params.get("name")
        base = str(request.base_url).rstrip("/")
        if name:
            s = views.source_summary(self.archive, name)
            data = render_atom_feed(views.recent_alerts(self.archive, source=name, limit=FEED_SIZE),
                                    feed_id=f"urn:redline:source:{name}", title=f"redline: {s.title or name}",
                                    link=f"{base}/sources/{name}", self_url=f"{base}/sources/{name}/feed.xml",
                                    base=base)
        else:
            data = render_atom_feed(views.recent_alerts(self.archive, limit=FEED_SIZE), feed_id="urn:redline:alerts",
                                    title="redline: all alerts", link=f"{base}/alerts",
                                    self_url=f"{base}/alerts/feed.xml", base=base)
        return Response(data, media_type="application/atom+xml; charset=utf-8")

    def api_index(self, request: Request) -> JSONResponse:
        return JSONResponse({"routes": API_ROUTES})

    # -- wiring ---------------------------------------------------------------

    def html_page(self, handler: Handler) -> Callable[[Request], Response]:
        def endpoint(request: Request) -> Response:
            template, ctx, _ = handler(request)
            path = "/sources" if request.url.path == "/" else request.url.path
            query = request.url.query if len(request.url.query) <= MAX_ECHOED_QUERY else ""
            twin = "/api" + path + (f"?{query}" if query else "")
            page = self.env.get_template(template).render(**ctx, request=request, json_url=twin,
                                                           site_title=self.title)
            return HTMLResponse(page)
        return endpoint

    @staticmethod
    def json_page(handler: Handler) -> Callable[[Request], Response]:
        def endpoint(request: Request) -> Response:
            _, _, twin = handler(request)
            return JSONResponse(twin)
        return endpoint

    def error(self, request: Request, status: int, message: str) -> Response:
        message = message.replace(str(self.archive.root), "the archive")   # no filesystem paths to visitors
        if request.url.path.startswith("/api"):
            return JSONResponse({"error": message, "status": status}, status_code=status)
        page = self.env.get_template("error.html").render(status=status, message=message, request=request,
                                                           json_url=None, site_title=self.title, source=None)
        return HTMLResponse(page, status_code=status)


MAX_ECHOED_QUERY = 2000  # a longer query string is not echoed into the page's JSON link

API_ROUTES = [
    {"html": "/", "json": "/api/sources", "query": ["tag", "site", "q"], "what": "sources"},
    {"html": "/sources/{name}", "json": "/api/sources/{name}", "query": ["page", "size"],
     "what": "a source's timeline of captures and versions, newest first"},
    {"html": "/sources/{name}/versions/{id}", "json": "/api/sources/{name}/versions/{id}", "query": [],
     "what": "one version's text"},
    {"html": "/sources/{name}/compare", "json": "/api/sources/{name}/compare", "query": ["a", "b", "view"],
     "what": "version a against version b"},
    {"html": "/sources/{name}/captures/{id}", "json": "/api/sources/{name}/captures/{id}", "query": [],
     "what": "one capture as archived"},
    {"html": "/alerts", "json": "/api/alerts", "query": ["source", "page", "size"], "what": "alerts, newest first"},
    {"html": "/search", "json": "/api/search", "query": ["q", "source", "since"],
     "what": "every archived version's text: hits with the versions they stood in"},
    PHRASES_ROUTE,
]


def create_app(archive: Archive, *, title: str = "redline", operator_token: str | None = None,
               refresher: Refresher | None = None) -> Starlette:
    """The ASGI app over an open Archive. It never writes to the archive; with an operator
    token and a refresher, its one action (POST .../refresh) starts a check."""
    b = BrowseApp(archive, title=title)
    b.env.globals["refresh_enabled"] = bool(operator_token and refresher)
    pages: list[tuple[str, Handler]] = [
        ("/", b.sources),
        ("/sources/{name}", b.timeline),
        ("/sources/{name}/versions/{vid:int}", b.version),
        ("/sources/{name}/compare", b.compare),
        ("/sources/{name}/captures/{cid:int}", b.capture),
        ("/alerts", b.alerts),
        ("/search", b.search),
        ("/phrases", phrases_page(archive)),
    ]
    routes: list[Any] = []
    for path, handler in pages:
        routes.append(Route(path, b.html_page(handler)))
        routes.append(Route("/api/sources" if path == "/" else "/api" + path, b.json_page(handler)))
    routes += [
        Route("/api", b.api_index),
        Route("/sources", lambda request: RedirectResponse("/", status_code=308)),
        Route("/sources/{name}/versions/{vid:int}/text", b.version_text),
        Route("/sources/{name}/captures/{cid:int}/raw", b.raw),
        Route("/sources/{name}/captures/{cid:int}/warc", b.warc),
        Route("/sources/{name}/feed.xml", b.feed),
        Route("/alerts/feed.xml", b.feed),
        Route("/sources/{name}/refresh", refresh_endpoint(
            archive_root=archive.root, token=operator_token, refresher=refresher,
            check_name=lambda name: views.source_summary(archive, name), error=b.error), methods=["POST"]),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ]

    async def not_found(request: Request, exc: Exception) -> Response:
        return b.error(request, 404, str(exc))

    async def bad_request(request: Request, exc: Exception) -> Response:
        return b.error(request, 400, str(exc))

    async def archive_error(request: Request, exc: Exception) -> Response:
        return b.error(request, 500, str(exc))

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        message = "no such page" if exc.status_code == 404 else str(exc.detail)
        return b.error(request, exc.status_code, message)

    async def too_large(request: Request, exc: Exception) -> Response:  # an id past SQLite's 64 bits
        return b.error(request, 404, "no such page")

    handlers: Mapping[Any, Callable[[Request, Exception], Awaitable[Response]]] = {
        OverflowError: too_large, NotFoundError: not_found, BadRequest: bad_request, ArchiveError: archive_error, HTTPException: http_error}
    app = Starlette(routes=routes, exception_handlers=dict(handlers))
    app.add_middleware(SecurityHeaders)
    app.state.archive = archive
    return app
