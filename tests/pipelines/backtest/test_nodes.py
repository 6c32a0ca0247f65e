"""The backtest nodes on small frames: realised returns, the report's shape, the plots."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

from criptos.backtest import STRATEGIES
from criptos.pipelines.backtest.nodes import backtest_plots, daily_returns, run_backtest
from criptos.pipelines.backtest.params import BacktestParams

FIGURES = {
    "total_return",
    "annual_return",
    "annual_volatility",
    "sharpe",
    "sharpe_se",
    "max_drawdown",
    "turnover",
    "hit_rate",
    "exposure",
    "excess_vs_buy_and_hold",
}


def test_daily_returns_are_close_to_close_and_unknown_across_a_gap() -> None:
    features = pd.DataFrame(
        {
            "ativo": ["A", "A", "A", "A", "B", "B"],
            "data": pd.to_datetime(
                ["2024-01-01", "2024-01-02", "2024-01-04", "2024-01-05"]
                + ["2024-01-01", "2024-01-02"]
            ),
            "fechamento": [100.0, 110.0, 121.0, 133.1, 10.0, 9.0],
        }
    )
    returns = daily_returns(features)
    assert list(returns.index.strftime("%d")) == ["01", "02", "03", "04", "05"]
    assert returns.loc["2024-01-02", "A"] == pytest.approx(0.1)
    assert np.isnan(returns.loc["2024-01-03", "A"])  # no candle
    assert np.isnan(returns.loc["2024-01-04", "A"])  # its previous close is unknown
    assert returns.loc["2024-01-05", "A"] == pytest.approx(0.1)
    assert returns.loc["2024-01-02", "B"] == pytest.approx(-0.1)
    assert returns["B"].iloc[2:].isna().all()


def synthetic_run(assets: int = 4, days: int = 120, seed: int = 3):
    """Training-like predictions of a regressor and a classifier, two folds and a
    hold-out, on a random walk; and its realised returns."""
    rng = np.random.default_rng(seed)
    dates = pd.date_range("2022-01-01", periods=days, freq="D")
    codes = [f"C{index}" for index in range(assets)]
    closes = 100 * np.exp(np.cumsum(rng.normal(0, 0.02, (days, assets)), axis=0))
    features = pd.DataFrame(
        {
            "ativo": np.repeat(codes, days),
            "data": np.tile(dates, assets),
            "fechamento": closes.T.reshape(-1),
        }
    )
    sample = np.where(np.arange(days) < days - 30, "walk_forward", "holdout")
    fold = np.where(sample == "holdout", -1, np.arange(days) * 2 // (days - 30))
    rows = []
    for model, task in (
        ("regressor_x", "regression"),
        ("classifier_x", "classification"),
    ):
        for code in codes:
            predicted = (
                rng.normal(0, 0.01, days)
                if task == "regression"
                else rng.uniform(0, 1, days)
            )
            rows.append(
                pd.DataFrame(
                    {
                        "model": model,
                        "task": task,
                        "sample": sample,
                        "fold": fold,
                        "ativo": code,
                        "data": dates,
                        "predicted": predicted,
                        "baseline_train_mean": 0.001,
                        "baseline_prior": 0.52,
                        "baseline_zero": 0.0,
                    }
                )
            )
    return pd.concat(rows, ignore_index=True), daily_returns(features)


def test_the_report_has_the_documented_shape() -> None:
    predictions, returns = synthetic_run()
    report, daily = run_backtest(predictions, returns, BacktestParams(), horizon=1)
    assert report["params"] == {
        "execution_lag_days": 1,
        "cost_bps": 10.0,
        "threshold": 0.0,
        "k": 2,
    }
    assert set(report["strategies"]) == set(STRATEGIES)
    for models in report["strategies"].values():
        assert set(models) == {"regressor_x", "classifier_x"}
        for scores in models.values():
            for kind in ("gross", "net"):
                assert FIGURES <= set(scores[kind])
                assert set(scores[kind]["excess_vs_buy_and_hold"]) == {
                    "mean_daily",
                    "t_stat",
                }
                assert FIGURES <= set(scores["holdout"][kind])
            assert set(scores["folds"]) == {"0", "1"}
            assert scores["holdout"]["net"]["days"] == 30
    benchmark = report["benchmarks"]["buy_and_hold"]
    assert {"total_return", "annual_return", "sharpe", "max_drawdown"} <= set(benchmark)
    assert benchmark["holdout"]["days"] == 30
    assert set(report["benchmarks"]["baseline"]["long_flat"]) == {
        "regression",
        "classification",
    }
    assert list(daily.columns) == [
        "strategy",
        "model",
        "sample",
        "data",
        "gross",
        "net",
        "buy_and_hold",
    ]
    figures = backtest_plots(report, daily)
    assert all(isinstance(figure, Figure) for figure in figures)


def test_costs_only_ever_lower_the_net_figures() -> None:
    predictions, returns = synthetic_run()
    free, _ = run_backtest(
        predictions, returns, BacktestParams(cost_bps=0.0), horizon=1
    )
    costly, _ = run_backtest(
        predictions, returns, BacktestParams(cost_bps=50.0), horizon=1
    )
    for model, scores in free["strategies"]["long_flat"].items():
        assert scores["net"] == scores["gross"]
        other = costly["strategies"]["long_flat"][model]
        assert other["net"]["total_return"] < other["gross"]["total_return"]


def test_k_too_large_for_the_universe_names_the_parameter() -> None:
    predictions, returns = synthetic_run(assets=3)
    with pytest.raises(ValueError, match="backtest.k"):
        run_backtest(predictions, returns, BacktestParams(k=2), horizon=1)
