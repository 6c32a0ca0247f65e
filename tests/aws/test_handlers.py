"""The Lambda handlers, called in-process with real event JSON against SeaweedFS.

The chain Feature -> Train -> Export runs once, each stage on the previous one's
result, as Step Functions passes it on; the same handlers inside the container
image are tested in test_image.py.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from criptos.aws import handlers
from criptos.aws.events import HandlerInputError
from tests.aws.test_events import event
from tests.kedro_project import PROJECT_ROOT, KedroProject
from tests.s3.helpers import RUN_DATE, prepare_bucket
from tests.s3_server import SeaweedS3

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

BUCKET = "criptos-lambda"


@pytest.fixture(scope="module")
def lambda_env(
    seaweedfs: SeaweedS3, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[pytest.MonkeyPatch]:
    """The environment a handler's function has: AWS chain, bucket, project."""
    project = KedroProject.create(tmp_path_factory.mktemp("lambda-project"))
    with pytest.MonkeyPatch.context() as patch:
        for key, value in seaweedfs.aws_environment().items():
            patch.setenv(key, value)
        patch.setenv("CRIPTOS_BUCKET", BUCKET)
        patch.setenv("CRIPTOS_PROJECT_PATH", str(PROJECT_ROOT))
        patch.setenv("CRIPTOS_CONF_SOURCE", str(project.conf))
        for key in ("CRIPTOS_API_ENV", "KEDRO_ENV", "CRIPTOS_API_PARAMS"):
            patch.delenv(key, raising=False)
        yield patch


@pytest.fixture(scope="module")
def chain(
    lambda_env: pytest.MonkeyPatch, seaweedfs: SeaweedS3, real_raw_csv: Path
) -> list[dict[str, Any]]:
    """The daily schedule's run: each stage's result handed to the next."""
    prepare_bucket(seaweedfs, BUCKET, real_raw_csv)
    results = [handlers.feature_job(event("scheduled_event"), None)]
    results.append(handlers.train(results[-1], None))
    results.append(handlers.export(results[-1], None))
    return results


def test_each_stage_reports_what_it_ran_on_which_bucket(
    chain: list[dict[str, Any]],
) -> None:
    assert [(r["stage"], r["pipeline"]) for r in chain] == [
        ("Feature", ["feature_engineering"]),
        ("Train", ["training", "backtest"]),
        ("Export", ["export"]),
    ]
    assert {r["bucket"] for r in chain} == {BUCKET}
    # The date the schedule fired carries through the whole chain.
    assert {r["run_date"] for r in chain} == {RUN_DATE}
    assert [r["trigger"] for r in chain] == ["schedule", "task", "task"]
    assert json.loads(json.dumps(chain)) == chain  # what Step Functions passes on


def test_the_bucket_holds_what_each_stage_wrote(
    chain: list[dict[str, Any]], seaweedfs: SeaweedS3
) -> None:
    keys = set(seaweedfs.list_keys(BUCKET))
    assert f"features/cripto_features_{RUN_DATE}.parquet" in keys
    train_run = chain[1]["run_id"]
    # The training run id versions the training artifacts ...
    assert f"reports/metrics.json/{train_run}/metrics.json" in keys
    # ... export published that run as the version it reports, and latest names it.
    version = chain[2]["model_version"]
    assert version is not None
    assert f"models/{version}/manifest.json" in keys
    latest = json.loads(
        seaweedfs.client()
        .get_object(Bucket=BUCKET, Key="models/latest/manifest.json")["Body"]
        .read()
    )
    assert latest["version"] == version
    assert latest["training_run"] == train_run
    assert chain[0]["model_version"] is None and chain[1]["model_version"] is None


def test_an_upload_of_the_raw_file_runs_the_feature_job(
    chain: list[dict[str, Any]], seaweedfs: SeaweedS3
) -> None:
    upload = event("s3_object_created")
    upload["Records"][0]["s3"]["bucket"]["name"] = BUCKET
    result = handlers.feature_job(upload, None)
    assert result["trigger"] == "s3"
    assert result["bucket"] == BUCKET
    assert result["run_id"] != chain[0]["run_id"]


@pytest.fixture
def api_container(chain: list[dict[str, Any]]) -> Iterator[None]:
    handlers._api_container.cache_clear()
    yield
    if handlers._api_container.cache_info().currsize:
        handlers._api_container().close()
    handlers._api_container.cache_clear()


@pytest.mark.parametrize("name", ["apigw_v2_predict", "alb_predict"])
def test_the_api_answers_predict_from_the_latest_models(
    name: str,
    api_container: None,
    chain: list[dict[str, Any]],
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.INFO, logger="criptos.aws"):
        responses = [handlers.api(event(name), None) for _ in range(3)]
    for response in responses:
        assert response["statusCode"] == 200, response
        body = json.loads(response["body"])
        assert body["ativo"] == "BTC"
        assert body["model_version"] == chain[2]["model_version"]
    # The models were loaded by the first request only: once per container.
    cold_starts = [r for r in caplog.records if "api cold start" in r.getMessage()]
    assert len(cold_starts) == 1


def test_the_api_refuses_an_unknown_asset_with_its_message(api_container: None) -> None:
    request = event("apigw_v2_predict")
    request["rawQueryString"] = "ativo=NOPE"
    request["queryStringParameters"] = {"ativo": "NOPE"}
    response = handlers.api(request, None)
    assert response["statusCode"] == 404
    assert "NOPE" in response["body"]


def snapshot(server: SeaweedS3) -> dict[str, list[str]]:
    """Every bucket's keys: what a refused run must leave as it was."""
    return {
        bucket["Name"]: server.list_keys(bucket["Name"])
        for bucket in server.client().list_buckets()["Buckets"]
    }


@pytest.mark.parametrize(
    ("handler", "payload", "message"),
    [
        (handlers.feature_job, {"bucket": "no-such-bucket"}, "'no-such-bucket' does"),
        (handlers.train, {"bucket": "Not A Bucket"}, "not a valid S3 bucket name"),
        (handlers.export, ["criptos-lambda"], "must be a JSON object"),
        (handlers.train, event("s3_object_created"), "only the feature job"),
    ],
)
def test_a_bad_event_fails_naming_it_and_changes_nothing(
    chain: list[dict[str, Any]],
    seaweedfs: SeaweedS3,
    handler,
    payload: Any,
    message: str,
) -> None:
    before = snapshot(seaweedfs)
    with pytest.raises(HandlerInputError, match=message):
        handler(payload, None)
    assert snapshot(seaweedfs) == before


def test_wrong_credentials_fail_naming_them_and_change_nothing(
    chain: list[dict[str, Any]],
    seaweedfs: SeaweedS3,
    lambda_env: pytest.MonkeyPatch,
) -> None:
    before = snapshot(seaweedfs)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("AWS_SECRET_ACCESS_KEY", "not-the-secret")
        with pytest.raises(HandlerInputError, match="rejected the credentials"):
            handlers.export({"bucket": BUCKET}, None)
    assert snapshot(seaweedfs) == before


def test_a_missing_raw_file_fails_before_writing(
    chain: list[dict[str, Any]], seaweedfs: SeaweedS3
) -> None:
    seaweedfs.create_bucket("criptos-empty")
    before = snapshot(seaweedfs)
    with pytest.raises(HandlerInputError, match=r"raw/raw\.csv"):
        handlers.feature_job({"bucket": "criptos-empty"}, None)
    assert snapshot(seaweedfs) == before
