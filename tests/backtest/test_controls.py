"""Controls: no edge where there is none, a planted edge found, and the lag's cost."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from criptos.backtest.execution import simulate
from criptos.backtest.performance import summary
from criptos.backtest.strategies import (
    STRATEGIES,
    buy_and_hold_weights,
    signal_weights,
)


def market(log_returns: np.ndarray) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Simple returns by day and the log returns of the same days (decision dates)."""
    dates = pd.date_range("2018-01-01", periods=len(log_returns), freq="D")
    columns = [f"C{i}" for i in range(log_returns.shape[1])]
    logs = pd.DataFrame(log_returns, index=dates, columns=columns)
    return np.expm1(logs), logs


def net_report(weights: pd.DataFrame, returns: pd.DataFrame, **costs) -> dict:
    book = simulate(weights, returns, **costs)
    return summary(
        book.net, benchmark=None, turnover=book.turnover, exposure=book.exposure
    )


def gross_sharpe(weights: pd.DataFrame, returns: pd.DataFrame, lag: int) -> float:
    book = simulate(weights, returns, execution_lag_days=lag, cost_bps=0.0)
    return summary(
        book.gross, benchmark=None, turnover=book.turnover, exposure=book.exposure
    )["sharpe"]


@pytest.mark.parametrize("seed", [11, 12, 13])
def test_on_random_walks_no_strategy_has_a_significant_net_sharpe(seed: int):
    rng = np.random.default_rng(seed)
    # Log drift -sigma^2/2: prices are martingales (simple returns of mean 0), so
    # not even a long-only book has an edge; drift 0 would hand it +sigma^2/2 a day.
    sigma = 0.03
    returns, logs = market(rng.normal(-(sigma**2) / 2, sigma, size=(1500, 5)))
    # Two forecasts that know nothing of the future: noise, and yesterday's momentum.
    noise = pd.DataFrame(
        rng.normal(0.0, 0.01, logs.shape), index=logs.index, columns=logs.columns
    )
    for forecasts in (noise, logs):
        candidates = [
            signal_weights(forecasts, strategy, task="regression", k=2)
            for strategy in STRATEGIES
        ]
        for weights in (*candidates, buy_and_hold_weights(forecasts)):
            for lag in (0, 1):
                report = net_report(weights, returns, execution_lag_days=lag)
                assert report["sharpe"] <= 2 * report["sharpe_se"]


def test_a_planted_autoregression_is_found_and_the_execution_lag_costs_it():
    rng = np.random.default_rng(21)
    phi, days, assets = 0.3, 2000, 3
    shocks = rng.normal(0.0, 0.03, size=(days, assets))
    log_returns = np.zeros_like(shocks)
    for day in range(1, days):
        log_returns[day] = phi * log_returns[day - 1] + shocks[day]
    returns, logs = market(log_returns)
    # A fitted linear regressor's forecast of tomorrow's log return.
    weights = signal_weights(phi * logs, "long_flat", task="regression")
    immediate = gross_sharpe(weights, returns, lag=0)
    delayed = gross_sharpe(weights, returns, lag=1)
    assert immediate > 1.0
    assert delayed < immediate
