"""Where a file-system dataset of the catalog keeps its table, as a ``TableLocation``."""

from __future__ import annotations

from pathlib import PurePosixPath
from typing import Any

from kedro.io.core import get_filepath_str

from criptos.feature_store import TableLocation


def table_location(dataset: Any, path: PurePosixPath | None = None) -> TableLocation:
    """The table of an fsspec-based dataset (kedro-datasets' ``pandas.ParquetDataset``,
    ``AtomicParquetDataset``...) at ``path``, by default the one it loads.

    Raises ``TypeError`` for a dataset that is not stored on an fsspec file system.
    """
    try:
        protocol, filesystem = dataset._protocol, dataset._fs
        path = path if path is not None else dataset._get_load_path()
    except AttributeError:
        raise TypeError(
            f"{type(dataset).__name__} does not store its data on a file system"
        ) from None
    filepath = get_filepath_str(path, protocol)
    if protocol != "file":  # fsspec's form, as the previous-table datasets
        filepath = f"{protocol}://{filepath}"
    return TableLocation(filepath, filesystem)
