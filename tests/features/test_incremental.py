"""Daily incremental mode: continuing the previous feature table equals a full recompute."""

from __future__ import annotations

import pandas as pd
import pyarrow as pa
import pytest

from criptos.features import FeatureParams
from criptos.features.incremental import IncrementalFeatureTable
from criptos.features.table import FeatureTable
from criptos.validation import validate_candles

PARAMS = FeatureParams()


@pytest.fixture(scope="module")
def real_candles(real_raw_frame: pd.DataFrame) -> pd.DataFrame:
    return validate_candles(real_raw_frame, max_quarantine_share=0.05).candles


def _table(stream) -> pa.Table:
    return pa.concat_tables(list(stream.iter_tables()))


def _full(candles: pd.DataFrame) -> pa.Table:
    return _table(FeatureTable(candles, PARAMS, rows_per_batch=5_000))


def _incremental(
    previous: pa.Table, new: pd.DataFrame
) -> tuple[pa.Table, IncrementalFeatureTable]:
    stream = IncrementalFeatureTable(new, previous, PARAMS, rows_per_batch=5_000)
    return _table(stream), stream


def _assert_same(left: pa.Table, right: pa.Table) -> None:
    assert left.schema.names == right.schema.names
    for name in left.schema.names:
        assert left.column(name).equals(right.column(name)), name


def _split(candles: pd.DataFrame, day: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    before = candles["data"] < pd.Timestamp(day)
    return candles.loc[before], candles.loc[~before]


def test_new_days_continue_the_previous_table_exactly(real_candles: pd.DataFrame):
    history, new = _split(real_candles, "2021-06-20")
    result, stream = _incremental(_full(history), new)
    _assert_same(result, _full(real_candles))
    assert stream.recomputed_assets == []


def test_whole_history_as_new_candles_changes_nothing(real_candles: pd.DataFrame):
    history, _ = _split(real_candles, "2021-07-06")
    result, stream = _incremental(_full(history), real_candles)
    _assert_same(result, _full(real_candles))
    assert stream.recomputed_assets == []


def test_new_asset_is_computed_from_its_own_candles(real_candles: pd.DataFrame):
    without_eth = real_candles[real_candles["ativo"] != "ETH"]
    history, new = _split(without_eth, "2021-07-01")
    new = pd.concat([new, real_candles[real_candles["ativo"] == "ETH"]])
    result, _ = _incremental(_full(history), new)
    _assert_same(result, _full(real_candles))


def test_late_correction_recomputes_that_asset_in_full(real_candles: pd.DataFrame):
    history, new = _split(real_candles, "2021-07-01")
    corrected = real_candles[
        (real_candles["ativo"] == "BTC") & (real_candles["data"] == "2018-01-10")
    ].copy()
    corrected["fechamento"] *= 1.01
    corrected["maximo"] = corrected[["maximo", "fechamento"]].max(axis=1)
    result, stream = _incremental(_full(history), pd.concat([new, corrected]))

    merged = real_candles.set_index(["ativo", "data"])
    merged.update(corrected.set_index(["ativo", "data"]))
    _assert_same(result, _full(merged.reset_index()))
    assert stream.recomputed_assets == ["BTC"]


def test_late_arriving_missing_day_is_inserted(real_candles: pd.DataFrame):
    day = (real_candles["ativo"] == "XRP") & (real_candles["data"] == "2019-03-03")
    history, new = _split(real_candles[~day], "2021-07-01")
    result, stream = _incremental(_full(history), pd.concat([new, real_candles[day]]))
    _assert_same(result, _full(real_candles))
    assert stream.recomputed_assets == ["XRP"]


def test_look_back_covers_every_window():
    params = FeatureParams(volatility_windows=(5, 90), rsi_window=30)
    assert params.lookback_rows == 92
