"""The web view's non-page responses: a raw capture (sandboxed), its WARC record, a
version's plain text, and the Atom feeds."""
from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from redline.alerts.atom import render_atom_feed
from redline.core.errors import NotFoundError
from redline.store import readmodel as views
from redline.store.sqlite import Archive
from redline.web.security import RAW_CSP

FEED_SIZE = 100


def raw(archive: Archive, request: Request) -> Response:
    c, body = views.capture_body(archive, request.path_params["name"], request.path_params["cid"])
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


def warc(archive: Archive, request: Request) -> Response:
    c = views.capture_info(archive, request.path_params["name"], request.path_params["cid"])
    piece = views.capture_warc(archive, c)
    if not piece.exists():
        raise NotFoundError(f"the WARC file of capture {c.id} is not in the archive")
    name = piece.name if piece.offset is None else f"{c.source}-capture-{c.id}.warc.gz"
    return Response(piece.read(), media_type="application/warc", headers={
        "Content-Disposition": f'attachment; filename="{name}"'})


def version_text(archive: Archive, request: Request) -> Response:
    v = views.version_info(archive, request.path_params["name"], request.path_params["vid"])
    return Response(views.version_text(archive, v), media_type="text/plain; charset=utf-8")


def feed(archive: Archive, request: Request) -> Response:
    name = request.path_params.get("name")
    base = str(request.base_url).rstrip("/")
    if name:
        s = views.source_summary(archive, name)
        data = render_atom_feed(views.recent_alerts(archive, source=name, limit=FEED_SIZE),
                                feed_id=f"urn:redline:source:{name}", title=f"redline: {s.title or name}",
                                link=f"{base}/sources/{name}", self_url=f"{base}/sources/{name}/feed.xml",
                                base=base)
    else:
        data = render_atom_feed(views.recent_alerts(archive, limit=FEED_SIZE), feed_id="urn:redline:alerts",
                                title="redline: all alerts", link=f"{base}/alerts",
                                self_url=f"{base}/alerts/feed.xml", base=base)
    return Response(data, media_type="application/atom+xml; charset=utf-8")
