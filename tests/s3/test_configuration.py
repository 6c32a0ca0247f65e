"""The s3 environment's configuration: bucket layout, bucket parameter, S3 locations."""

from __future__ import annotations

import pytest

from criptos.config.loader import ProjectConfigLoader
from criptos.config.run_date import resolve_run_date
from criptos.s3.preflight import S3Location, dataset_location
from tests.kedro_project import PROJECT_ROOT


def s3_catalog(runtime_params: dict | None = None) -> dict:
    loader = ProjectConfigLoader(
        str(PROJECT_ROOT / "conf"),
        env="s3",
        runtime_params=runtime_params,
        base_env="base",
        default_run_env="local",
        custom_resolvers={"run_date": resolve_run_date},
    )
    return loader["catalog"]


def test_every_file_dataset_lives_in_the_seed_layout() -> None:
    catalog = s3_catalog({"run_date": "20261127"})
    assert catalog["raw_candles"]["filepath"] == "s3://criptos-data/raw/raw.csv"
    assert (
        catalog["cripto_features_dated"]["filepath"]
        == "s3://criptos-data/features/cripto_features_20261127.parquet"
    )
    for name in ("cripto_features_latest@spark", "cripto_features_latest@pandas"):
        assert catalog[name]["filepath"] == (
            "s3://criptos-data/features/cripto_features_latest.parquet"
        )
    assert (
        catalog["{model}_model"]["filepath"]
        == "s3://criptos-data/artifacts/{model}.joblib"
    )
    assert (
        catalog["training_metrics"]["filepath"]
        == "s3://criptos-data/reports/metrics.json"
    )
    assert catalog["model_registry"]["path"] == "s3://criptos-data/models"
    for name, entry in catalog.items():
        location = dataset_location(name, entry) if isinstance(entry, dict) else None
        stored = any(key in entry for key in ("filepath", "path")) or "dataset" in entry
        if stored and entry.get("type") != "MemoryDataset":
            assert location is not None and location.bucket == "criptos-data", name


def test_bucket_comes_from_run_parameters() -> None:
    catalog = s3_catalog({"bucket": "my-bucket"})
    assert catalog["raw_candles"]["filepath"] == "s3://my-bucket/raw/raw.csv"
    assert catalog["model_registry"]["path"] == "s3://my-bucket/models"


@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        ({"filepath": "s3://b/raw/raw.csv"}, S3Location("d", "b", "raw/raw.csv")),
        ({"path": "s3://b/models/"}, S3Location("d", "b", "models")),
        (
            {"dataset": {"filepath": "s3://b/f.parquet"}},
            S3Location("d", "b", "f.parquet"),
        ),
        ({"filepath": "data/01_raw/raw.csv"}, None),
        ({"type": "MemoryDataset"}, None),
    ],
)
def test_dataset_location(entry: dict, expected: S3Location | None) -> None:
    assert dataset_location("d", entry) == expected
