"""Publishing on an object store (S3 and other fsspec stores), which has no folder
rename.

A version is written object by object, its manifest last, and removed again if any
write fails. Moving ``latest`` reads the current ``latest/`` objects, then writes
``latest/*.joblib`` one by one and ``latest/manifest.json`` last; on any failure it
puts the previous objects back (or, when there was no latest, removes the new
copies) and re-raises. So during the copy (and, if the writer is killed mid-copy,
until the next save) a reader may find ``latest/*.joblib`` of the new version while
``latest/manifest.json`` still names the old one; two concurrent saves race the same
way. Readers trust ``latest/manifest.json`` and load from ``<version>/``.
"""

from __future__ import annotations

import logging

from criptos.contracts.model_bundle import LATEST, MANIFEST_FILE
from criptos.registry.store import RegistryStore, manifest_bytes

logger = logging.getLogger(__name__)


def write_version(
    store: RegistryStore, version: str, files: dict[str, bytes], manifest: dict
) -> None:
    """Put the model files, then the manifest; on failure remove the partial folder."""
    try:
        for file_name, content in files.items():
            store.write(store.path(version, file_name), content)
        store.write(store.path(version, MANIFEST_FILE), manifest_bytes(manifest))
    except BaseException:
        logger.error("Writing version %s failed; removing the partial folder", version)
        _remove_quietly(store, store.path(version))
        raise


def move_latest(store: RegistryStore, files: dict[str, bytes], manifest: dict) -> None:
    """Copies, then ``latest/manifest.json``; any failure restores the old latest."""
    previous = _latest_objects(store)
    manifest_path = store.path(LATEST, MANIFEST_FILE)
    targets = [store.path(LATEST, name) for name in files] + [manifest_path]
    attempted: list[str] = []
    try:
        for path, content in zip(
            targets, [*files.values(), manifest_bytes(manifest)], strict=True
        ):
            attempted.append(path)
            store.write(path, content)
    except BaseException:
        logger.error(
            "Moving latest to version %s failed; restoring the previous latest",
            manifest["version"],
        )
        _restore_latest(store, previous, attempted)
        raise
    for path in sorted(set(previous) - set(targets)):  # files the new one lacks
        try:
            store.fs.rm_file(path)
        except Exception:
            logger.warning("Could not remove %s", store.display(path))
    store.fs.invalidate_cache(store.path(LATEST))


def remove_version(store: RegistryStore, version: str) -> None:
    """Delete ``<root>/<version>/``; its manifest goes first, so it stops counting.

    ``FileNotFoundError`` when it is already gone (a concurrent save pruned it).
    """
    store.fs.rm_file(store.path(version, MANIFEST_FILE))
    store.fs.rm(store.path(version), recursive=True)


def _latest_objects(store: RegistryStore) -> dict[str, bytes]:
    """Path -> bytes of every object under ``latest/`` now (empty when none)."""
    folder = store.path(LATEST)
    store.fs.invalidate_cache(folder)
    try:
        paths = store.fs.find(folder)
    except FileNotFoundError:
        return {}
    objects = {}
    for path in paths:
        try:
            objects[path] = store.fs.cat_file(path)
        except FileNotFoundError:  # removed meanwhile (a concurrent save)
            continue
    return objects


def _restore_latest(
    store: RegistryStore, previous: dict[str, bytes], attempted: list[str]
) -> None:
    """Put back the objects ``attempted`` overwrote; remove those that were new.

    The manifest goes first, so that it names the old version again before the
    model copies are put back. Errors are logged: the caller re-raises its own.
    """
    manifest_path = store.path(LATEST, MANIFEST_FILE)
    for path in sorted(attempted, key=lambda path: path != manifest_path):
        try:
            if path in previous:
                store.fs.pipe_file(path, previous[path])
            elif store.fs.exists(path):
                store.fs.rm_file(path)
        except Exception:
            logger.exception(
                "Could not restore %s of the previous latest", store.display(path)
            )
    store.fs.invalidate_cache(store.path(LATEST))


def _remove_quietly(store: RegistryStore, path: str) -> None:
    try:
        if store.fs.exists(path):
            store.fs.rm(path, recursive=True)
    except Exception:  # cleanup must not hide the original error
        logger.exception("Could not remove %s", store.display(path))
    store.fs.invalidate_cache(path)
