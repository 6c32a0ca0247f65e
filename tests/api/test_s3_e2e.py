"""The service on the ``s3`` environment against a real S3 server (SeaweedFS).

The latest features and the model registry live in a bucket; ``python -m
criptos.api --env s3 --params bucket=...`` reads them through the project's s3
configuration with the standard AWS variables, and hot-reloads from the bucket.
"""

from __future__ import annotations

import io
import json
import time
from collections.abc import Iterator

import pandas as pd
import pytest

from criptos.contracts.model_bundle import ModelBundle, PublishPolicy
from criptos.datasets.model_registry import ModelRegistryDataset
from tests.api.conftest import FIRST_VERSION, SECOND_VERSION, BundleFactory, wait_for
from tests.api.load import Hammer
from tests.api.server import ApiServer, get_json
from tests.api.test_endpoints import assert_no_leak
from tests.api.test_freshness import without_last_day
from tests.kedro_project import PROJECT_ROOT, run_criptos
from tests.s3_server import SeaweedS3

pytestmark = pytest.mark.e2e
BUCKET = "criptos-api-test"
POLL_INTERVAL = 0.5
LOAD_ALLOWANCE = 5.0
THIRD_VERSION = "20260103T000000Z"


@pytest.fixture(scope="module")
def registry(seaweedfs: SeaweedS3, real_features: pd.DataFrame) -> ModelRegistryDataset:
    """The bucket with the latest features and an empty registry."""
    seaweedfs.create_bucket(BUCKET)
    put_features(seaweedfs, real_features)
    return ModelRegistryDataset(
        path=f"s3://{BUCKET}/models",
        credentials={"key": seaweedfs.access_key, "secret": seaweedfs.secret_key},
        fs_args={
            "client_kwargs": {
                "endpoint_url": seaweedfs.endpoint,
                "region_name": "us-east-1",
            }
        },
    )


@pytest.fixture(scope="module")
def s3_server(
    seaweedfs: SeaweedS3,
    registry: ModelRegistryDataset,
    make_bundle: BundleFactory,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[ApiServer]:
    registry.save(make_bundle(FIRST_VERSION))
    logs = tmp_path_factory.mktemp("api")
    with ApiServer(
        log_file=logs / "server.log",
        project_path=PROJECT_ROOT,
        env="s3",
        poll_interval=POLL_INTERVAL,
        extra_env=seaweedfs.aws_environment(),
        extra_args=["--params", f"bucket={BUCKET}"],
        cwd=logs,
    ) as running:
        running.wait_ready()
        yield running


def test_serves_from_the_bucket(s3_server: ApiServer) -> None:
    status, body = get_json(f"{s3_server.url}/predict?ativo=btc")
    assert status == 200 and body["model_version"] == FIRST_VERSION
    assert len(body["predictions"]) == 5
    status, models = get_json(f"{s3_server.url}/models")
    assert models["manifest"]["version"] == FIRST_VERSION
    assert_no_leak(json.dumps(models["last_reload_error"]))


def test_criptos_predict_reads_the_bucket(
    s3_server: ApiServer, seaweedfs: SeaweedS3
) -> None:
    done = run_criptos(
        *("predict", "ETH", "--json", "--env", "s3", "--params", f"bucket={BUCKET}"),
        env=seaweedfs.aws_environment(),
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == get_json(f"{s3_server.url}/predict?ativo=ETH")[1]


def test_reloads_a_new_version_from_the_bucket_under_load(
    s3_server: ApiServer, registry: ModelRegistryDataset, make_bundle: BundleFactory
) -> None:
    with Hammer(s3_server.url, threads=6) as hammer:
        time.sleep(0.5)
        registry.save(make_bundle(SECOND_VERSION))
        published = time.monotonic()
        wait_for(lambda: hammer.first_seen(SECOND_VERSION), timeout=30)
        time.sleep(0.3)
    hammer.check_switch(SECOND_VERSION, published, POLL_INTERVAL + LOAD_ALLOWANCE)


def test_a_corrupt_version_in_the_bucket_is_refused(
    s3_server: ApiServer,
    seaweedfs: SeaweedS3,
    registry: ModelRegistryDataset,
    make_bundle: BundleFactory,
) -> None:
    bundle = make_bundle(THIRD_VERSION)
    registry.save(
        ModelBundle(bundle.manifest, bundle.models, PublishPolicy(move_latest=False))
    )
    client = seaweedfs.client()
    key = f"models/{THIRD_VERSION}/regressor_gbr.joblib"
    client.put_object(Bucket=BUCKET, Key=key, Body=b"corrupted")
    manifest = client.get_object(
        Bucket=BUCKET, Key=f"models/{THIRD_VERSION}/manifest.json"
    )
    client.put_object(
        Bucket=BUCKET, Key="models/latest/manifest.json", Body=manifest["Body"].read()
    )
    error = wait_for(
        lambda: get_json(f"{s3_server.url}/models")[1]["last_reload_error"], timeout=30
    )
    assert error["version"] == THIRD_VERSION and error["stage"] == "models"
    assert_no_leak(json.dumps(error))
    assert BUCKET not in json.dumps(error)
    status, body = get_json(f"{s3_server.url}/predict?ativo=ETH")
    assert status == 200 and body["model_version"] == SECOND_VERSION


def put_features(seaweedfs: SeaweedS3, features: pd.DataFrame) -> None:
    """Replace the latest feature object, as the daily feature run does on S3."""
    buffer = io.BytesIO()
    features.to_parquet(buffer, index=False)
    seaweedfs.client().put_object(
        Bucket=BUCKET,
        Key="features/cripto_features_latest.parquet",
        Body=buffer.getvalue(),
    )


def test_a_new_feature_object_in_the_bucket_is_served_under_load(
    s3_server: ApiServer, seaweedfs: SeaweedS3, real_features: pd.DataFrame
) -> None:
    """Also while latest names the refused version of the test above."""
    put_features(seaweedfs, without_last_day(real_features))
    earlier = without_last_day(real_features)["data"].max().date().isoformat()
    wait_for(
        lambda: get_json(f"{s3_server.url}/predict?ativo=BTC")[1]["as_of"] == earlier,
        timeout=30,
    )
    new_day = real_features["data"].max().date().isoformat()
    with Hammer(s3_server.url, threads=6) as hammer:
        time.sleep(0.5)
        put_features(seaweedfs, real_features)
        published = time.monotonic()
        wait_for(lambda: hammer.first_seen(new_day, "as_of"), timeout=30)
        time.sleep(0.3)
    hammer.check_switch(new_day, published, POLL_INTERVAL + LOAD_ALLOWANCE, "as_of")
    assert {answer.version for answer in hammer.all_answers()} == {SECOND_VERSION}
