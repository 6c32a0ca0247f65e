"""Columns a layout leaves out, derived from the ones it has."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from criptos.contracts.derived_columns import complete_columns
from criptos.contracts.raw_layout import RAW_COLUMNS


def one_asset_file(**columns) -> pd.DataFrame:
    base = {
        "maximo": ["11", "12"],
        "minimo": ["9", "10"],
        "abertura": ["10", "11"],
        "fechamento": ["10.5", "x"],
        "volumefrom": ["2", "3"],
    }
    frame = pd.DataFrame({**base, **columns}, dtype="str")
    return frame[[name for name in RAW_COLUMNS if name in frame]]  # as the reader does


def test_missing_columns_are_added_in_contract_order():
    frame = complete_columns(
        one_asset_file(timestamp=["1609459200000", "1609545600"]), asset="BTC"
    )
    assert list(frame.columns) == list(RAW_COLUMNS)
    assert frame["ativo"].tolist() == ["BTC", "BTC"]
    # milliseconds and seconds, told apart by magnitude
    assert frame["data"].tolist() == ["2021-01-01", "2021-01-02"]
    # volumefrom x fechamento; missing where either is not a number
    assert frame["volumeto"].iloc[0] == 21.0
    assert np.isnan(frame["volumeto"].iloc[1])


def test_columns_present_are_left_untouched_and_a_missing_timestamp_stays_missing():
    frame = one_asset_file(
        ativo=["ETH", "ETH"], data=["2020-05-01", "2020-05-02"], volumeto=["7", "8"]
    )
    completed = complete_columns(frame.copy(), asset="BTC")
    assert list(completed.columns) == list(RAW_COLUMNS)
    assert completed["ativo"].tolist() == ["ETH", "ETH"]
    assert completed["data"].tolist() == ["2020-05-01", "2020-05-02"]
    assert completed["volumeto"].tolist() == ["7", "8"]
    assert completed["timestamp"].isna().all()


def test_an_unusable_timestamp_gives_no_day():
    frame = complete_columns(
        one_asset_file(ativo=["A", "A"], timestamp=["soon", "1e30"])
    )
    assert frame["data"].isna().all()


def test_a_file_without_ativo_needs_the_layouts_asset():
    with pytest.raises(ValueError, match="needs asset"):
        complete_columns(one_asset_file(data=["2021-01-01", "2021-01-02"]))
