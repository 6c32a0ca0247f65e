"""The reload service and the state builder on an in-memory source."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd
import pytest

from criptos.api.checks import VersionRefused, dtype_family
from criptos.api.predictions import build_state
from criptos.api.redaction import without_paths
from criptos.api.service import ModelService
from criptos.api.settings import Settings
from criptos.contracts.model_bundle import ModelBundle
from tests.api.conftest import FIRST_VERSION, SECOND_VERSION, BundleFactory


@dataclass
class MemorySource:
    """A ModelSource over dicts; counts the version loads."""

    features: pd.DataFrame
    bundles: dict[str, ModelBundle] = field(default_factory=dict)
    latest: str | None = None
    loads: list[str] = field(default_factory=list)
    features_version: str = "features-1"

    def latest_manifest(self) -> Mapping[str, Any] | None:
        return None if self.latest is None else self.bundles[self.latest].manifest

    def load_version(self, version: str) -> ModelBundle:
        self.loads.append(version)
        return self.bundles[version]

    def features_fingerprint(self) -> str | None:
        return self.features_version

    def load_features(self) -> pd.DataFrame:
        return self.features


class Broken:
    """A model that cannot predict."""

    def predict(self, frame: pd.DataFrame) -> np.ndarray:
        raise RuntimeError("/secret/path/model.joblib exploded")


class NotANumber:
    """A regressor that answers NaN."""

    def predict(self, frame: pd.DataFrame) -> np.ndarray:
        return np.full(len(frame), np.nan)


def check(service: ModelService, force: bool = False):
    return asyncio.run(service.check(force=force))


@pytest.fixture
def source(real_features: pd.DataFrame, make_bundle: BundleFactory) -> MemorySource:
    memory = MemorySource(real_features)
    memory.bundles[FIRST_VERSION] = make_bundle(FIRST_VERSION)
    memory.latest = FIRST_VERSION
    return memory


def test_a_check_swaps_in_a_new_state_object(
    source: MemorySource, make_bundle: BundleFactory
) -> None:
    service = ModelService(source, poll_interval=1)
    assert check(service).outcome == "loaded"
    first = service.state
    assert check(service).outcome == "unchanged" and service.state is first
    source.bundles[SECOND_VERSION] = make_bundle(SECOND_VERSION)
    source.latest = SECOND_VERSION
    assert check(service).outcome == "loaded"
    assert service.state is not first and service.state.version == SECOND_VERSION
    assert first.version == FIRST_VERSION and set(first.assets) == set(
        service.state.assets
    )


def test_a_refused_version_is_not_reloaded_on_every_poll(
    source: MemorySource, make_bundle: BundleFactory
) -> None:
    service = ModelService(source, poll_interval=1)
    check(service)
    broken = make_bundle(SECOND_VERSION)
    source.bundles[SECOND_VERSION] = replace(
        broken, models={**broken.models, "regressor_rf": Broken()}
    )
    source.latest = SECOND_VERSION
    for _ in range(3):
        result = check(service)
        assert result.outcome == "refused" and service.state.version == FIRST_VERSION
    assert source.loads == [FIRST_VERSION, SECOND_VERSION]
    assert check(service, force=True).outcome == "refused"
    assert source.loads[-1] == SECOND_VERSION and len(source.loads) == 3
    error = service.last_error
    assert error.stage == "predict" and "regressor_rf" in error.message
    assert "/secret" not in error.message and "exploded" not in error.message


def test_no_published_version(real_features: pd.DataFrame) -> None:
    service = ModelService(MemorySource(real_features), poll_interval=1)
    assert check(service).outcome == "no_version"
    assert service.state is None and service.last_error is None


def test_non_finite_predictions_refuse_the_version(
    real_features: pd.DataFrame, make_bundle: BundleFactory
) -> None:
    bundle = make_bundle(FIRST_VERSION)
    with pytest.raises(VersionRefused, match="non-finite"):
        build_state(
            replace(bundle, models={**bundle.models, "regressor_lin": NotANumber()}),
            real_features,
        )


def test_a_model_missing_from_the_bundle_refuses_the_version(
    real_features: pd.DataFrame, make_bundle: BundleFactory
) -> None:
    bundle = make_bundle(FIRST_VERSION)
    models = {
        name: model for name, model in bundle.models.items() if name != "classifier_rf"
    }
    with pytest.raises(VersionRefused, match="classifier_rf"):
        build_state(replace(bundle, models=models), real_features)


def test_assets_whose_code_cannot_be_queried_are_skipped(
    real_features: pd.DataFrame, make_bundle: BundleFactory
) -> None:
    odd = real_features[real_features["ativo"] == "BTC"].assign(ativo="BTC/USD")
    state = build_state(make_bundle(FIRST_VERSION), pd.concat([real_features, odd]))
    assert "BTC/USD" not in state.assets and "BTC" in state.assets


def test_each_asset_uses_its_latest_row_whatever_the_order(
    real_features: pd.DataFrame, make_bundle: BundleFactory
) -> None:
    shuffled = real_features.sample(frac=1.0, random_state=3)
    state = build_state(make_bundle(FIRST_VERSION), shuffled)
    last = real_features.groupby("ativo")["data"].max()
    assert {code: item.as_of for code, item in state.assets.items()} == {
        code: day.date() for code, day in last.items()
    }


def test_text_dtypes_are_one_family() -> None:
    assert dtype_family("object") == dtype_family("str") == dtype_family("string")
    assert dtype_family("float64") != dtype_family("float32")
    assert dtype_family("int8") != dtype_family("str")


def test_settings_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KEDRO_ENV", "s3")
    monkeypatch.setenv("CRIPTOS_API_POLL_INTERVAL", "2.5")
    monkeypatch.setenv("CRIPTOS_API_ADMIN_TOKEN", "  ")
    settings = Settings()
    assert settings.env == "s3" and settings.poll_interval == 2.5
    assert settings.admin_token is None  # a blank token disables the endpoint
    monkeypatch.setenv("CRIPTOS_API_ENV", "local")
    monkeypatch.setenv("CRIPTOS_API_ADMIN_TOKEN", "t0ken")
    settings = Settings()
    assert (
        settings.env == "local" and settings.admin_token.get_secret_value() == "t0ken"
    )
    assert "t0ken" not in repr(settings)
    assert Settings(env="other").env == "other"
    with pytest.raises(ValueError):
        Settings(poll_interval=0)


def test_the_public_manifest_shows_no_path(
    real_features: pd.DataFrame, make_bundle: BundleFactory
) -> None:
    bundle = make_bundle(
        FIRST_VERSION,
        features_file="/srv/secret/data/04_feature/cripto_features_20261127.parquet",
        versions={"python": "3.11.7", "note": "s3://bucket-name/models/x.joblib"},
    )
    public = build_state(bundle, real_features).public_manifest
    assert public["features_file"] == "cripto_features_20261127.parquet"
    assert public["versions"] == {"python": "3.11.7", "note": "x.joblib"}
    assert public["models"]["regressor_lin"]["estimator"].endswith("LinearRegression")
    assert public["feature_columns"] == bundle.manifest["feature_columns"]


def test_without_paths_keeps_plain_values() -> None:
    value = {
        "a": [1, 2.5, None, True, "x.y"],
        "b": "C:\\dir\\f.txt",
        "c": "/",
        "d": ("k/v",),
    }
    assert without_paths(value) == {
        "a": [1, 2.5, None, True, "x.y"],
        "b": "f.txt",
        "c": "",
        "d": ["v"],
    }


def test_latest_moved_back_to_an_older_version_is_served(
    source: MemorySource, make_bundle: BundleFactory
) -> None:
    service = ModelService(source, poll_interval=1)
    source.bundles[SECOND_VERSION] = make_bundle(SECOND_VERSION)
    source.latest = SECOND_VERSION
    check(service)
    source.latest = FIRST_VERSION  # an operator rolls latest back
    assert check(service).outcome == "loaded"
    assert service.state.version == FIRST_VERSION
