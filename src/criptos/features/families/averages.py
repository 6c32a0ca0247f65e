"""Moving averages of close, open and volume, and the close relative to its average."""

from __future__ import annotations

import numpy as np

from criptos.features import windows
from criptos.features.families.inputs import CandleArrays, divide
from criptos.features.params import FeatureParams


def moving_averages(
    candles: CandleArrays, params: FeatureParams
) -> dict[str, np.ndarray]:
    """Per window ``w``: ``valor_mm_w``, ``abertura_mm_w``, ``volume_mm_w`` and
    ``fech_rel_mm_w`` (close / average - 1)."""
    columns: dict[str, np.ndarray] = {}
    positions = candles.positions
    for window in params.moving_average_windows:
        average = windows.rolling_mean(candles.close, positions, window)
        columns[f"valor_mm_{window}"] = average
        columns[f"abertura_mm_{window}"] = windows.rolling_mean(
            candles.opened, positions, window
        )
        columns[f"volume_mm_{window}"] = windows.rolling_mean(
            candles.volume, positions, window
        )
        columns[f"fech_rel_mm_{window}"] = divide(candles.close, average) - 1.0
    return columns
