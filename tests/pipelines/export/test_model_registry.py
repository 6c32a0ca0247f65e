"""ModelRegistryDataset on the local disk: layout, order of writes, integrity, pruning."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from criptos.datasets import ModelRegistryDataset
from criptos.datasets.model_registry import ModelRegistryError
from criptos.model_bundle import LATEST, MANIFEST_FILE, PublishPolicy, check_manifest
from tests.pipelines.export.small_models import FEATURES, feature_frame, small_bundle


def _root(registry: ModelRegistryDataset) -> Path:
    return Path(registry._root)


class FailingWrite:
    """Wraps ``registry._write``: records every path, raises on the one to fail."""

    def __init__(
        self, registry: ModelRegistryDataset, fail_on: str | None = None
    ) -> None:
        self.inner = registry._write
        self.fail_on = fail_on
        self.paths: list[str] = []

    def __call__(self, path: str, data: bytes) -> None:
        relative = str(Path(path).relative_to(Path(path).parents[1]))
        if relative == self.fail_on:
            raise OSError(f"injected failure writing {relative}")
        self.paths.append(relative)
        self.inner(path, data)


def test_empty_registry_has_no_latest_and_load_says_so(registry):
    assert registry.latest_manifest() is None
    assert registry.versions() == []
    assert not registry.exists()
    with pytest.raises(ModelRegistryError, match="no model version published yet"):
        registry.load()


def test_save_publishes_version_and_latest_and_load_round_trips(registry, small_models):
    bundle = small_bundle(small_models)
    registry.save(bundle)

    root = _root(registry)
    names = sorted(f"{name}.joblib" for name in small_models)
    assert sorted(p.name for p in (root / bundle.version).iterdir()) == sorted(
        [*names, MANIFEST_FILE]
    )
    assert sorted(p.name for p in (root / LATEST).iterdir()) == sorted(
        [*names, MANIFEST_FILE]
    )
    manifest = json.loads((root / LATEST / MANIFEST_FILE).read_text())
    assert manifest == json.loads((root / bundle.version / MANIFEST_FILE).read_text())
    check_manifest(manifest)
    assert all(len(entry["sha256"]) == 64 for entry in manifest["models"].values())

    loaded = registry.load()
    assert loaded.version == bundle.version == "20261127T101500Z"
    assert loaded.feature_columns == list(FEATURES)
    frame = feature_frame(rows=5, seed=3)
    for name, model in small_models.items():
        assert (loaded.models[name].predict(frame) == model.predict(frame)).all()
    assert registry.latest_manifest()["version"] == bundle.version
    assert registry.load_version(bundle.version).manifest == manifest


def test_writes_version_folder_first_then_latest_manifest_last(
    registry, small_models, monkeypatch
):
    recorder = FailingWrite(registry)
    monkeypatch.setattr(registry, "_write", recorder)
    bundle = small_bundle(small_models)
    registry.save(bundle)

    count = len(small_models)
    version_part, latest_part = recorder.paths[: count + 1], recorder.paths[count + 1 :]
    assert all(path.startswith(f"{bundle.version}/") for path in version_part)
    assert version_part[-1] == f"{bundle.version}/{MANIFEST_FILE}"
    assert all(path.startswith(f"{LATEST}/") for path in latest_part)
    assert latest_part[-1] == f"{LATEST}/{MANIFEST_FILE}"
    assert len(latest_part) == count + 1


@pytest.mark.parametrize(
    "fail_on",
    [
        "20261127T101600Z/regressor_rf.joblib",  # inside the new version folder
        "20261127T101600Z/manifest.json",  # the new version's own manifest
        "latest/classifier_rf.joblib",  # while copying into latest
        "latest/manifest.json",  # the very last write
    ],
)
def test_failure_midway_keeps_previous_latest_valid(
    registry, small_models, monkeypatch, fail_on
):
    first = small_bundle(small_models, index=0)
    registry.save(first)
    monkeypatch.setattr(registry, "_write", FailingWrite(registry, fail_on=fail_on))

    with pytest.raises(Exception, match="injected failure"):
        registry.save(small_bundle(small_models, index=1))

    assert registry.latest_manifest()["version"] == first.version
    assert registry.load().version == first.version
    if fail_on.startswith("20261127T101600Z"):
        # the partial version folder is removed: the store is as it was
        assert registry.versions() == [first.version]


def test_sha_mismatch_is_refused_naming_the_file(registry, small_models):
    bundle = small_bundle(small_models)
    registry.save(bundle)
    target = _root(registry) / bundle.version / "regressor_rf.joblib"
    target.write_bytes(target.read_bytes() + b"tampered")

    with pytest.raises(ModelRegistryError, match=r"regressor_rf\.joblib has sha256"):
        registry.load()


def test_missing_model_file_is_named(registry, small_models):
    bundle = small_bundle(small_models)
    registry.save(bundle)
    (_root(registry) / bundle.version / "classifier_log.joblib").unlink()

    with pytest.raises(
        ModelRegistryError, match=r"classifier_log\.joblib does not exist"
    ):
        registry.load()


def test_versions_are_immutable(registry, small_models):
    bundle = small_bundle(small_models)
    registry.save(bundle)
    before = (_root(registry) / bundle.version / MANIFEST_FILE).read_bytes()

    with pytest.raises(ModelRegistryError, match="already exists"):
        registry.save(bundle)
    assert (_root(registry) / bundle.version / MANIFEST_FILE).read_bytes() == before


@pytest.mark.parametrize("name", ["../etc", "latest", "2026", "20261127T101500Z/../x"])
def test_load_version_accepts_only_version_names(registry, name):
    with pytest.raises(ModelRegistryError, match="not a version name"):
        registry.load_version(name)


def test_keep_last_prunes_old_versions(registry, small_models):
    for index in range(4):
        registry.save(
            small_bundle(small_models, index=index, policy=PublishPolicy(keep_last=2))
        )

    assert registry.versions() == ["20261127T101700Z", "20261127T101800Z"]
    assert registry.load().version == "20261127T101800Z"


def test_latest_that_does_not_move_is_never_pruned(registry, small_models):
    registry.save(
        small_bundle(small_models, index=0, policy=PublishPolicy(keep_last=1))
    )
    frozen = PublishPolicy(move_latest=False, keep_last=1, reason="test")
    for index in (1, 2):
        registry.save(small_bundle(small_models, index=index, policy=frozen))

    assert registry.latest_manifest()["version"] == "20261127T101500Z"
    assert registry.versions() == ["20261127T101500Z", "20261127T101700Z"]
    assert registry.load().version == "20261127T101500Z"


def test_keep_last_must_be_positive():
    with pytest.raises(ValueError, match="keep_last"):
        PublishPolicy(keep_last=0)


def test_corrupt_latest_manifest_is_reported(registry, small_models):
    registry.save(small_bundle(small_models))
    (_root(registry) / LATEST / MANIFEST_FILE).write_text("{not json")

    with pytest.raises(ModelRegistryError, match="not valid JSON"):
        registry.latest_manifest()
