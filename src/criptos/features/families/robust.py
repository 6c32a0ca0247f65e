"""Robust statistics of the close: rolling median, MAD, IQR and the robust z-score."""

from __future__ import annotations

import numpy as np

from criptos.features import windows
from criptos.features.families.inputs import CandleArrays, divide
from criptos.features.params import FeatureParams

# Median/MAD to standard-deviation factor of the robust z-score (normal data).
MAD_TO_SIGMA = 1.4826


def robust_z(values: np.ndarray, median: np.ndarray, mad: np.ndarray) -> np.ndarray:
    """``(values - median) / (1.4826 * MAD)``: a z-score that outliers barely move."""
    return divide(values - median, MAD_TO_SIGMA * mad)


def robust_statistics(
    candles: CandleArrays, params: FeatureParams
) -> dict[str, np.ndarray]:
    """``mediana_w``, ``mad_w``, ``iqr_w`` and ``z_robusto_w`` of the close, for
    ``w = robust_window``."""
    window = params.robust_window
    median, mad, iqr = windows.rolling_robust_stats(
        candles.close, candles.positions, window
    )
    return {
        f"mediana_{window}": median,
        f"mad_{window}": mad,
        f"iqr_{window}": iqr,
        f"z_robusto_{window}": robust_z(candles.close, median, mad),
    }
