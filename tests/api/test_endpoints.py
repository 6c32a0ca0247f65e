"""Every endpoint and error case through FastAPI's TestClient."""

from __future__ import annotations

import math
import random
import string
from urllib.parse import quote

import numpy as np
import pandas as pd
import pytest
from fastapi.testclient import TestClient

from criptos.api import create_app
from criptos.config.models import configured_model_names
from tests.api.conftest import FIRST_VERSION, ApiProject, wait_for, wait_ready

MODELS = set(configured_model_names())
ERROR_LEAKS = (
    "Traceback",
    'File "',
    ".py",
    "/tmp",
    "/work",
    "site-packages",
    ".joblib",
    ".parquet",
)


def decimals(price: float) -> int:
    """Decimals ``price`` is written with (its shortest representation)."""
    return len(np.format_float_positional(price, trim="-").partition(".")[2])


def assert_no_leak(text: str) -> None:
    """No stack trace and no file path in an answer."""
    for leak in ERROR_LEAKS:
        assert leak not in text, f"{leak!r} leaked in {text[:300]!r}"


def test_predict_answers_every_model(
    running_client: TestClient, real_features: pd.DataFrame
) -> None:
    answer = running_client.get("/predict", params={"ativo": "BTC"})
    assert answer.status_code == 200
    body = answer.json()
    btc = real_features[real_features["ativo"] == "BTC"].iloc[-1]
    assert body["ativo"] == "BTC"
    assert body["as_of"] == btc["data"].date().isoformat()
    assert body["last_close"] == pytest.approx(btc["fechamento"])
    assert body["horizon_days"] == 1
    assert body["model_version"] == FIRST_VERSION
    assert set(body["predictions"]) == MODELS
    for name, prediction in body["predictions"].items():
        if name.startswith("regressor"):
            assert prediction["task"] == "regression"
            expected_close = btc["fechamento"] * math.exp(
                prediction["predicted_log_return"]
            )
            # from the unrounded log return (6 decimals shown), rounded to the
            # decimals the asset is quoted with
            assert prediction["predicted_close"] == pytest.approx(
                expected_close,
                abs=expected_close * 5e-7 + 10.0 ** -decimals(btc["fechamento"]),
            )
        else:
            assert prediction["task"] == "classification"
            assert 0.0 <= prediction["probability_up"] <= 1.0
            assert prediction["direction"] == (
                "up" if prediction["probability_up"] >= 0.5 else "down"
            )


def test_predict_matches_the_model_on_the_latest_row(
    running_client: TestClient, real_features: pd.DataFrame, fitted_models: dict
) -> None:
    row = real_features[real_features["ativo"] == "ETH"].tail(1)
    inputs = row.drop(columns=["data"])
    body = running_client.get("/predict", params={"ativo": "ETH"}).json()
    expected = float(fitted_models["regressor_lin"].predict(inputs)[0])
    probability = float(fitted_models["classifier_rf"].predict_proba(inputs)[0, 1])
    assert body["predictions"]["regressor_lin"][
        "predicted_log_return"
    ] == pytest.approx(expected, abs=5e-7)  # log returns: 6 decimals
    assert body["predictions"]["classifier_rf"]["probability_up"] == pytest.approx(
        probability, abs=5e-5
    )  # probabilities: 4 decimals


@pytest.mark.parametrize("code", ["btc", "Btc", "bTC"])
def test_asset_codes_are_case_insensitive(
    running_client: TestClient, code: str
) -> None:
    answer = running_client.get("/predict", params={"ativo": code})
    assert answer.status_code == 200
    assert answer.json()["ativo"] == "BTC"


KNOWN = "known assets: BNB, BTC, DOGE, ETH, XEM, XLM, XRP"


@pytest.mark.parametrize(
    ("code", "hint"),
    [
        ("SOL", ""),
        ("ZZZ", ""),
        ("A", ""),
        ("x.y_z-1", ""),
        ("A" * 20, ""),
        ("btx", " (did you mean BTC?)"),
        ("XLR", " (did you mean XRP, XLM?)"),  # closest first
        ("ETHE", " (did you mean ETH?)"),
    ],
)
def test_unknown_asset_is_a_404_naming_the_known_ones(
    running_client: TestClient, code: str, hint: str
) -> None:
    answer = running_client.get("/predict", params={"ativo": code})
    assert answer.status_code == 404
    assert answer.json() == {"detail": f"unknown asset: {code.upper()}{hint}; {KNOWN}"}


@pytest.mark.parametrize(
    "query",
    [
        "",
        "?ativo=",
        "?ativo=" + "A" * 21,
        "?ativo=BTC%00",
        "?ativo=../../etc/passwd",
        "?ativo=B%20TC",
        "?ativo=%E2%82%BF",
        "?other=BTC",
        "?ativo=BTC;DROP",
        "?ativo=%2F",
    ],
)
def test_missing_or_malformed_asset_is_422(
    running_client: TestClient, query: str
) -> None:
    answer = running_client.get("/predict" + query)
    assert answer.status_code == 422
    detail = answer.json()["detail"]
    assert detail and all(problem["loc"][-1] == "ativo" for problem in detail)
    assert_no_leak(answer.text)
    assert "etc/passwd" not in answer.text  # the value sent is not echoed


def test_odd_queries_never_give_a_5xx(running_client: TestClient) -> None:
    generator = random.Random(20261127)
    alphabet = string.printable + "ÀçãéßЖ中₿\u200b\ufeff\x00\x7f"
    fixed = [
        "%",
        "%%",
        "%ZZ",
        "%FF%FE",
        "ativo",
        "ativo=BTC&ativo=ETH",
        "ativo[]=BTC",
        "ativo=%C0%AF",
        "ativo=" + "9" * 10_000,
        "ativo=..%2F..%2F",
        "ativo=BTC&ativo=",
        "&&&=",
        "ativo=%0d%0aX:1",
    ]
    queries = fixed + [
        "ativo="
        + quote(
            "".join(generator.choice(alphabet) for _ in range(generator.randint(0, 30)))
        )
        for _ in range(400)
    ]
    for query in queries:
        answer = running_client.get("/predict?" + query)
        assert answer.status_code < 500, (query, answer.status_code, answer.text)
        assert answer.status_code in (200, 404, 422), (query, answer.status_code)
        assert_no_leak(answer.text)


def test_assets_lists_every_asset_with_its_date(
    running_client: TestClient, real_features: pd.DataFrame
) -> None:
    body = running_client.get("/ativos").json()
    last = real_features.groupby("ativo")["data"].max()
    assert body["model_version"] == FIRST_VERSION
    assert {item["ativo"]: item["as_of"] for item in body["ativos"]} == {
        code: day.date().isoformat() for code, day in last.items()
    }


def test_models_shows_the_manifest_in_use(running_client: TestClient) -> None:
    body = running_client.get("/models").json()
    assert body["model_version"] == FIRST_VERSION
    assert body["manifest"]["version"] == FIRST_VERSION
    assert set(body["manifest"]["models"]) == MODELS
    assert body["last_reload_error"] is None


def test_health_and_ready(running_client: TestClient) -> None:
    assert running_client.get("/health").json() == {"status": "ok"}
    assert running_client.get("/ready").json() == {
        "ready": True,
        "model_version": FIRST_VERSION,
    }


def test_openapi_documents_the_endpoints(running_client: TestClient) -> None:
    paths = running_client.get("/openapi.json").json()["paths"]
    assert {
        "/predict",
        "/ativos",
        "/models",
        "/health",
        "/ready",
        "/admin/reload",
    } <= set(paths)
    parameter = paths["/predict"]["get"]["parameters"][0]
    assert parameter["name"] == "ativo" and parameter["required"] is True
    assert running_client.get("/docs").status_code == 200


def test_unknown_route_and_method_are_short_errors(running_client: TestClient) -> None:
    assert running_client.get("/nope/../../etc/passwd").status_code == 404
    answer = running_client.post("/predict", params={"ativo": "BTC"})
    assert answer.status_code == 405
    assert_no_leak(answer.text)


def test_before_any_version_nothing_is_ready(api_project: ApiProject) -> None:
    with TestClient(create_app(api_project.settings())) as client:
        wait_for(lambda: client.get("/models").status_code == 200)
        assert client.get("/health").status_code == 200
        ready = client.get("/ready")
        assert ready.status_code == 503 and ready.json()["ready"] is False
        for path in ("/predict?ativo=BTC", "/ativos"):
            answer = client.get(path)
            assert answer.status_code == 503
            assert answer.json() == {"detail": "no model version is loaded yet"}
        assert client.get("/models").json()["model_version"] is None


def test_admin_reload_needs_the_token(running_client: TestClient) -> None:
    assert running_client.post("/admin/reload").status_code == 401
    wrong = running_client.post(
        "/admin/reload", headers={"Authorization": "Bearer wrong"}
    )
    assert wrong.status_code == 403
    odd = running_client.post(
        "/admin/reload", headers={"Authorization": "Bearer ¿ñ".encode()}
    )
    assert odd.status_code == 403
    basic = running_client.post(
        "/admin/reload", headers={"Authorization": "Basic c2VjcmV0"}
    )
    assert basic.status_code == 401
    good = running_client.post(
        "/admin/reload", headers={"Authorization": "Bearer secret-token"}
    )
    assert good.status_code == 200
    assert good.json() == {
        "outcome": "loaded",
        "model_version": FIRST_VERSION,
        "error": None,
    }


def test_admin_reload_is_absent_without_a_token(published_project: ApiProject) -> None:
    with TestClient(create_app(published_project.settings())) as client:
        answer = client.post(
            "/admin/reload", headers={"Authorization": "Bearer anything"}
        )
        assert answer.status_code == 404
        assert "/admin/reload" not in client.get("/openapi.json").json()["paths"]


def test_predict_reads_latest_features_in_the_parts_layout(
    published_project: ApiProject, real_features: pd.DataFrame
) -> None:
    """features_layout=parts: latest is a folder whose last day sits in a delta file."""
    last_day = real_features["data"].max()
    folder = published_project.features_file
    folder.unlink()
    folder.mkdir()
    real_features[real_features["data"] < last_day].to_parquet(
        folder / "part-00000-test.parquet", index=False
    )
    real_features[real_features["data"] == last_day].to_parquet(
        folder / "delta-00001.parquet", index=False
    )
    app = create_app(published_project.settings())
    with TestClient(app, raise_server_exceptions=False) as client:
        wait_ready(client)
        answer = client.get("/predict", params={"ativo": "BTC"})
    assert answer.status_code == 200
    btc = real_features[real_features["ativo"] == "BTC"].iloc[-1]
    assert answer.json()["as_of"] == btc["data"].date().isoformat()
    assert answer.json()["last_close"] == pytest.approx(btc["fechamento"])
