"""Scores of out-of-sample forecasts.

Regression models forecast the log return ``r`` over the horizon; they are scored on
the price they imply, ``fechamento * exp(r)`` (``mae``, ``rmse``, ``mape``), on the
direction (``directional_accuracy``: predicted ``r > 0`` against realized ``r > 0``,
the same rule as ``direcao_alvo``, so a zero forecast counts as "not up") and on the
ranking (``ic``). Classifiers are scored on the predicted class (``accuracy``,
``f1`` of the "up" class) and on the probability of "up" (``roc_auc``,
``log_loss``, ``brier``).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from sklearn.metrics import (
    accuracy_score,
    brier_score_loss,
    f1_score,
    log_loss,
    mean_absolute_error,
    mean_absolute_percentage_error,
    roc_auc_score,
    root_mean_squared_error,
)

# Metric names per task, each with True when a higher value is better.
METRICS: dict[str, dict[str, bool]] = {
    "regression": {
        "mae": False,
        "rmse": False,
        "mape": False,
        "directional_accuracy": True,
        "ic": True,
    },
    "classification": {
        "accuracy": True,
        "f1": True,
        "roc_auc": True,
        "log_loss": False,
        "brier": False,
    },
}


def _rank_correlations(frame: pd.DataFrame, groups: str) -> pd.Series:
    """Spearman correlation of ``predicted`` and ``realized`` within each group.

    The Pearson correlation of average ranks (what ``scipy.stats.spearmanr`` computes),
    for all groups at once; 0.0 where either side is constant (it ranks nothing).
    """
    grouped = frame.groupby(groups, sort=True)
    deviations = {}
    for column in ("predicted", "realized"):
        ranks = grouped[column].rank(method="average")
        deviations[column] = ranks - ranks.groupby(frame[groups]).transform("mean")
    by_group = (
        pd.DataFrame(
            {
                "covariance": deviations["predicted"] * deviations["realized"],
                "predicted": deviations["predicted"] ** 2,
                "realized": deviations["realized"] ** 2,
                groups: frame[groups],
            }
        )
        .groupby(groups, sort=True)
        .sum()
    )
    scale = np.sqrt(by_group["predicted"] * by_group["realized"])
    return (by_group["covariance"] / scale.where(scale > 0)).fillna(0.0)


def information_coefficient(
    predicted: np.ndarray, realized: np.ndarray, dates: np.ndarray
) -> float:
    """Spearman rank correlation of predicted and realized returns.

    Computed across assets within each date that has at least two assets and
    averaged over those dates; when no date has two assets (one asset), it is the
    correlation over time instead.
    """
    frame = pd.DataFrame({"predicted": predicted, "realized": realized, "date": dates})
    sizes = frame.groupby("date", sort=False)["date"].transform("size")
    cross_section = frame.loc[sizes >= 2]
    if cross_section.empty:
        if len(frame) < 2:
            return 0.0
        return float(_rank_correlations(frame.assign(date=0), "date").iloc[0])
    return float(_rank_correlations(cross_section, "date").mean())


def regression_metrics(
    close: np.ndarray,
    realized_return: np.ndarray,
    predicted_return: np.ndarray,
    dates: np.ndarray,
) -> dict[str, float]:
    """Price and direction scores of log-return forecasts made at ``close``."""
    realized_price = close * np.exp(realized_return)
    predicted_price = close * np.exp(predicted_return)
    return {
        "mae": float(mean_absolute_error(realized_price, predicted_price)),
        "rmse": float(root_mean_squared_error(realized_price, predicted_price)),
        "mape": float(mean_absolute_percentage_error(realized_price, predicted_price)),
        "directional_accuracy": float(
            np.mean((predicted_return > 0) == (realized_return > 0))
        ),
        "ic": information_coefficient(predicted_return, realized_return, dates),
    }


def classification_metrics(
    realized_up: np.ndarray, predicted_up: np.ndarray, probability_up: np.ndarray
) -> dict[str, float | None]:
    """Class and probability scores; ``roc_auc`` is None when only one class occurred."""
    realized_up = np.asarray(realized_up, dtype=bool)
    probability_up = np.clip(np.asarray(probability_up, dtype=np.float64), 0.0, 1.0)
    both_classes = 0 < realized_up.sum() < len(realized_up)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return {
            "accuracy": float(accuracy_score(realized_up, predicted_up)),
            "f1": float(f1_score(realized_up, predicted_up, zero_division=0.0)),
            "roc_auc": float(roc_auc_score(realized_up, probability_up))
            if both_classes
            else None,
            "log_loss": float(
                log_loss(realized_up, probability_up, labels=[False, True])
            ),
            "brier": float(
                brier_score_loss(realized_up, probability_up, pos_label=True)
            ),
        }
