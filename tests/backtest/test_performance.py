"""The performance summary and the equity and drawdown curves."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

from criptos.backtest.performance import (
    SUMMARY_KEYS,
    drawdown_curve,
    equity_curve,
    summary,
)

DAYS = pd.date_range("2024-01-01", periods=5, freq="D", name="day")


def series(values: list[float]) -> pd.Series:
    return pd.Series(values, index=DAYS[: len(values)], dtype=float)


def test_a_five_day_summary_by_hand():
    daily = series([0.10, -0.20, 0.05, 0.00, 0.10])
    benchmark = series([0.05, -0.10, 0.00, 0.01, 0.02])
    report = summary(
        daily,
        benchmark=benchmark,
        turnover=series([1.0, 0.0, 0.5, 1.0, 1.5]),
        exposure=series([1.0, 1.0, 1.0, 0.0, 1.0]),
    )
    assert tuple(report) == SUMMARY_KEYS
    total = 1.1 * 0.8 * 1.05 * 1.0 * 1.1 - 1
    variance = (0.09**2 + 0.21**2 + 0.04**2 + 0.01**2 + 0.09**2) / 4  # mean 0.01
    daily_sharpe = 0.01 / math.sqrt(variance)
    expected = {
        "total_return": total,
        "annual_return": (1 + total) ** (365 / 5) - 1,
        "annual_volatility": math.sqrt(variance) * math.sqrt(365),
        "sharpe": daily_sharpe * math.sqrt(365),
        "sharpe_se": math.sqrt((1 + daily_sharpe**2 / 2) / 5) * math.sqrt(365),
        "max_drawdown": 1 - 0.88 / 1.1,
        "turnover": 4.0 / 5,
        "hit_rate": 3 / 4,  # the flat day 4 does not count
        "exposure": 4.0 / 5,
    }
    for key, value in expected.items():
        assert report[key] == pytest.approx(value, abs=1e-12), key
    assert report["days"] == 5

    # Excess [0.05, -0.1, 0.05, -0.01, 0.08], mean 0.014; lag max(1, 4 (5/100)^(2/9)) = 2.
    centred = np.array([0.05, -0.1, 0.05, -0.01, 0.08]) - 0.014
    autocovariances = [centred[k:] @ centred[: 5 - k] / 5 for k in range(3)]
    long_run = autocovariances[0] + 2 * (2 / 3) * autocovariances[1]
    long_run += 2 * (1 / 3) * autocovariances[2]
    excess = report["excess_vs_buy_and_hold"]
    assert excess["mean_daily"] == pytest.approx(0.014, abs=1e-12)
    assert excess["t_stat"] == pytest.approx(0.014 / math.sqrt(long_run / 5), 1e-12)


def test_the_starting_equity_counts_as_a_peak():
    daily = series([-0.10, 0.05])
    np.testing.assert_allclose(equity_curve(daily), [0.9, 0.945], atol=1e-15)
    np.testing.assert_allclose(drawdown_curve(daily), [0.1, 0.055], atol=1e-15)
    report = summary(daily, benchmark=None, turnover=daily * 0, exposure=daily * 0 + 1)
    assert report["max_drawdown"] == pytest.approx(0.1, abs=1e-15)
    rising = series([0.01, 0.02])
    assert drawdown_curve(rising).tolist() == [0.0, 0.0]


def test_undefined_numbers_are_none_and_everything_is_json_ready():
    flat = series([0.0, 0.0, 0.0])
    report = summary(flat, benchmark=flat, turnover=flat, exposure=flat)
    assert report["sharpe"] is None
    assert report["sharpe_se"] is None
    assert report["hit_rate"] is None  # never exposed
    assert report["excess_vs_buy_and_hold"] == {"mean_daily": 0.0, "t_stat": None}
    assert report["annual_volatility"] == 0.0
    no_benchmark = summary(flat, benchmark=None, turnover=flat, exposure=flat)
    assert no_benchmark["excess_vs_buy_and_hold"] == {
        "mean_daily": None,
        "t_stat": None,
    }

    rng = np.random.default_rng(0)
    noisy = series(list(rng.normal(0, 0.02, 5)))
    report = summary(noisy, benchmark=noisy * 0.5, turnover=noisy.abs(), exposure=noisy)
    json.dumps(report, allow_nan=False)
    numbers = [value for key, value in report.items() if key != "days"]
    numbers.remove(report["excess_vs_buy_and_hold"])
    numbers += list(report["excess_vs_buy_and_hold"].values())
    assert all(type(value) is float for value in numbers)
    assert type(report["days"]) is int


def test_a_constant_excess_has_no_t_statistic():
    daily = series([0.01, -0.02, 0.03, 0.0])
    report = summary(
        daily, benchmark=daily - 0.001, turnover=daily * 0, exposure=daily * 0 + 1
    )
    assert report["excess_vs_buy_and_hold"]["t_stat"] is None
    assert report["excess_vs_buy_and_hold"]["mean_daily"] == pytest.approx(0.001)


def test_misaligned_or_empty_inputs_are_refused():
    daily = series([0.01, 0.02, 0.03])
    with pytest.raises(ValueError, match="turnover"):
        summary(daily, benchmark=None, turnover=daily.iloc[1:], exposure=daily)
    with pytest.raises(ValueError, match="benchmark"):
        summary(
            daily, benchmark=daily.shift(1, freq="D"), turnover=daily, exposure=daily
        )
    with pytest.raises(ValueError, match="at least one day"):
        summary(daily.iloc[:0], benchmark=None, turnover=daily, exposure=daily)
    with pytest.raises(ValueError, match="horizon"):
        summary(daily, benchmark=None, turnover=daily, exposure=daily, horizon=0)
