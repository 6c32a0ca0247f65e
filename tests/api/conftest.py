"""Fixtures of the API tests: real features, tiny fitted bundles, throwaway projects."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from criptos.api import Settings, create_app
from criptos.contracts.model_bundle import ModelBundle
from criptos.features import FeatureParams, compute_features
from criptos.validation import validate_candles
from tests.api.bundles import fit_models, make_manifest, publish
from tests.api.server import ApiServer
from tests.kedro_project import PROJECT_ROOT, KedroProject

FIRST_VERSION = "20260101T000000Z"
SECOND_VERSION = "20260102T000000Z"
FEATURES_FILE = "cripto_features_latest.parquet"
BundleFactory = Callable[..., ModelBundle]


@pytest.fixture(scope="session")
def real_features(real_raw_frame: pd.DataFrame) -> pd.DataFrame:
    """The feature table of the real candles, as the feature pipeline computes it."""
    candles = validate_candles(real_raw_frame, max_quarantine_share=0.05).candles
    return compute_features(candles, FeatureParams())


@pytest.fixture(scope="session")
def new_asset(real_raw_frame: pd.DataFrame) -> pd.DataFrame:
    """Three days of features of an asset listed the day before yesterday (NEWC)."""
    candles = validate_candles(real_raw_frame, max_quarantine_share=0.05).candles
    newest = candles[candles["ativo"] == "ETH"].tail(3).assign(ativo="NEWC")
    return compute_features(newest.reset_index(drop=True), FeatureParams())


@pytest.fixture(scope="session")
def fitted_models(real_features: pd.DataFrame) -> dict[str, Any]:
    """The five named models, fitted once per session."""
    return fit_models(real_features)


@pytest.fixture(scope="session")
def make_bundle(
    real_features: pd.DataFrame, fitted_models: dict[str, Any]
) -> BundleFactory:
    """``make_bundle(version, **manifest_overrides)`` -> a bundle ready to publish."""

    def factory(version: str, **overrides: Any) -> ModelBundle:
        return ModelBundle(
            manifest=make_manifest(real_features, version, **overrides),
            models=fitted_models,
        )

    return factory


@dataclass(frozen=True)
class ApiProject:
    """A throwaway copy of the project's configuration with features and a registry."""

    project: KedroProject

    @property
    def registry(self) -> Path:
        return self.project.path("model_registry")

    @property
    def features_file(self) -> Path:
        return self.project.path("features") / FEATURES_FILE

    def settings(self, **overrides: Any) -> Settings:
        values: dict[str, Any] = {
            "project_path": PROJECT_ROOT,
            "conf_source": self.project.conf,
            "poll_interval": 0.2,
        }
        values.update(overrides)
        return Settings(**values)

    def publish(self, bundle: ModelBundle) -> None:
        publish(self.registry, bundle)

    def server(self, log_dir: Path, poll_interval: float = 0.5) -> ApiServer:
        """``python -m criptos.api`` on this project (start it with ``with``)."""
        return ApiServer(
            log_file=log_dir / "server.log",
            project_path=PROJECT_ROOT,
            conf_source=self.project.conf,
            poll_interval=poll_interval,
            cwd=log_dir,
        )


def make_api_project(root: Path, features: pd.DataFrame) -> ApiProject:
    """A project whose latest features are ``features`` and whose registry is empty."""
    api_project = ApiProject(KedroProject.create(root))
    features.to_parquet(api_project.features_file, index=False)
    return api_project


@pytest.fixture
def api_project(tmp_path: Path, real_features: pd.DataFrame) -> ApiProject:
    """An empty registry next to the real latest features."""
    return make_api_project(tmp_path / "project", real_features)


@pytest.fixture
def published_project(
    api_project: ApiProject, make_bundle: BundleFactory
) -> ApiProject:
    """``api_project`` with FIRST_VERSION published as latest."""
    api_project.publish(make_bundle(FIRST_VERSION))
    return api_project


def wait_for(
    condition: Callable[[], Any], timeout: float = 30.0, step: float = 0.05
) -> Any:
    """Poll ``condition`` until it returns something truthy; fail after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(step)
    pytest.fail(f"condition not met within {timeout} s")


def wait_ready(client: Any, timeout: float = 30.0) -> dict[str, Any]:
    """Wait for ``/ready`` to answer 200; returns its body."""
    return wait_for(
        lambda: (answer := client.get("/ready")).status_code == 200 and answer.json(),
        timeout=timeout,
    )


@pytest.fixture
def running_client(published_project: ApiProject) -> Iterator[TestClient]:
    """A TestClient of an app serving FIRST_VERSION, admin token ``secret-token``."""
    app = create_app(published_project.settings(admin_token="secret-token"))
    with TestClient(app, raise_server_exceptions=False) as client:
        wait_ready(client)
        yield client
