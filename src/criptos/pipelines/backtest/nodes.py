"""Nodes of the backtest pipeline: realised returns, every strategy scored, the plots.

The forecasts are training's out-of-fold ones (``training_predictions``): walk-forward
(pooled and per fold) and the hold-out, scored apart; each model's forecasts and its
task's baseline forecast go through the same strategy, and buy-and-hold runs on the
same days (``criptos.backtest``).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from matplotlib.figure import Figure

from criptos.backtest import (
    STRATEGIES,
    Book,
    buy_and_hold_weights,
    signal_weights,
    simulate,
    summary,
)
from criptos.backtest.plots import plot_drawdowns, plot_equity, plot_sharpes
from criptos.pipelines.backtest.params import BacktestParams

logger = logging.getLogger(__name__)

WALK_FORWARD, HOLDOUT = "walk_forward", "holdout"
# The baseline forecast each task's strategies are compared with (training's columns).
BASELINE_COLUMNS = {
    "regression": "baseline_train_mean",
    "classification": "baseline_prior",
}
DAILY_COLUMNS = ["strategy", "model", "sample", "data", "gross", "net", "buy_and_hold"]


def daily_returns(features: pd.DataFrame) -> pd.DataFrame:
    """Simple close-to-close returns per day (rows, every calendar day) and asset
    (columns); NaN where either close is missing (no position on such a day)."""
    closes = features.pivot_table(
        index="data", columns="ativo", values="fechamento", aggfunc="last"
    ).sort_index()
    calendar = pd.date_range(closes.index.min(), closes.index.max(), freq="D")
    closes = closes.reindex(calendar)
    returns = closes / closes.shift(1) - 1.0
    returns.index.name = "data"
    return returns


def _forecasts(rows: pd.DataFrame, column: str) -> pd.DataFrame:
    return rows.pivot_table(
        index="data", columns="ativo", values=column, aggfunc="last"
    ).sort_index()


def _samples(rows: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Pooled walk-forward, each fold and the hold-out (when there is one)."""
    walk = rows[rows["sample"] == WALK_FORWARD]
    samples = {WALK_FORWARD: walk}
    for fold, block in walk.groupby("fold", sort=True):
        samples[f"fold_{int(fold)}"] = block
    holdout = rows[rows["sample"] == HOLDOUT]
    if not holdout.empty:
        samples[HOLDOUT] = holdout
    return samples


@dataclass
class _Backtest:
    """Scores forecast columns through strategies on one set of realised returns,
    collecting the daily net returns of the pooled walk-forward and the hold-out."""

    returns: pd.DataFrame
    params: BacktestParams
    horizon: int
    daily: list[pd.DataFrame] = field(default_factory=list)

    def book(self, forecasts: pd.DataFrame, strategy: str | None, task: str) -> Book:
        """``strategy`` run on ``forecasts`` (None: buy-and-hold, same universe)."""
        weights = (
            buy_and_hold_weights(forecasts)
            if strategy is None
            else signal_weights(
                forecasts,
                strategy,
                task=task,
                threshold=self.params.threshold,
                k=self.params.k,
            )
        )
        return simulate(
            weights,
            self.returns,
            execution_lag_days=self.params.execution_lag_days,
            cost_bps=self.params.cost_bps,
        )

    def figures(self, book: Book, benchmark: Book) -> dict[str, Any]:
        return {
            kind: summary(
                getattr(book, kind),
                benchmark=getattr(benchmark, kind),
                turnover=book.turnover,
                exposure=book.exposure,
                horizon=self.horizon,
            )
            for kind in ("gross", "net")
        }

    def score(
        self, rows: pd.DataFrame, column: str, strategy: str | None, label: str
    ) -> dict[str, Any]:
        """Figures of one forecast column through one strategy: pooled walk-forward
        at the top, ``folds`` and ``holdout`` beside."""
        task = str(rows["task"].iloc[0])
        result: dict[str, Any] = {}
        for sample, block in _samples(rows).items():
            forecasts = _forecasts(block, column)
            benchmark = self.book(forecasts, None, task)
            book = (
                benchmark if strategy is None else self.book(forecasts, strategy, task)
            )
            figures = self.figures(book, benchmark)
            if sample.startswith("fold_"):
                result.setdefault("folds", {})[sample.removeprefix("fold_")] = figures
                continue
            if sample == WALK_FORWARD:
                result.update(figures)
            else:
                result[HOLDOUT] = figures
            self.daily.append(
                pd.DataFrame(
                    {
                        "strategy": strategy or "buy_and_hold",
                        "model": label,
                        "sample": sample,
                        "data": book.net.index,
                        "gross": book.gross.to_numpy(),
                        "net": book.net.to_numpy(),
                        "buy_and_hold": benchmark.net.to_numpy(),
                    }
                )
            )
        return result


def run_backtest(
    predictions: pd.DataFrame,
    returns: pd.DataFrame,
    backtest: BacktestParams,
    horizon: int,
) -> tuple[dict[str, Any], pd.DataFrame]:
    """Every model through every strategy, the baselines and buy-and-hold; the report
    (backtest.json) and the daily returns behind it (for the plots and notebooks)."""
    params = BacktestParams.of(backtest)
    run = _Backtest(returns, params, horizon)
    models = predictions.drop_duplicates("model").set_index("model")["task"]
    strategies: dict[str, dict[str, Any]] = {name: {} for name in STRATEGIES}
    baselines: dict[str, dict[str, Any]] = {name: {} for name in STRATEGIES}
    for model, task in models.items():
        rows = predictions[predictions["model"] == model]
        for strategy in STRATEGIES:
            strategies[strategy][model] = run.score(rows, "predicted", strategy, model)
            if task not in baselines[strategy]:
                baselines[strategy][task] = run.score(
                    rows, BASELINE_COLUMNS[task], strategy, f"baseline_{task}"
                )
    buy_and_hold = run.score(
        predictions[predictions["model"] == models.index[0]],
        "predicted",
        None,
        "buy_and_hold",
    )
    report = {
        "params": params.model_dump(),
        "strategies": strategies,
        "benchmarks": {
            "buy_and_hold": {
                **buy_and_hold["net"],
                "holdout": (buy_and_hold.get(HOLDOUT) or {}).get("net"),
            },
            "baseline": baselines,
        },
    }
    _log_long_flat(report)
    return report, pd.concat(run.daily, ignore_index=True)[DAILY_COLUMNS]


def _log_long_flat(report: dict[str, Any]) -> None:
    for model, figures in report["strategies"]["long_flat"].items():
        logger.info(
            "long_flat %s: net Sharpe %s walk-forward, %s hold-out",
            model,
            _fmt(figures["net"]["sharpe"]),
            _fmt(((figures.get(HOLDOUT) or {}).get("net") or {}).get("sharpe")),
        )


def _fmt(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}"


def backtest_plots(
    report: dict[str, Any], daily: pd.DataFrame
) -> tuple[Figure, Figure, Figure]:
    """Net equity against buy-and-hold, drawdowns, and Sharpe per model with error bars."""
    return plot_equity(daily), plot_drawdowns(daily), plot_sharpes(report)
