"""Evaluation plots, read by kedro-viz and the notebook.

Losses are shown as a **skill score** against the baseline of each model's verdict,
``1 - model loss / baseline loss`` in percent (0 = no better than the baseline), so
that every asset and fold is visible on one scale; hit rates are drawn around 50 %
with axes fitted to the data. Legends sit outside the axes. Figures use matplotlib's
object API (no pyplot state, no display) and are saved by
``matplotlib.MatplotlibDataset``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from criptos.modeling.params import REGRESSION

HIT_RATE = {"regression": "directional_accuracy", "classification": "accuracy"}
_BETTER, _WORSE, _NEUTRAL = "tab:green", "tab:red", "tab:grey"
_TOP_FEATURES = 15


def skill_score(model_loss: float | None, baseline_loss: float | None) -> float:
    """``100 * (1 - model / baseline)``; NaN when either loss is missing or zero."""
    if model_loss is None or baseline_loss is None or baseline_loss == 0:
        return float("nan")
    return 100.0 * (1.0 - model_loss / baseline_loss)


def _skill_bars(axes, labels: list[str], skills: list[float]) -> None:
    positions = np.arange(len(labels))
    colours = [_BETTER if value > 0 else _WORSE for value in skills]
    axes.barh(positions, skills, color=colours)
    axes.axvline(0.0, color="black", linewidth=0.8)
    axes.set_yticks(positions, labels, fontsize=7)
    axes.invert_yaxis()
    axes.set_xlabel("skill vs baseline (%)", fontsize=7)
    axes.tick_params(axis="x", labelsize=7)


def _hit_rate_points(axes, labels: list[str], model: list, baseline: list) -> None:
    positions = np.arange(len(labels))
    values = [np.nan if v is None else v for v in model]
    base = [np.nan if v is None else v for v in baseline]
    axes.plot(values, positions, "o", color="tab:blue", label="model")
    axes.plot(base, positions, "|", color=_NEUTRAL, markersize=10, label="baseline")
    axes.axvline(0.5, color="black", linewidth=0.6, linestyle=":")
    finite = [v for v in (*values, *base, 0.5) if np.isfinite(v)]
    spread = max(max(finite) - min(finite), 0.01)
    axes.set_xlim(min(finite) - 0.15 * spread, max(finite) + 0.15 * spread)
    axes.set_yticks(positions, labels, fontsize=7)
    axes.invert_yaxis()
    axes.tick_params(axis="x", labelsize=7)


def _groups_figure(metrics: dict[str, Any], title: str, groups) -> Figure:
    """One row per model: skill on the verdict loss, and the hit rate, per group.

    ``groups(entry, metric, baseline)`` returns (labels, model values, baseline values).
    """
    models = sorted(metrics["models"].items())
    figure = Figure(figsize=(9.0, 2.2 * len(models) + 0.8), layout="constrained")
    grid = figure.subplots(len(models), 2, squeeze=False)
    for row, (name, entry) in enumerate(models):
        verdict = entry["verdict"]
        loss, baseline = verdict["metric"], verdict["baseline"]
        labels, model, base = groups(entry, loss, baseline)
        _skill_bars(
            grid[row][0],
            labels,
            [skill_score(m, b) for m, b in zip(model, base, strict=True)],
        )
        grid[row][0].set_title(f"{name}: {loss} vs {baseline}", fontsize=8)
        hit = HIT_RATE[entry["task"]]
        _hit_rate_points(grid[row][1], *groups(entry, hit, baseline))
        grid[row][1].set_title(f"{name}: {hit}", fontsize=8)
    handles, labels = grid[0][1].get_legend_handles_labels()
    figure.legend(handles, labels, loc="outside lower center", ncols=2, fontsize=7)
    figure.suptitle(title, fontsize=10)
    return figure


def plot_scores_by_fold(metrics: dict[str, Any]) -> Figure:
    """Each model against the baseline of its verdict on every walk-forward fold."""

    def by_fold(entry: dict[str, Any], metric: str, baseline: str):
        folds = entry["cv_by_fold"]
        base = entry["baselines"][baseline]["cv_by_fold"]
        return (
            [f"fold {scores['fold']}" for scores in folds],
            [scores.get(metric) for scores in folds],
            [scores.get(metric) for scores in base],
        )

    return _groups_figure(metrics, "Walk-forward folds: model vs baseline", by_fold)


def plot_scores_by_asset(metrics: dict[str, Any]) -> Figure:
    """Each model against the baseline of its verdict on every asset (walk-forward)."""

    def by_asset(entry: dict[str, Any], metric: str, baseline: str):
        assets = sorted(entry["by_asset"])
        return (
            assets,
            [entry["by_asset"][a]["model"].get(metric) for a in assets],
            [entry["by_asset"][a]["baselines"][baseline].get(metric) for a in assets],
        )

    return _groups_figure(
        metrics, "Per asset (walk-forward): model vs baseline", by_asset
    )


def plot_verdicts(metrics: dict[str, Any]) -> Figure:
    """Each model's loss difference to its baseline with the 95 % interval, per sample.

    Left of zero the model loses less; the label gives the Holm-adjusted p-value and
    whether the verdict says "beats".
    """
    models = sorted(metrics["models"].items())
    figure = Figure(figsize=(9.0, 0.7 * len(models) + 1.6), layout="constrained")
    panels = figure.subplots(1, 2, squeeze=False)[0]
    samples = (
        ("walk-forward", lambda e: e["verdict"]),
        ("hold-out", lambda e: (e.get("holdout") or {}).get("verdict")),
    )
    for axes, (sample, pick) in zip(panels, samples, strict=True):
        positions = np.arange(len(models))
        for position, (_, entry) in zip(positions, models, strict=True):
            verdict = pick(entry)
            if verdict is None:
                continue
            scale = (
                100.0 / verdict["baseline_loss"] if verdict["baseline_loss"] else np.nan
            )
            centre = verdict["difference"] * scale
            low, high = verdict["ci_low"] * scale, verdict["ci_high"] * scale
            colour = (
                _BETTER
                if verdict["beats_baseline"]
                else (_WORSE if centre > 0 else _NEUTRAL)
            )
            axes.errorbar(
                centre,
                position,
                xerr=[[centre - low], [high - centre]],
                fmt="o",
                color=colour,
                capsize=3,
            )
            axes.annotate(
                f"p={verdict['p_value_adjusted']:.2g}{' beats' if verdict['beats_baseline'] else ''}",
                (high, position),
                xytext=(4, 0),
                textcoords="offset points",
                va="center",
                fontsize=7,
            )
        axes.axvline(0.0, color="black", linewidth=0.8)
        axes.set_yticks(positions, [name for name, _ in models], fontsize=7)
        axes.invert_yaxis()
        axes.margins(x=0.35)
        axes.set_xlabel("loss difference vs baseline (% of baseline loss)", fontsize=7)
        axes.set_title(sample, fontsize=9)
    figure.suptitle(
        "Verdicts: Diebold-Mariano 95 % intervals, Holm-adjusted p", fontsize=10
    )
    return figure


def _binned_curve(axes, rows: pd.DataFrame, groups, label: str) -> pd.DataFrame:
    """Plot the mean forecast against the mean outcome per group; returns the groups."""
    curve = rows.groupby(groups, observed=True).agg(
        predicted=("predicted", "mean"),
        realized=("realized", "mean"),
        count=("realized", "size"),
    )
    axes.plot(
        curve["predicted"], curve["realized"], marker="o", color="tab:blue", label=label
    )
    return curve


def _regression_panel(axes, rows: pd.DataFrame) -> None:
    """Mean realized return per decile of the forecast, against the forecast."""
    deciles = pd.qcut(rows["predicted"].rank(method="first"), 10, labels=False)
    _binned_curve(axes, rows, deciles, "model (deciles)")
    axes.axhline(0.0, color="black", linewidth=0.5)
    axes.axvline(0.0, color=_NEUTRAL, linewidth=0.8)
    axes.set_xlabel("predicted log return", fontsize=7)
    axes.set_ylabel("mean realized log return", fontsize=7)


def _classification_panel(axes, rows: pd.DataFrame) -> None:
    """Reliability curve of P(up) with the number of forecasts in each bin."""
    bins = pd.cut(rows["predicted"], np.linspace(0.0, 1.0, 21), include_lowest=True)
    curve = _binned_curve(axes, rows, bins, "model")
    for point in curve.itertuples():
        axes.annotate(
            str(point.count),
            (point.predicted, point.realized),
            xytext=(0, 5),
            textcoords="offset points",
            fontsize=6,
            ha="center",
        )
    low = min(curve["predicted"].min(), curve["realized"].min()) - 0.03
    high = max(curve["predicted"].max(), curve["realized"].max()) + 0.03
    axes.plot(
        [low, high],
        [low, high],
        color="black",
        linewidth=0.5,
        linestyle=":",
        label="perfect calibration",
    )
    axes.set_xlim(low, high)
    axes.set_ylim(low, high)
    axes.set_xlabel("predicted P(up)", fontsize=7)
    axes.set_ylabel("realized share of rises", fontsize=7)


def plot_predicted_vs_realized(predictions: pd.DataFrame) -> Figure:
    """One panel per model on its walk-forward forecasts: deciles or calibration bins."""
    walk_forward = predictions[predictions["sample"] == "walk_forward"]
    models = sorted(walk_forward["model"].unique())
    figure = Figure(figsize=(3.2 * len(models), 3.8), layout="constrained")
    panels = figure.subplots(1, len(models), squeeze=False)[0]
    for axes, name in zip(panels, models, strict=True):
        rows = walk_forward[walk_forward["model"] == name]
        if rows["task"].iloc[0] == REGRESSION:
            _regression_panel(axes, rows)
        else:
            _classification_panel(axes, rows)
        axes.set_title(name, fontsize=9)
        axes.tick_params(labelsize=7)
    handles = {}
    for axes in panels:
        for handle, label in zip(*axes.get_legend_handles_labels(), strict=True):
            handles.setdefault(label, handle)
    figure.legend(
        handles.values(),
        handles.keys(),
        loc="outside lower center",
        ncols=3,
        fontsize=7,
    )
    figure.suptitle(
        "Walk-forward forecasts against outcomes (numbers: forecasts per calibration bin)",
        fontsize=10,
    )
    return figure


def plot_feature_importance(importance: pd.DataFrame) -> Figure:
    """The top pooled hold-out permutation importances of each model, with their spread."""
    pooled = importance[importance["scope"] == "pooled"]
    models = sorted(pooled["model"].unique())
    figure = Figure(figsize=(3.4 * max(len(models), 1), 4.6), layout="constrained")
    panels = figure.subplots(1, max(len(models), 1), squeeze=False)[0]
    if not models:
        panels[0].text(0.5, 0.5, "no hold-out: no importance", ha="center", va="center")
        panels[0].set_axis_off()
    for axes, name in zip(panels, models, strict=False):
        top = pooled[pooled["model"] == name].nlargest(_TOP_FEATURES, "mean")
        positions = np.arange(len(top))
        axes.barh(
            positions,
            top["mean"],
            xerr=top["std"],
            color="tab:blue",
            error_kw={"linewidth": 0.8},
        )
        axes.axvline(0.0, color="black", linewidth=0.8)
        axes.set_yticks(positions, top["feature"], fontsize=6)
        axes.invert_yaxis()
        axes.set_title(name, fontsize=9)
        axes.tick_params(axis="x", labelsize=6)
        axes.set_xlabel("loss rise when shuffled", fontsize=7)
    figure.suptitle(
        "Hold-out permutation importance (pooled, top features)", fontsize=10
    )
    return figure
