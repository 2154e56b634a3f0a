"""The web view's response headers: a strict Content-Security-Policy on every page (no
scripts at all, styles and images from this server only) and a sandboxing one for raw
captures, plus nosniff, no referrer and no framing."""
from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

PAGE_CSP = ("default-src 'none'; style-src 'self'; img-src 'self' data:; frame-src 'self'; "
            "form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
RAW_CSP = ("sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
           "form-action 'none'; base-uri 'none'; frame-ancestors 'self'")


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
