"""The registry on an object store (a real S3 server, SeaweedFS): publish, prune,
refuse, fail midway and restore latest, sweep stale partial versions."""

from __future__ import annotations

import threading
import time
from dataclasses import replace

import pytest
from kedro.io import DatasetError

from criptos.contracts.model_bundle import (
    LATEST,
    MANIFEST_FILE,
    ModelBundle,
    PublishPolicy,
    make_version,
)
from criptos.datasets import ModelRegistryDataset
from criptos.registry import ModelRegistryError, leftovers
from criptos.storage import local_files
from tests.pipelines.export.small_models import (
    ESTIMATORS,
    small_bundle,
)
from tests.registry.registry_checks import other_models
from tests.s3_server import SeaweedS3

BUCKET = "registry-tests"


def version_of(small_models, index: int) -> str:
    """The version name of ``small_bundle(small_models, index)``."""
    return small_bundle(small_models, index=index).version


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

    assert registry.versions() == [version_of(small_models, i) for i in (1, 2)]
    assert registry.load().version == version_of(small_models, 2)


def test_failure_midway_keeps_latest_and_cleans_the_version(
    registry: ModelRegistryDataset, small_models, monkeypatch: pytest.MonkeyPatch
) -> None:
    registry.save(small_bundle(small_models, index=0))
    write = registry._store.write
    second = version_of(small_models, 1)

    def failing(path: str, data: bytes) -> None:
        if path.endswith(f"{second}/classifier_log.joblib"):
            raise OSError("injected failure")
        write(path, data)

    monkeypatch.setattr(registry._store, "write", failing)
    with pytest.raises(DatasetError, match="injected failure"):
        registry.save(small_bundle(small_models, index=1))

    assert registry.versions() == [version_of(small_models, 0)]
    assert registry.load().version == version_of(small_models, 0)


def test_tampered_model_is_refused(
    registry: ModelRegistryDataset, seaweedfs: SeaweedS3, small_models
) -> None:
    bundle = small_bundle(small_models)
    registry.save(bundle)
    prefix = registry._store.root.split("/", 1)[1]
    seaweedfs.client().put_object(
        Bucket=BUCKET,
        Key=f"{prefix}/{bundle.version}/regressor_lin.joblib",
        Body=b"not a model",
    )

    with pytest.raises(ModelRegistryError, match=r"regressor_lin\.joblib has sha256"):
        registry.load()


def latest_objects(seaweedfs: SeaweedS3, registry: ModelRegistryDataset) -> dict:
    """Key -> bytes of every object under the registry's ``latest/``."""
    prefix = registry._store.root.split("/", 1)[1] + f"/{LATEST}/"
    client = seaweedfs.client()
    return {
        key: client.get_object(Bucket=BUCKET, Key=key)["Body"].read()
        for key in seaweedfs.list_keys(BUCKET, prefix)
    }


LATEST_PUTS = len(ESTIMATORS) + 1  # the model copies, then latest/manifest.json


FAULTS = [
    pytest.param(
        (fail_at, had_latest, landed),
        id=f"put{fail_at}-{'previous' if had_latest else 'first'}-"
        f"{'stored-then-error' if landed else 'refused'}",
    )
    for fail_at in range(LATEST_PUTS)
    for had_latest in (True, False)
    for landed in (False, True)
]


@pytest.mark.parametrize("fault", FAULTS)
def test_failure_in_each_put_of_the_latest_move_restores_the_previous_latest(
    registry, seaweedfs, small_models, monkeypatch, fault
) -> None:
    fail_at, had_latest, landed = fault
    if had_latest:
        registry.save(small_bundle(small_models, index=0))
    before = latest_objects(seaweedfs, registry)
    put = registry._store.fs.pipe_file
    latest_puts: list[str] = []

    def failing(path: str, data: bytes, **kwargs):
        if f"/{LATEST}/" in path:
            latest_puts.append(path)
            if len(latest_puts) - 1 == fail_at:
                if landed:  # the object is stored, but the client sees an error
                    put(path, data, **kwargs)
                raise OSError(f"injected failure putting {path}")
        return put(path, data, **kwargs)

    monkeypatch.setattr(registry._store.fs, "pipe_file", failing)
    with pytest.raises(DatasetError, match="injected failure"):
        registry.save(small_bundle(other_models(), index=1))
    monkeypatch.undo()

    assert len(latest_puts) > fail_at  # the failing put happened
    assert latest_objects(seaweedfs, registry) == before
    if had_latest:
        assert registry.load().version == version_of(small_models, 0)
    else:
        assert before == {} and registry.latest_manifest() is None
    assert version_of(small_models, 1) in registry.versions()  # complete, not live


def test_latest_drops_files_the_new_version_lacks(
    registry, seaweedfs, small_models
) -> None:
    registry.save(small_bundle(small_models, index=0))
    fewer = {name: small_models[name] for name in ("regressor_lin", "classifier_log")}
    bundle = small_bundle(small_models, index=1)
    manifest = {
        **bundle.manifest,
        "models": {name: bundle.manifest["models"][name] for name in fewer},
        "metrics": {name: bundle.manifest["metrics"][name] for name in fewer},
    }
    registry.save(replace(bundle, manifest=manifest, models=fewer))

    names = sorted(key.rsplit("/", 1)[1] for key in latest_objects(seaweedfs, registry))
    assert names == sorted([MANIFEST_FILE, *(f"{name}.joblib" for name in fewer)])


def test_two_concurrent_exports_publish_two_versions(
    registry, small_models, seaweedfs
) -> None:
    bundle = small_bundle(small_models)
    other = ModelRegistryDataset(
        path=registry._store.root_uri,
        credentials={
            "key": seaweedfs.access_key,
            "secret": seaweedfs.secret_key,
            "client_kwargs": {"endpoint_url": seaweedfs.endpoint},
        },
    )
    pair = [
        replace(bundle, manifest={**bundle.manifest, "version": make_version()})
        for _ in range(2)
    ]
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def save(dataset: ModelRegistryDataset, one: ModelBundle) -> None:
        barrier.wait()
        try:
            dataset.save(one)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [
        threading.Thread(target=save, args=(dataset, one))
        for dataset, one in zip((registry, other), pair, strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert errors == []
    assert pair[0].version != pair[1].version
    assert sorted(registry.versions()) == sorted(one.version for one in pair)
    assert registry.load().version in {one.version for one in pair}


def test_stale_partial_versions_are_removed_complete_ones_counted(
    registry, seaweedfs, small_models, monkeypatch
) -> None:
    prefix = registry._store.root.split("/", 1)[1]
    partial = "20261127T090000123456Z-dead"
    seaweedfs.client().put_object(
        Bucket=BUCKET, Key=f"{prefix}/{partial}/regressor_rf.joblib", Body=b"half"
    )
    policy = PublishPolicy(keep_last=1)
    registry.save(small_bundle(small_models, index=0, policy=policy))
    assert seaweedfs.list_keys(BUCKET, f"{prefix}/{partial}/"), (
        "newer than this process: maybe another save in flight, kept"
    )

    # As seen by a process that started later (and with no grace period):
    monkeypatch.setattr(local_files, "PROCESS_START", time.time() + 60)
    monkeypatch.setattr(leftovers, "STALE_MIN_AGE_SECONDS", -60.0)
    registry.save(small_bundle(small_models, index=1, policy=policy))

    assert seaweedfs.list_keys(BUCKET, f"{prefix}/{partial}/") == []
    assert registry.versions() == [version_of(small_models, 1)]
    assert registry.load().version == version_of(small_models, 1)
