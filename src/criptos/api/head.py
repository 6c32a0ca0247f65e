"""HEAD answers wherever GET does: the same status and headers, no body.

FastAPI routes only the methods they declare, so ``HEAD /predict`` would be 405. This
ASGI middleware runs a HEAD request as its GET and drops the body it sends; the
``content-length`` header stays that of the GET (RFC 9110, section 9.3.2).
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send


class HeadAsGet:
    """Wraps ``app`` so that HEAD is served by the GET route of the same path."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return

        async def send_without_body(message: Message) -> None:
            if message["type"] == "http.response.body":
                if message.get("more_body", False):
                    return
                message = {"type": "http.response.body", "body": b""}
            await send(message)

        await self.app({**scope, "method": "GET"}, receive, send_without_body)
