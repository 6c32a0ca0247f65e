"""Spark datasets of the ``spark`` environment: the raw candle CSV and feature Parquet.

Named by their full module path in ``conf/spark/catalog.yml`` (and not exported by
``criptos.datasets``), so only the ``spark`` environment imports PySpark.
"""

from __future__ import annotations

import shutil
import uuid
from pathlib import Path
from typing import Any

import fsspec
from kedro.io import AbstractDataset
from kedro.io.core import get_protocol_and_path
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql import types as T

from criptos.datasets.parquet_parts import put_in_place
from criptos.raw_contract import (
    DELIMITER,
    MALFORMED_LINE_COLUMN,
    RAW_COLUMNS,
    header_columns,
)

_HEADER_PROBE_BYTES = 64 * 1024
_CORRUPT = "_corrupt_record"


def _spark() -> SparkSession:
    return SparkSession.builder.getOrCreate()


def _spark_path(protocol: str, path: str) -> str:
    """A path Spark's Hadoop file systems understand (``s3`` goes through ``s3a``)."""
    if protocol == "file":
        return path
    return f"{'s3a' if protocol == 's3' else protocol}://{path}"


class SparkRawCandlesDataset(AbstractDataset[None, DataFrame]):
    """The raw candle file read by Spark under the same contract as ``RawCandlesDataset``.

    The header is checked on the driver with ``criptos.raw_contract.header_columns``
    (empty file, wrong delimiter, missing column, undecodable header); all values
    stay text, and lines with the wrong number of fields keep their text in
    ``MALFORMED_LINE_COLUMN`` (other fields empty) for row validation to quarantine.
    """

    def __init__(self, filepath: str, metadata: dict[str, Any] | None = None) -> None:
        self._protocol, self._path = get_protocol_and_path(filepath)
        self._fs = fsspec.filesystem(self._protocol)
        self.metadata = metadata

    def load(self) -> DataFrame:
        fs_path = (
            self._path
            if self._protocol == "file"
            else f"{self._protocol}://{self._path}"
        )
        with self._fs.open(fs_path, mode="rb") as stream:
            columns = header_columns(stream.read(_HEADER_PROBE_BYTES), fs_path)
        names = [name or f"_coluna_{index}" for index, name in enumerate(columns)]
        schema = T.StructType(
            [T.StructField(name, T.StringType()) for name in names]
            + [T.StructField(_CORRUPT, T.StringType())]
        )
        frame = _spark().read.csv(
            _spark_path(self._protocol, self._path),
            schema=schema,
            sep=DELIMITER,
            header=True,
            mode="PERMISSIVE",
            columnNameOfCorruptRecord=_CORRUPT,
            encoding="UTF-8",
        )
        malformed = F.col(_CORRUPT).isNotNull()
        return frame.select(
            *(
                F.when(~malformed, F.col(column)).alias(column)
                for column in RAW_COLUMNS
            ),
            F.col(_CORRUPT).alias(MALFORMED_LINE_COLUMN),
        )

    def save(self, data: None) -> None:
        raise NotImplementedError(
            "the raw candle file is written by the feed, not by Spark"
        )

    def _describe(self) -> dict[str, Any]:
        return {
            "filepath": self._path,
            "protocol": self._protocol,
            "delimiter": DELIMITER,
        }


class SparkParquetDataset(AbstractDataset[DataFrame, DataFrame]):
    """A snappy Parquet dataset written by Spark (a folder of part files).

    On the local disk Spark writes into a temporary folder beside the target, which
    then replaces the previous folder in one atomic exchange, so a failed write leaves
    the previous data in place. On object stores (S3, Glue) Spark's own overwrite is
    used (not atomic: S3 has no folder rename).
    """

    def __init__(
        self,
        filepath: str,
        save_args: dict[str, Any] | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> None:
        self._protocol, self._path = get_protocol_and_path(filepath)
        self._save_args = {"compression": "snappy", **(save_args or {})}
        self.metadata = metadata

    def load(self) -> DataFrame:
        return _spark().read.parquet(_spark_path(self._protocol, self._path))

    def save(self, data: DataFrame) -> None:
        writer = data.write.options(**self._save_args)
        if self._protocol != "file":
            writer.mode("overwrite").parquet(_spark_path(self._protocol, self._path))
            return
        target = Path(self._path)
        target.parent.mkdir(parents=True, exist_ok=True)
        temporary = target.with_name(f".{target.name}.{uuid.uuid4().hex}.tmp")
        try:
            writer.mode("errorifexists").parquet(str(temporary))
            put_in_place(temporary, target)
        finally:
            shutil.rmtree(temporary, ignore_errors=True)

    def _describe(self) -> dict[str, Any]:
        return {
            "filepath": self._path,
            "protocol": self._protocol,
            "save_args": self._save_args,
        }

    def _exists(self) -> bool:
        return self._protocol == "file" and Path(self._path).exists()
