"""A published set of fitted models and the manifest that describes them.

Registry layout (``ModelRegistryDataset``, catalog entry ``model_registry``)::

    <root>/<version>/<name>.joblib     one file per model (joblib, sha256 in manifest)
    <root>/<version>/manifest.json     written last inside the version folder
    <root>/latest/<name>.joblib        copies for consumers that read latest directly
    <root>/latest/manifest.json        written LAST of all: it names the live version

A reader trusts ``latest/manifest.json`` and loads the models from
``<root>/<version>/`` (never from ``latest/``), so it can never see half a version.

Manifest fields (consumers such as the API rely on these names)::

    version          "20261127T101500Z"  UTC, sortable ISO basic form
    created_at       "2026-11-27T10:15:00Z"  ISO 8601, UTC
    horizon_days     int, label horizon of the targets
    models           {name: {file, task ("regression"|"classification"),
                             target, estimator (class path), sha256}}
    feature_columns  [{name, dtype}, ...] in the order the models expect
    training         {rows, assets, start, end}
    metrics          {name: {task, cv, verdict, holdout_verdict, beats_baseline}}
                     verdict/holdout_verdict as in metrics.json (criptos.modeling.verdict)
    features_file    the feature file the models were trained on
    package_version  criptos version
    git_commit       commit hash, or null when unknown
    versions         {python, scikit-learn, pandas, numpy, joblib}

``sha256`` and ``file`` are filled in by the registry when it saves a bundle.
"""

from __future__ import annotations

import hashlib
import io
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import joblib

MANIFEST_FILE = "manifest.json"
LATEST = "latest"
VERSION_FORMAT = "%Y%m%dT%H%M%SZ"
VERSION_PATTERN = re.compile(r"^\d{8}T\d{6}Z$")
TASKS = ("regression", "classification")
REQUIRED_MANIFEST_FIELDS = (
    "version",
    "created_at",
    "horizon_days",
    "models",
    "feature_columns",
    "training",
    "metrics",
    "features_file",
    "package_version",
    "git_commit",
    "versions",
)
REQUIRED_MODEL_FIELDS = ("file", "task", "target", "estimator", "sha256")


def make_version(moment: datetime | None = None) -> str:
    """The version name of ``moment`` (default now), e.g. ``20261127T101500Z``."""
    moment = moment or datetime.now(UTC)
    return moment.astimezone(UTC).strftime(VERSION_FORMAT)


def is_version(name: str) -> bool:
    """Whether ``name`` is a version folder name (and not ``latest`` or junk)."""
    return bool(VERSION_PATTERN.match(name))


def sha256_hex(data: bytes) -> str:
    """Hex sha256 of ``data``."""
    return hashlib.sha256(data).hexdigest()


def dump_model(model: Any, compress: int = 3) -> bytes:
    """Serialise one fitted estimator with joblib into bytes."""
    buffer = io.BytesIO()
    joblib.dump(model, buffer, compress=compress)
    return buffer.getvalue()


def load_model(data: bytes) -> Any:
    """Inverse of :func:`dump_model`."""
    return joblib.load(io.BytesIO(data))


def check_manifest(manifest: dict[str, Any]) -> None:
    """Raise ``ValueError`` naming what is missing or malformed in ``manifest``."""
    missing = [key for key in REQUIRED_MANIFEST_FIELDS if key not in manifest]
    if missing:
        raise ValueError(f"manifest lacks fields {missing}")
    if not is_version(str(manifest["version"])):
        raise ValueError(
            f"manifest version {manifest['version']!r} is not like 20261127T101500Z"
        )
    if not manifest["models"]:
        raise ValueError("manifest lists no models")
    for name, entry in manifest["models"].items():
        lacking = [key for key in REQUIRED_MODEL_FIELDS if not entry.get(key)]
        if lacking:
            raise ValueError(f"manifest entry of model {name!r} lacks {lacking}")
        if entry["task"] not in TASKS:
            raise ValueError(
                f"model {name!r} has task {entry['task']!r}, expected one of {TASKS}"
            )
    for column in manifest["feature_columns"]:
        if not {"name", "dtype"} <= set(column):
            raise ValueError(f"feature column {column!r} needs 'name' and 'dtype'")


@dataclass(frozen=True)
class PublishPolicy:
    """What the registry does around a save, decided by the export node.

    ``move_latest``: point ``latest/`` at the new version (false when the models do
    not beat their baselines and the project requires it; the version is still
    written). ``keep_last``: after publishing, keep only the newest N versions, and
    always the one ``latest`` points to; ``None`` keeps all.
    """

    move_latest: bool = True
    keep_last: int | None = None
    reason: str = ""

    def __post_init__(self) -> None:
        if self.keep_last is not None and int(self.keep_last) < 1:
            raise ValueError(
                f"keep_last must be at least 1 or null, got {self.keep_last!r}"
            )


@dataclass(frozen=True)
class ModelBundle:
    """Fitted models (name -> sklearn estimator) and their manifest (see module doc)."""

    manifest: dict[str, Any]
    models: dict[str, Any]
    policy: PublishPolicy = field(default_factory=PublishPolicy, compare=False)

    @property
    def version(self) -> str:
        """The version name, e.g. ``20261127T101500Z``."""
        return str(self.manifest["version"])

    @property
    def feature_columns(self) -> list[str]:
        """Feature column names in the order the models expect."""
        return [column["name"] for column in self.manifest["feature_columns"]]

    @property
    def feature_dtypes(self) -> dict[str, str]:
        """Feature column name -> dtype as written in the manifest."""
        return {
            column["name"]: column["dtype"]
            for column in self.manifest["feature_columns"]
        }

    @property
    def horizon_days(self) -> int:
        """Label horizon in days."""
        return int(self.manifest["horizon_days"])

    def task(self, name: str) -> str:
        """``regression`` or ``classification`` for model ``name``."""
        return str(self.manifest["models"][name]["task"])
