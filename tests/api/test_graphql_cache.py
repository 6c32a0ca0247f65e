"""The GraphQL result cache: the same body gets the same bytes while state and day last."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import pytest
from fastapi.testclient import TestClient
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from criptos.api.graphql_cache import MAX_BODY_BYTES, GraphQLResultCache


@dataclass
class FakeService:
    state: object | None = field(default_factory=object)
    day: date = date(2026, 12, 2)

    def today(self) -> date:
        return self.day


@pytest.fixture
def served() -> tuple[TestClient, FakeService, list[bytes]]:
    calls: list[bytes] = []

    async def graphql(request: Request) -> JSONResponse:
        body = await request.body()
        calls.append(body)
        status = 400 if body == b"bad" else 200
        return JSONResponse({"call": len(calls), "size": len(body)}, status_code=status)

    app = Starlette(routes=[Route("/graphql", graphql, methods=["POST"])])
    app.add_middleware(GraphQLResultCache, path="/graphql")
    service = FakeService()
    app.state.service = service
    return TestClient(app), service, calls


def test_a_repeated_body_is_answered_from_the_cache(served) -> None:
    client, _, calls = served
    first = client.post("/graphql", content=b'{"query": "{ a }"}')
    second = client.post("/graphql", content=b'{"query": "{ a }"}')
    assert first.json() == second.json() == {"call": 1, "size": 18}
    assert second.headers["content-length"] == first.headers["content-length"]
    other = client.post("/graphql", content=b'{"query": "{ b }"}')
    assert other.json()["call"] == 2 and len(calls) == 2


def test_a_new_state_or_day_computes_again(served) -> None:
    client, service, calls = served
    client.post("/graphql", content=b"q")
    service.state = object()  # a new version or feature table was swapped in
    assert client.post("/graphql", content=b"q").json()["call"] == 2
    service.day = date(2026, 12, 3)  # ageDays changed
    assert client.post("/graphql", content=b"q").json()["call"] == 3
    assert client.post("/graphql", content=b"q").json()["call"] == 3


def test_errors_large_bodies_and_no_state_are_never_cached(served) -> None:
    client, service, calls = served
    assert client.post("/graphql", content=b"bad").status_code == 400
    assert client.post("/graphql", content=b"bad").json()["call"] == 2
    large = b"x" * (MAX_BODY_BYTES + 10)
    assert client.post("/graphql", content=large).json() == {
        "call": 3,
        "size": len(large),
    }
    assert client.post("/graphql", content=large).json()["call"] == 4
    assert calls[-1] == large  # the body reached the app whole
    service.state = None  # before the first load
    client.post("/graphql", content=b"q")
    assert client.post("/graphql", content=b"q").json()["call"] == 6
