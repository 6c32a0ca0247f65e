"""Diebold–Mariano with a Newey–West variance, and Holm's adjustment."""

from __future__ import annotations

import numpy as np
import pytest

from criptos.modeling.significance import (
    diebold_mariano,
    holm_adjusted,
    newey_west_lag,
    newey_west_variance,
)


def test_with_lag_zero_the_variance_is_the_plain_one_and_autocorrelation_widens_it():
    rng = np.random.default_rng(1)
    noise = rng.normal(size=4000)
    assert newey_west_variance(noise, 0) == pytest.approx(np.var(noise))
    persistent = np.convolve(
        noise, np.ones(5), mode="valid"
    )  # MA(4): positive autocorr.
    assert newey_west_variance(persistent, 8) > 3 * np.var(persistent)
    assert newey_west_lag(2490, 1) == 8
    assert newey_west_lag(100, 10) == 10  # never below the horizon


def test_under_the_null_the_test_rejects_at_about_its_level():
    rng = np.random.default_rng(2)
    rejections = 0
    trials = 400
    for _ in range(trials):
        model = rng.normal(1.0, 1.0, size=500)
        baseline = model + rng.normal(0.0, 0.2, size=500)
        rejections += diebold_mariano(model, baseline, horizon=1).p_value < 0.05
    assert 0.02 < rejections / trials < 0.09


def test_a_real_improvement_is_found_and_its_interval_covers_it():
    rng = np.random.default_rng(3)
    baseline = rng.normal(1.0, 0.3, size=1000)
    model = baseline - 0.05 + rng.normal(0.0, 0.1, size=1000)
    test = diebold_mariano(model, baseline, horizon=1)
    assert test.p_value < 1e-6
    assert test.statistic < 0
    assert test.ci_low < -0.05 < test.ci_high < 0
    assert test.days == 1000


def test_identical_losses_give_p_one_and_too_short_a_sample_is_refused():
    losses = np.linspace(0.0, 1.0, 50)
    test = diebold_mariano(losses, losses, horizon=1)
    assert (test.difference, test.statistic, test.p_value) == (0.0, 0.0, 1.0)
    with pytest.raises(ValueError, match="at least 2 days"):
        diebold_mariano(np.array([1.0]), np.array([2.0]), horizon=1)


def test_holm_steps_down_keeps_order_and_caps_at_one():
    adjusted = holm_adjusted({"a": 0.01, "b": 0.04, "c": 0.03, "d": 0.5})
    assert adjusted == pytest.approx({"a": 0.04, "b": 0.09, "c": 0.09, "d": 0.5})
    assert holm_adjusted({"x": 0.6, "y": 0.7}) == {"x": 1.0, "y": 1.0}
    assert list(holm_adjusted({"z": 0.2, "a": 0.1})) == ["z", "a"]
