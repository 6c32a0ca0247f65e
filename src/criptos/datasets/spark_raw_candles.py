"""The raw candle CSV read by Spark (``spark`` environment) under the raw contract.

Named by its full module path in ``conf/spark/catalog.yml`` (and not exported by
``criptos.datasets``), so only the ``spark`` environment imports PySpark.
"""

from __future__ import annotations

from typing import Any

import fsspec
from kedro_datasets.spark.spark_dataset_v2 import SparkDatasetV2
from pyspark.sql import DataFrame
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

_HEADER_PROBE_BYTES = 64 * 1024
_CORRUPT = "_corrupt_record"
# True on the row of the file's last line when no line break ends it (see
# ``criptos.contracts.raw_file.UNTERMINATED_LAST_ROW``); the engine quarantines it.
UNTERMINATED_COLUMN = "_linha_incompleta"
# Contract columns the engine derives per asset (``contracts.raw_file.complete_columns``)
# when the file has no such column.
_DERIVED_BY_THE_ENGINE = ("data", "volumeto")
# Spark's CSV reader as Arrow reads the file locally: every value text, lines with
# the wrong number of fields kept whole in _CORRUPT, "" inside quotes is a quote.
_CSV_OPTIONS = {
    "header": True,
    "mode": "PERMISSIVE",
    "columnNameOfCorruptRecord": _CORRUPT,
    "encoding": "UTF-8",
    "escape": '"',
}


class SparkRawCandlesDataset(SparkDatasetV2):
    """The raw candle file read by Spark under the same contract as ``RawCandlesDataset``.

    kedro-datasets' ``SparkDatasetV2`` (CSV) with what is ours: the header is checked
    on the driver with ``criptos.contracts.raw_file.header_columns`` (empty file,
    wrong delimiter, missing or duplicate column, undecodable header) under the same
    layout options (``sep``, ``columns``, ``asset``; see docs/data.md), and is the
    schema Spark reads with; all values stay text, and lines with the wrong number
    of fields keep their text in ``MALFORMED_LINE_COLUMN`` (other fields empty) for
    row validation to quarantine. A missing ``timestamp`` is an empty column, a
    missing ``data`` or ``volumeto`` is left out for the engine to derive per asset,
    with the local engine's code. ``UNTERMINATED_COLUMN`` marks the row of a last
    line that no line break ends (only the file's last bytes are read to tell;
    finding that row then costs one pass over the file).
    """

    def __init__(
        self,
        *,
        filepath: str,
        sep: str = DELIMITER,
        columns: dict[str, str] | None = None,
        asset: str | None = None,
        credentials: dict[str, Any] | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> None:
        self._layout = RawLayout.of(sep=sep, columns=columns, asset=asset)
        super().__init__(
            filepath=filepath,
            file_format="csv",
            load_args={**_CSV_OPTIONS, "sep": self._layout.sep},
            credentials=credentials,
            metadata=metadata,
        )

    def _probe(self) -> tuple[list[str], bytes | None]:
        """The checked header's column names, and the last line if unterminated."""
        filesystem = fsspec.filesystem(self._protocol, **self._credentials)
        source = self._original_filepath
        with filesystem.open(self._path, mode="rb") as stream:
            names = header_columns(
                stream.read(_HEADER_PROBE_BYTES), source, self._layout
            )
            return names, unterminated_last_line(stream)

    def _load(self) -> DataFrame:
        names, last_line = self._probe()
        self._schema = T.StructType(
            [T.StructField(name, T.StringType()) for name in names]
            + [T.StructField(_CORRUPT, T.StringType())]
        )
        frame = super()._load()
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
        columns.append(_unterminated(frame, last_line).alias(UNTERMINATED_COLUMN))
        return frame.select(*columns)

    def _save(self, data: DataFrame) -> None:
        raise NotImplementedError(
            "the raw candle file is written by the feed, not by Spark"
        )

    def _describe(self) -> dict[str, Any]:
        return {
            **super()._describe(),
            "delimiter": self._layout.sep,
            "columns": dict(self._layout.columns),
            "asset": self._layout.asset,
        }


def _unterminated(frame: DataFrame, last_line: bytes | None) -> Any:
    """True on the last line's row: the largest ``monotonically_increasing_id``
    (partition index, then position), as a file is split in order."""
    if last_line is None:
        return F.lit(False)
    ids = frame.select(F.monotonically_increasing_id().alias("_id"))
    last = ids.agg(F.max("_id")).first()[0]
    return F.monotonically_increasing_id() == F.lit(last)
