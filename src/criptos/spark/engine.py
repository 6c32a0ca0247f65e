"""The feature_engineering pipeline on PySpark, with the local engine's own code.

Rows are grouped by their normalised asset (trimmed, upper-cased ``ativo``); every
rule of ``criptos.validation`` (the ``ROW_RULES`` pairs, exact duplicates and
conflicting rows) is decided within one asset, so each group runs
``validate_candles`` unchanged through ``applyInPandas``, and then
``compute_features`` per asset the same way. Only the counting for the report (by
the names in ``RULES``) and the quarantine-share limit happen on the driver, with
the same functions as the local engine. Only the ``spark`` environment imports this
module, so the local engine never needs PySpark.
"""

from __future__ import annotations

import functools
import logging
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
from pyspark.sql import DataFrame, Window
from pyspark.sql import functions as F
from pyspark.sql import types as T
from pyspark.sql.pandas.types import from_arrow_schema

from criptos.contracts.raw_file import (
    MALFORMED_LINE_COLUMN,
    PRICE_COLUMNS,
    RAW_COLUMNS,
    UNTERMINATED_LAST_ROW,
    VOLUME_COLUMNS,
    RawFileError,
    complete_columns,
)
from criptos.datasets.spark_raw_candles import UNTERMINATED_COLUMN
from criptos.features import FeatureParams, compute_features
from criptos.validation import (
    REASON_COLUMN,
    RULES,
    Bounds,
    build_report,
    check_quarantine_share,
    summarise_gaps,
    validate_candles,
)

logger = logging.getLogger(__name__)

_GROUP = "_grupo"
_REPLACEMENT = "\ufffd"  # what Spark's UTF-8 reader makes of undecodable bytes
_DUPLICATE = "_duplicata_exata"
_TEXT = [*RAW_COLUMNS, MALFORMED_LINE_COLUMN]
_NUMBERS = [*PRICE_COLUMNS, *VOLUME_COLUMNS]
CANDLE_SCHEMA = T.StructType(
    [
        T.StructField("ativo", T.StringType()),
        T.StructField("data", T.TimestampNTZType()),
        *(T.StructField(column, T.DoubleType()) for column in _NUMBERS),
    ]
)
# One row per clean candle, quarantined raw row (its text, ``motivo``) or removed
# exact duplicate (``motivo`` = _DUPLICATE).
_VALIDATED_SCHEMA = T.StructType(
    [
        *CANDLE_SCHEMA.fields,
        *(T.StructField(f"texto_{column}", T.StringType()) for column in _TEXT),
        T.StructField(REASON_COLUMN, T.StringType()),
    ]
)


def _as_read(column: pd.Series) -> pd.Series:
    """A text column of a Spark group (objects: str or None) as the local reader hands
    it to validation: Arrow text converted to pandas, missing cells missing (pandas 2
    gives objects with None, pandas 3 its string dtype), never the text "None"."""
    text = pa.array(column.to_numpy(object), pa.large_string(), from_pandas=True)
    return pa.table({"text": text}).to_pandas()["text"]


def _objects(column: pd.Series) -> np.ndarray:
    """``column`` as Python objects, None where it is missing (pandas 2 and 3 alike)."""
    return np.where(column.notna().to_numpy(), column.to_numpy(object), None)


def _text(column: pd.Series) -> np.ndarray:
    """A column written back as text: each value's ``str`` (a number the reader
    derived, e.g. ``volumeto``, as Python writes it), None where missing."""
    values = _objects(column)
    return np.array(
        [v if v is None or isinstance(v, str) else str(v) for v in values], object
    )


def _for_spark(frame: pd.DataFrame, schema: T.StructType) -> pd.DataFrame:
    """``frame`` with the pandas types PySpark's Arrow writer takes for ``schema``.

    Text as plain objects with None (PySpark does not take pandas 3's Arrow-backed
    strings yet), timestamps as datetime64. Values are unchanged.
    """
    out = frame.reindex(columns=schema.fieldNames())
    for field in schema.fields:
        column = out[field.name]
        if isinstance(field.dataType, T.StringType):
            out[field.name] = pd.Series(_objects(column), index=out.index, dtype=object)
        elif isinstance(field.dataType, T.TimestampNTZType | T.TimestampType):
            out[field.name] = pd.to_datetime(column).astype("datetime64[ns]")
    return out


def _validate_group(raw: pd.DataFrame, bounds: Bounds) -> pd.DataFrame:
    """``validate_candles`` on the raw rows of one asset, as rows of ``_VALIDATED_SCHEMA``.

    Columns the file lacks (``data`` from a timestamp, ``volumeto``) are derived
    here by the local reader's ``complete_columns``; the row marked
    ``UNTERMINATED_COLUMN`` is handed over the way the local reader marks it.
    """
    rows = complete_columns(
        pd.DataFrame({c: _as_read(raw[c]) for c in _TEXT if c in raw.columns})
    )
    if UNTERMINATED_COLUMN in raw.columns:
        marked = np.flatnonzero(raw[UNTERMINATED_COLUMN].fillna(False).to_numpy(bool))
        if len(marked):
            rows.attrs[UNTERMINATED_LAST_ROW] = int(marked[0])
    result = validate_candles(rows, max_quarantine_share=1.0, bounds=bounds)
    quarantine = result.quarantine
    parts = [
        result.candles.assign(**{REASON_COLUMN: None}),
        pd.DataFrame(
            {
                **{f"texto_{column}": _text(quarantine[column]) for column in _TEXT},
                REASON_COLUMN: quarantine[REASON_COLUMN],
            }
        ),
        pd.DataFrame(
            {REASON_COLUMN: [_DUPLICATE] * result.report["exact_duplicates_removed"]}
        ),
    ]
    out = pd.concat([part for part in parts if len(part)], ignore_index=True)
    return _for_spark(out, _VALIDATED_SCHEMA)


def validate_spark(
    raw: DataFrame, max_quarantine_share: float, bounds: Bounds | None = None
) -> tuple[DataFrame, pd.DataFrame, dict[str, Any]]:
    """Clean candles (Spark), quarantined rows (small, collected) and the report.

    ``bounds``: as for ``validate_candles`` (None: its defaults). Like the local
    engine, refuses a file with bytes that are not UTF-8: Spark's reader turns them
    into U+FFFD, so a row holding that character is counted.
    """
    bounds = bounds or Bounds.of()
    undecodable = F.lit(False)
    for column in _TEXT:
        if column in raw.columns:
            undecodable = undecodable | F.coalesce(
                F.col(column).contains(_REPLACEMENT), F.lit(False)
            )
    unterminated = (
        F.col(UNTERMINATED_COLUMN)
        if UNTERMINATED_COLUMN in raw.columns
        else F.lit(False)
    )
    totals = raw.agg(
        F.count("*").alias("rows"),
        F.sum(undecodable.cast("int")).alias("undecodable"),
        F.max(unterminated.cast("int")).alias("unterminated"),
    ).first()
    rows_read = int(totals["rows"])
    if rows_read == 0:
        raise RawFileError("raw file is empty: it has a header but no data rows")
    if totals["undecodable"]:
        raise RawFileError(
            f"raw file is undecodable: {totals['undecodable']} row(s) hold bytes that are "
            "not UTF-8 text (read as U+FFFD)"
        )
    # the asset as the local engine normalises it (any white space trimmed, upper
    # case), so that " btc" and "BTC" meet in one group for duplicates and conflicts
    group = F.upper(F.regexp_replace(F.col("ativo"), r"(?U)^\s+|\s+$", ""))

    def validate_group(rows: pd.DataFrame) -> pd.DataFrame:
        return _validate_group(rows, bounds)

    validated = (
        raw.withColumn(_GROUP, F.when(F.length(group) > 0, group))
        .groupBy(_GROUP)
        .applyInPandas(validate_group, _VALIDATED_SCHEMA)
        .persist()
    )
    by_reason = dict(validated.groupBy(REASON_COLUMN).count().collect())
    counts = {rule: int(by_reason.get(rule, 0)) for rule in RULES}
    check_quarantine_share(counts, rows_read, max_quarantine_share)

    quarantine = (
        validated.where(
            F.col(REASON_COLUMN).isNotNull() & (F.col(REASON_COLUMN) != _DUPLICATE)
        )
        .select(
            *(F.col(f"texto_{column}").alias(column) for column in _TEXT), REASON_COLUMN
        )
        .toPandas()
    )
    candles = validated.where(F.col(REASON_COLUMN).isNull()).select(
        *CANDLE_SCHEMA.fieldNames()
    )
    summary = candles.agg(
        F.count("*").alias("rows"),
        F.countDistinct("ativo").alias("assets"),
        F.min("data").alias("start"),
        F.max("data").alias("end"),
    ).first()
    previous = F.lag("data").over(Window.partitionBy("ativo").orderBy("data"))
    gap_rows = (
        candles.withColumn("missing", F.datediff("data", previous) - 1)
        .where(F.col("missing") > 0)
        .select("ativo", "data", "missing")
        .toPandas()
    )
    report = build_report(
        rows_read=rows_read,
        rows_valid=int(summary["rows"]),
        counts=counts,
        max_quarantine_share=max_quarantine_share,
        exact_duplicates=int(by_reason.get(_DUPLICATE, 0)),
        assets=int(summary["assets"]),
        date_range=(summary["start"], summary["end"]),
        gaps=summarise_gaps(gap_rows),
        bounds=bounds,
        unterminated_last_line=bool(totals["unterminated"]),
    )
    return candles, quarantine, report


def _features_of_asset(candles: pd.DataFrame, params: FeatureParams) -> pd.DataFrame:
    return _for_spark(compute_features(candles, params), feature_schema(params))


@functools.cache
def feature_schema(params: FeatureParams) -> T.StructType:
    """Spark schema of ``compute_features``' output, taken from the function itself."""
    sample = pd.DataFrame(
        {
            "ativo": ["X"],
            "data": pd.to_datetime(["2021-01-01"]),
            **{column: [1.0] for column in _NUMBERS},
        }
    )
    arrow = pa.Schema.from_pandas(
        compute_features(sample, params), preserve_index=False
    )
    return from_arrow_schema(arrow, prefer_timestamp_ntz=True)


def features_spark(candles: DataFrame, params: FeatureParams) -> DataFrame:
    """``compute_features`` per asset, distributed with ``groupBy("ativo").applyInPandas``."""

    # A function with type hints, not a functools.partial: PySpark infers the UDF's
    # kind from the hints and warns on every run when it cannot read them.
    def features_of_asset(asset: pd.DataFrame) -> pd.DataFrame:
        return _features_of_asset(asset, params)

    return candles.groupBy("ativo").applyInPandas(
        features_of_asset, feature_schema(params)
    )
