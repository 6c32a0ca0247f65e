"""Leftovers of dead saves on the local disk: stale ones go at the next save, work in
flight and recent ones stay, ``keep_last`` counts complete versions only."""

from __future__ import annotations

import uuid
from pathlib import Path

from criptos.contracts.model_bundle import LATEST, MANIFEST_FILE, PublishPolicy
from criptos.registry import leftovers
from criptos.storage import local_files
from tests.pipelines.export.small_models import small_bundle
from tests.registry.registry_checks import assert_latest_whole, backdate


def _hex() -> str:
    return uuid.uuid4().hex


def test_stale_leftovers_go_in_flight_work_stays_keep_last_counts_complete(
    registry, small_models
):
    root = Path(registry._store.root)
    first = small_bundle(small_models, index=0)
    registry.save(first)
    stale = [
        root / "20261127T100000123456Z-dead",  # a partial version: no manifest
        root / f".{LATEST}.{_hex()}.tmp",  # a latest being built when killed
        root / f".{LATEST}.{_hex()}.old",  # a replaced latest not yet removed
        root / f".20261127T100100000000Z-0bad.{_hex()}.tmp",  # a version staging
        root / LATEST / f".{MANIFEST_FILE}.{_hex()}.tmp",  # older saves' temp files
        root / first.version / f".regressor_rf.joblib.{_hex()}.tmp",
    ]
    in_flight = [
        root / "20261127T200000123456Z-beef",  # newest name of all, still partial
        root / f".{LATEST}.{_hex()}.tmp",
        root / first.version / f".classifier_rf.joblib.{_hex()}.tmp",
    ]
    for path in stale + in_flight:
        if path.name.endswith(".tmp") and path.parent != root:
            path.write_bytes(b"half a file")
        else:
            path.mkdir()
            (path / "regressor_rf.joblib").write_bytes(b"half a model")
    long_ago = local_files.PROCESS_START - 2 * 86_400
    for path in stale:
        backdate(path, long_ago)

    frozen = PublishPolicy(move_latest=False, keep_last=2)
    registry.save(small_bundle(small_models, index=1, policy=frozen))
    assert [p for p in stale if p.exists()] == []
    assert [p for p in in_flight if not p.exists()] == []

    for index in (2, 3):
        registry.save(
            small_bundle(small_models, index=index, policy=PublishPolicy(keep_last=2))
        )
    assert (root / "20261127T200000123456Z-beef").exists()
    assert registry.versions() == [
        small_bundle(small_models, index=i).version for i in (2, 3)
    ]
    assert assert_latest_whole(root)["version"] == registry.versions()[-1]


def test_leftovers_younger_than_the_grace_period_stay(
    registry, small_models, monkeypatch
):
    root = Path(registry._store.root)
    root.mkdir(parents=True)
    partial = root / "20261127T100000123456Z-dead"
    partial.mkdir()
    (partial / "classifier_rf.joblib").write_bytes(b"half")
    backdate(partial, local_files.PROCESS_START - 5)  # before us, but recent

    registry.save(small_bundle(small_models, index=0))
    assert partial.exists(), f"kept for STALE_MIN_AGE_SECONDS ({partial})"

    monkeypatch.setattr(leftovers, "STALE_MIN_AGE_SECONDS", 0.0)
    registry.save(small_bundle(small_models, index=1))
    assert not partial.exists(), "older than the process start: removed"
