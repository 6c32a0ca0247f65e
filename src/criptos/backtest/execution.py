"""Holding target weights over the following days: daily returns, turnover and costs.

Conventions (``returns[a, D]`` is the simple return ``close_D / close_{D-1} - 1``):

- Timing: weights decided at decision date ``t`` are held over return day
  ``D = t + 1 + execution_lag_days`` calendar days. Lag 0 trades at ``t``'s close and
  earns ``t -> t+1``; lag 1 (the default) trades at ``t+1``'s close and earns
  ``t+1 -> t+2``, the day a forecast made after ``t``'s close can first be traded.
- Days: the evaluated days are exactly the ``D`` of the decision dates of
  ``weights`` (N decision dates, N days); flat days count, with return 0. "The day
  before" ``D`` is the previous evaluated day.
- Unknown returns: an asset whose return on ``D`` is NaN, or absent from ``returns``
  (an asset or a day beyond the data: a late ``D`` has NaN for every asset), holds
  nothing that day. The rest of its leg is rescaled to keep the leg's gross: for
  long-only weights (``long_flat``, buy-and-hold) the remaining longs keep the day's
  total long weight, equally weighted if they were; for long/short weights each of
  the long and the short leg keeps its own gross. A day on which a leg that had
  weight loses every asset is flat: keeping the other leg alone would turn a
  dollar-neutral book into a directional bet the strategy never chose.
- ``gross_D = sum_a held[a, D] * returns[a, D]``.
- ``turnover_D = sum_a |held[a, D] - held[a, D-1]|`` with nothing held before the
  first day; the exit after the last day is charged on the last day (plus
  ``sum_a |held[a, last]|``), so every position change pays, entry and exit included.
- ``net_D = gross_D - cost_bps / 10_000 * turnover_D``.
- ``exposure_D = sum_a |held[a, D]|`` (gross exposure).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from numbers import Integral, Real

import numpy as np
import pandas as pd

BASIS_POINTS = 10_000.0
DAY_NAME = "day"


@dataclass(frozen=True, eq=False)
class Book:
    """A simulated strategy; every Series is indexed by the held day ``D``."""

    gross: pd.Series
    net: pd.Series
    turnover: pd.Series
    exposure: pd.Series
    held: pd.DataFrame


def simulate(
    weights: pd.DataFrame,
    returns: pd.DataFrame,
    *,
    execution_lag_days: int = 1,
    cost_bps: float = 10.0,
) -> Book:
    """Hold ``weights`` (by decision date) over ``returns`` (by day); see the module."""
    _check_lag(execution_lag_days)
    _check_cost(cost_bps)
    _check_weights(weights)
    days = held_days(weights.index, execution_lag_days)
    day_returns = returns.reindex(index=days, columns=weights.columns).to_numpy(
        np.float64
    )
    known = ~np.isnan(day_returns)
    held = held_weights(weights.to_numpy(np.float64), known)
    gross = (held * np.where(known, day_returns, 0.0)).sum(axis=1)
    turnover = turnover_with_exit(held)
    net = gross - cost_bps / BASIS_POINTS * turnover

    def series(values: np.ndarray) -> pd.Series:
        return pd.Series(values, index=days)

    return Book(
        gross=series(gross),
        net=series(net),
        turnover=series(turnover),
        exposure=series(np.abs(held).sum(axis=1)),
        held=pd.DataFrame(held, index=days, columns=weights.columns),
    )


def held_days(decision_dates: pd.Index, execution_lag_days: int) -> pd.DatetimeIndex:
    """The return day ``D = t + 1 + execution_lag_days`` of each decision date."""
    days = pd.DatetimeIndex(decision_dates) + pd.Timedelta(days=1 + execution_lag_days)
    return days.rename(DAY_NAME)


def held_weights(targets: np.ndarray, known: np.ndarray) -> np.ndarray:
    """Targets with unknown-return assets dropped and each leg rescaled to its gross.

    A row whose long (or short) leg had weight but keeps no asset is all 0.
    """
    kept = np.where(known, targets, 0.0)
    long, long_target = _leg(kept, targets, np.maximum)
    short, short_target = _leg(kept, targets, np.minimum)
    long_kept = long.sum(axis=1, keepdims=True)
    short_kept = short.sum(axis=1, keepdims=True)
    lost_leg = ((long_target > 0) & (long_kept == 0)) | (
        (short_target < 0) & (short_kept == 0)
    )
    held = long * _ratio(long_target, long_kept) + short * _ratio(
        short_target, short_kept
    )
    return np.where(lost_leg, 0.0, held)


def turnover_with_exit(held: np.ndarray) -> np.ndarray:
    """``sum |held_D - held_{D-1}|`` from flat, the final exit added to the last day."""
    before = np.vstack([np.zeros((1, held.shape[1])), held[:-1]])
    turnover = np.abs(held - before).sum(axis=1)
    if len(turnover):
        turnover[-1] += np.abs(held[-1]).sum()
    return turnover


def _leg(
    kept: np.ndarray, targets: np.ndarray, side: np.ufunc
) -> tuple[np.ndarray, np.ndarray]:
    """One leg's kept weights and its per-row target total (``side`` picks the sign)."""
    return side(kept, 0.0), side(targets, 0.0).sum(axis=1, keepdims=True)


def _ratio(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    return np.divide(
        numerator,
        denominator,
        out=np.zeros(numerator.shape),
        where=denominator != 0,
    )


def _check_lag(execution_lag_days: object) -> None:
    if (
        isinstance(execution_lag_days, bool)
        or not isinstance(execution_lag_days, Integral)
        or execution_lag_days < 0
    ):
        raise ValueError(
            "backtest.execution_lag_days must be an integer >= 0, "
            f"got {execution_lag_days!r}"
        )


def _check_cost(cost_bps: object) -> None:
    if (
        isinstance(cost_bps, bool)
        or not isinstance(cost_bps, Real)
        or not math.isfinite(cost_bps)
        or cost_bps < 0
    ):
        raise ValueError(
            f"backtest.cost_bps must be a finite number >= 0, got {cost_bps!r}"
        )


def _check_weights(weights: pd.DataFrame) -> None:
    index = weights.index
    if not isinstance(index, pd.DatetimeIndex):
        raise ValueError("weights must be indexed by decision date (a DatetimeIndex)")
    if not (index.is_monotonic_increasing and index.is_unique):
        raise ValueError("weights' decision dates must be sorted and unique")
    if not np.isfinite(weights.to_numpy(np.float64)).all():
        raise ValueError("weights must be finite (0, not NaN, where no position)")
