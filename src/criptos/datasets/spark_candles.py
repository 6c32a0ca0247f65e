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

from criptos.contracts.raw_file import (
    DELIMITER,
    MALFORMED_LINE_COLUMN,
    RAW_COLUMNS,
    RawLayout,
    header_columns,
    unterminated_last_line,
)
from criptos.datasets.local_files import put_in_place

_HEADER_PROBE_BYTES = 64 * 1024
_CORRUPT = "_corrupt_record"
# True on the row of the file's last line when no line break ends it (see
# ``criptos.contracts.raw_file.UNTERMINATED_LAST_ROW``); the engine quarantines it.
UNTERMINATED_COLUMN = "_linha_incompleta"
# Contract columns the engine derives per asset (``contracts.raw_file.complete_columns``)
# when the file has no such column.
_DERIVED_BY_THE_ENGINE = ("data", "volumeto")


def _spark() -> SparkSession:
    return SparkSession.builder.getOrCreate()


def _spark_path(protocol: str, path: str) -> str:
    """A path Spark's Hadoop file systems understand (``s3`` goes through ``s3a``)."""
    if protocol == "file":
        return path
    return f"{'s3a' if protocol == 's3' else protocol}://{path}"


class SparkRawCandlesDataset(AbstractDataset[None, DataFrame]):
    """The raw candle file read by Spark under the same contract as ``RawCandlesDataset``.

    The header is checked on the driver with ``criptos.contracts.raw_file.header_columns``
    (empty file, wrong delimiter, missing or duplicate column, undecodable header)
    under the same layout options (``sep``, ``columns``, ``asset``; see
    docs/data.md); all values stay text, and lines with the wrong number of fields
    keep their text in ``MALFORMED_LINE_COLUMN`` (other fields empty) for row
    validation to quarantine. A missing ``timestamp`` is an empty column, a missing
    ``data`` or ``volumeto`` is left out for the engine to derive per asset, with
    the local engine's code. ``UNTERMINATED_COLUMN`` marks the row of a last line
    that no line break ends (only the file's last bytes are read to tell; finding
    that row then costs one pass over the file).
    """

    def __init__(
        self,
        filepath: str,
        sep: str = DELIMITER,
        columns: dict[str, str] | None = None,
        asset: str | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> None:
        self._protocol, self._path = get_protocol_and_path(filepath)
        self._fs = fsspec.filesystem(self._protocol)
        self._layout = RawLayout.of(sep=sep, columns=columns, asset=asset)
        self.metadata = metadata

    def load(self) -> DataFrame:
        fs_path = (
            self._path
            if self._protocol == "file"
            else f"{self._protocol}://{self._path}"
        )
        with self._fs.open(fs_path, mode="rb") as stream:
            names = header_columns(
                stream.read(_HEADER_PROBE_BYTES), fs_path, self._layout
            )
            last_line = unterminated_last_line(stream)
        schema = T.StructType(
            [T.StructField(name, T.StringType()) for name in names]
            + [T.StructField(_CORRUPT, T.StringType())]
        )
        frame = _spark().read.csv(
            _spark_path(self._protocol, self._path),
            schema=schema,
            sep=self._layout.sep,
            header=True,
            mode="PERMISSIVE",
            columnNameOfCorruptRecord=_CORRUPT,
            encoding="UTF-8",
            escape='"',  # "" inside quotes is a quote, as Arrow reads it
        )
        malformed = F.col(_CORRUPT).isNotNull()
        columns = []
        for column in RAW_COLUMNS:
            if column in names:
                columns.append(F.when(~malformed, F.col(column)).alias(column))
            elif column == "ativo":
                columns.append(F.lit(self._layout.asset).alias(column))
            elif column not in _DERIVED_BY_THE_ENGINE:
                columns.append(F.lit(None).cast(T.StringType()).alias(column))
        columns.append(F.col(_CORRUPT).alias(MALFORMED_LINE_COLUMN))
        columns.append(self._unterminated(frame, last_line).alias(UNTERMINATED_COLUMN))
        return frame.select(*columns)

    @staticmethod
    def _unterminated(frame: DataFrame, last_line: bytes | None) -> Any:
        """True on the last line's row: the largest ``monotonically_increasing_id``
        (partition index, then position), as a file is split in order."""
        if last_line is None:
            return F.lit(False)
        ids = frame.select(F.monotonically_increasing_id().alias("_id"))
        last = ids.agg(F.max("_id")).first()[0]
        return F.monotonically_increasing_id() == F.lit(last)

    def save(self, data: None) -> None:
        raise NotImplementedError(
            "the raw candle file is written by the feed, not by Spark"
        )

    def _describe(self) -> dict[str, Any]:
        return {
            "filepath": self._path,
            "protocol": self._protocol,
            "delimiter": self._layout.sep,
            "columns": dict(self._layout.columns),
            "asset": self._layout.asset,
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
