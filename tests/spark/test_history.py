"""The candle history on Spark follows the local engine's ingest semantics."""

from __future__ import annotations

from pathlib import Path

import pytest

from criptos.datasets.spark_parquet import SparkParquetDataset
from criptos.datasets.spark_raw_candles import SparkRawCandlesDataset
from criptos.feature_store.stored_history import HistoryError
from criptos.pipelines.feature_engineering.nodes import validate_raw_candles
from criptos.spark.history import update_history_spark
from tests.raw_files import GOOD_ROWS, write_raw
from tests.spark.local_engine import VALIDATION

pytestmark = pytest.mark.spark


def test_spark_history_follows_the_ingest_semantics(spark, tmp_path: Path):
    """append: the stored history minus the new keys, plus the new rows (new wins);
    snapshot: the new rows alone; no stored history to append to: a clear error."""
    raw_csv = write_raw(tmp_path / "raw.csv", GOOD_ROWS)
    stored, _, _ = validate_raw_candles(
        SparkRawCandlesDataset(filepath=str(raw_csv)).load(), VALIDATION, "20210110"
    )
    SparkParquetDataset(filepath=str(tmp_path / "candles.parquet")).save(stored)
    new_rows = (
        "BTC|2021-01-03|1609632000|109|101|108|103|1|103",
        "XRP|2021-01-01|1609459200|2|1|1.5|1.6|1|1.6",
    )
    new, _, _ = validate_raw_candles(
        SparkRawCandlesDataset(
            filepath=str(write_raw(tmp_path / "day.csv", new_rows))
        ).load(),
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
