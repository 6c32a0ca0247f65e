"""The spark environment computes exactly what the local engine computes."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from criptos.contracts.raw_file import RawFileError, read_raw_candles
from criptos.datasets.spark_parquet import SparkParquetDataset
from criptos.datasets.spark_raw_candles import SparkRawCandlesDataset
from criptos.pipelines.feature_engineering.nodes import (
    build_features,
    validate_raw_candles,
)
from criptos.validation import RULES
from tests.raw_files import GOOD_ROWS, write_raw
from tests.spark.local_engine import FULL, VALIDATION, comparable, local_features

pytestmark = pytest.mark.spark


def _spark(raw_csv: Path, output: Path):
    raw = SparkRawCandlesDataset(filepath=str(raw_csv)).load()
    candles, quarantine, report = validate_raw_candles(raw, VALIDATION)
    SparkParquetDataset(filepath=str(output)).save(build_features(candles, FULL))
    return pd.read_parquet(output), quarantine, report


def test_spark_features_equal_the_local_engine_on_real_data(
    spark, real_raw_csv: Path, tmp_path: Path
):
    local, _, local_report = local_features(real_raw_csv)
    spark_features, _, spark_report = _spark(
        real_raw_csv, tmp_path / "features.parquet"
    )
    assert list(spark_features.columns) == list(local.columns)
    pd.testing.assert_frame_equal(
        comparable(spark_features),
        comparable(local),
        check_exact=True,
        check_dtype=False,
    )
    assert spark_report == local_report


def test_spark_applies_the_same_validation_rules(spark, tmp_path: Path):
    rows = [
        *GOOD_ROWS,
        GOOD_ROWS[0],  # exact duplicate: collapses
        "ETH|2021-01-02|1609545600|11.5|10|11|10.6|80|840",  # conflicts with ETH 01-02
        "btc|2021-01-04|1609718400|1|2|1.5|1.6|1|1",  # high below body
        "XRP|2021-01-01|1",  # malformed line
        "XRP|bad-date|1609459200|2|1|1.5|1.6|1|1",
        "|2021-01-01|1609459200|2|1|1.5|1.6|1|1",
    ]
    raw_csv = write_raw(tmp_path / "raw.csv", rows, newline="\r\n")
    local, local_quarantine, local_report = local_features(raw_csv)
    spark_features, spark_quarantine, spark_report = _spark(
        raw_csv, tmp_path / "features.parquet"
    )
    assert spark_report == local_report
    assert sorted(spark_quarantine["motivo"]) == sorted(local_quarantine["motivo"])
    assert set(local_report["quarantined_by_rule"]) == set(RULES)
    pd.testing.assert_frame_equal(
        comparable(spark_features),
        comparable(local),
        check_exact=True,
        check_dtype=False,
    )


def test_spark_refuses_bytes_that_are_not_utf8_past_the_header(spark, tmp_path: Path):
    """Spark reads them as U+FFFD; like the local reader, the run stops and names it."""
    raw_csv = write_raw(tmp_path / "raw.csv", GOOD_ROWS)
    raw_csv.write_bytes(
        raw_csv.read_bytes() + b"ETH|2021-01-09|1|2|1|1.5|1.6|\xff\xfe|1\n"
    )
    with pytest.raises(
        RawFileError, match=r"undecodable: 1 row\(s\) hold bytes that are not UTF-8"
    ):
        validate_raw_candles(
            SparkRawCandlesDataset(filepath=str(raw_csv)).load(), VALIDATION
        )
    with pytest.raises(RawFileError, match="undecodable"), raw_csv.open("rb") as stream:
        read_raw_candles(stream, source=str(raw_csv))
