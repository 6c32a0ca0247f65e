"""Where a table of the feature store is, and the table stored there, in either layout.

A ``TableLocation`` is a path (``s3://...`` on object stores) on an fsspec file system.
Opening it gives a ``StoredTable`` — a ``FileTable`` (the ``file`` layout) or a
``PartsTable`` (``parts``) — that reads the same way whatever the layout: by columns,
in batches, with its stored state (folders only). Looking at a missing table is not an
error: ``open`` gives None and ``metadata`` nothing.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from criptos.feature_store.files import is_local, parquet_file, read_schema
from criptos.feature_store.parts import STATE_FILE, PartsTable, list_parts
from criptos.features.state import PreviousTable

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class FileTable(PreviousTable):
    """A table stored as one Parquet file, read through its open handle: that keeps
    reading the same bytes even after the file's name is given to a new table."""

    file: pq.ParquetFile

    @property
    def schema_arrow(self) -> pa.Schema:
        return self.file.schema_arrow

    def read(self, columns: list[str] | None = None) -> pa.Table:
        return self.file.read(columns)

    def iter_batches(self, batch_size: int) -> Iterator[pa.RecordBatch]:
        return self.file.iter_batches(batch_size)

    def check(self) -> None:
        """Nothing more to read: a truncated or foreign file failed when opened."""


StoredTable = FileTable | PartsTable

# What identifies one version of a stored file on the local disk (inode, time) and on
# object stores (ETag, time); the keys a file system does not give are left empty.
_IDENTITY_KEYS = ("name", "size", "ino", "mtime", "ETag", "LastModified")


@dataclass(frozen=True)
class TableLocation:
    """Where a table is stored (or will be): ``path`` on ``filesystem``."""

    path: str
    filesystem: Any

    @property
    def is_local(self) -> bool:
        return is_local(self.filesystem)

    def exists(self) -> bool:
        return self.filesystem.exists(self.path)

    def is_folder(self) -> bool:
        """Whether the table is stored in the parts layout (a folder)."""
        return self.filesystem.isdir(self.path)

    def open(self) -> StoredTable | None:
        """The stored table, to read by columns or stream by batches; None if absent.

        A single file's open handle keeps reading the same bytes even after the file
        name is replaced by a new table; a folder's files are never rewritten.
        """
        if not self.exists():
            logger.info("No stored table at %s", self.path)
            return None
        if self.is_folder():
            return PartsTable.open(self.filesystem, self.path)
        return FileTable(parquet_file(self.filesystem, self.path))

    def fingerprint(self) -> str | None:
        """A short digest that changes whenever the stored table is replaced; None if
        absent. Costs one ``stat`` (an S3 HEAD) for a file, one listing for a folder:
        cheap enough to poll.

        Every write swaps in new files (a rename, a new object, new part names), so
        the inode, modification time or ETag of some file changes.
        """
        self.filesystem.invalidate_cache(self.path)  # s3fs caches listings and HEADs
        try:
            info = self.filesystem.info(self.path)
            entries = (
                self.filesystem.ls(self.path, detail=True)
                if info.get("type") == "directory"
                else [info]
            )
        except FileNotFoundError:
            return None
        described = sorted(
            [str(entry.get(key, "")) for key in _IDENTITY_KEYS] for entry in entries
        )
        return hashlib.sha256(json.dumps(described).encode()).hexdigest()[:16]

    def metadata(self) -> dict[str, Any]:
        """Key/value metadata of the stored table, decoded (empty when there is none).

        A folder's state file is rewritten by every save, so its metadata is the
        newest; its first part may date from an earlier run.
        """
        if not self.exists():
            return {}
        path = self.path
        if self.is_folder():
            state = f"{path}/{STATE_FILE}"
            path = (
                state
                if self.filesystem.exists(state)
                else list_parts(self.filesystem, path)[0][0]
            )
        raw = read_schema(self.filesystem, path).metadata or {}
        return {key.decode(): _decode(value) for key, value in raw.items()}


def _decode(value: bytes) -> Any:
    try:
        return json.loads(value)
    except ValueError:
        return value.decode(errors="replace")
