"""Oscillators: the simple-average RSI and the stochastic oscillator, 0 to 100."""

from __future__ import annotations

import numpy as np

from criptos.features import windows
from criptos.features.families.inputs import CandleArrays, divide
from criptos.features.params import FeatureParams


def oscillators(candles: CandleArrays, params: FeatureParams) -> dict[str, np.ndarray]:
    """``rsi_<w>`` (gains / (gains + losses), simple means) and ``estocastico_<w>``
    (where the close sits between the window's lowest low and highest high)."""
    positions, close = candles.positions, candles.close
    change = close - candles.close_prev
    gains = windows.rolling_mean(np.maximum(change, 0.0), positions, params.rsi_window)
    losses = windows.rolling_mean(
        np.maximum(-change, 0.0), positions, params.rsi_window
    )
    window = params.stochastic_window
    lowest = windows.rolling_min(candles.low, positions, window)
    highest = windows.rolling_max(candles.high, positions, window)
    return {
        f"rsi_{params.rsi_window}": 100.0 * divide(gains, gains + losses),
        f"estocastico_{window}": 100.0 * divide(close - lowest, highest - lowest),
    }
