"""Versioned model bundles on a local folder or an object store (fsspec).

See ``criptos.model_bundle`` for the layout and the manifest. Writes happen in an
order that keeps every reader safe: the version folder complete (models, then its
manifest), then the ``latest/`` model copies, then ``latest/manifest.json`` last.
A failure anywhere before that last write leaves the previous latest untouched.
"""

from __future__ import annotations

import json
import logging
import posixpath
import uuid
from copy import deepcopy
from typing import Any

import fsspec
from kedro.io.core import AbstractDataset, DatasetError, get_protocol_and_path

from criptos.model_bundle import (
    LATEST,
    MANIFEST_FILE,
    ModelBundle,
    PublishPolicy,
    check_manifest,
    dump_model,
    is_version,
    load_model,
    sha256_hex,
)

logger = logging.getLogger(__name__)


class ModelRegistryError(DatasetError):
    """A registry operation failed; the message names the file or version concerned."""


class MissingRegistryFile(ModelRegistryError, FileNotFoundError):
    """A file the registry needs does not exist."""


class ModelRegistryDataset(AbstractDataset[ModelBundle, ModelBundle]):
    """Publishes and reads :class:`~criptos.model_bundle.ModelBundle` versions.

    ``save(bundle)`` writes one new version and, unless the bundle's policy says
    otherwise, moves ``latest`` to it and prunes old versions (``keep_last``).
    ``load()`` returns the bundle that ``latest/manifest.json`` names, with every
    model file checked against its sha256. ``latest_manifest()`` is the cheap poll.

    Example catalog entry::

        model_registry:
          type: criptos.datasets.ModelRegistryDataset
          path: ${globals:paths.model_registry}

    The root is given as ``path`` so that Kedro resolves a relative local root
    against the project folder, as it does for every ``filepath``.
    """

    def __init__(
        self,
        *,
        path: str,
        credentials: dict[str, Any] | None = None,
        fs_args: dict[str, Any] | None = None,
        compress: int = 3,
        metadata: dict[str, Any] | None = None,
    ) -> None:
        protocol, root = get_protocol_and_path(path)
        self._protocol = protocol
        self._root = root.rstrip("/")
        self._root_uri = str(path).rstrip("/")
        self._compress = int(compress)
        self._fs = fsspec.filesystem(
            protocol, **deepcopy(credentials or {}), **deepcopy(fs_args or {})
        )
        self.metadata = metadata

    def _describe(self) -> dict[str, Any]:
        return {"root": self._root_uri, "protocol": self._protocol}

    # ----------------------------------------------------------------- paths

    def _path(self, *parts: str) -> str:
        return posixpath.join(self._root, *parts)

    def _uri(self, *parts: str) -> str:
        return posixpath.join(self._root_uri, *parts)

    # ------------------------------------------------------------ primitives

    def _write(self, path: str, data: bytes) -> None:
        """Write one file so that readers see the old content or the new, never half.

        Object stores publish an object only once its upload completes; on a local
        disk the bytes go to a temporary file beside the target, then get renamed.
        """
        if self._protocol != "file":
            self._fs.pipe_file(path, data)
            return
        folder = posixpath.dirname(path)
        self._fs.makedirs(folder, exist_ok=True)
        temporary = posixpath.join(
            folder, f".{posixpath.basename(path)}.{uuid.uuid4().hex}.tmp"
        )
        try:
            self._fs.pipe_file(temporary, data)
            self._fs.mv(temporary, path)
        except BaseException:
            if self._fs.exists(temporary):
                self._fs.rm(temporary)
            raise

    def _read(self, path: str) -> bytes:
        try:
            return self._fs.cat_file(path)
        except FileNotFoundError:
            raise MissingRegistryFile(
                f"{self._protocol_uri(path)} does not exist"
            ) from None

    def _protocol_uri(self, path: str) -> str:
        return path if self._protocol == "file" else f"{self._protocol}://{path}"

    def _read_json(self, path: str) -> dict[str, Any]:
        raw = self._read(path)
        try:
            return json.loads(raw)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ModelRegistryError(
                f"{self._protocol_uri(path)} is not valid JSON: {exc}"
            ) from None

    # ------------------------------------------------------------------ read

    def latest_manifest(self) -> dict[str, Any] | None:
        """The manifest ``latest`` points to, or ``None`` when nothing is published."""
        path = self._path(LATEST, MANIFEST_FILE)
        try:
            return self._read_json(path)
        except FileNotFoundError:
            return None

    def versions(self) -> list[str]:
        """Complete versions (folders holding a manifest), oldest first; not ``latest``.

        Object stores may keep listing an emptied "folder" for a while, so a version
        counts only through its ``manifest.json``, which is written last.
        """
        self._fs.invalidate_cache(self._root)
        try:
            manifests = self._fs.glob(self._path("*", MANIFEST_FILE))
        except FileNotFoundError:
            return []
        names = {posixpath.basename(posixpath.dirname(path)) for path in manifests}
        return sorted(name for name in names if is_version(name))

    def load_version(self, version: str) -> ModelBundle:
        """The bundle of ``version``, every model checked against its sha256."""
        if not is_version(str(version)):
            raise ModelRegistryError(
                f"{version!r} is not a version name like 20261127T101500Z"
            )
        manifest = self._read_json(self._path(version, MANIFEST_FILE))
        try:
            check_manifest(manifest)
        except ValueError as exc:
            raise ModelRegistryError(
                f"{self._uri(version, MANIFEST_FILE)}: {exc}"
            ) from None
        if manifest["version"] != version:
            raise ModelRegistryError(
                f"{self._uri(version, MANIFEST_FILE)} names version {manifest['version']!r}"
            )
        models = {}
        for name, entry in manifest["models"].items():
            path = self._path(version, entry["file"])
            data = self._read(path)
            digest = sha256_hex(data)
            if digest != entry["sha256"]:
                raise ModelRegistryError(
                    f"{self._protocol_uri(path)} has sha256 {digest}, "
                    f"but the manifest of version {version} says {entry['sha256']}"
                )
            models[name] = load_model(data)
        return ModelBundle(manifest=manifest, models=models)

    def load(self) -> ModelBundle:
        """The bundle of the version named by ``latest/manifest.json``."""
        manifest = self.latest_manifest()
        if manifest is None:
            raise ModelRegistryError(
                f"no model version published yet: {self._uri(LATEST, MANIFEST_FILE)} does not exist"
            )
        return self.load_version(str(manifest.get("version")))

    def _exists(self) -> bool:
        return self.latest_manifest() is not None

    # ----------------------------------------------------------------- write

    def save(self, data: ModelBundle) -> None:
        """Publish ``data`` as a new version; see the class and module docs for order."""
        files, manifest = self._serialise(data)
        version = manifest["version"]
        self._write_version(version, files, manifest)
        policy = data.policy
        if policy.move_latest:
            self._move_latest(files, manifest)
        else:
            logger.warning(
                "Model version %s written to %s but latest NOT moved%s",
                version,
                self._uri(version),
                f": {policy.reason}" if policy.reason else "",
            )
        if policy.keep_last is not None:
            self._prune(int(policy.keep_last))

    def _serialise(
        self, bundle: ModelBundle
    ) -> tuple[dict[str, bytes], dict[str, Any]]:
        """Model files as bytes and the manifest completed with file names and sha256."""
        manifest = deepcopy(bundle.manifest)
        entries = manifest.setdefault("models", {})
        if set(entries) != set(bundle.models):
            raise ModelRegistryError(
                f"manifest models {sorted(entries)} differ from bundle models {sorted(bundle.models)}"
            )
        files: dict[str, bytes] = {}
        for name, model in bundle.models.items():
            file_name = f"{name}.joblib"
            files[file_name] = dump_model(model, compress=self._compress)
            entries[name]["file"] = file_name
            entries[name]["sha256"] = sha256_hex(files[file_name])
        try:
            check_manifest(manifest)
        except ValueError as exc:
            raise ModelRegistryError(f"refusing to publish: {exc}") from None
        return files, manifest

    def _write_version(
        self, version: str, files: dict[str, bytes], manifest: dict
    ) -> None:
        """Write ``<root>/<version>/`` completely, or remove what was written and raise."""
        self._fs.invalidate_cache(self._path(version))
        if self._fs.exists(self._path(version, MANIFEST_FILE)):
            raise ModelRegistryError(
                f"version {version} already exists at {self._uri(version)}; versions are immutable"
            )
        try:
            for file_name, content in files.items():
                self._write(self._path(version, file_name), content)
            self._write(self._path(version, MANIFEST_FILE), _manifest_bytes(manifest))
        except BaseException:
            logger.error(
                "Writing version %s failed; removing the partial folder", version
            )
            self._remove_quietly(self._path(version))
            raise
        logger.info(
            "Wrote model version %s (%d models) to %s",
            version,
            len(files),
            self._uri(version),
        )

    def _move_latest(self, files: dict[str, bytes], manifest: dict) -> None:
        """Copy the models into ``latest/``, then switch ``latest/manifest.json``."""
        for file_name, content in files.items():
            self._write(self._path(LATEST, file_name), content)
        self._write(self._path(LATEST, MANIFEST_FILE), _manifest_bytes(manifest))
        logger.info("latest now points to model version %s", manifest["version"])

    def _prune(self, keep_last: int) -> None:
        """Remove versions beyond the newest ``keep_last``, never the latest one."""
        live = (self.latest_manifest() or {}).get("version")
        versions = self.versions()
        doomed = [v for v in versions[: max(len(versions) - keep_last, 0)] if v != live]
        for version in doomed:
            self._fs.rm(self._path(version), recursive=True)
            logger.info("Pruned model version %s (keep_last=%d)", version, keep_last)
        if doomed:
            self._fs.invalidate_cache(self._root)

    def _remove_quietly(self, path: str) -> None:
        try:
            if self._fs.exists(path):
                self._fs.rm(path, recursive=True)
        except Exception:  # cleanup must not hide the original error
            logger.exception("Could not remove %s", self._protocol_uri(path))
        self._fs.invalidate_cache(path)


def _manifest_bytes(manifest: dict[str, Any]) -> bytes:
    return (json.dumps(manifest, indent=2, sort_keys=False) + "\n").encode()


__all__ = [
    "MissingRegistryFile",
    "ModelRegistryDataset",
    "ModelRegistryError",
    "PublishPolicy",
]
