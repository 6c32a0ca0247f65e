"""Versioned model bundles on a local folder or an object store (fsspec).

See ``criptos.contracts.model_bundle`` for the layout and the manifest. A save writes the
version folder complete (models, then its manifest), then moves ``latest``.
``latest/manifest.json`` names the version to trust, and a reader loads the models
from ``<root>/<version>/``, which never changes once its manifest exists. Version
names are unique per save (``criptos.contracts.model_bundle.make_version``), and a save never
writes over a version that has a manifest: it raises instead.

Local disk: the version is built in a hidden folder ``.<version>.<hex>.tmp`` and
renamed into place (never over an existing folder); the new ``latest`` is built in
``.latest.<hex>.tmp`` and swapped with the old one by one atomic
``renameat2(RENAME_EXCHANGE)``. Whoever reads ``<root>/latest/<file>`` sees the old
folder or the new one, each whole, even if the writer fails (disk full) or is killed
at any instant. Where the kernel or file system has no exchange, two renames replace
it: a reader may then find no ``latest`` for an instant, never a mix.

Object stores have no folder rename. The save reads the current ``latest/`` objects,
then writes ``latest/*.joblib`` one by one and ``latest/manifest.json`` last; on any
failure it puts the previous objects back (or, when there was no latest, removes the
new copies) and re-raises. So during the copy (and, if the writer is killed mid-copy,
until the next save) a reader may find ``latest/*.joblib`` of the new version while
``latest/manifest.json`` still names the old one; two concurrent saves race the same
way. Trust ``latest/manifest.json`` and load from ``<version>/`` (as ``load`` does),
or check a latest file against the manifest's sha256 before using it.

Leftovers of saves that died (hidden ``.<name>.<32 hex>.tmp`` / ``.old`` entries, and
version folders without ``manifest.json``) are removed at the start of the next save,
but only when everything in them was last modified before this process started (and
at least ``STALE_MIN_AGE_SECONDS`` ago): another process's save in flight is never
touched. ``versions()`` and ``keep_last`` count complete versions only.
"""

from __future__ import annotations

import errno
import json
import logging
import os
import posixpath
import re
import time
from copy import deepcopy
from pathlib import Path
from typing import Any

import fsspec
from kedro.io.core import AbstractDataset, DatasetError, get_protocol_and_path

from criptos.contracts.model_bundle import (
    LATEST,
    MANIFEST_FILE,
    SIGNATURE_FIELD,
    SIGNING_KEY_ENV,
    ModelBundle,
    PublishPolicy,
    SignatureError,
    check_manifest,
    dump_model,
    is_version,
    load_model,
    sha256_hex,
    sign_manifest,
    signing_key_from_env,
    verify_manifest,
    version_sort_key,
)
from criptos.datasets import local_files

logger = logging.getLogger(__name__)


class ModelRegistryError(DatasetError):
    """A registry operation failed; the message names the file or version concerned."""


class MissingRegistryFile(ModelRegistryError, FileNotFoundError):
    """A file the registry needs does not exist."""


class BundleSignatureError(ModelRegistryError):
    """A version refused because its manifest is not signed with the signing key.

    ``reason`` is ``"unsigned"`` or ``"signature does not match"``; the message names
    the version and the reason, and no path, so it may be shown to any client.
    """

    def __init__(self, version: str, reason: str) -> None:
        hint = (
            f"{SIGNING_KEY_ENV} is set, so every version must be signed with it"
            if reason == "unsigned"
            else f"not signed with the key in {SIGNING_KEY_ENV}, or changed since"
        )
        super().__init__(f"model version {version} refused: {reason} ({hint})")
        self.version = version
        self.reason = reason


class ModelRegistryDataset(AbstractDataset[ModelBundle, ModelBundle]):
    """Publishes and reads :class:`~criptos.contracts.model_bundle.ModelBundle` versions.

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
        """Put one object (object stores only: the local disk builds whole folders).

        An object store publishes an object only once its upload completes, so
        readers see the old content or the new, never half.
        """
        self._fs.pipe_file(path, data)

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
        return sorted(
            (name for name in names if is_version(name)), key=version_sort_key
        )

    def load_version(self, version: str) -> ModelBundle:
        """The bundle of ``version``, every model checked against its sha256.

        With ``CRIPTOS_REGISTRY_SIGNING_KEY`` set, the manifest's signature is checked
        first: an unsigned or wrongly signed version raises ``BundleSignatureError``
        before any model file is read, let alone unpickled. Nothing is unpickled
        either unless every model file matches its sha256.
        """
        manifest, files = self._verified_files(version)
        models = {name: load_model(data) for name, data in files.items()}
        return ModelBundle(manifest=manifest, models=models)

    def verify_version(self, version: str) -> dict[str, Any]:
        """Check ``version`` like ``load_version`` but unpickle nothing; its manifest.

        Checks the manifest, its signature (when the signing key is set) and every
        model file's sha256; raises ``ModelRegistryError`` naming what failed.
        """
        return self._verified_files(version)[0]

    def _verified_files(self, version: str) -> tuple[dict[str, Any], dict[str, bytes]]:
        """The manifest of ``version`` and its model files' bytes, all checked."""
        if not is_version(str(version)):
            raise ModelRegistryError(
                f"{version!r} is not a version name like 20261127T101500123456Z-3fa9"
            )
        manifest = self._read_json(self._path(version, MANIFEST_FILE))
        if not isinstance(manifest, dict):
            raise ModelRegistryError(
                f"{self._uri(version, MANIFEST_FILE)} is not a JSON object"
            )
        self._check_signature(version, manifest)  # before anything else trusts it
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
        files = {}
        for name, entry in manifest["models"].items():
            path = self._path(version, entry["file"])
            data = self._read(path)
            digest = sha256_hex(data)
            if digest != entry["sha256"]:
                raise ModelRegistryError(
                    f"{self._protocol_uri(path)} has sha256 {digest}, "
                    f"but the manifest of version {version} says {entry['sha256']}"
                )
            files[name] = data
        return manifest, files

    def _check_signature(self, version: str, manifest: dict[str, Any]) -> None:
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
        self._remove_leftovers()
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
        """Model files as bytes; the manifest with file names, sha256 and signature.

        The signature (``criptos.contracts.model_bundle.sign_manifest``) is added only when
        ``CRIPTOS_REGISTRY_SIGNING_KEY`` is set; any signature the bundle carried is
        dropped, since it covered sha256 values recomputed here.
        """
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
        self, version: str, files: dict[str, bytes], manifest: dict
    ) -> None:
        """Write ``<root>/<version>/`` completely, or remove what was written and raise.

        Never over a version that has a manifest. On the local disk the folder is
        built under a hidden name and renamed into place, which also fails if a
        concurrent save of the same name got there first.
        """
        self._fs.invalidate_cache(self._path(version))
        if self._fs.exists(self._path(version, MANIFEST_FILE)):
            raise self._version_exists(version)
        if self._protocol == "file":
            self._write_version_locally(version, files, manifest)
        else:
            try:
                for file_name, content in files.items():
                    self._write(self._path(version, file_name), content)
                self._write(
                    self._path(version, MANIFEST_FILE), _manifest_bytes(manifest)
                )
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

    def _version_exists(self, version: str) -> ModelRegistryError:
        return ModelRegistryError(
            f"version {version} already exists at {self._uri(version)}; versions are immutable"
        )

    def _write_version_locally(
        self, version: str, files: dict[str, bytes], manifest: dict
    ) -> None:
        root = Path(self._root)
        root.mkdir(parents=True, exist_ok=True)
        target = root / version
        staging = local_files.staging_path(root / version)
        try:
            self._fill_folder(staging, files, manifest)
        except BaseException:
            logger.error(
                "Writing version %s failed; removing its staging folder", version
            )
            local_files.remove_path(staging)
            raise
        try:
            local_files.rename_no_replace(staging, target)
        except BaseException as exc:
            local_files.remove_path(staging)
            if not isinstance(exc, OSError) or exc.errno not in (
                errno.EEXIST,
                errno.ENOTEMPTY,
            ):
                raise
            if (target / MANIFEST_FILE).exists():
                raise self._version_exists(version) from None
            raise ModelRegistryError(
                f"{self._uri(version)} exists without a {MANIFEST_FILE}: another save "
                "of this version is in flight, or one died (a later save removes it "
                "once stale)"
            ) from None
        local_files.fsync_quietly(root)  # the rename is done: durability only

    def _fill_folder(
        self, folder: Path, files: dict[str, bytes], manifest: dict
    ) -> None:
        """Create ``folder`` with ``files`` and the manifest, all flushed to disk."""
        folder.mkdir()
        contents = {**files, MANIFEST_FILE: _manifest_bytes(manifest)}
        for file_name, content in contents.items():
            path = folder / file_name
            self._fs.pipe_file(str(path), content)
            local_files.fsync(path)
        local_files.fsync(folder)

    def _move_latest(self, files: dict[str, bytes], manifest: dict) -> None:
        """Point ``latest`` at the new version (see the module doc for what readers see)."""
        if self._protocol == "file":
            root = Path(self._root)
            staging = local_files.staging_path(root / LATEST)
            try:
                self._fill_folder(staging, files, manifest)
                local_files.swap_in(staging, root / LATEST)
            except BaseException:
                local_files.remove_path(staging)
                raise
            local_files.fsync_quietly(root)  # the rename is done: durability only
        else:
            self._move_latest_remotely(files, manifest)
        logger.info("latest now points to model version %s", manifest["version"])

    def _move_latest_remotely(self, files: dict[str, bytes], manifest: dict) -> None:
        """Copies, then ``latest/manifest.json``; any failure restores the old latest."""
        previous = self._latest_objects()
        manifest_path = self._path(LATEST, MANIFEST_FILE)
        targets = [self._path(LATEST, name) for name in files] + [manifest_path]
        attempted: list[str] = []
        try:
            for path, content in zip(
                targets, [*files.values(), _manifest_bytes(manifest)], strict=True
            ):
                attempted.append(path)
                self._write(path, content)
        except BaseException:
            logger.error(
                "Moving latest to version %s failed; restoring the previous latest",
                manifest["version"],
            )
            self._restore_latest(previous, attempted)
            raise
        for path in sorted(set(previous) - set(targets)):  # files the new one lacks
            try:
                self._fs.rm_file(path)
            except Exception:
                logger.warning("Could not remove %s", self._protocol_uri(path))
        self._fs.invalidate_cache(self._path(LATEST))

    def _latest_objects(self) -> dict[str, bytes]:
        """Path -> bytes of every object under ``latest/`` now (empty when none)."""
        folder = self._path(LATEST)
        self._fs.invalidate_cache(folder)
        try:
            paths = self._fs.find(folder)
        except FileNotFoundError:
            return {}
        objects = {}
        for path in paths:
            try:
                objects[path] = self._fs.cat_file(path)
            except FileNotFoundError:  # removed meanwhile (a concurrent save)
                continue
        return objects

    def _restore_latest(self, previous: dict[str, bytes], attempted: list[str]) -> None:
        """Put back the objects ``attempted`` overwrote; remove those that were new.

        The manifest goes first, so that it names the old version again before the
        model copies are put back. Errors are logged: the caller re-raises its own.
        """
        manifest_path = self._path(LATEST, MANIFEST_FILE)
        for path in sorted(attempted, key=lambda path: path != manifest_path):
            try:
                if path in previous:
                    self._fs.pipe_file(path, previous[path])
                elif self._fs.exists(path):
                    self._fs.rm_file(path)
            except Exception:
                logger.exception(
                    "Could not restore %s of the previous latest",
                    self._protocol_uri(path),
                )
        self._fs.invalidate_cache(self._path(LATEST))

    def _prune(self, keep_last: int) -> None:
        """Remove versions beyond the newest ``keep_last``, never the latest one.

        Only complete versions count. A version stops counting before its files go:
        locally its folder is first renamed to a hidden name, on a store its
        manifest is deleted first.
        """
        live = (self.latest_manifest() or {}).get("version")
        versions = self.versions()
        doomed = [v for v in versions[: max(len(versions) - keep_last, 0)] if v != live]
        for version in doomed:
            try:
                if self._protocol == "file":
                    root = Path(self._root)
                    trash = local_files.staging_path(root / version)
                    os.rename(root / version, trash)
                    local_files.remove_path(trash)
                else:
                    self._fs.rm_file(self._path(version, MANIFEST_FILE))
                    self._fs.rm(self._path(version), recursive=True)
            except FileNotFoundError:  # a concurrent save pruned it first
                continue
            logger.info("Pruned model version %s (keep_last=%d)", version, keep_last)
        if doomed:
            self._fs.invalidate_cache(self._root)

    # --------------------------------------------------------------- clean-up

    def _remove_leftovers(self) -> None:
        """Remove what dead saves left behind; never fails the save."""
        cutoff = min(local_files.PROCESS_START, time.time() - STALE_MIN_AGE_SECONDS)
        try:
            if self._protocol == "file":
                self._remove_local_leftovers(Path(self._root), cutoff)
            else:
                self._remove_remote_leftovers(cutoff)
        except Exception:
            logger.exception("Could not clean up leftovers under %s", self._root_uri)

    def _remove_local_leftovers(self, root: Path, cutoff: float) -> None:
        if not root.is_dir():
            return
        doomed: list[Path] = []
        for entry in root.iterdir():
            if _LEFTOVER.match(entry.name):
                doomed.append(entry)
                continue
            if not entry.is_dir() or not (
                entry.name == LATEST or is_version(entry.name)
            ):
                continue
            if is_version(entry.name) and not (entry / MANIFEST_FILE).exists():
                doomed.append(entry)  # a partial version
                continue
            doomed.extend(c for c in entry.iterdir() if _LEFTOVER.match(c.name))
        for path in doomed:
            if local_files.newest_mtime(path) < cutoff:
                local_files.remove_path(path)
                logger.info("Removed %s, left by a save that did not finish", path)

    def _remove_remote_leftovers(self, cutoff: float) -> None:
        """Version "folders" without a manifest whose newest object is stale."""
        self._fs.invalidate_cache(self._root)
        try:
            found = self._fs.find(self._root, detail=True)
        except FileNotFoundError:
            return
        folders: dict[str, list[dict[str, Any]]] = {}
        prefix = self._root + "/"
        for path, info in found.items():
            name, _, rest = path[len(prefix) :].partition("/")
            if path.startswith(prefix) and rest and is_version(name):
                folders.setdefault(name, []).append({"rest": rest, **info})
        for name, objects in folders.items():
            if any(item["rest"] == MANIFEST_FILE for item in objects):
                continue
            times = [_modified(item) for item in objects]
            if None in times or max(times) >= cutoff:
                continue
            self._fs.rm(self._path(name), recursive=True)
            logger.info(
                "Removed %s, a version whose save did not finish", self._uri(name)
            )
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


STALE_MIN_AGE_SECONDS = 3600.0
"""Leftovers younger than this are kept even if older than the process: a slow
upload to an object store may leave a partial version untouched for a while."""

_LEFTOVER = re.compile(r"^\..+\.[0-9a-f]{32}\.(?:tmp|old)$")


def _modified(info: dict[str, Any]) -> float | None:
    """Epoch seconds an object store says an object was last written, if it says."""
    moment = info.get("LastModified", info.get("mtime", info.get("last_modified")))
    if moment is None:
        return None
    return moment.timestamp() if hasattr(moment, "timestamp") else float(moment)


__all__ = [
    "BundleSignatureError",
    "MissingRegistryFile",
    "ModelRegistryDataset",
    "ModelRegistryError",
    "PublishPolicy",
]
