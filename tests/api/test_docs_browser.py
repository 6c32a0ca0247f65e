"""Swagger UI, ReDoc and GraphiQL render in headless Chromium with the network off.

The service runs as a user starts it (``python -m criptos.api``); Chromium reaches
only 127.0.0.1 (``tests.api.browser``), so every script and style sheet of these
pages has to come from the service itself, not from a CDN.
"""

from __future__ import annotations

import re
import urllib.request
from collections.abc import Callable, Iterator
from html.parser import HTMLParser
from pathlib import Path

import pytest

from tests.api.browser import dump_dom
from tests.api.conftest import ApiProject
from tests.api.server import ApiServer

pytestmark = pytest.mark.slow

PREDICT_SUMMARY = "Predictions of every model for one asset"
BROWSER_PAGES = ("/docs", "/redoc", "/graphql")
# Any absolute http(s) URL whose host is not exactly 127.0.0.1.
EXTERNAL_URL = re.compile(r"""https?://(?!127\.0\.0\.1(?:[:/"'\s]|$))[^\s"'<>)]*""")
# Elements without an end tag: they hold no text and close nothing.
VOID_ELEMENTS = frozenset(
    "area base br col embed hr img input link meta source track wbr".split()
)
EXCERPT_CHARS = 600
ElementFilter = Callable[[str, dict[str, str]], bool]


@pytest.fixture
def server(published_project: ApiProject, tmp_path: Path) -> Iterator[ApiServer]:
    with published_project.server(tmp_path) as running:
        running.wait_ready()
        yield running


class _ElementTexts(HTMLParser):
    """Collects the text content of every element that ``wanted`` accepts."""

    def __init__(self, wanted: ElementFilter) -> None:
        super().__init__(convert_charrefs=True)
        self._wanted = wanted
        self._open: list[tuple[str, list[str] | None]] = []
        self.texts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in VOID_ELEMENTS:
            return
        attributes = {name: value or "" for name, value in attrs}
        self._open.append((tag, [] if self._wanted(tag, attributes) else None))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        """A self-closing element (SVG) holds no text."""

    def handle_endtag(self, tag: str) -> None:
        if all(open_tag != tag for open_tag, _ in self._open):
            return
        while self._open:
            open_tag, collected = self._open.pop()
            if collected is not None:
                self.texts.append(" ".join("".join(collected).split()))
            if open_tag == tag:
                return

    def handle_data(self, data: str) -> None:
        for _, collected in self._open:
            if collected is not None:
                collected.append(data)


def element_texts(dom: str, wanted: ElementFilter) -> list[str]:
    """Whitespace-collapsed text of each element of ``dom`` that ``wanted`` accepts."""
    parser = _ElementTexts(wanted)
    parser.feed(dom)
    parser.close()
    # Swagger UI puts zero-width spaces into paths so that long ones can wrap.
    return [text.replace("\u200b", "") for text in parser.texts]


def with_class(name: str) -> ElementFilter:
    return lambda _tag, attributes: name in attributes.get("class", "").split()


def redoc_operation(_tag: str, attributes: dict[str, str]) -> bool:
    """ReDoc's section of one operation: its summary, verb, path and parameters."""
    return attributes.get("data-section-id", "").startswith("operation/")


def excerpt(dom: str) -> str:
    """The start of the rendered body: what the page shows instead, on a failure."""
    body = max(dom.find("<body"), 0)
    return (
        f"DOM of {len(dom)} characters, from <body>: {dom[body : body + EXCERPT_CHARS]}"
    )


def raw_html(url: str) -> str:
    """The page as served, before any script ran; asks for HTML like a browser."""
    request = urllib.request.Request(url, headers={"Accept": "text/html"})
    with urllib.request.urlopen(request, timeout=10) as answer:
        return answer.read().decode()


def test_swagger_ui_renders_the_operations(server: ApiServer) -> None:
    dom = dump_dom(f"{server.url}/docs")
    paths = element_texts(dom, with_class("opblock-summary-path"))
    for path in ("/predict", "/ativos"):
        assert any(path in text for text in paths), (
            f"Swagger UI shows no {path} operation; paths {paths}; {excerpt(dom)}"
        )


def test_redoc_renders_the_operations(server: ApiServer) -> None:
    dom = dump_dom(f"{server.url}/redoc")
    operations = element_texts(dom, redoc_operation)
    assert any(PREDICT_SUMMARY in text and "/predict" in text for text in operations), (
        f"ReDoc shows no /predict operation; {len(operations)} operations; {excerpt(dom)}"
    )


def test_graphiql_renders_with_the_default_query(server: ApiServer) -> None:
    dom = dump_dom(f"{server.url}/graphql")
    assert element_texts(dom, with_class("graphiql-container")), (
        f"GraphiQL did not render; {excerpt(dom)}"
    )
    # Strawberry's own (CDN) page carries that class before any script ran: only
    # the editor with the default query in it proves that GraphiQL rendered.
    editors = element_texts(dom, with_class("graphiql-query-editor"))
    assert any("ativos" in text for text in editors), (
        f"GraphiQL's editor lacks the default query; editors {editors}; {excerpt(dom)}"
    )


def test_pages_load_nothing_from_outside(server: ApiServer) -> None:
    external = {
        page: found
        for page in BROWSER_PAGES
        if (found := EXTERNAL_URL.findall(raw_html(f"{server.url}{page}")))
    }
    assert not external, f"pages reference URLs off 127.0.0.1: {external}"
