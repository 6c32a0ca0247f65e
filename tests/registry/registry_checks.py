"""Helpers of the registry tests: fresh bundles, other models, and the check that
latest/ is one whole version (its manifest and every file matching its sha256)."""

from __future__ import annotations

import functools
import json
import os
from dataclasses import replace
from pathlib import Path

from criptos.contracts.model_bundle import (
    LATEST,
    MANIFEST_FILE,
    ModelBundle,
    PublishPolicy,
    check_manifest,
    make_version,
    sha256_hex,
)
from tests.pipelines.export.small_models import feature_frame, fit_small_models


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
