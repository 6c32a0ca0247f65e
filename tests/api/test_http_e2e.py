"""The service as a user runs it: ``python -m criptos.api`` in a subprocess, real HTTP."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pandas as pd
import pytest

from tests.api.bundles import point_latest, publish_unlisted
from tests.api.conftest import (
    FIRST_VERSION,
    SECOND_VERSION,
    ApiProject,
    BundleFactory,
    wait_for,
)
from tests.api.load import Hammer
from tests.api.server import ApiServer, get_json
from tests.api.test_endpoints import assert_no_leak
from tests.api.test_freshness import without_last_day
from tests.api.test_requests import PREDICT_QUERY
from tests.kedro_project import PROJECT_ROOT

pytestmark = pytest.mark.e2e
POLL_INTERVAL = 0.5
# Reading five models, the features and predicting, on a loaded two-core machine.
LOAD_ALLOWANCE = 5.0


@pytest.fixture
def server(published_project: ApiProject, tmp_path: Path) -> Iterator[ApiServer]:
    with published_project.server(tmp_path, POLL_INTERVAL) as running:
        running.wait_ready()
        yield running


def test_serves_every_endpoint_over_http(server: ApiServer) -> None:
    with httpx.Client(base_url=server.url) as client:
        body = client.get("/predict", params={"ativo": "eth"}).json()
        assert body["ativo"] == "ETH" and body["model_version"] == FIRST_VERSION
        assert len(body["predictions"]) == 5
        assert client.get("/predict", params={"ativo": "NOPE"}).status_code == 404
        assert client.get("/predict", params={"ativo": "B/TC"}).status_code == 422
        assert client.get("/predict").status_code == 422
        assert len(client.get("/ativos").json()["ativos"]) == 7
        assert client.get("/models").json()["model_version"] == FIRST_VERSION
        assert client.get("/health").json() == {"status": "ok"}
        assert client.get("/docs").status_code == 200
        assert client.post("/admin/reload").status_code == 404  # no token configured
        assert_no_leak(client.get("/predict?ativo=%FF%FE").text)
        head = client.head("/predict", params={"ativo": "eth"})
        assert head.status_code == 200 and head.content == b""
        home = client.get("/", follow_redirects=False)
        assert home.status_code == 307 and home.headers["location"] == "/docs"
        graphql = client.post("/graphql", json={"query": PREDICT_QUERY}).json()
        assert graphql["data"]["predict"]["asOf"] == body["as_of"]
        assert len(graphql["data"]["predict"]["predictions"]) == 5
        assert len(graphql["data"]["ativos"]) == 7


def replace_atomically(frame: pd.DataFrame, target: Path) -> None:
    """As the feature pipeline publishes the latest table: a whole new file renamed in."""
    temporary = target.with_name(f".{target.name}.tmp")
    frame.to_parquet(temporary, index=False)
    os.replace(temporary, target)


def test_a_new_day_of_features_is_served_under_load(
    api_project: ApiProject,
    make_bundle: BundleFactory,
    real_features: pd.DataFrame,
    tmp_path: Path,
) -> None:
    replace_atomically(without_last_day(real_features), api_project.features_file)
    api_project.publish(make_bundle(FIRST_VERSION))
    new_day = real_features["data"].max().date().isoformat()
    with api_project.server(tmp_path, POLL_INTERVAL) as running:
        running.wait_ready()
        with Hammer(running.url, threads=8) as hammer:
            time.sleep(1.0)
            assert hammer.first_seen(new_day, "as_of") is None
            replace_atomically(real_features, api_project.features_file)
            published = time.monotonic()
            wait_for(
                lambda: hammer.first_seen(new_day, "as_of"),
                timeout=POLL_INTERVAL + LOAD_ALLOWANCE + 10,
            )
            time.sleep(0.5)
        status, models = get_json(f"{running.url}/models")
    assert len(hammer.all_answers()) > 100
    hammer.check_switch(new_day, published, POLL_INTERVAL + LOAD_ALLOWANCE, "as_of")
    assert {answer.version for answer in hammer.all_answers()} == {FIRST_VERSION}
    assert models["features"]["as_of"] == new_day
    assert models["last_reload_error"] is None


def test_finds_the_project_from_the_working_directory(
    published_project: ApiProject, tmp_path: Path
) -> None:
    with ApiServer(
        log_file=tmp_path / "server.log",
        conf_source=published_project.project.conf,
        cwd=PROJECT_ROOT / "src" / "criptos",
    ) as running:
        assert running.wait_ready()["model_version"] == FIRST_VERSION


def test_outside_a_project_it_says_so(tmp_path: Path) -> None:
    with ApiServer(log_file=tmp_path / "server.log", cwd=tmp_path) as running:
        assert running.process.wait(timeout=60) == 2
        assert "no Kedro project" in running.log()


def test_reload_under_load_serves_every_request(
    server: ApiServer, published_project: ApiProject, make_bundle: BundleFactory
) -> None:
    bundle = make_bundle(SECOND_VERSION)
    with Hammer(server.url, threads=8) as hammer:
        time.sleep(1.0)
        published_project.publish(bundle)
        published = time.monotonic()
        wait_for(
            lambda: hammer.first_seen(SECOND_VERSION),
            timeout=POLL_INTERVAL + LOAD_ALLOWANCE + 10,
        )
        time.sleep(0.5)
    assert len(hammer.all_answers()) > 100
    hammer.check_switch(SECOND_VERSION, published, POLL_INTERVAL + LOAD_ALLOWANCE)


def test_corrupt_version_under_load_is_refused(
    server: ApiServer, published_project: ApiProject, make_bundle: BundleFactory
) -> None:
    folder = publish_unlisted(published_project.registry, make_bundle(SECOND_VERSION))
    model = folder / "classifier_rf.joblib"
    model.write_bytes(b"\x80" + model.read_bytes()[1:])
    with Hammer(server.url, threads=4) as hammer:
        time.sleep(0.5)
        point_latest(published_project.registry, SECOND_VERSION)
        error = wait_for(
            lambda: get_json(f"{server.url}/models")[1]["last_reload_error"], timeout=15
        )
        time.sleep(3 * POLL_INTERVAL)
    answers = hammer.all_answers()
    assert answers and {(answer.status, answer.version) for answer in answers} == {
        (200, FIRST_VERSION)
    }
    assert error["version"] == SECOND_VERSION and error["stage"] == "models"
    assert_no_leak(str(error))
    assert get_json(f"{server.url}/ready") == (
        200,
        {"ready": True, "model_version": FIRST_VERSION},
    )


def test_stops_cleanly_on_sigterm(
    published_project: ApiProject, tmp_path: Path
) -> None:
    running = published_project.server(tmp_path).start()
    try:
        running.wait_ready()
        started = time.monotonic()
        running.process.terminate()
        # uvicorn shuts down gracefully, then re-raises the signal it caught.
        assert running.process.wait(timeout=10) in (0, -signal.SIGTERM)
        assert time.monotonic() - started < 5
        assert "Model poller stopped" in running.log()
        assert "Traceback" not in running.log()
    finally:
        running.stop()
