"""A published set of fitted models and the manifest that describes them.

Registry layout (``criptos.registry``; catalog entry ``model_registry``)::

    <root>/<version>/<name>.joblib     one file per model (joblib, sha256 in manifest)
    <root>/<version>/manifest.json     written last inside the version folder
    <root>/latest/<name>.joblib        copies for consumers that read latest directly
    <root>/latest/manifest.json        written LAST of all: it names the live version

A reader trusts ``latest/manifest.json`` and loads the models from
``<root>/<version>/`` (never from ``latest/``), so it can never see half a version.

Manifest fields (consumers such as the API rely on these names)::

    version          "20261127T101500123456Z-3fa9"  UTC time to the microsecond
                     and a random suffix (see make_version); older registries
                     hold "20261127T101500Z" names, still valid
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
    signature        optional: {algorithm: "hmac-sha256", value: <64 hex digits>}

``sha256`` and ``file`` are filled in by the registry when it saves a bundle, and so
is ``signature`` when ``CRIPTOS_REGISTRY_SIGNING_KEY`` is set: an HMAC-SHA256 with
that key over the manifest's canonical JSON (:func:`canonical_manifest_bytes`, every
field but ``signature``). The manifest holds each model's sha256, so the signature
covers the model bytes too; a reader holding the key refuses unsigned and wrongly
signed versions before it opens a model file (see ``docs/registry_and_s3.md``).
"""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import os
import re
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import joblib

MANIFEST_FILE = "manifest.json"
LATEST = "latest"
VERSION_FORMAT = "%Y%m%dT%H%M%S%fZ"  # the time part; make_version adds "-<4 hex>"
VERSION_PATTERN = re.compile(r"^\d{8}T\d{6}(?:Z|\d{6}Z(?:-[0-9a-f]{4})?)\Z")
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
    """A new version name for ``moment`` (default now): ``20261127T101500123456Z-3fa9``.

    UTC time to the microsecond, then 4 random hex digits, so that two exports in
    the same instant (threads, processes, machines) still get distinct names. Names
    sort by time, across this form and the older ``20261127T101500Z`` one, with
    ``version_sort_key`` (plain string order puts an old name after the new names
    of the same second).
    """
    moment = moment or datetime.now(UTC)
    stamp = moment.astimezone(UTC).strftime(VERSION_FORMAT)
    return f"{stamp}-{secrets.token_hex(2)}"


def is_version(name: str) -> bool:
    """Whether ``name`` is a version folder name (and not ``latest`` or junk).

    Accepted: ``20261127T101500123456Z-3fa9`` (:func:`make_version`), the same
    without the suffix (``strftime(VERSION_FORMAT)``), and the older
    ``20261127T101500Z`` of registries written before microseconds.
    """
    return bool(VERSION_PATTERN.fullmatch(name))


def version_sort_key(name: str) -> tuple[str, str, str, str]:
    """Time order of version names, ``...T101500Z`` and ``...T101500123456Z-3fa9``:
    an old name counts as microsecond 0 of its second."""
    seconds, rest = name[:15], name[15:]
    micro, _, suffix = ("000000" + rest if rest.startswith("Z") else rest).partition(
        "Z"
    )
    return seconds, micro, suffix, name


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
            f"manifest version {manifest['version']!r} is not like 20261127T101500123456Z-3fa9"
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
    if SIGNATURE_FIELD in manifest:
        _check_signature_field(manifest[SIGNATURE_FIELD])


# ------------------------------------------------------------------ signing

SIGNING_KEY_ENV = "CRIPTOS_REGISTRY_SIGNING_KEY"
SIGNATURE_FIELD = "signature"
SIGNATURE_ALGORITHM = "hmac-sha256"
UNSIGNED = "unsigned"
SIGNATURE_MISMATCH = "signature does not match"
_HEX_DIGEST = re.compile(r"^[0-9a-f]{64}$")


class SignatureError(ValueError):
    """A manifest is not signed with the expected key; ``reason`` says how."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def signing_key_from_env(environ: dict[str, str] | None = None) -> bytes | None:
    """The registry signing key (UTF-8 bytes of ``CRIPTOS_REGISTRY_SIGNING_KEY``).

    ``None`` when the variable is unset or empty: the key lives in the environment
    only, never in ``conf/`` nor in the registry's bucket.
    """
    value = (os.environ if environ is None else environ).get(SIGNING_KEY_ENV, "")
    return value.encode() if value else None


def canonical_manifest_bytes(manifest: dict[str, Any]) -> bytes:
    """The bytes a signature covers: the manifest without ``signature``, canonical JSON.

    Keys sorted, no whitespace, UTF-8: the same bytes for the manifest in memory and
    for the one read back from ``manifest.json`` (written indented, in any key order).
    """
    unsigned = {key: value for key, value in manifest.items() if key != SIGNATURE_FIELD}
    return json.dumps(
        unsigned, sort_keys=True, separators=(",", ":"), ensure_ascii=False
    ).encode()


def manifest_signature(manifest: dict[str, Any], key: bytes) -> dict[str, str]:
    """The ``signature`` field of ``manifest`` under ``key`` (HMAC-SHA256, hex)."""
    digest = hmac.new(key, canonical_manifest_bytes(manifest), hashlib.sha256)
    return {"algorithm": SIGNATURE_ALGORITHM, "value": digest.hexdigest()}


def sign_manifest(manifest: dict[str, Any], key: bytes) -> dict[str, Any]:
    """A copy of ``manifest`` with its ``signature`` under ``key`` (any old one replaced)."""
    return {**manifest, SIGNATURE_FIELD: manifest_signature(manifest, key)}


def verify_manifest(manifest: dict[str, Any], key: bytes) -> None:
    """Raise ``SignatureError`` unless ``manifest`` carries a valid signature under ``key``.

    ``reason`` is ``"unsigned"`` (no signature field) or ``"signature does not
    match"`` (another key, or any byte of the signed fields changed since). The
    comparison takes constant time (``hmac.compare_digest``).
    """
    signature = manifest.get(SIGNATURE_FIELD)
    if signature is None:
        raise SignatureError(UNSIGNED)
    try:
        _check_signature_field(signature)
    except ValueError as exc:
        raise SignatureError(f"{SIGNATURE_MISMATCH} ({exc})") from None
    expected = manifest_signature(manifest, key)["value"]
    if not hmac.compare_digest(expected, signature["value"]):
        raise SignatureError(SIGNATURE_MISMATCH)


def _check_signature_field(signature: Any) -> None:
    if not isinstance(signature, dict) or set(signature) != {"algorithm", "value"}:
        raise ValueError(
            f"manifest signature must be {{'algorithm', 'value'}}, got {signature!r}"
        )
    if signature["algorithm"] != SIGNATURE_ALGORITHM:
        raise ValueError(
            f"manifest signature algorithm {signature['algorithm']!r} is not "
            f"{SIGNATURE_ALGORITHM!r}"
        )
    if not isinstance(signature["value"], str) or not _HEX_DIGEST.match(
        signature["value"]
    ):
        raise ValueError("manifest signature value is not 64 lowercase hex digits")


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
        """The version name, e.g. ``20261127T101500123456Z-3fa9``."""
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
