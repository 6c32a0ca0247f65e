"""Evaluation plots: every model against its baseline, per fold, per asset, and
predicted against realized. Figures are built with matplotlib's object API (no
pyplot state, no display needed) and saved by ``matplotlib.MatplotlibDataset``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from criptos.modeling.params import REGRESSION

DIRECTION_METRIC = {"regression": "directional_accuracy", "classification": "accuracy"}
_MODEL_COLOUR, _BASELINE_COLOUR = "tab:blue", "tab:grey"
_CALIBRATION_BINS = 10


def _paired_bars(
    axes, labels: list[str], model: list[float | None], baseline: list[float | None]
) -> None:
    positions = np.arange(len(labels))
    for values, offset, colour, label in (
        (model, -0.2, _MODEL_COLOUR, "model"),
        (baseline, 0.2, _BASELINE_COLOUR, "baseline"),
    ):
        heights = [np.nan if value is None else value for value in values]
        axes.bar(positions + offset, heights, width=0.4, color=colour, label=label)
    axes.set_xticks(positions, labels, rotation=45, fontsize=7)


def _scores_figure(metrics: dict[str, Any], title: str, groups) -> Figure:
    """Two rows (the beats-baseline metric, the direction hit rate) by one column per model.

    ``groups(entry, metric)`` returns (labels, model values, baseline values).
    """
    models = metrics["models"]
    figure = Figure(figsize=(3.2 * len(models), 6.4), layout="constrained")
    grid = figure.subplots(2, len(models), squeeze=False)
    for column, (name, entry) in enumerate(sorted(models.items())):
        for row, metric in enumerate(
            (entry["beats_baseline_metric"], DIRECTION_METRIC[entry["task"]])
        ):
            axes = grid[row][column]
            _paired_bars(axes, *groups(entry, metric))
            axes.set_title(f"{name}\n{metric}" if row == 0 else metric, fontsize=9)
            if metric == DIRECTION_METRIC[entry["task"]]:
                axes.axhline(0.5, color="black", linewidth=0.6, linestyle=":")
    grid[0][0].legend(fontsize=7)
    figure.suptitle(title)
    return figure


def plot_scores_by_fold(metrics: dict[str, Any]) -> Figure:
    """Each model against its baseline on every walk-forward fold."""

    def by_fold(entry: dict[str, Any], metric: str):
        labels = [f"fold {scores['fold']}" for scores in entry["cv_folds"]]
        return (
            labels,
            [scores[metric] for scores in entry["cv_folds"]],
            [scores[metric] for scores in entry["baseline_folds"]],
        )

    return _scores_figure(
        metrics, "Walk-forward folds: model vs naive baseline", by_fold
    )


def plot_scores_by_asset(metrics: dict[str, Any]) -> Figure:
    """Each model against its baseline on every asset (out-of-fold forecasts)."""

    def by_asset(entry: dict[str, Any], metric: str):
        assets = sorted(entry["per_asset"])
        return (
            assets,
            [entry["per_asset"][asset]["model"][metric] for asset in assets],
            [entry["per_asset"][asset]["baseline"][metric] for asset in assets],
        )

    return _scores_figure(
        metrics, "Per asset (out-of-fold): model vs naive baseline", by_asset
    )


def _regression_panel(axes, rows: pd.DataFrame) -> None:
    """Predicted vs realized log return, on the central 98 % of realized returns."""
    low, high = np.nanquantile(rows["realized"], [0.01, 0.99])
    axes.scatter(
        rows["predicted"], rows["realized"], s=2, alpha=0.25, color=_MODEL_COLOUR
    )
    axes.axhline(0, color="black", linewidth=0.5)
    axes.axvline(0, color=_BASELINE_COLOUR, linewidth=1.0, label="baseline (0)")
    axes.set_ylim(low, high)
    axes.set_xlabel("predicted log return")
    axes.set_ylabel("realized log return")
    axes.legend(fontsize=7)


def _classification_panel(axes, rows: pd.DataFrame) -> None:
    """Reliability curve: realized frequency of a rise per bin of predicted P(up)."""
    bins = np.linspace(0.0, 1.0, _CALIBRATION_BINS + 1)
    for column, colour, label in (
        ("predicted", _MODEL_COLOUR, "model"),
        ("baseline", _BASELINE_COLOUR, "baseline"),
    ):
        binned = rows.groupby(
            pd.cut(rows[column], bins, include_lowest=True), observed=True
        )
        curve = binned.agg(predicted=(column, "mean"), realized=("realized", "mean"))
        axes.plot(
            curve["predicted"], curve["realized"], marker="o", color=colour, label=label
        )
    axes.plot([0, 1], [0, 1], color="black", linewidth=0.5, linestyle=":")
    axes.set_xlabel("predicted P(up)")
    axes.set_ylabel("realized share of rises")
    axes.legend(fontsize=7)


def plot_predicted_vs_realized(predictions: pd.DataFrame) -> Figure:
    """One panel per model: out-of-fold forecasts against what happened."""
    models = sorted(predictions["model"].unique())
    figure = Figure(figsize=(3.4 * len(models), 3.6), layout="constrained")
    panels = figure.subplots(1, len(models), squeeze=False)[0]
    for axes, name in zip(panels, models, strict=True):
        rows = predictions[predictions["model"] == name]
        if rows["task"].iloc[0] == REGRESSION:
            _regression_panel(axes, rows)
        else:
            _classification_panel(axes, rows)
        axes.set_title(name, fontsize=9)
    figure.suptitle("Out-of-fold forecasts against realized outcomes")
    return figure
