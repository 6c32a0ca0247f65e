"""Each Lambda handler inside the image, through its awslambdaric, on real events.

A real Runtime API (tests/aws/lambda_runtime.py) feeds each handler's container
(tests/aws/lambda_container.py) the event JSON that AWS sends: the daily schedule
to feature_job, then each result on to train and export as Step Functions chains
them, an S3 upload of raw/raw.csv, and API Gateway HTTP API v2 and ALB requests to
api. The bucket is SeaweedFS on the host.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.aws import podman
from tests.aws.lambda_container import LambdaFunction, start_function
from tests.aws.test_events import event
from tests.aws.test_image import free_port, manifest
from tests.s3.helpers import RUN_DATE, prepare_bucket
from tests.s3_server import SeaweedS3

pytestmark = [pytest.mark.container, pytest.mark.slow, pytest.mark.e2e]

LAMBDA_BUCKET = "criptos-image-lambda"


@pytest.fixture(scope="module")
def lambda_function(
    criptos_image: podman.Build,
    seaweedfs: SeaweedS3,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Callable[[str], LambdaFunction]]:
    """``lambda_function("train")``: that handler's function, started once (warm
    afterwards), on the bucket of ``CRIPTOS_BUCKET``."""
    functions: dict[str, LambdaFunction] = {}
    folder = tmp_path_factory.mktemp("lambda")

    def start(handler: str) -> LambdaFunction:
        if handler not in functions:
            functions[handler] = start_function(
                criptos_image.image,
                handler,
                seaweedfs.aws_environment(CRIPTOS_BUCKET=LAMBDA_BUCKET),
                folder,
                name=f"criptos-lambda-{handler}-{free_port()}",
                # Both forms of the entry point: the handler alone (Lambda's
                # ImageConfig Command) and `lambda HANDLER`.
                lambda_word=handler == "api",
            )
        return functions[handler]

    try:
        yield start
    finally:
        # Like Lambda retiring a sandbox: no grace (the runtime waits in a C call
        # for the next event and would sit out any SIGTERM grace period).
        podman.remove_containers(*(f.name for f in functions.values()), grace=0)
        for function in functions.values():
            function.stop()


@pytest.fixture(scope="module")
def chain(
    lambda_function: Callable[[str], LambdaFunction],
    seaweedfs: SeaweedS3,
    real_raw_csv: Path,
) -> list[dict[str, Any]]:
    """The daily run: the schedule's event to feature_job, then each result on to
    the next handler, as the state machine passes it."""
    prepare_bucket(seaweedfs, LAMBDA_BUCKET, real_raw_csv)
    results = []
    payload: Any = event("scheduled_event")
    for handler in ("feature_job", "train", "export"):
        function = lambda_function(handler)
        ok, result = function.invoke(payload)
        assert ok, f"{handler}: {result}\n{function.logs()}"
        results.append(result)
        payload = result
    return results


def test_the_lambda_chain_runs_each_stage_on_the_scheduled_bucket(
    chain: list[dict[str, Any]], seaweedfs: SeaweedS3
) -> None:
    assert [(r["stage"], r["pipeline"]) for r in chain] == [
        ("Feature", ["feature_engineering"]),
        ("Train", ["training", "backtest"]),
        ("Export", ["export"]),
    ]
    assert {r["bucket"] for r in chain} == {LAMBDA_BUCKET}
    assert {r["run_date"] for r in chain} == {RUN_DATE}  # the day the rule fired
    assert chain[0]["trigger"] == "schedule"
    keys = set(seaweedfs.list_keys(LAMBDA_BUCKET))
    assert f"features/cripto_features_{RUN_DATE}.parquet" in keys
    assert f"reports/metrics.json/{chain[1]['run_id']}/metrics.json" in keys
    version = chain[2]["model_version"]
    assert f"models/{version}/manifest.json" in keys
    latest = manifest(seaweedfs, LAMBDA_BUCKET)
    assert (latest["version"], latest["training_run"]) == (version, chain[1]["run_id"])


def test_an_upload_of_the_raw_file_runs_the_feature_function(
    chain: list[dict[str, Any]],
    lambda_function: Callable[[str], LambdaFunction],
) -> None:
    upload = event("s3_object_created")
    upload["Records"][0]["s3"]["bucket"]["name"] = LAMBDA_BUCKET
    upload["Records"][0]["s3"]["bucket"]["arn"] = f"arn:aws:s3:::{LAMBDA_BUCKET}"
    ok, result = lambda_function("feature_job").invoke(upload)
    assert ok, result
    assert (result["trigger"], result["bucket"]) == ("s3", LAMBDA_BUCKET)
    assert result["run_id"] != chain[0]["run_id"]


@pytest.mark.parametrize("name", ["apigw_v2_predict", "alb_predict"])
def test_the_api_function_answers_predict_from_the_latest_models(
    name: str,
    chain: list[dict[str, Any]],
    lambda_function: Callable[[str], LambdaFunction],
) -> None:
    function = lambda_function("api")
    for _ in range(2):  # cold, then warm
        ok, response = function.invoke(event(name), timeout=120)
        assert ok, f"{response}\n{function.logs()}"
        assert response["statusCode"] == 200, response
        body = json.loads(response["body"])
        assert body["ativo"] == "BTC"
        assert body["model_version"] == chain[2]["model_version"]
    # The models were loaded on the first request only: once per container.
    assert function.logs(chars=10**6).count("api cold start") == 1


def test_a_missing_bucket_fails_naming_it_and_changes_no_bucket(
    chain: list[dict[str, Any]],
    lambda_function: Callable[[str], LambdaFunction],
    seaweedfs: SeaweedS3,
) -> None:
    buckets = [b["Name"] for b in seaweedfs.client().list_buckets()["Buckets"]]
    before = {bucket: seaweedfs.snapshot(bucket) for bucket in buckets}
    ok, error = lambda_function("train").invoke({"bucket": "criptos-no-such-bucket"})
    assert not ok
    assert error["errorType"] == "HandlerInputError"
    assert "criptos-no-such-bucket" in error["errorMessage"]
    after = [b["Name"] for b in seaweedfs.client().list_buckets()["Buckets"]]
    assert after == buckets
    assert {bucket: seaweedfs.snapshot(bucket) for bucket in buckets} == before
