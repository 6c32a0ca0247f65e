"""Metrics checked by hand on tiny arrays."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from criptos.modeling.metrics import (
    METRICS,
    classification_metrics,
    information_coefficient,
    regression_metrics,
)

TWO_DATES = pd.to_datetime(["2024-01-01", "2024-01-02"]).to_numpy()


def test_regression_metrics_score_the_implied_price_and_direction():
    # Closes 100 and 200; realized +10% and -10%; forecasts +5% and +1%.
    close = np.array([100.0, 200.0])
    realized = np.log([1.10, 0.90])
    predicted = np.log([1.05, 1.01])
    scores = regression_metrics(close, realized, predicted, TWO_DATES)
    # Prices: realized 110 and 180, predicted 105 and 202: errors 5 and 22.
    assert scores["mae"] == pytest.approx(13.5)
    assert scores["rmse"] == pytest.approx(math.sqrt((25 + 484) / 2))
    assert scores["mape"] == pytest.approx((5 / 110 + 22 / 180) / 2)
    assert scores["directional_accuracy"] == pytest.approx(0.5)
    # One asset per date: the IC is the correlation over time (two points: +1).
    assert scores["ic"] == pytest.approx(1.0)


def test_a_zero_return_forecast_counts_as_not_up():
    close = np.array([1.0, 1.0, 1.0, 1.0])
    realized = np.array([0.1, -0.1, -0.2, 0.0])
    dates = pd.date_range("2024-01-01", periods=4).to_numpy()
    scores = regression_metrics(close, realized, np.zeros(4), dates)
    assert scores["directional_accuracy"] == pytest.approx(0.75)
    assert scores["mae"] == pytest.approx(np.mean(np.abs(np.exp(realized) - 1.0)))
    assert scores["ic"] == 0.0


def test_ic_is_the_cross_sectional_rank_correlation_averaged_over_dates():
    dates = np.repeat(TWO_DATES, 3)
    realized = np.array([0.01, 0.02, 0.03, 0.01, 0.02, 0.03])
    # Date 1 ranks perfectly (+1); date 2 swaps the top two (1 - 6*2/24 = 0.5).
    predicted = np.array([-5.0, 0.0, 5.0, 1.0, 3.0, 2.0])
    assert information_coefficient(predicted, realized, dates) == pytest.approx(0.75)
    # Reversing date 2 entirely gives -1 there: mean 0.
    reversed_second = np.array([-5.0, 0.0, 5.0, 3.0, 2.0, 1.0])
    assert information_coefficient(reversed_second, realized, dates) == pytest.approx(
        0.0
    )


def test_classification_metrics_by_hand():
    realized = np.array([True, True, False, False])
    probability = np.array([0.9, 0.4, 0.6, 0.1])
    scores = classification_metrics(realized, probability > 0.5, probability)
    assert scores["accuracy"] == pytest.approx(0.5)
    assert scores["f1"] == pytest.approx(0.5)  # precision 1/2, recall 1/2
    assert scores["roc_auc"] == pytest.approx(0.75)  # 3 of 4 up/down pairs ordered
    assert scores["brier"] == pytest.approx((0.01 + 0.36 + 0.36 + 0.01) / 4)
    assert scores["log_loss"] == pytest.approx(
        -(2 * math.log(0.9) + 2 * math.log(0.4)) / 4
    )
    assert set(scores) == set(METRICS["classification"])


def test_roc_auc_is_undefined_with_one_class_and_f1_zero_without_up_forecasts():
    realized = np.array([True, True, True])
    scores = classification_metrics(realized, np.zeros(3, dtype=bool), np.full(3, 0.5))
    assert scores["roc_auc"] is None
    assert scores["f1"] == 0.0
    assert scores["accuracy"] == 0.0
    assert scores["log_loss"] == pytest.approx(math.log(2))
