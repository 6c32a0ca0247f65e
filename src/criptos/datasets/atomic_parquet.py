"""A Parquet dataset whose file is replaced atomically: readers see old or new, never half."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pandas as pd
from kedro.io.core import get_filepath_str
from kedro_datasets.pandas import ParquetDataset


class AtomicParquetDataset(ParquetDataset):
    """``pandas.ParquetDataset`` that never leaves a partially written file behind.

    On the local disk the frame is written to a temporary file beside the target and
    moved over it with ``os.replace``. Object stores (S3) publish an object only once
    its upload completes, so there the plain write is already atomic.
    """

    DEFAULT_SAVE_ARGS = {"compression": "snappy", "index": False}

    def save(self, data: pd.DataFrame) -> None:
        if self._protocol != "file":
            super().save(data)
            return
        target = Path(get_filepath_str(self._get_save_path(), self._protocol))
        target.parent.mkdir(parents=True, exist_ok=True)
        temporary = target.with_name(f".{target.name}.{uuid.uuid4().hex}.tmp")
        try:
            data.to_parquet(temporary, **self._save_args)
            os.replace(temporary, target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        self._invalidate_cache()
