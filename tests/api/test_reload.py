"""Hot reload through the TestClient: new versions swap in, broken ones are refused."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from criptos.api import create_app
from criptos.contracts.model_bundle import ModelBundle
from tests.api.bundles import point_latest, publish_unlisted, rewrite_manifest
from tests.api.conftest import (
    FIRST_VERSION,
    SECOND_VERSION,
    ApiProject,
    BundleFactory,
    wait_for,
)
from tests.api.test_endpoints import assert_no_leak

ADMIN = {"Authorization": "Bearer secret-token"}


@pytest.fixture
def client(published_project: ApiProject) -> Iterator[TestClient]:
    app = create_app(
        published_project.settings(admin_token="secret-token", poll_interval=0.1)
    )
    with TestClient(app, raise_server_exceptions=False) as test_client:
        wait_for(lambda: test_client.get("/ready").status_code == 200)
        yield test_client


def served_version(client: TestClient) -> str:
    answer = client.get("/predict", params={"ativo": "BTC"})
    assert answer.status_code == 200
    return answer.json()["model_version"]


def refusal(client: TestClient, version: str) -> dict:
    """Wait until /models reports ``version`` refused; the old version still serves."""
    error = wait_for(
        lambda: (
            (body := client.get("/models").json())["last_reload_error"] is not None
            and body["last_reload_error"]["version"] == version
            and body["last_reload_error"]
        )
    )
    assert served_version(client) == FIRST_VERSION
    assert client.get("/ready").json()["model_version"] == FIRST_VERSION
    assert_no_leak(json.dumps(error))
    return error


def test_a_new_version_is_swapped_in(
    client: TestClient, published_project: ApiProject, make_bundle: BundleFactory
) -> None:
    published_project.publish(make_bundle(SECOND_VERSION))
    wait_for(lambda: served_version(client) == SECOND_VERSION, timeout=10)
    body = client.get("/models").json()
    assert body["model_version"] == SECOND_VERSION and body["last_reload_error"] is None
    assert client.get("/ativos").json()["model_version"] == SECOND_VERSION


def test_a_model_file_that_fails_its_checksum_is_refused(
    client: TestClient, published_project: ApiProject, make_bundle: BundleFactory
) -> None:
    folder = publish_unlisted(published_project.registry, make_bundle(SECOND_VERSION))
    model = folder / "regressor_rf.joblib"
    model.write_bytes(model.read_bytes()[:-100] + b"\0" * 100)
    point_latest(published_project.registry, SECOND_VERSION)
    error = refusal(client, SECOND_VERSION)
    assert error["stage"] == "models"


def test_a_corrupt_model_file_with_a_matching_checksum_is_refused(
    client: TestClient, published_project: ApiProject, make_bundle: BundleFactory
) -> None:
    folder = publish_unlisted(published_project.registry, make_bundle(SECOND_VERSION))
    garbage = b"this is not a joblib file"
    (folder / "classifier_log.joblib").write_bytes(garbage)
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["models"]["classifier_log"]["sha256"] = hashlib.sha256(garbage).hexdigest()
    rewrite_manifest(folder, models=manifest["models"])
    point_latest(published_project.registry, SECOND_VERSION)
    assert refusal(client, SECOND_VERSION)["stage"] == "models"


def publish_with_columns(
    project: ApiProject, bundle: ModelBundle, columns: list[dict[str, str]]
) -> None:
    """Make ``bundle`` live with another ``feature_columns`` in its manifest."""
    folder = publish_unlisted(project.registry, bundle)
    rewrite_manifest(folder, feature_columns=columns)
    point_latest(project.registry, bundle.manifest["version"])


def test_a_missing_feature_column_is_refused(
    client: TestClient, published_project: ApiProject, make_bundle: BundleFactory
) -> None:
    bundle = make_bundle(SECOND_VERSION)
    extra = {"name": "coluna_nova", "dtype": "float64"}
    publish_with_columns(
        published_project, bundle, [*bundle.manifest["feature_columns"], extra]
    )
    error = refusal(client, SECOND_VERSION)
    assert error["stage"] == "features" and "coluna_nova" in error["message"]


def test_a_feature_dtype_mismatch_is_refused(
    client: TestClient, published_project: ApiProject, make_bundle: BundleFactory
) -> None:
    bundle = make_bundle(SECOND_VERSION)
    columns = [
        {**column, "dtype": "float64"} if column["name"] == "candle_direcao" else column
        for column in bundle.manifest["feature_columns"]
    ]
    publish_with_columns(published_project, bundle, columns)
    error = refusal(client, SECOND_VERSION)
    assert error["stage"] == "features" and "candle_direcao" in error["message"]


def test_missing_features_refuse_a_new_version(
    client: TestClient, published_project: ApiProject, make_bundle: BundleFactory
) -> None:
    published_project.features_file.unlink()
    published_project.publish(make_bundle(SECOND_VERSION))
    assert refusal(client, SECOND_VERSION)["stage"] == "features"


def test_an_unreadable_latest_manifest_keeps_the_old_version(
    client: TestClient, published_project: ApiProject
) -> None:
    (published_project.registry / "latest" / "manifest.json").write_text("{not json")
    error = wait_for(lambda: client.get("/models").json()["last_reload_error"])
    assert error["stage"] == "manifest" and error["version"] is None
    assert served_version(client) == FIRST_VERSION
    assert_no_leak(json.dumps(error))


def test_after_a_refusal_the_next_good_version_loads_and_clears_the_error(
    client: TestClient, published_project: ApiProject, make_bundle: BundleFactory
) -> None:
    folder = publish_unlisted(published_project.registry, make_bundle(SECOND_VERSION))
    (folder / "regressor_lin.joblib").write_bytes(b"broken")
    point_latest(published_project.registry, SECOND_VERSION)
    refusal(client, SECOND_VERSION)
    published_project.publish(make_bundle("20260103T000000Z"))
    wait_for(lambda: served_version(client) == "20260103T000000Z", timeout=10)
    assert client.get("/models").json()["last_reload_error"] is None


def test_admin_reload_retries_a_refused_version(
    client: TestClient, published_project: ApiProject, make_bundle: BundleFactory
) -> None:
    folder = publish_unlisted(published_project.registry, make_bundle(SECOND_VERSION))
    good = (folder / "regressor_lin.joblib").read_bytes()
    (folder / "regressor_lin.joblib").write_bytes(b"broken")
    point_latest(published_project.registry, SECOND_VERSION)
    refusal(client, SECOND_VERSION)
    answer = client.post("/admin/reload", headers=ADMIN).json()
    assert answer["outcome"] == "refused" and answer["model_version"] == FIRST_VERSION
    assert answer["error"]["version"] == SECOND_VERSION
    (folder / "regressor_lin.joblib").write_bytes(good)  # repaired in place
    answer = client.post("/admin/reload", headers=ADMIN).json()
    assert answer == {
        "outcome": "loaded",
        "model_version": SECOND_VERSION,
        "error": None,
    }
    assert served_version(client) == SECOND_VERSION


def test_the_first_version_loads_when_it_appears(
    api_project: ApiProject, make_bundle: BundleFactory
) -> None:
    with TestClient(create_app(api_project.settings(poll_interval=0.1))) as client:
        assert client.get("/ready").status_code == 503
        api_project.publish(make_bundle(FIRST_VERSION))
        wait_for(lambda: client.get("/ready").status_code == 200, timeout=10)
        assert served_version(client) == FIRST_VERSION


def test_registry_files_are_never_written_by_the_service(
    client: TestClient, published_project: ApiProject
) -> None:
    before = {
        path: path.stat().st_mtime_ns
        for path in Path(published_project.registry).rglob("*")
    }
    for _ in range(5):
        client.post("/admin/reload", headers=ADMIN)
    after = {
        path: path.stat().st_mtime_ns
        for path in Path(published_project.registry).rglob("*")
    }
    assert before == after


def test_admin_reload_picks_up_newer_features_of_the_same_version(
    client: TestClient, published_project: ApiProject, real_features: pd.DataFrame
) -> None:
    last_btc_day = real_features.loc[real_features["ativo"] == "BTC", "data"].max()
    older = real_features[
        ~((real_features["ativo"] == "BTC") & (real_features["data"] == last_btc_day))
    ]
    older.to_parquet(published_project.features_file, index=False)
    assert client.post("/admin/reload", headers=ADMIN).json()["outcome"] == "loaded"
    body = client.get("/predict", params={"ativo": "BTC"}).json()
    assert body["model_version"] == FIRST_VERSION
    assert body["as_of"] < last_btc_day.date().isoformat()


def test_a_new_feature_table_that_breaks_the_schema_is_reported_and_not_served(
    client: TestClient, published_project: ApiProject, real_features: pd.DataFrame
) -> None:
    as_of = client.get("/predict", params={"ativo": "BTC"}).json()["as_of"]
    temporary = published_project.features_file.with_name(".broken.parquet")
    real_features.drop(columns=["volatilidade_20"]).to_parquet(temporary, index=False)
    temporary.replace(published_project.features_file)
    error = wait_for(lambda: client.get("/models").json()["last_reload_error"])
    assert error["stage"] == "features" and error["version"] == FIRST_VERSION
    assert "volatilidade_20" in error["message"]
    assert_no_leak(json.dumps(error))
    answer = client.get("/predict", params={"ativo": "BTC"}).json()
    assert answer["as_of"] == as_of and answer["model_version"] == FIRST_VERSION
