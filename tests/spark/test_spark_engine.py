"""The spark environment computes exactly what the local engine computes."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from criptos.contracts.raw_file import RawFileError, read_raw_candles
from criptos.datasets.spark_candles import SparkParquetDataset, SparkRawCandlesDataset
from criptos.feature_store.history import snapshot_history
from criptos.pipelines.feature_engineering.nodes import (
    build_features,
    validate_raw_candles,
)
from criptos.validation import RULES
from tests.raw_files import GOOD_ROWS, write_raw

pytestmark = pytest.mark.spark

VALIDATION = {"max_quarantine_share": 1.0}
FULL = {"mode": "full"}


def _local(raw_csv: Path):
    with raw_csv.open("rb") as stream:
        raw = read_raw_candles(stream, source=str(raw_csv))
    candles, quarantine, report = validate_raw_candles(raw, VALIDATION)
    history = snapshot_history(candles, stored=None)
    return build_features(history, FULL).to_pandas(), quarantine, report


def _spark(raw_csv: Path, output: Path):
    raw = SparkRawCandlesDataset(str(raw_csv)).load()
    candles, quarantine, report = validate_raw_candles(raw, VALIDATION)
    SparkParquetDataset(str(output)).save(build_features(candles, FULL))
    return pd.read_parquet(output), quarantine, report


def _normalised(features: pd.DataFrame) -> pd.DataFrame:
    out = features.sort_values(["ativo", "data"]).reset_index(drop=True)
    out["data"] = out["data"].astype("datetime64[ns]")
    for column in out.columns:
        if out[column].dtype == object or str(out[column].dtype) in {"str", "string"}:
            out[column] = out[column].astype("str")
    return out


def test_spark_features_equal_the_local_engine_on_real_data(
    spark, real_raw_csv: Path, tmp_path: Path
):
    local, _, local_report = _local(real_raw_csv)
    spark_features, _, spark_report = _spark(
        real_raw_csv, tmp_path / "features.parquet"
    )
    assert list(spark_features.columns) == list(local.columns)
    pd.testing.assert_frame_equal(
        _normalised(spark_features),
        _normalised(local),
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
    local, local_quarantine, local_report = _local(raw_csv)
    spark_features, spark_quarantine, spark_report = _spark(
        raw_csv, tmp_path / "features.parquet"
    )
    assert spark_report == local_report
    assert sorted(spark_quarantine["motivo"]) == sorted(local_quarantine["motivo"])
    assert set(local_report["quarantined_by_rule"]) == set(RULES)
    pd.testing.assert_frame_equal(
        _normalised(spark_features),
        _normalised(local),
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
        validate_raw_candles(SparkRawCandlesDataset(str(raw_csv)).load(), VALIDATION)
    with pytest.raises(RawFileError, match="undecodable"), raw_csv.open("rb") as stream:
        read_raw_candles(stream, source=str(raw_csv))


def test_spark_history_follows_the_ingest_semantics(spark, tmp_path: Path):
    """append: the stored history minus the new keys, plus the new rows (new wins);
    snapshot: the new rows alone; no stored history to append to: a clear error."""
    from criptos.feature_store.spark_history import update_history_spark  # noqa: PLC0415
    from criptos.feature_store.stored_history import HistoryError  # noqa: PLC0415

    raw_csv = write_raw(tmp_path / "raw.csv", GOOD_ROWS)
    stored, _, _ = validate_raw_candles(
        SparkRawCandlesDataset(str(raw_csv)).load(), VALIDATION, "20210110"
    )
    SparkParquetDataset(str(tmp_path / "candles.parquet")).save(stored)
    new_rows = (
        "BTC|2021-01-03|1609632000|109|101|108|103|1|103",
        "XRP|2021-01-01|1609459200|2|1|1.5|1.6|1|1.6",
    )
    new, _, _ = validate_raw_candles(
        SparkRawCandlesDataset(str(write_raw(tmp_path / "day.csv", new_rows))).load(),
        VALIDATION,
        "20210110",
    )
    history = str(tmp_path / "candles.parquet")

    def rows(frame) -> list[tuple]:
        table = frame.toPandas().sort_values(["ativo", "data"])
        return list(table[["ativo", "fechamento"]].itertuples(index=False, name=None))

    appended = rows(update_history_spark(new, history, "append"))
    assert appended == [
        ("BTC", 105.0), ("BTC", 108.0), ("BTC", 103.0),  # 2021-01-03 corrected
        ("ETH", 11.0), ("ETH", 10.5), ("XRP", 1.6),
    ]  # fmt: skip
    assert rows(update_history_spark(new, history, "snapshot")) == [
        ("BTC", 103.0), ("XRP", 1.6)
    ]  # fmt: skip
    with pytest.raises(HistoryError, match="ingest=snapshot"):
        update_history_spark(new, str(tmp_path / "none.parquet"), "append")
