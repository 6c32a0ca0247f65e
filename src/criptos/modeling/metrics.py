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
from scipy.stats import spearmanr
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


def _rank_correlation(predicted: np.ndarray, realized: np.ndarray) -> float:
    """Spearman correlation; 0.0 when either side is constant (it ranks nothing)."""
    if len(predicted) < 2 or np.ptp(predicted) == 0 or np.ptp(realized) == 0:
        return 0.0
    return float(spearmanr(predicted, realized).statistic)


def information_coefficient(
    predicted: np.ndarray, realized: np.ndarray, dates: np.ndarray
) -> float:
    """Spearman rank correlation of predicted and realized returns.

    Computed across assets within each date that has at least two assets and
    averaged over those dates; when no date has two assets (one asset), it is the
    correlation over time instead.
    """
    frame = pd.DataFrame({"predicted": predicted, "realized": realized, "date": dates})
    sizes = frame.groupby("date", sort=True)["date"].transform("size")
    cross_section = frame.loc[sizes >= 2]
    if cross_section.empty:
        return _rank_correlation(
            frame["predicted"].to_numpy(), frame["realized"].to_numpy()
        )
    per_date = [
        _rank_correlation(group["predicted"].to_numpy(), group["realized"].to_numpy())
        for _, group in cross_section.groupby("date", sort=True)
    ]
    return float(np.mean(per_date))


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
