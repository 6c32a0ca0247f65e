"""Atomic steps on the local disk, shared by the feature tables and the model registry.

Renames that cannot tear (Linux ``renameat2``: exchange two paths, or refuse to
replace one), durable writes (``fsync``), hidden staging names beside a target
(``.<name>.<32 hex>.tmp``, and ``.old`` for a replaced one), and the one sweep of
such leftovers (:func:`remove_stale`): only what was last modified before this
process started is a dead writer's, never a concurrent writer's work in flight.
"""

from __future__ import annotations

import ctypes
import errno
import logging
import os
import re
import shutil
import time
import uuid
from collections.abc import Callable, Iterable
from pathlib import Path

logger = logging.getLogger(__name__)

_IMPORTED = time.time()


def _process_start() -> float:
    """When this process started (epoch seconds, from Linux /proc), else import time."""
    try:
        fields = Path("/proc/self/stat").read_text().rsplit(")", 1)[1].split()
        ticks = int(fields[19])  # field 22, starttime, in clock ticks after boot
        boot = next(
            int(line.split()[1])
            for line in Path("/proc/stat").read_text().splitlines()
            if line.startswith("btime ")
        )
        return min(boot + ticks / os.sysconf("SC_CLK_TCK"), _IMPORTED)
    except (OSError, ValueError, IndexError, StopIteration):
        return _IMPORTED


PROCESS_START = _process_start()


def fsync(path: Path) -> None:
    if os.name == "nt" and path.is_dir():
        return  # Windows cannot open a folder to flush it
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def fsync_quietly(path: Path) -> None:
    try:
        fsync(path)
    except OSError as exc:
        logger.warning("Could not flush %s to disk: %s", path, exc)


def remove_path(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


def newest_mtime(path: Path) -> float:
    """The latest modification time of ``path`` and of everything under it."""
    try:
        newest = path.lstat().st_mtime
    except FileNotFoundError:
        return float("inf")  # gone meanwhile: nothing to remove
    if path.is_dir() and not path.is_symlink():
        for folder, names, files in os.walk(path):
            for name in [*names, *files]:
                try:
                    newest = max(newest, os.lstat(os.path.join(folder, name)).st_mtime)
                except FileNotFoundError:
                    continue
    return newest


_AT_FDCWD = -100
RENAME_NOREPLACE = 1
RENAME_EXCHANGE = 2


def renameat2(source: Path, target: Path, flags: int) -> bool:
    """Linux ``renameat2``: True when done, False where the system lacks it or the
    flag; any other failure raises ``OSError`` (e.g. ``FileExistsError``)."""
    try:
        function = ctypes.CDLL(None, use_errno=True).renameat2
    except (AttributeError, OSError):
        return False
    function.argtypes = [
        ctypes.c_int,
        ctypes.c_char_p,
        ctypes.c_int,
        ctypes.c_char_p,
        ctypes.c_uint,
    ]
    function.restype = ctypes.c_int
    if (
        function(_AT_FDCWD, os.fsencode(source), _AT_FDCWD, os.fsencode(target), flags)
        == 0
    ):
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP):
        return False
    raise OSError(code, os.strerror(code), str(source), None, str(target))


def rename_no_replace(source: Path, target: Path) -> None:
    """Rename ``source`` to ``target``; ``FileExistsError`` if ``target`` exists."""
    if renameat2(source, target, RENAME_NOREPLACE):
        return
    if os.path.lexists(target):
        raise FileExistsError(errno.EEXIST, os.strerror(errno.EEXIST), str(target))
    os.rename(source, target)  # refuses a folder that appeared meanwhile and has files


def swap_in(staging: Path, target: Path) -> None:
    """Put folder ``staging`` at ``target`` in one atomic step, then delete the
    replaced folder. Without ``renameat2`` (not Linux) two renames replace it."""
    for _ in range(5):
        try:
            if not os.path.lexists(target):
                rename_no_replace(staging, target)
                return
            if renameat2(staging, target, RENAME_EXCHANGE):
                remove_path(staging)  # the replaced folder, now under staging's name
                return
        except FileNotFoundError:  # the target went away meanwhile: try again
            continue
        except OSError as exc:  # another save put a target there first: exchange
            if exc.errno not in (errno.EEXIST, errno.ENOTEMPTY):
                raise
            continue
        logger.warning(
            "No atomic folder exchange here: replacing %s in two renames", target
        )
        retired = _hidden_beside(target, "old")
        os.rename(target, retired)
        os.rename(staging, target)
        remove_path(retired)
        return
    raise OSError(f"could not put {staging} in place of {target}")


def staging_path(target: Path) -> Path:
    """A unique hidden name beside ``target`` to build its replacement under."""
    return _hidden_beside(target, "tmp")


def _hidden_beside(target: Path, suffix: str) -> Path:
    return target.with_name(f".{target.name}.{uuid.uuid4().hex}.{suffix}")


def is_leftover(name: str, of: str | None = None) -> bool:
    """Whether ``name`` is a hidden staging (``.<name>.<32 hex>.tmp``, see
    :func:`staging_path`) or retired (``.old``) name; of ``of`` only, when given."""
    stem = ".+" if of is None else re.escape(of)
    return re.fullmatch(rf"\.{stem}\.[0-9a-f]{{32}}\.(?:tmp|old)", name) is not None


def stale_cutoff(min_age_seconds: float = 0.0) -> float:
    """Entries last modified before this instant are a dead writer's: before this
    process started, and at least ``min_age_seconds`` ago."""
    return min(PROCESS_START, time.time() - min_age_seconds)


def remove_stale(
    paths: Iterable[Path], cutoff: float, *, whole_tree: bool = True
) -> list[Path]:
    """Delete each of ``paths`` last modified before ``cutoff``; returns those deleted.

    With ``whole_tree`` a folder counts as modified when anything under it was
    (:func:`newest_mtime`), so one that a slow writer still fills stays; without,
    only the entry's own time counts. The one sweep of every writer's leftovers.
    """
    removed = []
    for path in paths:
        if (newest_mtime(path) if whole_tree else _own_mtime(path)) >= cutoff:
            continue
        remove_path(path)
        removed.append(path)
        logger.info("Removed %s, left by a write that did not finish", path)
    return removed


def _own_mtime(path: Path) -> float:
    try:
        return path.lstat().st_mtime
    except FileNotFoundError:
        return float("inf")  # gone meanwhile: nothing to remove


def remove_stale_leftovers(target: Path) -> list[Path]:
    """Delete the hidden staging (``.tmp``) and retired (``.old``) copies of
    ``target`` that a killed process left, i.e. older than this process; returns them.

    Copies made after this process started may belong to a concurrent writer and stay.
    """
    if not target.parent.is_dir():
        return []
    found = [
        sibling
        for sibling in target.parent.iterdir()
        if is_leftover(sibling.name, of=target.name)
    ]
    return remove_stale(found, stale_cutoff(), whole_tree=False)


def put_in_place(staging: Path, target: Path) -> None:
    """Move ``staging`` (a file or folder) to ``target`` atomically, replacing whatever
    is there (a file or a folder); the replaced one is then deleted."""
    if not target.exists() or (staging.is_file() and target.is_file()):
        os.replace(staging, target)
        return
    if not renameat2(staging, target, RENAME_EXCHANGE):
        # Not atomic: a reader may find no table for the instant between renames.
        retired = _hidden_beside(target, "old")
        os.replace(target, retired)
        os.replace(staging, target)
        staging = retired
    remove_path(staging)  # now the replaced table


def publish_folder(target: Path, fill: Callable[[Path], None]) -> None:
    """Build a folder with ``fill`` beside ``target`` and put it in place atomically.

    Whatever was at ``target`` stays untouched if ``fill`` fails.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_leftovers(target)
    staging = staging_path(target)
    staging.mkdir()
    try:
        fill(staging)
        put_in_place(staging, target)
    except BaseException:
        remove_path(staging)
        raise
    logger.debug("Replaced %s atomically", target)
