"""The local registry under faults: failed writes, fsync and swap failures, kill -9.

Whatever happens during a save, ``latest/`` is one whole version: its manifest parses
and every file in it matches the manifest's sha256 (or it is exactly the previous
latest, byte for byte).
"""

from __future__ import annotations

import errno
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import joblib
import pytest
from kedro.io import DatasetError

from criptos.contracts.model_bundle import LATEST, MANIFEST_FILE
from criptos.registry import leftovers
from criptos.storage import local_files
from tests.kedro_project import PROJECT_ROOT
from tests.pipelines.export.small_models import ESTIMATORS, small_bundle
from tests.registry.registry_checks import (
    assert_latest_whole,
    fresh,
    hidden_entries,
    latest_files,
    other_models,
)

FILES_PER_FOLDER = len(ESTIMATORS) + 1  # the models and the manifest
WRITES_PER_SAVE = 2 * FILES_PER_FOLDER  # the version folder, then latest


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
    root = Path(registry._store.root)
    first = small_bundle(small_models, index=0)
    counter = FailOnNth(registry._store.fs.pipe_file)
    monkeypatch.setattr(registry._store.fs, "pipe_file", counter)
    registry.save(first)
    assert counter.calls == WRITES_PER_SAVE
    before = latest_files(root)

    failing = FailOnNth(
        counter.inner, fail_at=fail_at, before=_half_write if torn else None
    )
    monkeypatch.setattr(registry._store.fs, "pipe_file", failing)
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
    root = Path(registry._store.root)
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

    assert assert_latest_whole(Path(registry._store.root))["version"] == second.version
    assert hidden_entries(Path(registry._store.root)) == []


def test_old_staging_folders_go_and_latest_stays_a_folder(registry, small_models):
    root = Path(registry._store.root)
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
    root = Path(registry._store.root)
    bundle = small_bundle(small_models)
    registry.save(bundle)
    joblib.dump(bundle, tmp_path / "bundle.joblib")
    (tmp_path / "saver.py").write_text(SAVER)
    saved = 0
    for delay in KILL_DELAYS:
        saver = subprocess.Popen(
            [sys.executable, str(tmp_path / "saver.py"), str(root)]
            + [str(tmp_path / "bundle.joblib")],
            cwd=PROJECT_ROOT,
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
    monkeypatch.setattr(leftovers, "STALE_MIN_AGE_SECONDS", -1.0)
    registry.save(fresh(bundle, keep_last=3))
    assert hidden_entries(root) == []
    assert sorted(p.name for p in root.iterdir()) == sorted(
        [LATEST, *registry.versions()]
    ), "no partial version folder is left"
    assert len(registry.versions()) == 3
    assert_latest_whole(root)
