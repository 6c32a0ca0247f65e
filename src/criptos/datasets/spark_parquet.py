"""Parquet folders written by Spark (``spark`` environment), replaced atomically on disk.

Named by its full module path in ``conf/spark/catalog.yml`` (and not exported by
``criptos.datasets``), so only the ``spark`` environment imports PySpark.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kedro.io.core import Version
from kedro_datasets.spark.spark_dataset_v2 import SparkDatasetV2
from pyspark.sql import DataFrame

from criptos.storage.local_files import publish_folder


class SparkParquetDataset(SparkDatasetV2):
    """kedro-datasets' ``SparkDatasetV2`` for snappy Parquet, with what is ours:

    - On the local disk Spark writes the whole folder beside the target, which then
      replaces the previous folder in one atomic exchange
      (``criptos.storage.local_files.publish_folder``), so a failed or killed write
      leaves the previous data in place and readers never see half a folder. On
      object stores (S3, Glue) Spark's own write is used (``save_args.mode``,
      default ``overwrite``; not atomic: S3 has no folder rename).
    - ``sort_by``: columns the rows are written in, across the part files (one
      global sort): ``part-00000`` holds the first rows, so any reader of the part
      files in name order (pandas, pyarrow) sees the table in that order, as the
      local engine writes it.
    """

    DEFAULT_SAVE_ARGS: dict[str, Any] = {"compression": "snappy", "mode": "overwrite"}

    def __init__(
        self,
        *,
        filepath: str,
        sort_by: list[str] | None = None,
        load_args: dict[str, Any] | None = None,
        save_args: dict[str, Any] | None = None,
        version: Version | None = None,
        credentials: dict[str, Any] | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(
            filepath=filepath,
            file_format="parquet",
            load_args=load_args,
            save_args=save_args,
            version=version,
            credentials=credentials,
            metadata=metadata,
        )
        self._sort_by = list(sort_by or [])

    def _save(self, data: DataFrame) -> None:
        if self._sort_by:
            data = data.orderBy(*self._sort_by)
        if self._protocol != "file":
            super()._save(data)
            return
        options = dict(self._save_args)
        options.pop("mode", None)  # the folder is always replaced whole
        partition_by = options.pop("partitionBy", None)

        def write(staging: Path) -> None:
            writer = data.write.mode("overwrite").format(self._file_format)
            if partition_by:
                writer = writer.partitionBy(partition_by)
            writer.options(**options).save(str(staging))

        publish_folder(Path(str(self._get_save_path())), write)

    def _describe(self) -> dict[str, Any]:
        return {**super()._describe(), "sort_by": self._sort_by}
