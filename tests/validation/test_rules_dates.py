"""The date rules: real YYYY-MM-DD days in the accepted range."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from criptos.contracts import text_columns
from criptos.validation import validate_candles
from tests.raw_files import GOOD_ROWS
from tests.validation.raw_rows import raw as _raw
from tests.validation.raw_rows import validate as _validate


@pytest.mark.parametrize(
    "day", ["2021-02-30", "2021-1-5", "2021-01-01T00:00", "20210101"]
)
def test_a_date_that_is_not_a_real_yyyy_mm_dd_day_is_invalid(day: str):
    result = _validate(*GOOD_ROWS, f"XRP|{day}|1609459200|2|1|1.5|1.6|1|1")
    assert result.quarantine["motivo"].tolist() == ["data_invalida"]


def test_dates_padded_with_spaces_are_read():
    result = _validate(*GOOD_ROWS, "XRP| 2021-01-05 |1609804800|2|1|1.5|1.6|1|1")
    assert result.report["rows_quarantined"] == 0
    assert pd.Timestamp("2021-01-05") in set(result.candles["data"])


@pytest.mark.parametrize(
    ("text", "day"),
    [
        ("1500-07-06", "1500-07-06"),
        ("2500-07-06", "2500-07-06"),
        ("0001-01-01", "0001-01-01"),
    ],
)
def test_dates_are_parsed_as_days_without_wrap_around(text: str, day: str):
    """datetime64[ns] spans 1677-2262 only: 1500 and 2500 used to wrap to 2085 and 1915."""
    for cells in ([text], [text, " 2021-01-01 "]):  # Arrow's cast, then the fallback
        days = text_columns.parse_dates(pa.chunked_array([pa.array(cells)]))
        assert days.dtype == np.dtype("datetime64[D]")
        assert days[0] == np.datetime64(day)


@pytest.mark.parametrize(
    "day", ["1500-07-06", "2500-07-06", "2201-07-06", "2009-01-02", "2021-01-11"]
)
def test_a_day_outside_the_accepted_range_is_quarantined(day: str):
    row = f"XRP|{day}||2|1|1.5|1.6|1|1"
    result = validate_candles(
        _raw(*GOOD_ROWS, row), max_quarantine_share=1.0, max_date="2021-01-10"
    )
    assert result.quarantine["motivo"].tolist() == ["data_fora_do_intervalo"]
    assert result.quarantine["data"].tolist() == [day]
    assert result.report["accepted"]["min_date"] == "2009-01-03"
    assert result.report["accepted"]["max_date"] == "2021-01-10"


def test_the_range_bounds_themselves_are_accepted():
    rows = ["XRP|2009-01-03||2|1|1.5|1.6|1|1", "XRP|2021-01-10||2|1|1.5|1.6|1|1"]
    result = validate_candles(
        _raw(*GOOD_ROWS, *rows), max_quarantine_share=0.0, max_date="2021-01-10"
    )
    xrp = result.candles[result.candles["ativo"] == "XRP"]["data"]
    assert xrp.dt.strftime("%Y-%m-%d").tolist() == ["2009-01-03", "2021-01-10"]


def test_the_default_upper_bound_is_tomorrow():
    today = datetime.now(UTC).date()
    days = [today + timedelta(days=1), today + timedelta(days=2)]
    rows = [f"XRP|{day:%Y-%m-%d}||2|1|1.5|1.6|1|1" for day in days]
    result = _validate(*GOOD_ROWS, *rows)
    assert result.quarantine["data"].tolist() == [f"{days[1]:%Y-%m-%d}"]
    assert result.quarantine["motivo"].tolist() == ["data_fora_do_intervalo"]


@pytest.mark.parametrize(
    "day", ["2021-01-05 00:00:00", "2021-01-05T00:00:00", "2021-01-05T00:00:00Z"]
)
def test_a_date_with_a_midnight_time_is_that_day(day: str):
    result = _validate(*GOOD_ROWS, f"XRP|{day}|1609804800|2|1|1.5|1.6|1|1")
    assert result.report["rows_quarantined"] == 0
    xrp = result.candles[result.candles["ativo"] == "XRP"]
    assert xrp["data"].tolist() == [pd.Timestamp("2021-01-05")]


@pytest.mark.parametrize(
    "day", ["2021-01-05 00:00:01", "2021-01-05T12:00:00", "2021-01-05T00:00:00+01:00"]
)
def test_a_date_with_another_time_of_day_is_invalid(day: str):
    result = _validate(*GOOD_ROWS, f"XRP|{day}|1609804800|2|1|1.5|1.6|1|1")
    assert result.quarantine["motivo"].tolist() == ["data_invalida"]


def test_a_data_column_already_typed_as_dates_is_accepted():
    raw = _raw(*GOOD_ROWS, "XRP|2021-01-05|1609804800|2|1|1.5|1.6|1|1")
    raw["data"] = pd.to_datetime(raw["data"])
    result = validate_candles(raw, max_quarantine_share=0.0)
    assert len(result.candles) == len(GOOD_ROWS) + 1
    assert pd.Timestamp("2021-01-05") in set(result.candles["data"])
