"""Volatility: of daily log returns, and of the day's range (Parkinson, ATR)."""

from __future__ import annotations

import numpy as np

from criptos.features import windows
from criptos.features.families.inputs import CandleArrays, divide
from criptos.features.params import FeatureParams

PARKINSON_FACTOR = 1.0 / (4.0 * np.log(2.0))


def return_volatility(
    candles: CandleArrays, params: FeatureParams
) -> dict[str, np.ndarray]:
    """``volatilidade_w``: the standard deviation of ``retorno_log`` over ``w`` rows."""
    return {
        f"volatilidade_{window}": windows.rolling_std(
            candles.log_return, candles.positions, window
        )
        for window in params.volatility_windows
    }


def range_volatility(
    candles: CandleArrays, params: FeatureParams
) -> dict[str, np.ndarray]:
    """``parkinson_<w>`` (from log(high / low)) and ``atr_<w>`` (simple mean of the
    true range)."""
    high, low, close_prev = candles.high, candles.low, candles.close_prev
    positions = candles.positions
    log_range_sq = np.log(divide(high, low)) ** 2
    parkinson = np.sqrt(
        PARKINSON_FACTOR
        * windows.rolling_mean(log_range_sq, positions, params.parkinson_window)
    )
    true_range = np.fmax(
        high - low, np.fmax(np.abs(high - close_prev), np.abs(low - close_prev))
    )
    return {
        f"parkinson_{params.parkinson_window}": parkinson,
        f"atr_{params.atr_window}": windows.rolling_mean(
            true_range, positions, params.atr_window
        ),
    }
