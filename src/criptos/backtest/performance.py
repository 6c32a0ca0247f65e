"""Performance of a daily return series: the summary a backtest reports, and curves.

Crypto trades every calendar day, so annualising uses 365 days: ``annual_return`` is
``(1 + total)^(365/n) - 1``, volatility and Sharpe scale by ``sqrt(365)``. The Sharpe
ratio has no risk-free rate (mean / standard deviation, ``ddof=1``); its standard
error is Lo's (2002) under iid returns, ``sqrt((1 + SR_d^2 / 2) / n) * sqrt(365)``
with ``SR_d`` the daily Sharpe. The equity curve starts at 1 before the first day
and compounds, ``prod(1 + r)``; drawdowns are falls from its running peak (the
starting 1 counts as a peak), as positive fractions.

The excess over buy-and-hold is the mean of ``daily - benchmark`` with a Newey–West
t statistic (lag ``newey_west_lag(n, horizon)``, as in
``criptos.modeling.significance``), since daily strategy returns are autocorrelated
(volatility clusters, positions held for several days).

Every number is a Python float (JSON-ready), ``None`` where it is undefined.
"""

from __future__ import annotations

import math
from numbers import Integral
from typing import Any

import numpy as np
import pandas as pd

from criptos.modeling.significance import newey_west_lag, newey_west_variance

DAYS_PER_YEAR = 365
# An excess whose spread is below this fraction of the returns' size is constant: the
# subtraction's rounding (about 1e-16 of it) would otherwise give a huge t.
CONSTANT_SPREAD = 1e-12
SUMMARY_KEYS = (
    "total_return",
    "annual_return",
    "annual_volatility",
    "sharpe",
    "sharpe_se",
    "max_drawdown",
    "turnover",
    "hit_rate",
    "exposure",
    "days",
    "excess_vs_buy_and_hold",
)


def summary(
    daily: pd.Series,
    *,
    benchmark: pd.Series | None,
    turnover: pd.Series,
    exposure: pd.Series,
    horizon: int = 1,
) -> dict[str, Any]:
    """The backtest summary of ``daily`` returns (keys ``SUMMARY_KEYS``; see module).

    ``turnover``, ``exposure`` and ``benchmark`` are daily Series on the same days.
    """
    returns = _values(daily, "daily")
    days = len(returns)
    if days == 0:
        raise ValueError("a performance summary needs at least one day")
    if not isinstance(horizon, Integral) or isinstance(horizon, bool) or horizon < 1:
        raise ValueError(f"horizon must be an integer >= 1, got {horizon!r}")
    exposed = _same_days(exposure, daily, "exposure") > 0
    total = float(np.prod(1.0 + returns) - 1.0)
    sharpe = daily_sharpe(returns)
    return {
        "total_return": total,
        "annual_return": annual_return(total, days),
        "annual_volatility": _annual_volatility(returns),
        "sharpe": None if sharpe is None else sharpe * math.sqrt(DAYS_PER_YEAR),
        "sharpe_se": None if sharpe is None else sharpe_standard_error(sharpe, days),
        "max_drawdown": float(drawdown_curve(daily).max()),
        "turnover": float(np.mean(_same_days(turnover, daily, "turnover"))),
        "hit_rate": float(np.mean(returns[exposed] > 0)) if exposed.any() else None,
        "exposure": float(np.mean(_same_days(exposure, daily, "exposure"))),
        "days": days,
        "excess_vs_buy_and_hold": excess_over(daily, benchmark, horizon=horizon),
    }


def equity_curve(daily: pd.Series) -> pd.Series:
    """Equity after each day, ``prod(1 + r)``, from 1 before the first day."""
    return (1.0 + daily.astype(np.float64)).cumprod()


def drawdown_curve(daily: pd.Series) -> pd.Series:
    """Fall of the equity from its running peak after each day (positive, 0 at a peak)."""
    equity = equity_curve(daily)
    peak = np.maximum.accumulate(np.maximum(equity.to_numpy(), 1.0))
    return 1.0 - equity / peak


def annual_return(total_return: float, days: int) -> float | None:
    """``(1 + total)^(365/n) - 1``; -1 when wiped out, None below (negative equity)."""
    wealth = 1.0 + total_return
    if wealth < 0:
        return None
    return float(wealth ** (DAYS_PER_YEAR / days) - 1.0)


def daily_sharpe(returns: np.ndarray) -> float | None:
    """Mean over standard deviation (``ddof=1``); None for a constant or 1-day series."""
    if len(returns) < 2 or np.ptp(returns) == 0:
        return None
    return float(np.mean(returns) / np.std(returns, ddof=1))


def sharpe_standard_error(daily_sharpe_ratio: float, days: int) -> float:
    """Lo (2002), iid returns: ``sqrt((1 + SR_d^2 / 2) / n)``, annualised."""
    variance = (1.0 + daily_sharpe_ratio**2 / 2.0) / days
    return math.sqrt(variance) * math.sqrt(DAYS_PER_YEAR)


def excess_over(
    daily: pd.Series, benchmark: pd.Series | None, *, horizon: int = 1
) -> dict[str, float | None]:
    """Mean daily ``daily - benchmark`` and its Newey–West t (None if undefined)."""
    if benchmark is None:
        return {"mean_daily": None, "t_stat": None}
    returns = _values(daily, "daily")
    reference = _same_days(benchmark, daily, "benchmark")
    excess = returns - reference
    days = len(excess)
    mean = float(np.mean(excess))
    variance = newey_west_variance(excess, newey_west_lag(days, horizon))
    size = max(np.max(np.abs(returns)), np.max(np.abs(reference)))
    if variance <= 0.0 or np.ptp(excess) <= CONSTANT_SPREAD * size:
        return {"mean_daily": mean, "t_stat": None}
    return {"mean_daily": mean, "t_stat": mean / math.sqrt(variance / days)}


def _annual_volatility(returns: np.ndarray) -> float | None:
    if len(returns) < 2:
        return None
    return float(np.std(returns, ddof=1) * math.sqrt(DAYS_PER_YEAR))


def _values(series: pd.Series, name: str) -> np.ndarray:
    values = series.to_numpy(np.float64)
    if not np.isfinite(values).all():
        raise ValueError(f"{name} must be finite returns (0 on flat days, not NaN)")
    return values


def _same_days(series: pd.Series, daily: pd.Series, name: str) -> np.ndarray:
    if not series.index.equals(daily.index):
        raise ValueError(f"{name} must be indexed by the same days as the returns")
    return _values(series, name)
