"""Retention (``keep_last``): remove versions beyond the newest N, never the live one."""

from __future__ import annotations

import logging

from criptos.registry import local, object_store
from criptos.registry.reading import latest_manifest, versions
from criptos.registry.store import RegistryStore

logger = logging.getLogger(__name__)


def prune(store: RegistryStore, keep_last: int) -> list[str]:
    """Remove versions beyond the newest ``keep_last``, never the latest one; those removed.

    Only complete versions count (``reading.versions``). A version stops counting
    before its files go: locally its folder is first renamed to a hidden name, on a
    store its manifest is deleted first. One that a concurrent save pruned first is
    skipped.
    """
    backend = local if store.is_local else object_store
    live = (latest_manifest(store) or {}).get("version")
    complete = versions(store)
    doomed = [v for v in complete[: max(len(complete) - keep_last, 0)] if v != live]
    removed = []
    for version in doomed:
        try:
            backend.remove_version(store, version)
        except FileNotFoundError:  # a concurrent save pruned it first
            continue
        removed.append(version)
        logger.info("Pruned model version %s (keep_last=%d)", version, keep_last)
    if doomed:
        store.fs.invalidate_cache(store.root)
    return removed
