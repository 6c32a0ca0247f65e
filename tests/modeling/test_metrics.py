"""Metrics checked by hand on tiny frames."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from criptos.modeling.metrics import (
    METRICS,
    classification_metrics,
    regression_metrics,
    row_losses,
)

TWO_DATES = pd.to_datetime(["2024-01-01", "2024-01-02"])


def _rows(dates, realized, forecast, assets=None) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "ativo": assets if assets is not None else ["A"] * len(realized),
            "data": dates,
            "realized": realized,
            "predicted": forecast,
        }
    )


def test_regression_metrics_are_on_the_log_return():
    realized = np.array([0.10, -0.10, 0.05, -0.02])
    predicted = np.array([0.05, 0.01, 0.0, -0.01])
    dates = pd.date_range("2024-01-01", periods=4)
    scores = regression_metrics(_rows(dates, realized, predicted), "predicted")
    errors = realized - predicted
    assert scores["mse"] == pytest.approx(np.mean(errors**2))
    assert scores["rmse"] == pytest.approx(math.sqrt(np.mean(errors**2)))
    assert scores["mae"] == pytest.approx(np.mean(np.abs(errors)))
    assert scores["r2_oos"] == pytest.approx(
        1 - np.sum(errors**2) / np.sum(realized**2)
    )
    # Hits on days 1 and 4; day 3's zero forecast counts as "not up", like
    # direcao_alvo, so it misses the rise.
    assert scores["directional_accuracy"] == pytest.approx(0.5)
    assert scores["ts_corr"] == pytest.approx(np.corrcoef(realized, predicted)[0, 1])
    # One asset per day: no cross-section, so no IC.
    assert scores["ic"] is None and scores["rank_ic"] is None
    assert set(scores) - {"rows"} == set(METRICS["regression"])


def test_the_zero_forecast_has_r2_oos_zero_and_no_correlation():
    realized = np.array([0.1, -0.1, -0.2, 0.3])
    scores = regression_metrics(
        _rows(pd.date_range("2024-01-01", periods=4), realized, np.zeros(4)),
        "predicted",
    )
    assert scores["r2_oos"] == 0.0
    assert scores["ts_corr"] is None


def test_ic_is_the_daily_cross_sectional_correlation_with_its_spread():
    dates = np.repeat(TWO_DATES, 3)
    assets = ["A", "B", "C"] * 2
    realized = np.array([0.01, 0.02, 0.03, 0.01, 0.02, 0.03])
    # Day 1 ranks perfectly (+1); day 2 swaps the top two (Spearman 0.5).
    predicted = np.array([-5.0, 0.0, 5.0, 1.0, 3.0, 2.0])
    scores = regression_metrics(_rows(dates, realized, predicted, assets), "predicted")
    assert scores["rank_ic"] == pytest.approx(0.75)
    assert scores["rank_ic_se"] == pytest.approx(np.std([1.0, 0.5], ddof=1) / 2**0.5)
    assert scores["rank_icir"] == pytest.approx(0.75 / np.std([1.0, 0.5], ddof=1))
    day_two = np.corrcoef(predicted[3:], realized[3:])[0, 1]
    assert scores["ic"] == pytest.approx((1.0 + day_two) / 2)


def test_classification_metrics_by_hand():
    realized = np.array([1.0, 1.0, 0.0, 0.0])
    probability = np.array([0.9, 0.4, 0.6, 0.1])
    scores = classification_metrics(
        _rows(pd.date_range("2024-01-01", periods=4), realized, probability),
        "predicted",
    )
    assert scores["accuracy"] == pytest.approx(0.5)
    assert scores["f1"] == pytest.approx(0.5)  # precision 1/2, recall 1/2
    assert scores["roc_auc"] == pytest.approx(0.75)  # 3 of 4 up/down pairs ordered
    assert scores["brier"] == pytest.approx((0.01 + 0.36 + 0.36 + 0.01) / 4)
    assert scores["log_loss"] == pytest.approx(
        -(2 * math.log(0.9) + 2 * math.log(0.4)) / 4
    )
    # Bins [0.0, 0.1), [0.1, 0.2) ... : 0.1 -> bin 1, 0.4 -> 4, 0.6 -> 6, 0.9 -> 9.
    counts = [item["count"] for item in scores["calibration"]]
    assert counts == [0, 1, 0, 0, 1, 0, 1, 0, 0, 1]
    assert scores["ece"] == pytest.approx((0.1 + 0.6 + 0.6 + 0.1) / 4)
    assert set(scores) - {"rows", "calibration"} == set(METRICS["classification"])


def test_one_class_leaves_roc_auc_undefined_and_losses_match_row_losses():
    realized = np.ones(3)
    scores = classification_metrics(
        _rows(pd.date_range("2024-01-01", periods=3), realized, np.full(3, 0.5)),
        "predicted",
    )
    assert scores["roc_auc"] is None
    assert scores["f1"] == 0.0 and scores["accuracy"] == 0.0
    assert scores["log_loss"] == pytest.approx(math.log(2))
    assert row_losses("classification", "log_loss", np.array([1.0]), np.array([0.0]))[
        0
    ] == pytest.approx(-math.log(1e-15))
    assert row_losses("regression", "mae", np.array([0.1]), np.array([-0.1]))[
        0
    ] == pytest.approx(0.2)
