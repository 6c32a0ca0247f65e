"""Reading the registry: the live manifest, the complete versions, and one version
checked (its signature first, then every model file's sha256) before anything in it
is unpickled."""

from __future__ import annotations

import logging
import posixpath
from typing import Any

from criptos.contracts.model_bundle import (
    LATEST,
    MANIFEST_FILE,
    SIGNATURE_FIELD,
    SIGNING_KEY_ENV,
    ModelBundle,
    SignatureError,
    check_manifest,
    is_version,
    load_model,
    sha256_hex,
    signing_key_from_env,
    verify_manifest,
    version_sort_key,
)
from criptos.registry.errors import BundleSignatureError, ModelRegistryError
from criptos.registry.store import RegistryStore

logger = logging.getLogger(__name__)


def latest_manifest(store: RegistryStore) -> dict[str, Any] | None:
    """The manifest ``latest`` points to, or ``None`` when nothing is published."""
    try:
        return store.read_json(store.path(LATEST, MANIFEST_FILE))
    except FileNotFoundError:
        return None


def versions(store: RegistryStore) -> list[str]:
    """Complete versions (folders holding a manifest), oldest first; not ``latest``.

    Object stores may keep listing an emptied "folder" for a while, so a version
    counts only through its ``manifest.json``, which is written last.
    """
    store.fs.invalidate_cache(store.root)
    try:
        manifests = store.fs.glob(store.path("*", MANIFEST_FILE))
    except FileNotFoundError:
        return []
    names = {posixpath.basename(posixpath.dirname(path)) for path in manifests}
    return sorted((name for name in names if is_version(name)), key=version_sort_key)


def load_latest(store: RegistryStore) -> ModelBundle:
    """The bundle of the version named by ``latest/manifest.json``."""
    manifest = latest_manifest(store)
    if manifest is None:
        raise ModelRegistryError(
            "no model version published yet: "
            f"{store.uri(LATEST, MANIFEST_FILE)} does not exist"
        )
    return load_version(store, str(manifest.get("version")))


def load_version(store: RegistryStore, version: str) -> ModelBundle:
    """The bundle of ``version``, every model checked against its sha256.

    With ``CRIPTOS_REGISTRY_SIGNING_KEY`` set, the manifest's signature is checked
    first: an unsigned or wrongly signed version raises ``BundleSignatureError``
    before any model file is read, let alone unpickled. Nothing is unpickled either
    unless every model file matches its sha256.
    """
    manifest, files = _verified_files(store, version)
    models = {name: load_model(data) for name, data in files.items()}
    return ModelBundle(manifest=manifest, models=models)


def verify_version(store: RegistryStore, version: str) -> dict[str, Any]:
    """Check ``version`` like :func:`load_version` but unpickle nothing; its manifest.

    Checks the manifest, its signature (when the signing key is set) and every model
    file's sha256; raises ``ModelRegistryError`` naming what failed.
    """
    return _verified_files(store, version)[0]


def _verified_files(
    store: RegistryStore, version: str
) -> tuple[dict[str, Any], dict[str, bytes]]:
    """The manifest of ``version`` and its model files' bytes, all checked."""
    if not is_version(str(version)):
        raise ModelRegistryError(
            f"{version!r} is not a version name like 20261127T101500123456Z-3fa9"
        )
    where = store.uri(version, MANIFEST_FILE)
    manifest = store.read_json(store.path(version, MANIFEST_FILE))
    if not isinstance(manifest, dict):
        raise ModelRegistryError(f"{where} is not a JSON object")
    _check_signature(version, manifest)  # before anything else trusts it
    try:
        check_manifest(manifest)
    except ValueError as exc:
        raise ModelRegistryError(f"{where}: {exc}") from None
    if manifest["version"] != version:
        raise ModelRegistryError(f"{where} names version {manifest['version']!r}")
    files = {}
    for name, entry in manifest["models"].items():
        path = store.path(version, entry["file"])
        data = store.read(path)
        digest = sha256_hex(data)
        if digest != entry["sha256"]:
            raise ModelRegistryError(
                f"{store.display(path)} has sha256 {digest}, "
                f"but the manifest of version {version} says {entry['sha256']}"
            )
        files[name] = data
    return manifest, files


def _check_signature(version: str, manifest: dict[str, Any]) -> None:
    """Refuse ``manifest`` unless signed with the key, when the key is set."""
    key = signing_key_from_env()
    if key is None:
        if SIGNATURE_FIELD in manifest:
            logger.debug(
                "Model version %s is signed; signature not verified (%s not set)",
                version,
                SIGNING_KEY_ENV,
            )
        return
    try:
        verify_manifest(manifest, key)
    except SignatureError as exc:
        raise BundleSignatureError(version, exc.reason) from None
