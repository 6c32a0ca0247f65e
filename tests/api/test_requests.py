"""REST details a client relies on: the new answer fields, HEAD, one asset per query,
the home page, refusals with their reason; and GraphQL over the same service."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from fastapi.testclient import TestClient

from criptos.api import create_app
from criptos.features import FeatureParams
from criptos.features.table import schema_metadata
from tests.api.conftest import (
    FIRST_VERSION,
    ApiProject,
    BundleFactory,
    wait_for,
    wait_ready,
)
from tests.api.test_caveats import METRICS

PREDICT_QUERY = """
query { predict(ativo: "BTC") { ativo asOf ageDays stale modelVersion
  predictions { model task predictedLogReturn predictedClose probabilityUp direction
    verdict { beatsBaseline pValueAdjusted } } }
  ativos { ativo asOf } }
"""


def write_features_as_criptos_does(features: pd.DataFrame, path: Path) -> None:
    """With the metadata naming the feature parameters (how the look-back is known)."""
    table = pa.Table.from_pandas(features, preserve_index=False)
    metadata = {
        **(table.schema.metadata or {}),
        **schema_metadata(FeatureParams(), None),
    }
    pq.write_table(table.replace_schema_metadata(metadata), path)


@pytest.fixture
def client(
    api_project: ApiProject,
    make_bundle: BundleFactory,
    real_features: pd.DataFrame,
    new_asset: pd.DataFrame,
) -> Iterator[TestClient]:
    features = pd.concat([real_features, new_asset], ignore_index=True)
    write_features_as_criptos_does(features, api_project.features_file)
    api_project.publish(make_bundle(FIRST_VERSION, metrics=METRICS))
    with TestClient(
        create_app(api_project.settings()), raise_server_exceptions=False
    ) as test_client:
        wait_ready(test_client)
        yield test_client


def test_predict_shows_age_verdicts_and_the_recommendation(
    client: TestClient, real_features: pd.DataFrame
) -> None:
    body = client.get("/predict", params={"ativo": "BTC"}).json()
    as_of = real_features.loc[real_features["ativo"] == "BTC", "data"].max().date()
    age = (datetime.now(UTC).date() - as_of).days
    assert body["as_of"] == as_of.isoformat()
    assert body["age_days"] == age and body["stale"] is (age > 3)
    assert body["seen_in_training"] is True and body["missing_inputs"] == []
    assert body["recommended"] == {
        "regression": "regressor_gbr",
        "classification": None,
    }
    assert body["predictions"]["regressor_lin"]["verdict"] == {
        "beats_baseline": True,
        "p_value_adjusted": 0.0123,
        "metric": "mse",
        "baseline": "zero",
    }
    assert body["predictions"]["classifier_rf"]["holdout_net_sharpe"] == 1.235


def test_an_asset_still_warming_up_is_422_with_the_days_needed(
    client: TestClient,
) -> None:
    answer = client.get("/predict", params={"ativo": "newc"})
    needed = FeatureParams().warmup_rows - 3
    assert answer.status_code == 422
    assert answer.json()["days_needed"] == needed
    assert "warm-up incomplete" in answer.json()["detail"]
    listed = {entry["ativo"]: entry for entry in client.get("/ativos").json()["ativos"]}
    assert listed["NEWC"]["predictable"] is False and listed["BTC"]["predictable"]


def test_a_repeated_asset_is_422_not_the_last_one(client: TestClient) -> None:
    answer = client.get("/predict?ativo=BTC&ativo=ETH")
    assert answer.status_code == 422
    assert answer.json()["detail"][0] == {
        "loc": ["query", "ativo"],
        "msg": "give one asset code (ativo appears more than once)",
    }


@pytest.mark.parametrize(
    "path", ["/predict?ativo=BTC", "/ativos", "/models", "/health", "/docs", "/graphql"]
)
def test_head_answers_wherever_get_does(client: TestClient, path: str) -> None:
    get = client.get(path, headers={"Accept": "text/html"})
    head = client.head(path, headers={"Accept": "text/html"})
    assert get.status_code == head.status_code == 200
    assert head.content == b""
    assert head.headers["content-type"] == get.headers["content-type"]
    assert head.headers["content-length"] == str(len(get.content))


def test_head_of_an_unknown_asset_is_404(client: TestClient) -> None:
    assert client.head("/predict?ativo=NOPE").status_code == 404


def test_home_redirects_to_the_docs(client: TestClient) -> None:
    answer = client.get("/", follow_redirects=False)
    assert answer.status_code == 307 and answer.headers["location"] == "/docs"
    assert "swagger-ui" in client.get("/").text


def test_graphql_predict_and_ativos(client: TestClient) -> None:
    answer = client.post("/graphql", json={"query": PREDICT_QUERY})
    assert answer.status_code == 200
    data = answer.json()["data"]
    rest = client.get("/predict", params={"ativo": "BTC"}).json()
    predict = data["predict"]
    assert predict["ativo"] == "BTC" and predict["asOf"] == rest["as_of"]
    assert predict["ageDays"] == rest["age_days"] and predict["stale"] == rest["stale"]
    assert predict["modelVersion"] == FIRST_VERSION
    by_model = {item["model"]: item for item in predict["predictions"]}
    assert set(by_model) == set(rest["predictions"])
    for name, item in by_model.items():
        expected = rest["predictions"][name]
        assert item["task"] == expected["task"]
        assert item["predictedLogReturn"] == expected.get("predicted_log_return")
        assert item["predictedClose"] == expected.get("predicted_close")
        assert item["probabilityUp"] == expected.get("probability_up")
        assert item["direction"] == expected.get("direction")
        assert item["verdict"] == {
            "beatsBaseline": expected["verdict"]["beats_baseline"],
            "pValueAdjusted": expected["verdict"]["p_value_adjusted"],
        }
    assert data["ativos"] == [
        {"ativo": entry["ativo"], "asOf": entry["as_of"]}
        for entry in client.get("/ativos").json()["ativos"]
    ]


@pytest.mark.parametrize(
    ("code", "rest_query"),
    [("BTX", "?ativo=BTX"), ("NEWC", "?ativo=NEWC"), ("B TC", "?ativo=B%20TC")],
)
def test_graphql_errors_carry_the_rest_message(
    client: TestClient, code: str, rest_query: str
) -> None:
    query = '{ predict(ativo: "' + code + '") { ativo } }'
    answer = client.post("/graphql", json={"query": query}).json()
    rest = client.get(f"/predict{rest_query}")
    (error,) = answer["errors"]
    assert answer["data"] is None
    assert error["extensions"]["status"] == rest.status_code
    detail = rest.json()["detail"]
    if isinstance(detail, str):
        assert error["message"] == detail
        assert error["extensions"].get("days_needed") == rest.json().get("days_needed")
    else:  # a malformed code: pydantic's message on REST, the same rule here
        assert detail[0]["msg"] in error["message"]


def test_graphql_before_any_version_is_the_503_message(api_project: ApiProject) -> None:
    with TestClient(create_app(api_project.settings())) as test_client:
        answer = test_client.post("/graphql", json={"query": "{ ativos { ativo } }"})
    (error,) = answer.json()["errors"]
    assert error["message"] == "no model version is loaded yet"
    assert error["extensions"]["status"] == 503


def test_graphiql_is_served_from_local_assets(client: TestClient) -> None:
    page = client.get("/graphql", headers={"Accept": "text/html"})
    assert page.status_code == 200 and "/static/graphiql/graphiql.min.js" in page.text
    script = client.get("/static/graphiql/graphiql.min.js")
    assert script.status_code == 200 and len(script.content) > 1_000_000


def test_graphql_follows_a_new_feature_table(
    client: TestClient, api_project: ApiProject, real_features: pd.DataFrame
) -> None:
    """Through the real app: a cached answer never outlives the state it came from."""
    query = {"query": '{ predict(ativo: "BTC") { asOf } }'}
    before = client.post("/graphql", json=query).json()["data"]["predict"]["asOf"]
    assert (
        client.post("/graphql", json=query).json()["data"]["predict"]["asOf"] == before
    )
    older = real_features[real_features["data"] < real_features["data"].max()]
    temporary = api_project.features_file.with_name(".older.parquet")
    older.to_parquet(temporary, index=False)
    temporary.replace(api_project.features_file)
    expected = older["data"].max().date().isoformat()
    wait_for(
        lambda: (
            client.get("/predict", params={"ativo": "BTC"}).json()["as_of"] == expected
        )
    )
    assert (
        client.post("/graphql", json=query).json()["data"]["predict"]["asOf"]
        == expected
    )
