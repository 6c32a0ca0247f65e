"""Target weights of the strategies and of the buy-and-hold benchmark."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from criptos.backtest.strategies import (
    STRATEGIES,
    buy_and_hold_weights,
    signal_weights,
)

NAN = np.nan
DATES = pd.date_range("2024-03-01", periods=4, freq="D", name="data")


def frame(columns: dict[str, list[float]]) -> pd.DataFrame:
    return pd.DataFrame(columns, index=DATES[: len(next(iter(columns.values())))])


def test_long_flat_is_long_above_the_threshold_with_equal_weights():
    forecasts = frame({"ADA": [0.02, -0.01, NAN], "BTC": [0.005, 0.03, 0.0]})
    weights = signal_weights(forecasts, "long_flat", task="regression")
    expected = frame({"ADA": [0.5, 0.0, 0.0], "BTC": [0.5, 1.0, 0.0]})
    pd.testing.assert_frame_equal(weights, expected)

    raised = signal_weights(forecasts, "long_flat", task="regression", threshold=0.01)
    assert raised["ADA"].tolist() == [1.0, 0.0, 0.0]
    assert raised["BTC"].tolist() == [0.0, 1.0, 0.0]


def test_long_flat_classification_compares_the_probability_with_one_half():
    forecasts = frame({"ADA": [0.51, 0.5, 0.7], "BTC": [0.6, 0.49, NAN]})
    weights = signal_weights(forecasts, "long_flat", task="classification")
    assert weights["ADA"].tolist() == [0.5, 0.0, 1.0]
    assert weights["BTC"].tolist() == [0.5, 0.0, 0.0]
    margin = signal_weights(
        forecasts, "long_flat", task="classification", threshold=0.05
    )
    assert margin["ADA"].tolist() == [0.0, 0.0, 1.0]
    assert margin["BTC"].tolist() == [1.0, 0.0, 0.0]


def test_top_k_is_dollar_neutral_and_needs_two_k_forecasts():
    forecasts = frame(
        {
            "ADA": [0.03, 0.01, NAN],
            "BTC": [-0.02, 0.02, 0.01],
            "ETH": [0.01, NAN, 0.02],
            "SOL": [0.00, -0.01, NAN],
            "XRP": [-0.05, 0.00, 0.03],
        }
    )
    weights = signal_weights(forecasts, "long_short_topk", task="regression", k=2)
    expected = frame(
        {
            "ADA": [0.25, 0.25, 0.0],
            "BTC": [-0.25, 0.25, 0.0],
            "ETH": [0.25, 0.0, 0.0],
            "SOL": [0.0, -0.25, 0.0],
            "XRP": [-0.25, -0.25, 0.0],
        }
    )
    pd.testing.assert_frame_equal(weights, expected)
    assert weights.sum(axis=1).tolist() == [0.0, 0.0, 0.0]
    assert weights.abs().sum(axis=1).tolist() == [1.0, 1.0, 0.0]


def test_top_k_breaks_ties_by_asset_code_whatever_the_column_order():
    forecasts = frame({"SOL": [0.0], "ADA": [0.0], "ETH": [0.0], "BTC": [0.0]})
    weights = signal_weights(forecasts, "long_short_topk", task="regression", k=1)
    # All tied: the earliest code ranks highest, the last code lowest.
    assert weights.iloc[0].to_dict() == {
        "SOL": -0.5,
        "ADA": 0.5,
        "ETH": 0.0,
        "BTC": 0.0,
    }


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_shuffling_the_columns_changes_no_weight(strategy: str):
    rng = np.random.default_rng(7)
    values = rng.normal(size=(60, 6)).round(1)  # rounding makes ties
    values[rng.random(values.shape) < 0.2] = NAN
    dates = pd.date_range("2024-01-01", periods=60, freq="D")
    forecasts = pd.DataFrame(values, index=dates, columns=list("ABCDEF"))
    shuffled = forecasts[["E", "B", "F", "A", "D", "C"]]
    for weights in (
        signal_weights(forecasts, strategy, task="regression", k=2),
        buy_and_hold_weights(forecasts),
    ):
        assert list(weights.columns) == list("ABCDEF")
    pd.testing.assert_frame_equal(
        signal_weights(shuffled, strategy, task="regression", k=2)[forecasts.columns],
        signal_weights(forecasts, strategy, task="regression", k=2),
    )


def test_buy_and_hold_weighs_the_assets_with_a_forecast_equally():
    forecasts = frame({"ADA": [0.1, NAN, NAN], "BTC": [-0.3, 0.2, NAN]})
    weights = buy_and_hold_weights(forecasts)
    assert weights["ADA"].tolist() == [0.5, 0.0, 0.0]
    assert weights["BTC"].tolist() == [0.5, 1.0, 0.0]


@pytest.mark.parametrize(
    ("arguments", "parameter"),
    [
        ({"strategy": "momentum"}, "backtest.strategy"),
        ({"task": "ranking"}, "backtest.task"),
        ({"k": 0}, "backtest.k"),
        ({"k": 1.5}, "backtest.k"),
        ({"threshold": float("nan")}, "backtest.threshold"),
        ({"threshold": float("inf")}, "backtest.threshold"),
        ({"threshold": "0.1"}, "backtest.threshold"),
        ({"threshold": None}, "backtest.threshold"),
    ],
)
def test_bad_parameters_are_refused_by_name(arguments: dict, parameter: str):
    forecasts = frame({"ADA": [0.1], "BTC": [0.2]})
    call = {"strategy": "long_flat", "task": "regression", "k": 1} | arguments
    with pytest.raises(ValueError, match=parameter):
        signal_weights(forecasts, call.pop("strategy"), **call)


def test_k_too_large_for_the_universe_names_k_and_the_number_of_assets():
    forecasts = frame({"ADA": [0.1], "BTC": [0.2], "ETH": [0.3]})
    with pytest.raises(ValueError, match=r"backtest\.k.*\b3\b") as error:
        signal_weights(forecasts, "long_short_topk", task="regression", k=2)
    assert "have 3" in str(error.value)
    # long_flat does not size by k: the default k = 2 is fine on one asset.
    signal_weights(frame({"ADA": [0.1]}), "long_flat", task="regression")
