"""The Spark engine applies the raw contract's newer rules and layouts like the local one."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from kedro.io import DatasetError

from criptos.contracts.raw_file import (
    MALFORMED_LINE_COLUMN,
    RawFileError,
    RawLayout,
    read_raw_candles,
)
from criptos.datasets.spark_raw_candles import SparkRawCandlesDataset
from criptos.pipelines.feature_engineering.nodes import validate_raw_candles
from tests.raw_files import ENGLISH_OHLCV_COLUMNS, GOOD_ROWS, HEADER
from tests.spark.local_engine import VALIDATION

pytestmark = pytest.mark.spark

RUN_DATE = "20260101"


def _sorted(candles: pd.DataFrame) -> pd.DataFrame:
    out = candles.sort_values(["ativo", "data"]).reset_index(drop=True)
    out["data"] = out["data"].astype("datetime64[ns]")
    out["ativo"] = out["ativo"].astype("str")
    return out


# Quarantine columns that both engines keep as the file's text (the local reader may
# parse the numbers).
_TEXT_COLUMNS = ["ativo", "data", MALFORMED_LINE_COLUMN, "motivo"]


def _texts(quarantine: pd.DataFrame) -> list[tuple]:
    """The quarantined rows' text cells, missing ones as None, in a stable order."""
    cells = quarantine[_TEXT_COLUMNS].astype(object)
    rows = cells.where(cells.notna(), None).itertuples(index=False, name=None)
    return sorted(rows, key=repr)


def _both(path: Path, validation: dict, **layout):
    local_raw = read_raw_candles(path, str(path), RawLayout.of(**layout))
    local = validate_raw_candles(local_raw, validation, RUN_DATE)
    spark_raw = SparkRawCandlesDataset(filepath=str(path), **layout).load()
    candles, quarantine, report = validate_raw_candles(spark_raw, validation, RUN_DATE)
    return local, (candles.toPandas(), quarantine, report)


def _assert_same(local, spark) -> None:
    local_candles, local_quarantine, local_report = local
    spark_candles, spark_quarantine, spark_report = spark
    assert spark_report == local_report
    assert _texts(spark_quarantine) == _texts(local_quarantine)
    pd.testing.assert_frame_equal(
        _sorted(spark_candles),
        _sorted(local_candles),
        check_exact=True,
        check_dtype=False,
    )


NEW_RULES = [
    *GOOD_ROWS,
    "XRP|2201-07-06|7279660800|2|1|1.5|1.6|1|1",  # after run date + 1 day
    "XRP|1500-07-06||2|1|1.5|1.6|1|1",  # before min_date (no wrap-around)
    "XRP|2021-01-05T00:00:00Z|1609804800|2|1|1.5|1.6|1|1",  # midnight: that day
    "XRP|2021-01-06 05:00:00|1609891200|2|1|1.5|1.6|1|1",  # another time: invalid
    "XRP|2021-01-07|1609977601|2|1|1.5|1.6|1|1",  # timestamp off by a second
    "XRP|2021-01-08|1610064000000|2|1|1.5|1.6|1|1",  # milliseconds: fine
    "XRP|2021-01-09|1610150400|1e308|1|1.5|1.6|1|1",  # out of range
    "XRP|2021-01-10|1610236800|2|1|1.5|1.6|2e-200|1",  # ratio would overflow
    "btc|2021-01-01|1609459200|110|95|100|105|10|1050",  # duplicate of BTC
    " eth |2021-01-02|1609545600|11.5|10|11|10.6|80|840",  # conflicts with ETH
    "ETH|2021-01-03|1609632000|12|9.5|10|11|100|11",  # last line, no line break
]


@pytest.mark.parametrize("accept", [False, True])
@pytest.mark.parametrize("text_numbers", [False, True], ids=["typed", "text"])
def test_spark_applies_the_new_rules_like_the_local_engine(
    spark, tmp_path: Path, accept: bool, text_numbers: bool
):
    rows = [*NEW_RULES]
    if text_numbers:  # one written infinity: the local reader keeps every column text
        rows.insert(-1, "XRP|2021-01-11|1610323200|2|1|1.5|inf|1|1")
    path = tmp_path / "raw.csv"
    path.write_bytes("\n".join([HEADER, *rows]).encode())
    validation = {**VALIDATION, "accept_unterminated_last_line": accept}
    local, on_spark = _both(path, validation)
    _assert_same(local, on_spark)
    reasons = local[2]["quarantined_by_rule"]
    assert reasons["data_fora_do_intervalo"] == 2
    assert reasons["data_invalida"] == 1
    assert reasons["timestamp_divergente"] == 1
    assert reasons["valor_fora_do_intervalo"] == 2 + text_numbers
    assert reasons["conflito_ativo_data"] == 2
    assert reasons["linha_incompleta"] == (0 if accept else 1)
    assert local[2]["exact_duplicates_removed"] == 1
    assert local[2]["unterminated_last_line"] is True


def test_spark_reads_an_english_export_of_one_asset(spark, tmp_path: Path):
    path = tmp_path / "btc.csv"
    path.write_text(
        "Date,Open,High,Low,Close,Volume\n"
        "2021-01-01,100,110,95,105,10\n"
        "2021-01-02,105,112,100,108.3,12.7\n"
    )
    local, on_spark = _both(
        path, VALIDATION, sep=",", columns=ENGLISH_OHLCV_COLUMNS, asset="BTC"
    )
    _assert_same(local, on_spark)
    assert on_spark[0]["volumeto"].tolist() == [1050.0, 108.3 * 12.7]


def test_spark_reads_a_ccxt_file_in_milliseconds(spark, tmp_path: Path):
    path = tmp_path / "eth.csv"
    path.write_text(
        "timestamp,open,high,low,close,volume\n"
        "1609459200000,100,110,95,105,10\n"
        "1609545600000,105,112,100,108,12\n"
        "1609635600000,105,112,100,108,12\n"  # 01:00 UTC: timestamp_divergente
    )
    columns = {
        "open": "abertura",
        "high": "maximo",
        "low": "minimo",
        "close": "fechamento",
        "volume": "volumefrom",
    }
    local, on_spark = _both(path, VALIDATION, sep=",", columns=columns, asset="ETH")
    _assert_same(local, on_spark)
    assert local[1]["motivo"].tolist() == ["timestamp_divergente"]
    assert _sorted(on_spark[0])["data"].dt.strftime("%Y-%m-%d").tolist() == [
        "2021-01-01",
        "2021-01-02",
    ]


def test_spark_refuses_duplicate_column_names(spark, tmp_path: Path):
    path = tmp_path / "raw.csv"
    path.write_text(f"{HEADER}|Fechamento\n{GOOD_ROWS[0]}|1\n")
    with pytest.raises(DatasetError) as error:  # Kedro wraps what load raises
        SparkRawCandlesDataset(filepath=str(path)).load()
    assert isinstance(error.value.__cause__, RawFileError)
    assert "duplicate column names: fechamento (columns 7 'fechamento', 10 " in str(
        error.value.__cause__
    )


def test_spark_marks_an_unterminated_malformed_last_line_like_the_local_engine(
    spark, tmp_path: Path
):
    path = tmp_path / "raw.csv"
    rows = [*GOOD_ROWS, "XRP|oops", "ETH|2021-01-03|16096"]  # cut inside timestamp
    path.write_bytes("\n".join([HEADER, *rows]).encode())
    local, on_spark = _both(path, VALIDATION)
    _assert_same(local, on_spark)
    quarantine = on_spark[1].sort_values("motivo")
    assert quarantine["linha_malformada"].tolist() == [
        "ETH|2021-01-03|16096",
        "XRP|oops",
    ]
    assert quarantine["motivo"].tolist() == ["linha_incompleta", "linha_malformada"]
