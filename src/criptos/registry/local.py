"""Publishing on the local disk: whole folders built hidden, then renamed in.

A version is built in ``.<version>.<hex>.tmp`` and renamed into place, never over
an existing folder; the new ``latest`` is built in ``.latest.<hex>.tmp`` and swapped
with the old one by one atomic ``renameat2(RENAME_EXCHANGE)``. Whoever reads
``<root>/latest/<file>`` sees the old folder or the new one, each whole, even if the
writer fails (disk full) or is killed at any instant. Where the kernel or file
system has no exchange, two renames replace it: a reader may then find no
``latest`` for an instant, never a mix (``criptos.storage.local_files``).
"""

from __future__ import annotations

import errno
import logging
import os
from pathlib import Path

from criptos.contracts.model_bundle import LATEST, MANIFEST_FILE
from criptos.registry.errors import ModelRegistryError, version_exists
from criptos.registry.store import RegistryStore, manifest_bytes
from criptos.storage import local_files

logger = logging.getLogger(__name__)


def write_version(
    store: RegistryStore, version: str, files: dict[str, bytes], manifest: dict
) -> None:
    """Build ``<root>/<version>/`` hidden and rename it in; a failure leaves nothing."""
    root = store.local_root
    root.mkdir(parents=True, exist_ok=True)
    target = root / version
    staging = local_files.staging_path(target)
    try:
        _fill_folder(store, staging, files, manifest)
    except BaseException:
        logger.error("Writing version %s failed; removing its staging folder", version)
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
            raise version_exists(version, store.uri(version)) from None
        raise ModelRegistryError(
            f"{store.uri(version)} exists without a {MANIFEST_FILE}: another save "
            "of this version is in flight, or one died (a later save removes it "
            "once stale)"
        ) from None
    local_files.fsync_quietly(root)  # the rename is done: durability only


def move_latest(store: RegistryStore, files: dict[str, bytes], manifest: dict) -> None:
    """Build the new ``latest/`` beside the old one and swap it in, atomically."""
    root = store.local_root
    staging = local_files.staging_path(root / LATEST)
    try:
        _fill_folder(store, staging, files, manifest)
        local_files.swap_in(staging, root / LATEST)
    except BaseException:
        local_files.remove_path(staging)
        raise
    local_files.fsync_quietly(root)  # the rename is done: durability only


def remove_version(store: RegistryStore, version: str) -> None:
    """Delete ``<root>/<version>/``; it stops counting (hidden name) before it goes.

    ``FileNotFoundError`` when it is already gone (a concurrent save pruned it).
    """
    root = store.local_root
    trash = local_files.staging_path(root / version)
    os.rename(root / version, trash)
    local_files.remove_path(trash)


def _fill_folder(
    store: RegistryStore, folder: Path, files: dict[str, bytes], manifest: dict
) -> None:
    """Create ``folder`` with ``files`` and the manifest (last), all flushed to disk."""
    folder.mkdir()
    contents = {**files, MANIFEST_FILE: manifest_bytes(manifest)}
    for file_name, content in contents.items():
        path = folder / file_name
        store.fs.pipe_file(str(path), content)
        local_files.fsync(path)
    local_files.fsync(folder)
