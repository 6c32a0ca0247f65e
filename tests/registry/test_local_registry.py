"""The registry on the local disk, through its Kedro dataset: layout, order of
writes, integrity, immutable versions, pruning, version names."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from criptos.contracts.model_bundle import (
    LATEST,
    MANIFEST_FILE,
    PublishPolicy,
    check_manifest,
    is_version,
    make_version,
)
from criptos.datasets import ModelRegistryDataset
from criptos.registry import ModelRegistryError
from tests.pipelines.export.small_models import FEATURES, feature_frame, small_bundle


def _root(registry: ModelRegistryDataset) -> Path:
    return Path(registry._store.root)


def version_of(small_models, index: int) -> str:
    """The version name of ``small_bundle(small_models, index)``."""
    return small_bundle(small_models, index=index).version


class FailingWrite:
    """Wraps the registry filesystem's ``pipe_file``: records every file written as
    ``<folder kind>/<file>`` (kind ``version`` or ``latest``, the hidden staging
    folder each is built in), raises on the one to fail."""

    def __init__(
        self, registry: ModelRegistryDataset, fail_on: str | None = None
    ) -> None:
        self.inner = registry._store.fs.pipe_file
        self.fail_on = fail_on
        self.paths: list[str] = []

    def __call__(self, path: str, data: bytes, **kwargs) -> None:
        folder = Path(path).parent.name
        kind = LATEST if folder.startswith(f".{LATEST}.") else "version"
        relative = f"{kind}/{Path(path).name}"
        if relative == self.fail_on:
            raise OSError(f"injected failure writing {relative}")
        self.paths.append(relative)
        self.inner(path, data, **kwargs)


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
    assert loaded.version == bundle.version
    assert is_version(loaded.version)
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
    monkeypatch.setattr(registry._store.fs, "pipe_file", recorder)
    bundle = small_bundle(small_models)
    registry.save(bundle)

    count = len(small_models)
    version_part, latest_part = recorder.paths[: count + 1], recorder.paths[count + 1 :]
    assert all(path.startswith("version/") for path in version_part)
    assert version_part[-1] == f"version/{MANIFEST_FILE}"
    assert all(path.startswith(f"{LATEST}/") for path in latest_part)
    assert latest_part[-1] == f"{LATEST}/{MANIFEST_FILE}"
    assert len(latest_part) == count + 1


@pytest.mark.parametrize(
    "fail_on",
    [
        "version/regressor_rf.joblib",  # inside the new version folder
        "version/manifest.json",  # the new version's own manifest
        "latest/classifier_rf.joblib",  # while copying into latest
        "latest/manifest.json",  # the very last write
    ],
)
def test_failure_midway_keeps_previous_latest_valid(
    registry, small_models, monkeypatch, fail_on
):
    first = small_bundle(small_models, index=0)
    registry.save(first)
    monkeypatch.setattr(
        registry._store.fs, "pipe_file", FailingWrite(registry, fail_on=fail_on)
    )

    with pytest.raises(Exception, match="injected failure"):
        registry.save(small_bundle(small_models, index=1))

    assert registry.latest_manifest()["version"] == first.version
    assert registry.load().version == first.version
    if fail_on.startswith("version/"):
        # the partial version folder is removed: the store is as it was
        assert registry.versions() == [first.version]
    assert sorted(p.name for p in _root(registry).iterdir()) == sorted(
        [LATEST, *registry.versions()]
    ), "no staging folder is left behind"


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

    assert registry.versions() == [version_of(small_models, i) for i in (2, 3)]
    assert registry.load().version == version_of(small_models, 3)


def test_latest_that_does_not_move_is_never_pruned(registry, small_models):
    registry.save(
        small_bundle(small_models, index=0, policy=PublishPolicy(keep_last=1))
    )
    frozen = PublishPolicy(move_latest=False, keep_last=1, reason="test")
    for index in (1, 2):
        registry.save(small_bundle(small_models, index=index, policy=frozen))

    first, last = version_of(small_models, 0), version_of(small_models, 2)
    assert registry.latest_manifest()["version"] == first
    assert registry.versions() == [first, last]
    assert registry.load().version == first


def test_keep_last_must_be_positive():
    with pytest.raises(ValueError, match="keep_last"):
        PublishPolicy(keep_last=0)


def test_corrupt_latest_manifest_is_reported(registry, small_models):
    registry.save(small_bundle(small_models))
    (_root(registry) / LATEST / MANIFEST_FILE).write_text("{not json")

    with pytest.raises(ModelRegistryError, match="not valid JSON"):
        registry.latest_manifest()


def test_make_version_is_unique_and_sortable_by_time():
    moment = datetime(2026, 11, 27, 10, 15, 0, 123456, tzinfo=UTC)
    names = {make_version(moment) for _ in range(50)}

    assert len(names) > 1, "the random suffix tells same-instant versions apart"
    for name in names:
        assert is_version(name)
        assert re.fullmatch(r"20261127T101500123456Z-[0-9a-f]{4}", name)


@pytest.mark.parametrize(
    "name, valid",
    [
        ("20261127T101500Z", True),  # registries written before microseconds
        ("20261127T101500123456Z-3fa9", True),
        ("20261127T101500123456Z", True),  # strftime(VERSION_FORMAT)
        ("20261127T101500Z-3fa9", False),
        ("20261127T101500123456Z-3FA9", False),
        ("20261127T101500123456Z-3fa9/../x", False),
        ("20261127T101500Z\n", False),
        (".20261127T101500Z.0123456789abcdef0123456789abcdef.tmp", False),
    ],
)
def test_is_version_accepts_the_old_and_the_new_form(name, valid):
    assert is_version(name) is valid


def test_versions_sort_by_time_across_both_forms(registry, small_models):
    names = [
        "20261127T101459999999Z-ffff",
        "20261127T101500Z",  # an old name: second 10:15:00, no microseconds
        "20261127T101500000001Z-0000",
        "20261127T101500123456Z-3fa9",
        "20261127T101501Z",
        "20261127T101501000000Z-a000",
    ]
    for name in reversed(names):
        bundle = small_bundle(small_models, policy=PublishPolicy(move_latest=False))
        bundle.manifest["version"] = name
        registry.save(bundle)

    assert registry.versions() == names
    assert sorted(names) != names, "plain string order would be wrong here"


def test_keep_last_counts_old_and_new_names_in_time_order(registry, small_models):
    old = small_bundle(small_models, index=0)  # 20261127T101500000000Z
    registry.save(old)
    for name in ("20261127T101600Z", "20261127T101700123456Z-0a0b"):
        bundle = small_bundle(small_models, policy=PublishPolicy(keep_last=2))
        bundle.manifest["version"] = name
        registry.save(bundle)

    assert registry.versions() == ["20261127T101600Z", "20261127T101700123456Z-0a0b"]


def test_a_folder_without_manifest_is_never_written_over(registry, small_models):
    bundle = small_bundle(small_models)
    partial = _root(registry) / bundle.version
    partial.mkdir(parents=True)
    (partial / "regressor_rf.joblib").write_bytes(b"another save in flight")

    with pytest.raises(ModelRegistryError, match="exists without a manifest.json"):
        registry.save(bundle)
    assert (partial / "regressor_rf.joblib").read_bytes() == b"another save in flight"
    assert registry.latest_manifest() is None
