"""Read-only view of a table as stored before the run: the previous feature table (the
state of a daily incremental run) or the stored candle history.

Points at the same file (or folder) as ``cripto_features_latest`` or
``candles_history`` under another catalog name (Kedro pipelines may not read and
write one dataset). Loading never fails for a missing file and reads nothing yet: it
returns a ``PreviousFeatures`` handle that the node reads only when it needs to.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any

import fsspec
import pyarrow.parquet as pq
from kedro.io import AbstractDataset, DatasetError
from kedro.io.core import get_protocol_and_path

from criptos.datasets.parquet_parts import STATE_FILE, PartsTable, list_parts

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class PreviousFeatures:
    """Where the previous feature table is, if anywhere."""

    path: str
    filesystem: Any

    def open(self) -> pq.ParquetFile | PartsTable | None:
        """The previous table, to read by columns or stream by batches; None if absent.

        A single file's open handle keeps reading the same bytes even after the file
        name is replaced by a new latest; a folder's files are never rewritten.
        """
        if not self.filesystem.exists(self.path):
            logger.info("No previous feature table at %s", self.path)
            return None
        if self.filesystem.isdir(self.path):
            return PartsTable.open(self.filesystem, self.path)
        if "file" in _protocols(self.filesystem):
            # Arrow's own reader: several times faster than a Python file object, and
            # without memory mapping the pages read are not kept.
            return pq.ParquetFile(self.path, memory_map=False, pre_buffer=False)
        return pq.ParquetFile(
            self.filesystem.open(self.path, mode="rb"), pre_buffer=False
        )

    def metadata(self) -> dict[str, Any]:
        """Key/value metadata of the previous table (empty when there is none).

        A folder's state file is rewritten by every save, so its metadata is the
        newest; its first part may date from an earlier run.
        """
        if not self.filesystem.exists(self.path):
            return {}
        path = self.path
        if self.filesystem.isdir(path):
            state = f"{path}/{STATE_FILE}"
            path = (
                state
                if self.filesystem.exists(state)
                else list_parts(self.filesystem, path)[0][0]
            )
        with self.filesystem.open(path, mode="rb") as stream:
            raw = pq.read_schema(stream).metadata or {}
        return {key.decode(): _decode(value) for key, value in raw.items()}


def _protocols(filesystem: Any) -> tuple[str, ...]:
    protocol = filesystem.protocol
    return (protocol,) if isinstance(protocol, str) else tuple(protocol)


def _decode(value: bytes) -> Any:
    try:
        return json.loads(value)
    except ValueError:
        return value.decode(errors="replace")


class PreviousTableDataset(AbstractDataset[None, PreviousFeatures]):
    """``load`` returns a ``PreviousFeatures`` handle; the dataset cannot be saved.

    The read-only twin of a table a pipeline rewrites: the previous feature table
    (``cripto_features_previous``) or the stored candle history
    (``candles_history_previous``).
    """

    def __init__(
        self,
        filepath: str,
        credentials: dict[str, Any] | None = None,
        fs_args: dict[str, Any] | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> None:
        protocol, path = get_protocol_and_path(filepath)
        self._protocol = protocol
        # fsspec wants the protocol back in front of remote paths.
        self._path = path if protocol == "file" else f"{protocol}://{path}"
        self._fs = fsspec.filesystem(protocol, **(credentials or {}), **(fs_args or {}))
        self.metadata = metadata

    def load(self) -> PreviousFeatures:
        return PreviousFeatures(self._path, self._fs)

    def save(self, data: None) -> None:
        raise DatasetError(
            f"{self._path} is read here as the previous table only; save it through "
            "the dataset the pipeline writes (cripto_features_latest, candles_history)"
        )

    def _describe(self) -> dict[str, Any]:
        return {"filepath": self._path, "protocol": self._protocol}

    def _exists(self) -> bool:
        return self._fs.exists(self._path)
