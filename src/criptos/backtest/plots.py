"""Figures of a backtest: equity and drawdown curves after costs, Sharpe per model.

Each reads what the backtest pipeline writes: the daily returns
(``backtest_daily_returns``: strategy, model, sample, data, gross, net, buy_and_hold)
or the report (``backtest.json``). Pooled walk-forward days unless said otherwise.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from criptos.backtest.performance import drawdown_curve, equity_curve

SAMPLE = "walk_forward"
STRATEGY = "long_flat"
Z_95 = 1.96


def _net_returns(daily: pd.DataFrame, strategy: str = STRATEGY) -> dict[str, pd.Series]:
    """Daily net returns per model of ``strategy`` and of buy-and-hold, by day."""
    rows = daily[(daily["sample"] == SAMPLE) & (daily["strategy"] == strategy)]
    returns = {
        model: group.set_index("data")["net"]
        for model, group in rows.groupby("model", sort=True)
    }
    if not rows.empty:
        first = rows[rows["model"] == rows["model"].iloc[0]].set_index("data")
        returns["buy and hold"] = first["buy_and_hold"]
    return returns


def _styled(model: str) -> dict[str, Any]:
    if model == "buy and hold":
        return {"color": "black", "linewidth": 1.6}
    if model.startswith("baseline"):
        return {"linestyle": "--", "linewidth": 1.0}
    return {"linewidth": 1.0}


def plot_equity(daily: pd.DataFrame) -> Figure:
    """Equity of 1 invested in long_flat per model, net of costs, against buy-and-hold."""
    figure = Figure(figsize=(10, 5), layout="constrained")
    axes = figure.subplots()
    for model, returns in _net_returns(daily).items():
        curve = equity_curve(returns)
        axes.plot(curve.index, curve.to_numpy(), label=model, **_styled(model))
    axes.set_yscale("log")
    axes.set_ylabel("equity (log scale), net of costs")
    axes.set_title("long_flat per model against buy-and-hold (walk-forward days)")
    axes.legend(fontsize=8, ncols=2)
    return figure


def plot_drawdowns(daily: pd.DataFrame) -> Figure:
    """Drawdown from the running peak of each equity curve of ``plot_equity``."""
    figure = Figure(figsize=(10, 4), layout="constrained")
    axes = figure.subplots()
    for model, returns in _net_returns(daily).items():
        drawdown = -drawdown_curve(returns)
        axes.plot(drawdown.index, drawdown.to_numpy(), label=model, **_styled(model))
    axes.set_ylabel("drawdown")
    axes.set_title("Drawdowns of long_flat, net of costs (walk-forward days)")
    axes.legend(fontsize=8, ncols=2)
    return figure


def plot_sharpes(report: dict[str, Any]) -> Figure:
    """Net Sharpe of each strategy and model with its 95 % interval (Lo 2002), pooled
    walk-forward (dots) and hold-out (crosses); buy-and-hold as a line."""
    strategies = report["strategies"]
    figure = Figure(figsize=(10, 4.5), layout="constrained")
    axes = figure.subplots(1, len(strategies), sharey=True, squeeze=False)[0]
    benchmark = report["benchmarks"]["buy_and_hold"].get("sharpe")
    for ax, (strategy, models) in zip(axes, strategies.items(), strict=True):
        names = sorted(models)
        for offset, (key, marker) in enumerate(((None, "o"), ("holdout", "x"))):
            values, errors = [], []
            for name in names:
                figures = models[name] if key is None else models[name].get(key) or {}
                net = figures.get("net") or {}
                values.append(np.nan if net.get("sharpe") is None else net["sharpe"])
                errors.append(Z_95 * (net.get("sharpe_se") or 0.0))
            positions = np.arange(len(names)) + (0.15 if offset else -0.15)
            ax.errorbar(
                positions,
                values,
                yerr=errors,
                fmt=marker,
                capsize=3,
                label="walk-forward" if key is None else "hold-out",
            )
        if benchmark is not None:
            ax.axhline(benchmark, color="black", linewidth=1, label="buy and hold")
        ax.axhline(0.0, color="grey", linewidth=0.6)
        ax.set_xticks(range(len(names)), names, rotation=30, ha="right", fontsize=8)
        ax.set_title(strategy)
    axes[0].set_ylabel("annualised net Sharpe (95 % interval)")
    axes[0].legend(fontsize=8)
    return figure
