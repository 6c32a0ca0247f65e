"""ModelRegistryDataset on a real S3 server: publish, prune, refuse, fail midway."""

from __future__ import annotations

import pytest
from kedro.io import DatasetError
from sklearn.pipeline import Pipeline

from criptos.datasets import ModelRegistryDataset
from criptos.datasets.model_registry import ModelRegistryError
from criptos.model_bundle import PublishPolicy
from tests.pipelines.export.small_models import fit_small_models, small_bundle
from tests.s3_server import SeaweedS3

BUCKET = "registry-tests"


@pytest.fixture(scope="module")
def small_models() -> dict[str, Pipeline]:
    return fit_small_models()


@pytest.fixture(scope="module")
def bucket(seaweedfs: SeaweedS3) -> str:
    seaweedfs.create_bucket(BUCKET)
    return BUCKET


@pytest.fixture
def registry(
    seaweedfs: SeaweedS3, bucket: str, request: pytest.FixtureRequest
) -> ModelRegistryDataset:
    """A registry under a prefix of its own, credentials given as catalog credentials."""
    return ModelRegistryDataset(
        path=f"s3://{bucket}/{request.node.name.replace('[', '-').rstrip(']')}/models",
        credentials={
            "key": seaweedfs.access_key,
            "secret": seaweedfs.secret_key,
            "client_kwargs": {"endpoint_url": seaweedfs.endpoint},
        },
    )


def test_publish_prune_and_load(registry: ModelRegistryDataset, small_models) -> None:
    assert registry.latest_manifest() is None
    for index in range(3):
        registry.save(
            small_bundle(small_models, index=index, policy=PublishPolicy(keep_last=2))
        )

    assert registry.versions() == ["20261127T101600Z", "20261127T101700Z"]
    assert registry.load().version == "20261127T101700Z"


def test_failure_midway_keeps_latest_and_cleans_the_version(
    registry: ModelRegistryDataset, small_models, monkeypatch: pytest.MonkeyPatch
) -> None:
    registry.save(small_bundle(small_models, index=0))
    write = registry._write

    def failing(path: str, data: bytes) -> None:
        if path.endswith("20261127T101600Z/classifier_log.joblib"):
            raise OSError("injected failure")
        write(path, data)

    monkeypatch.setattr(registry, "_write", failing)
    with pytest.raises(DatasetError, match="injected failure"):
        registry.save(small_bundle(small_models, index=1))

    assert registry.versions() == ["20261127T101500Z"]
    assert registry.load().version == "20261127T101500Z"


def test_tampered_model_is_refused(
    registry: ModelRegistryDataset, seaweedfs: SeaweedS3, small_models
) -> None:
    bundle = small_bundle(small_models)
    registry.save(bundle)
    prefix = registry._root.split("/", 1)[1]
    seaweedfs.client().put_object(
        Bucket=BUCKET,
        Key=f"{prefix}/{bundle.version}/regressor_lin.joblib",
        Body=b"not a model",
    )

    with pytest.raises(ModelRegistryError, match=r"regressor_lin\.joblib has sha256"):
        registry.load()
