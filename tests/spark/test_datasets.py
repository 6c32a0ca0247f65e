"""The Spark datasets: thin kedro-datasets subclasses keeping the project's guarantees."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest
from kedro.io import DatasetError
from kedro_datasets.pandas import ParquetDataset
from kedro_datasets.spark.spark_dataset_v2 import SparkDatasetV2
from pyspark.sql import functions as F

from criptos.datasets.spark_parquet import SparkParquetDataset
from criptos.datasets.spark_raw_candles import SparkRawCandlesDataset
from tests.raw_files import GOOD_ROWS, write_raw

pytestmark = pytest.mark.spark

_COALESCE = "spark.sql.adaptive.coalescePartitions.enabled"


def _frame(spark, closes: list[float], partitions: int = 4):
    rows = [
        (asset, datetime(2021, 1, 1) + timedelta(days=day), close)
        for asset in ("XRP", "BTC", "ETH")
        for day, close in enumerate(closes)
    ]
    frame = spark.createDataFrame(
        rows, "ativo string, data timestamp_ntz, close double"
    )
    return frame.repartition(partitions)  # rows scattered over the partitions


def test_both_datasets_are_kedro_datasets_spark_datasets():
    assert issubclass(SparkParquetDataset, SparkDatasetV2)
    assert issubclass(SparkRawCandlesDataset, SparkDatasetV2)


def test_a_sorted_folder_reads_back_in_order_with_pandas(spark, tmp_path: Path):
    """Spark writes the rows in (ativo, data) order across its part files; pandas
    (kedro's pandas.ParquetDataset, as training reads it) reads them in that order."""
    folder = tmp_path / "features.parquet"
    closes = [float(day) for day in range(50)]
    # several part files even for this small table: no coalescing after the sort
    spark.conf.set(_COALESCE, "false")
    try:
        SparkParquetDataset(filepath=str(folder), sort_by=["ativo", "data"]).save(
            _frame(spark, closes)
        )
    finally:
        spark.conf.unset(_COALESCE)
    assert len(list(folder.glob("part-*.parquet"))) > 1
    assert (folder / "_SUCCESS").exists()
    table = ParquetDataset(filepath=str(folder)).load()
    assert table["ativo"].tolist() == ["BTC"] * 50 + ["ETH"] * 50 + ["XRP"] * 50
    assert table["close"].tolist() == closes * 3
    assert (
        table.groupby("ativo")["data"].apply(lambda d: d.is_monotonic_increasing).all()
    )


def test_a_save_replaces_the_folder_whole_and_leaves_nothing_beside_it(
    spark, tmp_path: Path
):
    folder = tmp_path / "candles.parquet"
    dataset = SparkParquetDataset(filepath=str(folder))
    dataset.save(_frame(spark, [1.0, 2.0, 3.0]))
    dataset.save(_frame(spark, [7.0], partitions=1))
    assert sorted(dataset.load().toPandas()["close"]) == [7.0, 7.0, 7.0]
    assert [p.name for p in tmp_path.iterdir()] == ["candles.parquet"]


def test_a_failed_write_leaves_the_previous_folder_in_place(spark, tmp_path: Path):
    folder = tmp_path / "candles.parquet"
    dataset = SparkParquetDataset(filepath=str(folder))
    dataset.save(_frame(spark, [1.0, 2.0]))
    before = sorted(p.name for p in folder.iterdir())

    @F.udf("double")  # no type hints: PySpark would try to infer a pandas UDF from them
    def broken(value):
        raise ValueError("a worker failed mid-write")

    failing = _frame(spark, [5.0]).withColumn("close", broken("close"))
    with pytest.raises(DatasetError):
        dataset.save(failing)
    assert sorted(p.name for p in folder.iterdir()) == before
    assert sorted(dataset.load().toPandas()["close"]) == [1.0, 1.0, 1.0, 2.0, 2.0, 2.0]
    assert [p.name for p in tmp_path.iterdir()] == ["candles.parquet"]


def test_the_raw_dataset_is_read_only_and_describes_its_layout(tmp_path: Path):
    path = write_raw(tmp_path / "raw.csv", GOOD_ROWS)
    dataset = SparkRawCandlesDataset(filepath=str(path), sep="|")
    with pytest.raises(DatasetError, match="written by the feed"):
        dataset.save(pd.DataFrame({"ativo": ["BTC"]}))
    described = dataset._describe()
    assert described["file_format"] == "csv"
    assert described["delimiter"] == "|"
    assert described["filepath"].endswith("raw.csv")
