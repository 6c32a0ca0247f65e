"""`kedro run --env s3` end to end on the real data, against a real S3 server."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import joblib
import numpy as np
import pandas as pd
import pytest

from criptos.contracts.model_bundle import dump_model, is_version, version_sort_key
from criptos.datasets import ModelRegistryDataset
from tests.kedro_project import KedroProject
from tests.pipelines.export.small_models import fit_small_models
from tests.s3.helpers import MODELS, RUN_DATE, output_tail, prepare_bucket, run_s3
from tests.s3_server import SeaweedS3

pytestmark = pytest.mark.e2e

BUCKET = "criptos-data"  # the seed's bucket, the s3 environment's default
VERSION = re.compile(r"^models/([^/]+)/manifest\.json$")


def versions_in(keys: list[str]) -> list[str]:
    """Version names under ``models/``, in time order (``criptos.contracts.model_bundle``)."""
    found = (match.group(1) for key in keys if (match := VERSION.match(key)))
    return sorted((name for name in found if is_version(name)), key=version_sort_key)


@pytest.fixture(scope="module")
def s3_project(tmp_path_factory: pytest.TempPathFactory) -> KedroProject:
    return KedroProject.create(tmp_path_factory.mktemp("s3-project"))


@pytest.fixture(scope="module")
def first_run(
    seaweedfs: SeaweedS3, s3_project: KedroProject, real_raw_csv: Path
) -> list[str]:
    """The whole default pipeline once on a bucket holding only raw/raw.csv."""
    prepare_bucket(seaweedfs, BUCKET, real_raw_csv)
    result = run_s3(s3_project, seaweedfs, bucket=BUCKET)
    assert result.returncode == 0, output_tail(result)
    return seaweedfs.list_keys(BUCKET)


def test_bucket_holds_features_artifacts_reports_and_models(
    first_run: list[str],
) -> None:
    keys = set(first_run)
    assert {
        "raw/raw.csv",
        "primary/candles.parquet",
        f"features/cripto_features_{RUN_DATE}.parquet",
        "features/cripto_features_latest.parquet",
        "reports/validation_report.json",
    } <= keys
    for name in MODELS:
        assert any(
            re.fullmatch(rf"artifacts/{name}\.joblib/[^/]+/{name}\.joblib", k)
            for k in keys
        )
    assert any(
        re.fullmatch(r"reports/metrics\.json/[^/]+/metrics\.json", k) for k in keys
    )
    (version,) = versions_in(first_run)
    published = {f"{name}.joblib" for name in MODELS} | {"manifest.json"}
    assert {
        k.split("/", 2)[2] for k in keys if k.startswith(f"models/{version}/")
    } == published
    assert {
        k.split("/", 2)[2] for k in keys if k.startswith("models/latest/")
    } == published


def test_latest_manifest_names_the_version(
    seaweedfs: SeaweedS3, first_run: list[str]
) -> None:
    body = seaweedfs.client().get_object(
        Bucket=BUCKET, Key="models/latest/manifest.json"
    )["Body"]
    manifest = json.loads(body.read())
    assert [manifest["version"]] == versions_in(first_run)
    assert (
        manifest["features_file"]
        == f"s3://{BUCKET}/features/cripto_features_{RUN_DATE}.parquet"
    )
    assert manifest["training"]["rows"] > 10_000
    assert sorted(manifest["models"]) == sorted(MODELS)


def test_seed_smoke_test_predicts_from_latest(
    seaweedfs: SeaweedS3, first_run: list[str]
) -> None:
    """The seed's consumer: download latest/regressor_rf.joblib with boto3 and predict."""
    client = seaweedfs.client()
    buf = io.BytesIO()
    client.download_fileobj(BUCKET, "models/latest/regressor_rf.joblib", buf)
    buf.seek(0)
    model = joblib.load(buf)

    features_buf = io.BytesIO()
    client.download_fileobj(
        BUCKET, "features/cripto_features_latest.parquet", features_buf
    )
    features = pd.read_parquet(io.BytesIO(features_buf.getvalue()))
    manifest = json.loads(
        client.get_object(Bucket=BUCKET, Key="models/latest/manifest.json")[
            "Body"
        ].read()
    )
    columns = [column["name"] for column in manifest["feature_columns"]]
    last_rows = features.sort_values("data").groupby("ativo").tail(1)

    predicted = model.predict(last_rows[columns])
    assert len(predicted) == last_rows["ativo"].nunique() == 7
    assert np.isfinite(predicted).all()


def test_registry_dataset_loads_and_verifies_the_bucket(
    seaweedfs: SeaweedS3, first_run: list[str]
) -> None:
    registry = ModelRegistryDataset(
        path=f"s3://{BUCKET}/models",
        credentials={
            "key": seaweedfs.access_key,
            "secret": seaweedfs.secret_key,
            "client_kwargs": {"endpoint_url": seaweedfs.endpoint},
        },
    )
    bundle = registry.load()
    assert [bundle.version] == versions_in(first_run)
    assert sorted(bundle.models) == sorted(MODELS)
    assert registry.versions() == versions_in(first_run)


def test_second_run_adds_a_version_and_keeps_the_first(
    seaweedfs: SeaweedS3, s3_project: KedroProject, first_run: list[str]
) -> None:
    (first,) = versions_in(first_run)
    result = run_s3(s3_project, seaweedfs, "--pipelines", "export", bucket=BUCKET)
    assert result.returncode == 0, output_tail(result)

    keys = seaweedfs.list_keys(BUCKET)
    versions = versions_in(keys)
    assert len(versions) == 2 and versions[0] == first and versions[1] > first
    assert {k for k in first_run if k.startswith(f"models/{first}/")} <= set(keys)
    latest = json.loads(
        seaweedfs.client()
        .get_object(Bucket=BUCKET, Key="models/latest/manifest.json")["Body"]
        .read()
    )
    assert latest["version"] == versions[1]


def test_bucket_is_a_run_parameter(
    seaweedfs: SeaweedS3, s3_project: KedroProject, real_raw_csv: Path
) -> None:
    prepare_bucket(seaweedfs, "another-bucket", real_raw_csv)
    result = run_s3(
        s3_project,
        seaweedfs,
        "--pipelines",
        "feature_engineering",
        bucket="another-bucket",
    )
    assert result.returncode == 0, output_tail(result)
    assert "features/cripto_features_latest.parquet" in seaweedfs.list_keys(
        "another-bucket"
    )


def test_a_newer_incomplete_training_run_in_the_bucket_is_not_exported(
    seaweedfs: SeaweedS3, s3_project: KedroProject, first_run: list[str]
) -> None:
    """What a training run killed after one model leaves, then an export."""
    client = seaweedfs.client()
    (complete_run,) = {
        key.split("/")[2]
        for key in first_run
        if key.startswith("artifacts/classifier_log.joblib/")
    }
    stranger = fit_small_models()["classifier_log"]
    client.put_object(
        Bucket=BUCKET,
        Key="artifacts/classifier_log.joblib/2999-01-01T00.00.00.000Z/classifier_log.joblib",
        Body=dump_model(stranger),
    )
    result = run_s3(s3_project, seaweedfs, "--pipelines", "export", bucket=BUCKET)
    assert result.returncode == 0, output_tail(result)
    assert "2999-01-01T00.00.00.000Z is incomplete" in " ".join(
        (result.stdout + result.stderr).split()
    )
    latest = json.loads(
        client.get_object(Bucket=BUCKET, Key="models/latest/manifest.json")[
            "Body"
        ].read()
    )
    assert latest["training_run"] == complete_run
    buffer = io.BytesIO()
    client.download_fileobj(BUCKET, "models/latest/classifier_log.joblib", buffer)
    published = joblib.load(io.BytesIO(buffer.getvalue()))
    # The trained pipeline (scale-free step first), not the stranger.
    assert "scale_free" in published.named_steps
    assert "scale_free" not in stranger.named_steps
