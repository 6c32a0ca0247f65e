"""RawCandlesDataset's layout options: separator, column mapping, one-asset files."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from kedro.io import DataCatalog, DatasetError

from criptos.contracts.errors import InputError
from criptos.contracts.raw_file import MALFORMED_LINE_COLUMN, RAW_COLUMNS, RawFileError
from criptos.datasets import RawCandlesDataset
from criptos.validation import validate_candles
from tests.raw_files import ENGLISH_OHLCV_COLUMNS


def _load_error(dataset: RawCandlesDataset) -> RawFileError:
    """The contract error behind Kedro's DatasetError wrapper of ``load``."""
    with pytest.raises(DatasetError) as error:
        dataset.load()
    assert isinstance(error.value.__cause__, RawFileError)
    return error.value.__cause__


ENGLISH = ENGLISH_OHLCV_COLUMNS
CCXT = {key: value for key, value in ENGLISH.items() if key != "date"}


def _file(tmp_path: Path, *lines: str, name: str = "raw.csv") -> str:
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return str(path)


def _candles(frame: pd.DataFrame) -> list[tuple]:
    return list(
        validate_candles(frame, max_quarantine_share=0.0)
        .candles.astype({"data": "str"})
        .itertuples(index=False, name=None)
    )


def test_an_english_ohlcv_export_of_one_asset(tmp_path: Path):
    path = _file(
        tmp_path,
        "Date,Open,High,Low,Close,Volume",
        "2021-01-01,100,110,95,105,10",
        "2021-01-02,105,112,100,108,12",
    )
    frame = RawCandlesDataset(
        filepath=path, sep=",", columns=ENGLISH, asset="BTC"
    ).load()
    assert list(frame.columns) == [*RAW_COLUMNS, MALFORMED_LINE_COLUMN]
    assert frame["ativo"].tolist() == ["BTC", "BTC"]
    assert frame["timestamp"].isna().all()
    assert _candles(frame) == [
        ("BTC", "2021-01-01", 100.0, 110.0, 95.0, 105.0, 10.0, 1050.0),
        ("BTC", "2021-01-02", 105.0, 112.0, 100.0, 108.0, 12.0, 1296.0),
    ]


def test_a_ccxt_file_in_milliseconds_gets_its_dates_from_the_timestamp(tmp_path: Path):
    path = _file(
        tmp_path,
        "timestamp,open,high,low,close,volume",
        "1609459200000,100,110,95,105,10",
        "1609545600000,105,112,100,108,12",
    )
    frame = RawCandlesDataset(filepath=path, sep=",", columns=CCXT, asset="ETH").load()
    assert frame["data"].tolist() == ["2021-01-01", "2021-01-02"]
    assert _candles(frame) == [
        ("ETH", "2021-01-01", 100.0, 110.0, 95.0, 105.0, 10.0, 1050.0),
        ("ETH", "2021-01-02", 105.0, 112.0, 100.0, 108.0, 12.0, 1296.0),
    ]


def test_a_ccxt_candle_not_at_midnight_utc_is_a_divergent_timestamp(tmp_path: Path):
    path = _file(
        tmp_path,
        "timestamp,open,high,low,close,volume",
        "1609459200000,100,110,95,105,10",
        "1609549200000,105,112,100,108,12",  # 2021-01-02 01:00 UTC: an hourly candle
    )
    frame = RawCandlesDataset(filepath=path, sep=",", columns=CCXT, asset="ETH").load()
    result = validate_candles(frame, max_quarantine_share=1.0)
    assert result.quarantine["motivo"].tolist() == ["timestamp_divergente"]
    assert result.quarantine["data"].tolist() == ["2021-01-02"]
    assert len(result.candles) == 1


def test_a_file_without_the_mapping_names_found_and_expected(tmp_path: Path):
    path = _file(tmp_path, "date,open,high,low,close,volume", "2021-01-01,1,1,1,1,1")
    error = _load_error(RawCandlesDataset(filepath=path, sep=","))
    assert str(error) == (
        f"{path} is missing required column(s): ativo, data, maximo, minimo, "
        "abertura, fechamento, volumefrom: found columns "
        "date,open,high,low,close,volume ; expected "
        "ativo,data,maximo,minimo,abertura,fechamento,volumefrom (optional: "
        "timestamp, volumeto) (map yours with `columns:` in the catalog, see "
        "docs/data.md)"
    )


def test_a_mapping_onto_a_column_the_file_also_has_is_a_duplicate(tmp_path: Path):
    path = _file(
        tmp_path,
        "ativo|data|maximo|minimo|abertura|fechamento|close|volumefrom",
        "BTC|2021-01-01|1|1|1|1|1|1",
    )
    error = _load_error(
        RawCandlesDataset(filepath=path, columns={"close": "fechamento"})
    )
    assert (
        "duplicate column names: fechamento (columns 6 'fechamento', 7 'close')"
        in str(error)
    )


def test_asset_with_an_ativo_column_is_refused(tmp_path: Path):
    path = _file(
        tmp_path,
        "ativo|data|maximo|minimo|abertura|fechamento|volumefrom",
        "BTC|2021-01-01|1|1|1|1|1",
    )
    error = _load_error(RawCandlesDataset(filepath=path, asset="ETH"))
    assert str(error) == (
        f"{path} has an ativo column and the catalog sets asset: 'ETH'; remove one "
        "of them (see docs/data.md)"
    )


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"sep": ", "}, "sep must be one character"),
        (
            {"columns": {"close": "close"}},
            "maps 'close' to 'close', which is not a contract column",
        ),
        (
            {"columns": {"c": "fechamento", "close": "fechamento"}},
            "several file columns to fechamento",
        ),
        ({"asset": ""}, "asset must be a non-empty code"),
    ],
)
def test_unusable_layout_options_fail_when_the_catalog_is_built(options, message):
    with pytest.raises(InputError, match=message):
        RawCandlesDataset(filepath="raw.csv", **options)


def test_the_layout_is_described(tmp_path: Path):
    dataset = RawCandlesDataset(
        filepath=str(tmp_path / "raw.csv"),
        sep=",",
        columns={"Close": "fechamento"},
        asset="BTC",
    )
    description = dataset._describe()
    assert description["sep"] == ","
    assert description["columns"] == {"close": "fechamento"}
    assert description["asset"] == "BTC"


def test_the_catalog_entry_takes_the_layout_options(tmp_path: Path):
    path = _file(
        tmp_path,
        "date;open;high;low;close;volume",
        "2021-01-01;100;110;95;105;10",
    )
    catalog = DataCatalog.from_config(
        {
            "raw_candles": {
                "type": "criptos.datasets.RawCandlesDataset",
                "filepath": path,
                "sep": ";",
                "columns": ENGLISH,
                "asset": "XRP",
            }
        }
    )
    frame = catalog.load("raw_candles")
    assert frame.loc[0, "ativo"] == "XRP"
    assert frame.loc[0, "volumeto"] == 1050.0
