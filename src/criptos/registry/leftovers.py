"""Clean-up of what dead saves left: hidden ``.<name>.<32 hex>.tmp``/``.old`` entries
and version folders without ``manifest.json``.

Run at the start of every save, and never failing it. An entry goes only when
everything in it was last modified before this process started and at least
``STALE_MIN_AGE_SECONDS`` ago, so another process's save in flight (even a slow
upload) is never touched. The local disk uses the one sweep of
``criptos.storage.local_files``; an object store is swept here, by the objects'
modification times.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from criptos.contracts.model_bundle import LATEST, MANIFEST_FILE, is_version
from criptos.registry.store import RegistryStore
from criptos.storage import local_files

logger = logging.getLogger(__name__)

STALE_MIN_AGE_SECONDS = 3600.0
"""Leftovers younger than this are kept even if older than the process: a slow
upload to an object store may leave a partial version untouched for a while."""


def remove_leftovers(store: RegistryStore) -> None:
    """Remove what dead saves left under the registry root; never raises."""
    cutoff = local_files.stale_cutoff(STALE_MIN_AGE_SECONDS)
    try:
        if store.is_local:
            local_files.remove_stale(_local_leftovers(store.local_root), cutoff)
        else:
            _remove_remote_leftovers(store, cutoff)
    except Exception:
        logger.exception("Could not clean up leftovers under %s", store.root_uri)


def _local_leftovers(root: Path) -> list[Path]:
    """Hidden entries in the root, in ``latest/`` and in the versions; partial versions."""
    if not root.is_dir():
        return []
    found: list[Path] = []
    for entry in root.iterdir():
        if local_files.is_leftover(entry.name):
            found.append(entry)
        elif not entry.is_dir():
            continue
        elif is_version(entry.name) and not (entry / MANIFEST_FILE).exists():
            found.append(entry)  # a partial version
        elif entry.name == LATEST or is_version(entry.name):
            found.extend(c for c in entry.iterdir() if local_files.is_leftover(c.name))
    return found


def _remove_remote_leftovers(store: RegistryStore, cutoff: float) -> None:
    """Version "folders" without a manifest whose newest object is older than ``cutoff``."""
    store.fs.invalidate_cache(store.root)
    try:
        found = store.fs.find(store.root, detail=True)
    except FileNotFoundError:
        return
    folders: dict[str, list[dict[str, Any]]] = {}
    prefix = store.root + "/"
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
        store.fs.rm(store.path(name), recursive=True)
        logger.info("Removed %s, a version whose save did not finish", store.uri(name))
    store.fs.invalidate_cache(store.root)


def _modified(info: dict[str, Any]) -> float | None:
    """Epoch seconds an object store says an object was last written, if it says."""
    moment = info.get("LastModified", info.get("mtime", info.get("last_modified")))
    if moment is None:
        return None
    return moment.timestamp() if hasattr(moment, "timestamp") else float(moment)
