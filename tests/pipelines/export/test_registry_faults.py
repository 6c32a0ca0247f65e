"""The local registry under faults: failed writes, kill -9, concurrent saves, leftovers.

Whatever happens during a save, ``latest/`` is one whole version: its manifest parses
and every file in it matches the manifest's sha256 (or it is exactly the previous
latest, byte for byte).
"""

from __future__ import annotations

import errno
import functools
import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import replace
from pathlib import Path

import joblib
import pytest
from kedro.io import DatasetError

from criptos.contracts.model_bundle import (
    LATEST,
    MANIFEST_FILE,
    ModelBundle,
    PublishPolicy,
    check_manifest,
    make_version,
    sha256_hex,
)
from criptos.datasets import ModelRegistryDataset, local_files
from criptos.datasets import model_registry as registry_module
from criptos.datasets.model_registry import ModelRegistryError
from tests.pipelines.export.small_models import (
    ESTIMATORS,
    feature_frame,
    fit_small_models,
    small_bundle,
)

PROJECT = Path(__file__).resolve().parents[3]
FILES_PER_FOLDER = len(ESTIMATORS) + 1  # the models and the manifest
WRITES_PER_SAVE = 2 * FILES_PER_FOLDER  # the version folder, then latest


@functools.cache
def other_models() -> dict:
    """The same five models fitted on other rows: every file's bytes differ."""
    return fit_small_models(feature_frame(seed=7))


def fresh(bundle: ModelBundle, **policy) -> ModelBundle:
    """``bundle`` under a new, unique version name."""
    manifest = {**bundle.manifest, "version": make_version()}
    return replace(bundle, manifest=manifest, policy=PublishPolicy(**policy))


def latest_files(root: Path) -> dict[str, bytes]:
    folder = root / LATEST
    if not folder.exists():
        return {}
    return {path.name: path.read_bytes() for path in sorted(folder.iterdir())}


def assert_latest_whole(root: Path) -> dict:
    """latest/ holds exactly its manifest's files, each with its sha256."""
    files = latest_files(root)
    raw = files.pop(MANIFEST_FILE)
    manifest = json.loads(raw)
    check_manifest(manifest)
    expected = {entry["file"]: entry["sha256"] for entry in manifest["models"].values()}
    assert {name: sha256_hex(data) for name, data in files.items()} == expected
    assert (root / manifest["version"] / MANIFEST_FILE).read_bytes() == raw
    return manifest


def hidden_entries(root: Path) -> list[str]:
    found = [p for p in root.iterdir() if p.name.startswith(".")]
    for folder in root.iterdir():
        if folder.is_dir() and not folder.name.startswith("."):
            found += [p for p in folder.iterdir() if p.name.startswith(".")]
    return sorted(str(p.relative_to(root)) for p in found)


def backdate(path: Path, moment: float) -> None:
    """Set the modification time of ``path`` and everything under it to ``moment``."""
    for folder, names, files in os.walk(path, topdown=False):
        for name in files + names:
            os.utime(Path(folder) / name, (moment, moment))
    os.utime(path, (moment, moment))


class FailOnNth:
    """Wraps a callable; call number ``fail_at`` (0-based) raises ``error`` instead
    (after ``before(*args)`` when given, e.g. to write half a file first)."""

    def __init__(self, inner, fail_at: int | None = None, error=None, before=None):
        self.inner, self.fail_at, self.before = inner, fail_at, before
        self.error = error or OSError(errno.ENOSPC, "No space left on device")
        self.calls = 0

    def __call__(self, *args, **kwargs):
        index, self.calls = self.calls, self.calls + 1
        if index == self.fail_at:
            if self.before is not None:
                self.before(*args)
            raise self.error
        return self.inner(*args, **kwargs)


def _half_write(path: str, data: bytes, *_) -> None:
    Path(path).write_bytes(data[: len(data) // 2])


# -- failures during each write of a save ----------------------------------------------


@pytest.mark.parametrize("torn", [False, True], ids=["fails", "writes-half-then-fails"])
@pytest.mark.parametrize("fail_at", range(WRITES_PER_SAVE))
def test_a_failed_write_leaves_latest_exactly_the_previous_version(
    registry, small_models, monkeypatch, fail_at, torn
):
    root = Path(registry._root)
    first = small_bundle(small_models, index=0)
    counter = FailOnNth(registry._fs.pipe_file)
    monkeypatch.setattr(registry._fs, "pipe_file", counter)
    registry.save(first)
    assert counter.calls == WRITES_PER_SAVE
    before = latest_files(root)

    failing = FailOnNth(
        counter.inner, fail_at=fail_at, before=_half_write if torn else None
    )
    monkeypatch.setattr(registry._fs, "pipe_file", failing)
    second = small_bundle(other_models(), index=1)  # every file differs from first's
    with pytest.raises(DatasetError, match="No space left on device"):
        registry.save(second)
    monkeypatch.undo()

    assert latest_files(root) == before
    assert assert_latest_whole(root)["version"] == first.version
    assert registry.load().version == first.version
    if fail_at < FILES_PER_FOLDER:  # in the version folder: it is not published
        assert registry.versions() == [first.version]
    else:  # in latest: the version is complete, latest did not move
        assert registry.versions() == [first.version, second.version]
    assert hidden_entries(root) == [], "the staging folder is removed"


def test_failed_fsync_or_swap_leaves_latest_exactly_the_previous_version(
    registry, small_models, monkeypatch
):
    root = Path(registry._root)
    first = small_bundle(small_models, index=0)
    fsyncs = FailOnNth(os.fsync)
    monkeypatch.setattr(local_files.os, "fsync", fsyncs)
    registry.save(first)
    monkeypatch.undo()
    before = latest_files(root)

    failed = 0
    for index in range(fsyncs.calls):  # every fsync of the save, in turn
        monkeypatch.setattr(local_files.os, "fsync", FailOnNth(os.fsync, fail_at=index))
        try:
            registry.save(fresh(first))
        except DatasetError as exc:
            assert "No space left" in str(exc)
            assert latest_files(root) == before
            failed += 1
        else:  # the folder's flush after its rename: logged, the save stands
            assert_latest_whole(root)
            before = latest_files(root)
        monkeypatch.undo()
        assert hidden_entries(root) == []
    assert failed == fsyncs.calls - 2  # all but the two after a rename

    def exchange_fails(source, target, flags):
        if flags == local_files.RENAME_EXCHANGE:
            raise OSError(errno.EIO, "Input/output error")
        return real_renameat2(source, target, flags)

    real_renameat2 = local_files.renameat2
    monkeypatch.setattr(local_files, "renameat2", exchange_fails)
    with pytest.raises(DatasetError, match="Input/output error"):
        registry.save(fresh(first))
    monkeypatch.undo()
    assert latest_files(root) == before
    assert registry.load().version == json.loads(before[MANIFEST_FILE])["version"]
    assert hidden_entries(root) == []


def test_without_renameat2_latest_is_replaced_in_two_renames(
    registry, small_models, monkeypatch
):
    """Where the system has no exchange the save still works (not atomically)."""
    monkeypatch.setattr(local_files, "renameat2", lambda *args: False)
    registry.save(small_bundle(small_models, index=0))
    second = small_bundle(small_models, index=1)
    registry.save(second)

    assert assert_latest_whole(Path(registry._root))["version"] == second.version
    assert hidden_entries(Path(registry._root)) == []


def test_old_staging_folders_go_and_latest_stays_a_folder(registry, small_models):
    root = Path(registry._root)
    for index in range(3):
        registry.save(small_bundle(small_models, index=index))

    assert (root / LATEST).is_dir() and not (root / LATEST).is_symlink()
    assert hidden_entries(root) == []
    assert registry.latest_manifest()["version"] == registry.versions()[-1]


# -- kill -9 ------------------------------------------------------------------------------

SAVER = """
import sys
from dataclasses import replace

import joblib

from criptos.datasets import ModelRegistryDataset
from criptos.contracts.model_bundle import PublishPolicy, make_version

bundle = joblib.load(sys.argv[2])
registry = ModelRegistryDataset(path=sys.argv[1])
print("ready", flush=True)
while True:
    manifest = {**bundle.manifest, "version": make_version()}
    registry.save(replace(bundle, manifest=manifest, policy=PublishPolicy(keep_last=3)))
    print("saved", manifest["version"], flush=True)
"""
KILL_DELAYS = [0.004 + 0.043 * step for step in range(10)]  # 4 ms .. 0.39 s


def test_kill_9_at_any_moment_leaves_latest_whole(
    tmp_path, registry, small_models, monkeypatch
):
    root = Path(registry._root)
    bundle = small_bundle(small_models)
    registry.save(bundle)
    joblib.dump(bundle, tmp_path / "bundle.joblib")
    (tmp_path / "saver.py").write_text(SAVER)
    saved = 0
    for delay in KILL_DELAYS:
        saver = subprocess.Popen(
            [sys.executable, str(tmp_path / "saver.py"), str(root)]
            + [str(tmp_path / "bundle.joblib")],
            cwd=PROJECT,
            env={**os.environ, "KEDRO_DISABLE_TELEMETRY": "1"},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            assert saver.stdout.readline().strip() == "ready", saver.stderr.read()
            time.sleep(delay)
        finally:
            os.kill(saver.pid, signal.SIGKILL)
            out, err = saver.communicate(timeout=30)
        assert saver.returncode == -signal.SIGKILL, err[-2000:]
        saved += out.count("saved")

        manifest = assert_latest_whole(root)
        assert registry.load().version == manifest["version"]
        for version in registry.versions():  # complete versions are whole
            registry.load_version(version)
    assert saved > len(KILL_DELAYS), "the kills should land during saves, not before"

    # Leftovers of the killed savers are younger than this process: kept ...
    registry.save(fresh(bundle))
    # ... until a process that started after them saves.
    monkeypatch.setattr(local_files, "PROCESS_START", time.time() + 1)
    monkeypatch.setattr(registry_module, "STALE_MIN_AGE_SECONDS", -1.0)
    registry.save(fresh(bundle, keep_last=3))
    assert hidden_entries(root) == []
    assert sorted(p.name for p in root.iterdir()) == sorted(
        [LATEST, *registry.versions()]
    ), "no partial version folder is left"
    assert len(registry.versions()) == 3
    assert_latest_whole(root)


# -- concurrent saves --------------------------------------------------------------------


def _run_together(*calls) -> list[BaseException | None]:
    barrier = threading.Barrier(len(calls))
    outcomes: list[BaseException | None] = [None] * len(calls)

    def run(index: int) -> None:
        barrier.wait()
        try:
            calls[index]()
        except BaseException as exc:  # noqa: BLE001 - reported to the test
            outcomes[index] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes


def test_two_concurrent_saves_both_publish_distinct_versions(registry, small_models):
    root = Path(registry._root)
    bundle = small_bundle(small_models)
    other = ModelRegistryDataset(path=str(root))  # as a second process would
    published = []
    for _ in range(4):
        pair = [fresh(bundle), fresh(bundle)]
        outcomes = _run_together(
            lambda pair=pair: registry.save(pair[0]),
            lambda pair=pair: other.save(pair[1]),
        )
        assert outcomes == [None, None]
        published += [b.version for b in pair]
        assert registry.latest_manifest()["version"] in {b.version for b in pair}
        assert_latest_whole(root)

    assert len(set(published)) == len(published)
    assert sorted(registry.versions()) == sorted(published)
    assert hidden_entries(root) == []


def test_concurrent_saves_that_prune_both_succeed(registry, small_models):
    bundle = small_bundle(small_models)
    other = ModelRegistryDataset(path=registry._root)
    for _ in range(4):
        pair = [fresh(bundle, keep_last=2), fresh(bundle, keep_last=2)]
        outcomes = _run_together(
            lambda pair=pair: registry.save(pair[0]),
            lambda pair=pair: other.save(pair[1]),
        )
        assert outcomes == [None, None]
    assert len(registry.versions()) == 2
    assert assert_latest_whole(Path(registry._root))["version"] in registry.versions()
    assert hidden_entries(Path(registry._root)) == []


def test_two_concurrent_saves_of_one_version_publish_it_once(registry, small_models):
    bundle = fresh(small_bundle(small_models))
    other = ModelRegistryDataset(path=registry._root)
    outcomes = _run_together(lambda: registry.save(bundle), lambda: other.save(bundle))

    failures = [exc for exc in outcomes if exc is not None]
    assert len(failures) == 1, outcomes
    assert isinstance(failures[0], ModelRegistryError)
    assert "already exists" in str(failures[0])
    assert registry.versions() == [bundle.version]
    assert_latest_whole(Path(registry._root))


# -- leftovers ---------------------------------------------------------------------------


def _hex() -> str:
    return uuid.uuid4().hex


def test_stale_leftovers_go_in_flight_work_stays_keep_last_counts_complete(
    registry, small_models
):
    root = Path(registry._root)
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
    root = Path(registry._root)
    root.mkdir(parents=True)
    partial = root / "20261127T100000123456Z-dead"
    partial.mkdir()
    (partial / "classifier_rf.joblib").write_bytes(b"half")
    backdate(partial, local_files.PROCESS_START - 5)  # before us, but recent

    registry.save(small_bundle(small_models, index=0))
    assert partial.exists(), f"kept for STALE_MIN_AGE_SECONDS ({partial})"

    monkeypatch.setattr(registry_module, "STALE_MIN_AGE_SECONDS", 0.0)
    registry.save(small_bundle(small_models, index=1))
    assert not partial.exists(), "older than the process start: removed"
