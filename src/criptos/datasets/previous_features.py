"""Read-only view of a table as stored before the run: the previous feature table (the
state of a daily incremental run) or the stored candle history.

Points at the same file (or folder) as ``cripto_features_latest`` or
``candles_history`` under another catalog name (Kedro pipelines may not read and
write one dataset). Loading never fails for a missing file and reads nothing yet: it
returns the table's ``criptos.feature_store.TableLocation``, which the node opens
only when it needs to.
"""

from __future__ import annotations

from typing import Any

import fsspec
from kedro.io import AbstractDataset, DatasetError
from kedro.io.core import get_protocol_and_path

from criptos.feature_store import TableLocation


class PreviousTableDataset(AbstractDataset[None, TableLocation]):
    """``load`` returns the table's ``TableLocation``; the dataset cannot be saved.

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

    def load(self) -> TableLocation:
        return TableLocation(self._path, self._fs)

    def save(self, data: None) -> None:
        raise DatasetError(
            f"{self._path} is read here as the previous table only; save it through "
            "the dataset the pipeline writes (cripto_features_latest, candles_history)"
        )

    def _describe(self) -> dict[str, Any]:
        return {"filepath": self._path, "protocol": self._protocol}

    def _exists(self) -> bool:
        return self._fs.exists(self._path)
