"""Scores of out-of-sample forecasts, on the target itself.

Regressors forecast the log return ``r`` over the horizon and are scored on it:
``mse``, ``rmse``, ``mae``, ``r2_oos`` (1 - SSE / SSE of the zero-return forecast),
``directional_accuracy`` (``r > 0`` predicted vs realized, the rule of
``direcao_alvo``), the daily cross-sectional information coefficient (``ic``:
Pearson across the assets of one day; ``rank_ic``: Spearman; each with the mean over
days, its standard error ``*_se`` and ``icir``/``rank_icir`` = mean / standard deviation) and
``ts_corr``, the per-asset correlation over time averaged over assets. There is no
price-level error: pooled over coins it is the error of the most expensive one, and
it changes when a coin is redenominated, which no forecast skill does.

Classifiers forecast P(up) and are scored with ``log_loss``, ``brier``, ``roc_auc``,
``accuracy`` and ``f1`` of the class ``P(up) > 0.5``, and ``ece`` (expected
calibration error over ``CALIBRATION_BINS`` equal-width bins, whose counts are in
``calibration``).

Every function takes a frame with ``ativo``, ``data``, ``realized``
and one forecast column.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd
from sklearn.metrics import f1_score, roc_auc_score

from criptos.modeling.params import CLASSIFICATION, REGRESSION

PROBABILITY_EPSILON = 1e-15
CALIBRATION_BINS = 10
# Scalar metric names per task, each with True when a higher value is better.
METRICS: dict[str, dict[str, bool]] = {
    REGRESSION: {
        "mse": False,
        "rmse": False,
        "mae": False,
        "r2_oos": True,
        "directional_accuracy": True,
        "ic": True,
        "ic_se": False,
        "icir": True,
        "rank_ic": True,
        "rank_ic_se": False,
        "rank_icir": True,
        "ts_corr": True,
    },
    CLASSIFICATION: {
        "log_loss": False,
        "brier": False,
        "roc_auc": True,
        "accuracy": True,
        "f1": True,
        "ece": False,
    },
}


def row_losses(
    task: str, loss: str, realized: np.ndarray, forecast: np.ndarray
) -> np.ndarray:
    """The loss of each forecast: ``mse``/``mae`` of the return, ``log_loss``/``brier`` of P(up)."""
    realized = np.asarray(realized, dtype=np.float64)
    forecast = np.asarray(forecast, dtype=np.float64)
    if task == REGRESSION:
        error = realized - forecast
        return error**2 if loss == "mse" else np.abs(error)
    probability = np.clip(forecast, 0.0, 1.0)
    if loss == "brier":
        return (probability - realized) ** 2
    probability = np.clip(probability, PROBABILITY_EPSILON, 1.0 - PROBABILITY_EPSILON)
    return -(realized * np.log(probability) + (1.0 - realized) * np.log1p(-probability))


def _grouped_correlation(x: pd.Series, y: pd.Series, groups: pd.Series) -> pd.Series:
    """Pearson correlation of ``x`` and ``y`` within each group; NaN where one is constant."""
    x_dev = x - x.groupby(groups).transform("mean")
    y_dev = y - y.groupby(groups).transform("mean")
    sums = (
        pd.DataFrame(
            {"xy": x_dev * y_dev, "xx": x_dev**2, "yy": y_dev**2, "group": groups}
        )
        .groupby("group", sort=True)[["xy", "xx", "yy"]]
        .sum()
    )
    scale = np.sqrt(sums["xx"] * sums["yy"])
    # Relative tolerance: a constant forecast leaves rounding noise, not a signal.
    constant = (sums["xx"] <= 1e-24) | (sums["yy"] <= 1e-24)
    return (sums["xy"] / scale).where(~constant & (scale > 0))


def _summary(values: pd.Series, name: str) -> dict[str, float | None]:
    values = values.dropna()
    if len(values) < 2:
        return {name: None, f"{name}_se": None, f"{name}ir": None}
    mean, deviation = float(values.mean()), float(values.std(ddof=1))
    return {
        name: mean,
        f"{name}_se": deviation / np.sqrt(len(values)),
        f"{name}ir": mean / deviation if deviation > 0 else None,
    }


def information_coefficients(
    rows: pd.DataFrame, forecast: str
) -> dict[str, float | None]:
    """Daily cross-sectional IC and rank IC (days with at least 3 assets) and ``ts_corr``."""
    sizes = rows.groupby("data", sort=False)["data"].transform("size")
    cross = rows.loc[sizes >= 3]
    ranked = cross.groupby("data", sort=False)[[forecast, "realized"]].rank()
    result = {
        **_summary(
            _grouped_correlation(cross[forecast], cross["realized"], cross["data"]),
            "ic",
        ),
        **_summary(
            _grouped_correlation(ranked[forecast], ranked["realized"], cross["data"]),
            "rank_ic",
        ),
    }
    per_asset = _grouped_correlation(rows[forecast], rows["realized"], rows["ativo"])
    result["ts_corr"] = float(per_asset.mean()) if per_asset.notna().any() else None
    return result


def regression_metrics(rows: pd.DataFrame, forecast: str) -> dict[str, Any]:
    """Scores of the log-return forecasts in column ``forecast``."""
    realized = rows["realized"].to_numpy(np.float64)
    predicted = rows[forecast].to_numpy(np.float64)
    squared = (realized - predicted) ** 2
    zero_sse = float(np.sum(realized**2))
    return {
        "rows": len(rows),
        "mse": float(np.mean(squared)),
        "rmse": float(np.sqrt(np.mean(squared))),
        "mae": float(np.mean(np.abs(realized - predicted))),
        "r2_oos": 1.0 - float(np.sum(squared)) / zero_sse if zero_sse > 0 else None,
        "directional_accuracy": float(np.mean((predicted > 0) == (realized > 0))),
        **information_coefficients(rows, forecast),
    }


def calibration_bins(realized: np.ndarray, probability: np.ndarray) -> list[dict]:
    """Equal-width bins of P(up): count, mean forecast and realized share of rises."""
    edges = np.linspace(0.0, 1.0, CALIBRATION_BINS + 1)
    index = np.clip(
        np.floor(probability * CALIBRATION_BINS).astype(int), 0, CALIBRATION_BINS - 1
    )
    bins = []
    for number in range(CALIBRATION_BINS):
        mask = index == number
        count = int(mask.sum())
        bins.append(
            {
                "lower": float(edges[number]),
                "upper": float(edges[number + 1]),
                "count": count,
                "mean_predicted": float(probability[mask].mean()) if count else None,
                "realized": float(realized[mask].mean()) if count else None,
            }
        )
    return bins


def classification_metrics(rows: pd.DataFrame, forecast: str) -> dict[str, Any]:
    """Scores of the P(up) forecasts in column ``forecast``."""
    realized = rows["realized"].to_numpy(np.float64)
    probability = np.clip(rows[forecast].to_numpy(np.float64), 0.0, 1.0)
    predicted_up = probability > 0.5
    realized_up = realized > 0.5
    bins = calibration_bins(realized, probability)
    ece = sum(
        item["count"] * abs(item["mean_predicted"] - item["realized"])
        for item in bins
        if item["count"]
    ) / max(len(rows), 1)
    both_classes = 0 < realized_up.sum() < len(realized_up)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return {
            "rows": len(rows),
            "log_loss": float(
                np.mean(row_losses(CLASSIFICATION, "log_loss", realized, probability))
            ),
            "brier": float(np.mean((probability - realized) ** 2)),
            "roc_auc": float(roc_auc_score(realized_up, probability))
            if both_classes
            else None,
            "accuracy": float(np.mean(predicted_up == realized_up)),
            "f1": float(f1_score(realized_up, predicted_up, zero_division=0.0)),
            "ece": float(ece),
            "calibration": bins,
        }


def score(task: str, rows: pd.DataFrame, forecast: str) -> dict[str, Any]:
    """All metrics of ``task`` for the forecasts in column ``forecast`` of ``rows``."""
    if task == REGRESSION:
        return regression_metrics(rows, forecast)
    return classification_metrics(rows, forecast)
