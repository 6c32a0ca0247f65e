"""Holding weights over returns: timing, unknown returns, turnover and costs."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from criptos.backtest.execution import simulate
from criptos.backtest.performance import summary
from criptos.backtest.strategies import (
    STRATEGIES,
    buy_and_hold_weights,
    signal_weights,
)

NAN = np.nan
DAYS = pd.date_range("2024-01-01", periods=10, freq="D")


def test_a_two_asset_ten_day_path_by_hand():
    a = [100, 110, 99, 99, 108.9, 98.01, 117.612, 111.7314, 111.7314, 122.90454]
    b = [50, 40, 50, 55, 49.5, 49.5, 51.975, 57.1725, 28.58625, 57.1725]
    prices = pd.DataFrame({"A": a, "B": b}, index=DAYS)
    returns = prices / prices.shift(1) - 1
    a_returns = [0.10, -0.10, 0.00, 0.10, -0.10, 0.20, -0.05, 0.00, 0.10]
    b_returns = [-0.20, 0.25, 0.10, -0.10, 0.00, 0.05, 0.10, -0.50, 1.00]
    np.testing.assert_allclose(returns["A"].iloc[1:], a_returns, atol=1e-12)
    np.testing.assert_allclose(returns["B"].iloc[1:], b_returns, atol=1e-12)
    forecasts = pd.DataFrame(
        {
            "A": [0.01, 0.02, -0.01, 0.03, 0.00, 0.01, 0.01, -0.02],
            "B": [-0.02, 0.01, -0.01, NAN, 0.02, 0.01, 0.01, 0.05],
        },
        index=DAYS[:8],
    )
    weights = signal_weights(forecasts, "long_flat", task="regression")
    book = simulate(weights, returns, execution_lag_days=1, cost_bps=10.0)

    # Decided on day t, held on day t + 2: days 3 to 10 of the path.
    assert list(book.net.index) == list(DAYS[2:])
    held = [[1, 0], [0.5, 0.5], [0, 0], [1, 0], [0, 1], [0.5, 0.5], [0.5, 0.5], [0, 1]]
    np.testing.assert_allclose(book.held.to_numpy(), held, atol=1e-12)
    gross = [-0.10, 0.5 * 0.00 + 0.5 * 0.10, 0.0, -0.10, 0.05]
    gross += [0.5 * -0.05 + 0.5 * 0.10, 0.5 * 0.00 + 0.5 * -0.50, 1.00]
    # Entry from flat, changes, then the last day's 1 plus the exit's 1.
    turnover = [1, 0.5 + 0.5, 0.5 + 0.5, 1, 1 + 1, 0.5 + 0.5, 0, 0.5 + 0.5 + 1]
    net = [g - 0.001 * t for g, t in zip(gross, turnover, strict=True)]
    np.testing.assert_allclose(book.gross.to_numpy(), gross, atol=1e-12)
    np.testing.assert_allclose(book.turnover.to_numpy(), turnover, atol=1e-12)
    np.testing.assert_allclose(book.net.to_numpy(), net, atol=1e-12)
    np.testing.assert_allclose(book.exposure.to_numpy(), [1, 1, 0, 1, 1, 1, 1, 1])

    report = summary(
        book.net, benchmark=None, turnover=book.turnover, exposure=book.exposure
    )
    trough = 0.899 * 1.049 * 0.999 * 0.899 * 1.048 * 1.024 * 0.75  # peak = start, 1
    assert report["max_drawdown"] == pytest.approx(1 - trough, abs=1e-12)
    assert report["total_return"] == pytest.approx(trough * 1.998 - 1, abs=1e-12)
    assert report["turnover"] == pytest.approx(9 / 8, abs=1e-12)
    assert report["exposure"] == pytest.approx(7 / 8, abs=1e-12)
    assert report["hit_rate"] == pytest.approx(4 / 7, abs=1e-12)


def test_lag_zero_earns_the_next_day():
    returns = pd.DataFrame({"A": [NAN, 0.1, -0.2, 0.3]}, index=DAYS[:4])
    weights = pd.DataFrame({"A": [1.0, 0.0, 1.0]}, index=DAYS[:3])
    book = simulate(weights, returns, execution_lag_days=0, cost_bps=0.0)
    assert list(book.gross.index) == list(DAYS[1:4])
    assert book.gross.tolist() == [0.1, 0.0, 0.3]


def test_unknown_returns_hold_nothing_and_each_leg_keeps_its_gross():
    returns = pd.DataFrame(
        {
            "A": [0.01, 0.01, 0.01, 0.02],
            "B": [0.02, NAN, 0.02, 0.02],
            "C": [NAN, 0.03, NAN, 0.02],
            "D": [0.04, 0.04, NAN, 0.02],
        },
        index=DAYS[1:5],
    )
    third = 1 / 3
    weights = pd.DataFrame(
        [
            [third, third, third, 0.0],  # long-only, C unknown: A and B at 1/2
            [0.25, 0.25, -0.25, -0.25],  # B unknown: A carries the long leg
            [0.25, 0.25, -0.25, -0.25],  # C and D unknown: no short leg, flat
            [0.5, 0.5, 0.0, 0.0],
            [0.5, 0.5, 0.0, 0.0],  # beyond the returns: flat
        ],
        index=DAYS[:5],
        columns=list("ABCD"),
    )
    book = simulate(weights, returns, execution_lag_days=0, cost_bps=0.0)
    held = [
        [0.5, 0.5, 0, 0],
        [0.5, 0, -0.25, -0.25],
        [0, 0, 0, 0],
        [0.5, 0.5, 0, 0],
        [0, 0, 0, 0],
    ]
    np.testing.assert_allclose(book.held.to_numpy(), held, atol=1e-12)
    gross = [
        0.5 * 0.01 + 0.5 * 0.02,
        0.5 * 0.01 - 0.25 * 0.03 - 0.25 * 0.04,
        0,
        0.02,
        0,
    ]
    np.testing.assert_allclose(book.gross.to_numpy(), gross, atol=1e-12)


def test_an_asset_missing_from_the_returns_holds_nothing():
    returns = pd.DataFrame({"A": [0.1, 0.2]}, index=DAYS[1:3])
    weights = pd.DataFrame({"A": [0.5, 0.5], "Z": [0.5, 0.5]}, index=DAYS[:2])
    book = simulate(weights, returns, execution_lag_days=0, cost_bps=0.0)
    assert book.held["Z"].tolist() == [0.0, 0.0]
    assert book.gross.tolist() == pytest.approx([0.1, 0.2])


def random_market(seed: int, days: int = 120, assets: int = 4):
    rng = np.random.default_rng(seed)
    dates = pd.date_range("2023-01-01", periods=days + 2, freq="D")
    columns = [f"C{i}" for i in range(assets)]
    returns = pd.DataFrame(
        rng.normal(0.0, 0.03, (days + 2, assets)), index=dates, columns=columns
    )
    forecasts = pd.DataFrame(
        rng.normal(0.0, 0.01, (days, assets)), index=dates[:days], columns=columns
    )
    return forecasts, returns


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_without_costs_net_is_gross(strategy: str):
    forecasts, returns = random_market(1)
    weights = signal_weights(forecasts, strategy, task="regression", k=2)
    book = simulate(weights, returns, cost_bps=0.0)
    pd.testing.assert_series_equal(book.net, book.gross)


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    strategy=st.sampled_from(STRATEGIES),
    costs=st.lists(st.floats(0.0, 200.0), min_size=2, max_size=6),
)
def test_higher_costs_never_raise_the_net_total_return(
    seed: int, strategy: str, costs: list[float]
):
    forecasts, returns = random_market(seed, days=60)
    weights = signal_weights(forecasts, strategy, task="regression", k=1)
    totals = [
        np.prod(1 + simulate(weights, returns, cost_bps=cost).net.to_numpy())
        for cost in sorted(costs)
    ]
    assert all(
        later <= earlier for earlier, later in zip(totals, totals[1:], strict=False)
    )


def test_knowing_tomorrow_is_the_best_long_flat_book_of_each_asset():
    _, returns = random_market(2, days=200, assets=3)
    rng = np.random.default_rng(3)
    for asset in returns.columns:
        realised = returns[[asset]]
        oracle = realised.shift(-1).iloc[:-1]  # decided at t: the return of t + 1
        weights = signal_weights(oracle, "long_flat", task="regression")
        best = simulate(weights, realised, execution_lag_days=0, cost_bps=0.0).gross
        np.testing.assert_allclose(best, np.maximum(realised.iloc[1:, 0], 0.0))
        best_total = np.prod(1 + best)
        for _ in range(200):
            mask = rng.random(weights.shape) < rng.random()
            other = pd.DataFrame(mask.astype(float), weights.index, weights.columns)
            gross = simulate(other, realised, execution_lag_days=0, cost_bps=0.0)
            assert np.prod(1 + gross.gross) <= best_total


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_shuffling_the_assets_changes_no_book(strategy: str):
    forecasts, returns = random_market(4, assets=5)
    returns = returns.mask(np.random.default_rng(5).random(returns.shape) < 0.1)
    order = ["C3", "C0", "C4", "C2", "C1"]
    books = [
        simulate(signal_weights(f, strategy, task="regression", k=2), r)
        for f, r in ((forecasts, returns), (forecasts[order], returns[order[::-1]]))
    ]
    for name in ("gross", "net", "turnover", "exposure"):
        pd.testing.assert_series_equal(
            getattr(books[0], name), getattr(books[1], name), rtol=0, atol=1e-15
        )
    pd.testing.assert_frame_equal(books[0].held, books[1].held[forecasts.columns])


def test_buy_and_hold_compounds_the_assets_own_returns_over_the_same_days():
    forecasts, returns = random_market(6, days=90, assets=2)
    one = simulate(buy_and_hold_weights(forecasts[["C0"]]), returns, cost_bps=0.0)
    own = returns["C0"].iloc[2:92]
    assert summary(
        one.gross, benchmark=None, turnover=one.turnover, exposure=one.exposure
    )["total_return"] == pytest.approx(np.prod(1 + own) - 1, rel=1e-12)
    two = simulate(buy_and_hold_weights(forecasts), returns, cost_bps=0.0)
    np.testing.assert_allclose(two.gross, returns.iloc[2:92].mean(axis=1), atol=1e-15)


@pytest.mark.parametrize(
    ("arguments", "parameter"),
    [
        ({"cost_bps": -1.0}, "backtest.cost_bps"),
        ({"cost_bps": float("nan")}, "backtest.cost_bps"),
        ({"cost_bps": "10"}, "backtest.cost_bps"),
        ({"execution_lag_days": -1}, "backtest.execution_lag_days"),
        ({"execution_lag_days": 1.0}, "backtest.execution_lag_days"),
        ({"execution_lag_days": True}, "backtest.execution_lag_days"),
    ],
)
def test_bad_parameters_are_refused_by_name(arguments: dict, parameter: str):
    forecasts, returns = random_market(0, days=5)
    with pytest.raises(ValueError, match=parameter):
        simulate(buy_and_hold_weights(forecasts), returns, **arguments)


def test_weights_with_nan_or_unsorted_dates_are_refused():
    forecasts, returns = random_market(0, days=5)
    weights = buy_and_hold_weights(forecasts)
    with pytest.raises(ValueError, match="finite"):
        simulate(weights.mask(weights > 0.2), returns)
    with pytest.raises(ValueError, match="sorted"):
        simulate(weights.iloc[::-1], returns)
