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
from pathlib import Path
from typing import Any, Awaitable, Callable, Mapping

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from redline.web.phrases import PHRASES_ROUTE, phrases_page
from starlette.staticfiles import StaticFiles

from redline.core.errors import ArchiveError, NotFoundError
from redline.store import readmodel as views
from redline.store import readsearch
from redline.store.sqlite import Archive
from redline.text.render import render_html, render_text
from redline.web import files, history
from redline.web.params import BadRequest, grade_param, int_param, since_param, text_param
from redline.web.refresh import Refresher, refresh_endpoint
from redline.web.render import anchor_hunks, inline_html, safe_fragment, side_by_side
from redline.web.security import PAGE_CSP, RAW_CSP, SecurityHeaders
from redline.web.templating import make_environment

__all__ = ["BadRequest", "BrowseApp", "PAGE_CSP", "RAW_CSP", "create_app"]

STATIC = Path(__file__).resolve().parent / "static"
COMPARE_VIEWS = ("inline", "changes", "side")
MENU_SIZE = 500          # versions offered in the comparison page's menus (the latest ones)

Handler = Callable[[Request], "tuple[str, dict[str, Any], Any]"]


# --------------------------------------------------------------------------- the app

class BrowseApp:
    """Pages over one archive. Each page function returns (template, context, JSON twin)."""

    def __init__(self, archive: Archive, *, title: str = "redline", grades: Mapping[str, str] | None = None) -> None:
        self.archive = archive
        self.title = title
        self.grades = dict(grades or {})      # [significance] of the config, when the view was given it
        self.env = make_environment()

    # -- pages ---------------------------------------------------------------

    def sources(self, request: Request) -> tuple[str, dict[str, Any], Any]:
        tag, site, text = (text_param(request, k) for k in ("tag", "site", "q"))
        order = request.query_params.get("sort") or "changed"
        if order not in views.SOURCE_ORDERS:
            raise BadRequest(f"sort must be one of {', '.join(views.SOURCE_ORDERS)}")
        since_text = text_param(request, "since")
        since = since_param(since_text)
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
        t = views.timeline(self.archive, name, page=int_param(request, "page", 1) or 1,
                           size=int_param(request, "size", views.PAGE_SIZE) or views.PAGE_SIZE)
        strip = history.strip(self.archive, name, until=t.source.last_check)
        return "timeline.html", {"t": t, "source": t.source, "strip": strip}, \
            {**views.to_json(t), "strip": history.strip_json(strip)}

    def as_of(self, request: Request) -> tuple[str, dict[str, Any], Any]:
        return history.as_of(self.archive, request.path_params["name"], request.path_params["when"])

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
        a, b = views.default_pair(self.archive, name, int_param(request, "a"), int_param(request, "b"))
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
        graded = history.comparison_grade(self.archive, c, table=self.grades)
        ctx = {"c": c, "source": c.source, "view": view, "body": body, "rows": rows, "versions": versions[::-1],
               "changes": body.count('id="change-') if view != "side" else sum(r.changed for r in rows),
               "significance": graded}
        twin = {"source": views.to_json(c.source), "a": views.to_json(c.a), "b": views.to_json(c.b),
                "diff": views.to_json(c.diff), "text": render_text(c.diff), "significance": graded}
        return "compare.html", ctx, twin

    def capture(self, request: Request) -> tuple[str, dict[str, Any], Any]:
        cv = views.capture_view(self.archive, request.path_params["name"], request.path_params["cid"])
        return "capture.html", {"cv": cv, "source": cv.source}, views.to_json(cv)

    def alerts(self, request: Request) -> tuple[str, dict[str, Any], Any]:
        source = text_param(request, "source")
        if source:
            views.check_name(source)
        ap = views.alerts_page(self.archive, source=source, grade=grade_param(request), page=int_param(request, "page", 1) or 1,
                               size=int_param(request, "size", views.PAGE_SIZE) or views.PAGE_SIZE)
        fragments = {a.id: safe_fragment(a.diff_html) for a in ap.alerts}
        return "alerts.html", {"ap": ap, "fragments": fragments}, views.to_json(ap)

    def search(self, request: Request) -> tuple[str, dict[str, Any], Any]:
        q, source, since = (text_param(request, k) for k in ("q", "source", "since"))
        if source:
            views.check_name(source)
        hits = readsearch.search(self.archive, q, source=source, since=since) if q else []
        return "search.html", {"query": q or "", "source": source, "since": since, "hits": hits}, {
            "query": q, "source": source, "since": since, "hits": [h.record() for h in hits]}

    # -- wiring ---------------------------------------------------------------

    def api_index(self, request: Request) -> JSONResponse:
        return JSONResponse({"routes": API_ROUTES})

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
    {"html": "/sources/{name}", "json": "/api/sources/{name}", "query": ["page", "size", "at"],
     "what": "a source's timeline strip and its captures and versions, newest first (?at=DATE: the as-of view)"},
    {"html": "/sources/{name}/at/{date}", "json": "/api/sources/{name}/at/{date}", "query": [],
     "what": "what the source said on a date (2024-03-01) or at a moment (2024-03-01T09:00+08:00)"},
    {"html": "/sources/{name}/versions/{id}", "json": "/api/sources/{name}/versions/{id}", "query": [],
     "what": "one version's text"},
    {"html": "/sources/{name}/compare", "json": "/api/sources/{name}/compare", "query": ["a", "b", "view"],
     "what": "version a against version b, with the change's grade and reasons"},
    {"html": "/sources/{name}/captures/{id}", "json": "/api/sources/{name}/captures/{id}", "query": [],
     "what": "one capture as archived"},
    {"html": "/alerts", "json": "/api/alerts", "query": ["source", "grade", "page", "size"],
     "what": "alerts, newest first (grade: high, medium or low change alerts only)"},
    {"html": "/search", "json": "/api/search", "query": ["q", "source", "since"],
     "what": "every archived version's text: hits with the versions they stood in"},
    PHRASES_ROUTE,
]


def at_redirect(endpoint: Callable[[Request], Response], *, api: bool = False) -> Callable[[Request], Response]:
    """/sources/NAME?at=DATE -> /sources/NAME/at/DATE (303); without ?at=, the page itself."""
    def redirecting(request: Request) -> Response:
        at = (request.query_params.get("at") or "").strip()
        if not at:
            return endpoint(request)
        views.check_name(request.path_params["name"])
        return RedirectResponse(history.as_of_url(request.path_params["name"], at[:100], api=api), status_code=303)
    return redirecting


def create_app(archive: Archive, *, title: str = "redline", operator_token: str | None = None,
               refresher: Refresher | None = None, grades: Mapping[str, str] | None = None) -> Starlette:
    """The ASGI app over an open Archive. It never writes to the archive; with an operator
    token and a refresher, its one action (POST .../refresh) starts a check. `grades`: the
    config's [significance] table, for grading comparisons as the monitor grades alerts."""
    b = BrowseApp(archive, title=title, grades=grades)
    b.env.globals["refresh_enabled"] = bool(operator_token and refresher)
    pages: list[tuple[str, Handler]] = [
        ("/", b.sources),
        ("/sources/{name}", b.timeline),
        ("/sources/{name}/versions/{vid:int}", b.version),
        ("/sources/{name}/at/{when}", b.as_of),
        ("/sources/{name}/compare", b.compare),
        ("/sources/{name}/captures/{cid:int}", b.capture),
        ("/alerts", b.alerts),
        ("/search", b.search),
        ("/phrases", phrases_page(archive)),
    ]
    routes: list[Any] = []
    for path, handler in pages:
        html_endpoint, json_endpoint = b.html_page(handler), b.json_page(handler)
        if path == "/sources/{name}":   # ?at=DATE: the as-of view, at its own address
            html_endpoint, json_endpoint = at_redirect(html_endpoint), at_redirect(json_endpoint, api=True)
        routes.append(Route(path, html_endpoint))
        routes.append(Route("/api/sources" if path == "/" else "/api" + path, json_endpoint))
    routes += [
        Route("/api", b.api_index),
        Route("/sources", lambda request: RedirectResponse("/", status_code=308)),
        Route("/sources/{name}/versions/{vid:int}/text", lambda request: files.version_text(archive, request)),
        Route("/sources/{name}/captures/{cid:int}/raw", lambda request: files.raw(archive, request)),
        Route("/sources/{name}/captures/{cid:int}/warc", lambda request: files.warc(archive, request)),
        Route("/sources/{name}/feed.xml", lambda request: files.feed(archive, request)),
        Route("/alerts/feed.xml", lambda request: files.feed(archive, request)),
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
