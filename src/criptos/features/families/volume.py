"""Volume: its day-over-day change, robust z-score and the average traded price."""

from __future__ import annotations

import numpy as np

from criptos.features import windows
from criptos.features.families.inputs import CandleArrays, divide
from criptos.features.families.robust import robust_z
from criptos.features.params import FeatureParams


def volume_features(
    candles: CandleArrays, params: FeatureParams
) -> dict[str, np.ndarray]:
    """``vol_pct_change``, ``volume_z_rob_<w>`` (``w = robust_window``) and
    ``preco_medio_volume`` (volumeto / volumefrom: value over quantity)."""
    volume, window = candles.volume, params.robust_window
    median, mad, _ = windows.rolling_robust_stats(volume, candles.positions, window)
    return {
        "vol_pct_change": divide(volume, candles.volume_prev) - 1.0,
        f"volume_z_rob_{window}": robust_z(volume, median, mad),
        "preco_medio_volume": divide(volume, candles.base_volume),
    }
