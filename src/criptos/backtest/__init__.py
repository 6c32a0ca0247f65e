"""A pure, vectorised backtest of daily forecasts: strategies, execution, performance.

``signal_weights`` turns a wide frame of forecasts (decision date x asset) into
target weights, ``simulate`` holds them over the following days' returns with an
execution lag and costs, and ``summary`` reports the resulting daily returns.
"""

from criptos.backtest.execution import Book, simulate
from criptos.backtest.performance import drawdown_curve, equity_curve, summary
from criptos.backtest.strategies import (
    STRATEGIES,
    buy_and_hold_weights,
    signal_weights,
)

__all__ = [
    "STRATEGIES",
    "Book",
    "buy_and_hold_weights",
    "drawdown_curve",
    "equity_curve",
    "signal_weights",
    "simulate",
    "summary",
]
