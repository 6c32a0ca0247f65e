"""Paired tests of forecast losses: Diebold–Mariano with a Newey–West variance, Holm.

A model "beats" a baseline when its loss is lower on the same days by more than
chance explains. The daily loss differences ``d_t = model_t - baseline_t`` are
autocorrelated (overlapping labels when the horizon is above one day, volatility
clusters always), so their mean's variance is estimated with the Newey–West (HAC,
Bartlett-kernel) estimator, with a lag of at least the horizon. Across the models of
one run the p-values are adjusted with Holm's step-down method, which keeps the
chance of any false "beats" at the level without assuming independence.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import stats


def newey_west_lag(days: int, horizon: int) -> int:
    """The HAC lag: the usual ``floor(4 (T/100)^(2/9))`` rule, never below the horizon."""
    automatic = math.floor(4.0 * (days / 100.0) ** (2.0 / 9.0)) if days > 0 else 0
    return max(horizon, automatic)


def newey_west_variance(values: np.ndarray, lag: int) -> float:
    """Long-run variance of ``values`` (Bartlett weights ``1 - k / (lag + 1)``)."""
    centred = np.asarray(values, dtype=np.float64) - np.mean(values)
    days = len(centred)
    variance = float(centred @ centred) / days
    for k in range(1, min(lag, days - 1) + 1):
        autocovariance = float(centred[k:] @ centred[:-k]) / days
        variance += 2.0 * (1.0 - k / (lag + 1.0)) * autocovariance
    return max(variance, 0.0)


@dataclass(frozen=True)
class PairedTest:
    """Diebold–Mariano test of the mean of the daily loss differences."""

    difference: float
    std_error: float
    statistic: float
    p_value: float
    ci_low: float
    ci_high: float
    days: int
    lag: int


def diebold_mariano(
    model_losses: np.ndarray,
    baseline_losses: np.ndarray,
    horizon: int,
    confidence: float = 0.95,
) -> PairedTest:
    """Two-sided DM test of ``mean(model - baseline) = 0`` over paired daily losses.

    The statistic is compared with a Student t of ``T - 1`` degrees of freedom
    (Harvey, Leybourne and Newbold's small-sample choice); ``ci_low``/``ci_high``
    bound the mean difference at ``confidence``. Identical losses give p = 1.
    """
    differences = np.asarray(model_losses, np.float64) - np.asarray(
        baseline_losses, np.float64
    )
    days = len(differences)
    if days < 2:
        raise ValueError(f"a paired test needs at least 2 days, got {days}")
    lag = newey_west_lag(days, horizon)
    mean = float(np.mean(differences))
    std_error = math.sqrt(newey_west_variance(differences, lag) / days)
    quantile = float(stats.t.ppf(0.5 + confidence / 2.0, days - 1))
    if std_error == 0.0:
        statistic = 0.0 if mean == 0.0 else math.copysign(math.inf, mean)
        p_value = 1.0 if mean == 0.0 else 0.0
    else:
        statistic = mean / std_error
        p_value = float(2.0 * stats.t.sf(abs(statistic), days - 1))
    return PairedTest(
        difference=mean,
        std_error=std_error,
        statistic=statistic,
        p_value=p_value,
        ci_low=mean - quantile * std_error,
        ci_high=mean + quantile * std_error,
        days=days,
        lag=lag,
    )


def holm_adjusted(p_values: dict[str, float]) -> dict[str, float]:
    """Holm step-down adjusted p-values (monotone, capped at 1), keyed as given.

    Ties are ordered by key so the result never depends on dictionary order.
    """
    ordered = sorted(p_values.items(), key=lambda item: (item[1], item[0]))
    count = len(ordered)
    adjusted: dict[str, float] = {}
    running = 0.0
    for rank, (key, p_value) in enumerate(ordered):
        running = max(running, min(1.0, (count - rank) * p_value))
        adjusted[key] = running
    return {key: adjusted[key] for key in p_values}
