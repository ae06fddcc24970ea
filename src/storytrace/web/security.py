"""What every response of the web app carries, and HEAD wherever GET is answered.

Both are plain ASGI wrappers around the whole app rather than per-route code, so pages,
JSON, error pages, 404s, the API docs and static files all get the same treatment and a
route added later cannot forget it.

The policy allows scripts and styles from this server only: the pages keep their script
and style in ``web/static`` and carry no inline ``<script>``, ``<style>`` or ``style=``,
so an escaping slip in a template still cannot run anything. ``data:`` images are allowed
because the API docs' stylesheet draws its icons that way.
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
}


def add_security_headers(headers: MutableHeaders) -> None:
    """Set the headers in ``headers``, replacing any a route set itself."""
    for name, value in SECURITY_HEADERS.items():
        headers[name] = value


class SecurityHeaders:
    """Adds ``SECURITY_HEADERS`` to every HTTP response that passes through."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                add_security_headers(MutableHeaders(scope=message))
            await send(message)

        await self.app(scope, receive, send_with_headers)


class HeadAsGet:
    """Answers HEAD by running GET and sending its status and headers without the body.

    FastAPI routes declared with ``@app.get`` refuse HEAD with 405, which breaks link
    checkers and monitors. Running GET keeps ``Content-Length``, ``ETag`` and the rest the
    same as GET would send, which is what HEAD promises.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return

        async def headers_only(message: Message) -> None:
            if message["type"] != "http.response.body":
                await send(message)
            elif not message.get("more_body", False):
                await send({"type": "http.response.body", "body": b"", "more_body": False})

        await self.app({**scope, "method": "GET"}, receive, headers_only)
