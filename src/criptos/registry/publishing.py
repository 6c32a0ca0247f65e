"""Publishing one version: the bundle to model files and a (signed) manifest, and
the order of a save (clean up, write the version, move ``latest``, prune).

The two backends (``criptos.registry.local``, ``criptos.registry.object_store``)
each write a version and move ``latest`` their own way; this module decides what
is written and in which order, and never writes over a version that has a manifest.
"""

from __future__ import annotations

import logging
from copy import deepcopy
from types import ModuleType
from typing import Any

from criptos.contracts.model_bundle import (
    MANIFEST_FILE,
    SIGNATURE_FIELD,
    ModelBundle,
    check_manifest,
    dump_model,
    sha256_hex,
    sign_manifest,
    signing_key_from_env,
)
from criptos.registry import leftovers, local, object_store, retention
from criptos.registry.errors import ModelRegistryError, version_exists
from criptos.registry.store import RegistryStore

logger = logging.getLogger(__name__)


def publish(store: RegistryStore, bundle: ModelBundle, compress: int = 3) -> None:
    """Write ``bundle`` as a new version; move ``latest`` and prune as its policy says."""
    files, manifest = serialise(bundle, compress)
    version = manifest["version"]
    leftovers.remove_leftovers(store)
    _write_version(store, version, files, manifest)
    policy = bundle.policy
    if policy.move_latest:
        _backend(store).move_latest(store, files, manifest)
        logger.info("latest now points to model version %s", version)
    else:
        logger.warning(
            "Model version %s written to %s but latest NOT moved%s",
            version,
            store.uri(version),
            f": {policy.reason}" if policy.reason else "",
        )
    if policy.keep_last is not None:
        retention.prune(store, int(policy.keep_last))


def serialise(
    bundle: ModelBundle, compress: int = 3
) -> tuple[dict[str, bytes], dict[str, Any]]:
    """Model files (name -> bytes) and the manifest with file names, sha256, signature.

    The signature (``criptos.contracts.model_bundle.sign_manifest``) is added only
    when ``CRIPTOS_REGISTRY_SIGNING_KEY`` is set; any signature the bundle carried is
    dropped, since it covered sha256 values recomputed here.
    """
    manifest = deepcopy(bundle.manifest)
    entries = manifest.setdefault("models", {})
    if set(entries) != set(bundle.models):
        raise ModelRegistryError(
            f"manifest models {sorted(entries)} differ from bundle models "
            f"{sorted(bundle.models)}"
        )
    files: dict[str, bytes] = {}
    for name, model in bundle.models.items():
        file_name = f"{name}.joblib"
        files[file_name] = dump_model(model, compress=compress)
        entries[name]["file"] = file_name
        entries[name]["sha256"] = sha256_hex(files[file_name])
    manifest.pop(SIGNATURE_FIELD, None)  # a stale one: the sha256 were recomputed
    try:
        check_manifest(manifest)
    except ValueError as exc:
        raise ModelRegistryError(f"refusing to publish: {exc}") from None
    key = signing_key_from_env()
    if key is not None:
        manifest = sign_manifest(manifest, key)
        logger.info(
            "Signed the manifest of version %s (%s)",
            manifest["version"],
            manifest[SIGNATURE_FIELD]["algorithm"],
        )
    return files, manifest


def _write_version(
    store: RegistryStore, version: str, files: dict[str, bytes], manifest: dict
) -> None:
    """Write ``<root>/<version>/`` completely, or remove what was written and raise.

    Never over a version that has a manifest (the local backend also refuses when a
    concurrent save of the same name got there first).
    """
    store.fs.invalidate_cache(store.path(version))
    if store.fs.exists(store.path(version, MANIFEST_FILE)):
        raise version_exists(version, store.uri(version))
    _backend(store).write_version(store, version, files, manifest)
    logger.info(
        "Wrote model version %s (%d models) to %s",
        version,
        len(files),
        store.uri(version),
    )


def _backend(store: RegistryStore) -> ModuleType:
    """``local`` or ``object_store``: each has ``write_version`` and ``move_latest``."""
    return local if store.is_local else object_store
