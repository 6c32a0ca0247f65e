"""Repeated GraphQL requests answered from memory, like ``/predict``.

Strawberry parses, validates and resolves a query field by field on every request
(about 5 ms here against 0.4 ms for the REST lookup). Yet an answer depends only on
the request body, the serving state and the UTC day, all three immutable while they
last. This ASGI middleware keys the complete response of a ``POST /graphql`` by
(body, state, day): the first request goes through Strawberry, the same body then
gets the same bytes until a new version or feature table is swapped in, or the day
changes (``ageDays``). No answer is computed outside the resolvers. Before the first
load (503 errors) nothing is cached.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from datetime import date
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from criptos.api.service import ModelService

MAX_ENTRIES = 256
MAX_BODY_BYTES = 64 * 1024


@dataclass(frozen=True)
class _Response:
    status: int
    headers: list[tuple[bytes, bytes]]
    body: bytes


class GraphQLResultCache:
    """Caches ``POST <path>`` responses per serving state and day (LRU)."""

    def __init__(self, app: ASGIApp, path: str) -> None:
        self.app = app
        self.path = path
        self._entries: OrderedDict[tuple[Any, ...], _Response] = OrderedDict()
        # What the entries were computed for: the state object itself (held, so that
        # no later state can be mistaken for it) and the day.
        self._computed_for: tuple[Any, date] | None = None

    @staticmethod
    def _service(scope: Scope) -> ModelService | None:
        return getattr(scope["app"].state, "service", None)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["method"] != "POST"
            or (scope["path"] != self.path)
        ):
            await self.app(scope, receive, send)
            return
        body, finished = await _read_body(receive)
        service = self._service(scope)
        state = service.state if service else None
        if not finished or len(body) > MAX_BODY_BYTES or state is None:
            await self.app(scope, _replay(body, finished, receive), send)
            return
        today = service.today()
        if self._computed_for is None or (
            self._computed_for[0] is not state or self._computed_for[1] != today
        ):
            # a new state or day: the old answers can never be asked for again
            self._entries.clear()
            self._computed_for = (state, today)
        key = (_negotiated(scope), body)
        cached = self._entries.get(key)
        if cached is None:
            cached = await self._through_app(scope, body, send)
            if (
                cached is not None
                and self._computed_for[0] is state
                and (self._computed_for[1] == today)
            ):
                self._remember(key, cached)
            return
        self._entries.move_to_end(key)
        await _send(cached, send)

    async def _through_app(
        self, scope: Scope, body: bytes, send: Send
    ) -> _Response | None:
        """Run the request through Strawberry, sending as it goes; the whole
        response when it is a cacheable one (200, one body message)."""
        start: Message = {}
        parts: list[bytes] = []

        async def record(message: Message) -> None:
            if message["type"] == "http.response.start":
                start.update(message)
            elif message["type"] == "http.response.body":
                parts.append(message.get("body", b""))
            await send(message)

        await self.app(scope, _replay(body, True, None), record)
        if start.get("status") != 200:
            return None
        return _Response(200, list(start.get("headers", [])), b"".join(parts))

    def _remember(self, key: tuple[Any, ...], response: _Response) -> None:
        self._entries[key] = response
        while len(self._entries) > MAX_ENTRIES:
            self._entries.popitem(last=False)


def _negotiated(scope: Scope) -> tuple[bytes, bytes]:
    """The request headers an answer's form depends on (its type and the accepted)."""
    headers = dict(scope.get("headers", []))
    return headers.get(b"content-type", b""), headers.get(b"accept", b"")


async def _read_body(receive: Receive) -> tuple[bytes, bool]:
    """The request body up to a little past MAX_BODY_BYTES, and whether that is all
    of it (a longer one is passed on uncached, the rest read by the app)."""
    chunks: list[bytes] = []
    size = 0
    while size <= MAX_BODY_BYTES:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunk = message.get("body", b"")
        chunks.append(chunk)
        size += len(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks), True
    return b"".join(chunks), False


def _replay(body: bytes, finished: bool, receive: Receive | None) -> Receive:
    """A ``receive`` that gives ``body`` first, then what is still to come."""
    sent = False

    async def replayed() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {
                "type": "http.request",
                "body": body,
                "more_body": not finished and receive is not None,
            }
        if receive is not None:
            return await receive()
        return {"type": "http.disconnect"}

    return replayed


async def _send(response: _Response, send: Send) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": response.status,
            "headers": response.headers,
        }
    )
    await send({"type": "http.response.body", "body": response.body})
